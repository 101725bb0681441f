"""Face-match threshold: how far apart the same person's photos are, and different people's.

Reads the shared celebrity photos (never copied into the repository):

- ``deepface/master.csv``: 300 labelled pairs (same person ``Yes`` / different ``No``);
- ``face_recognition/knn_examples/train/<person>/``: photos grouped by person, for a second,
  independent set of same/different pairs.

Each photo goes through the product's path: ``decode_media`` (the upload decoder, 1024-px
working image), YuNet (``server.media.faces``), the largest face, the dlib 5-point + ResNet
embedder (``server.persons.embed``). Prints, per distance threshold, the true-match rate on
same-person pairs and the false-match rate (FMR) on different-person pairs, the margin
between the two groups, and time per face. The product's threshold is
``embed.DISTANCE_THRESHOLD``; its row is marked.

    .venv/bin/python bench/face_threshold.py [--shared ../shared]
"""

from __future__ import annotations

import argparse
import csv
import itertools
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

from server.media.decode import DecodeLimits, decode_media  # noqa: E402
from server.media.faces import FaceDetector  # noqa: E402
from server.onnx_runtime import ModelStore  # noqa: E402
from server.persons.embed import (  # noqa: E402
    DISTANCE_THRESHOLD,
    FaceBox,
    FaceEmbedder,
    FloatArray,
    similarity,
)

THRESHOLDS = (0.45, 0.5, 0.55, 0.6, 0.65, 0.7)


class Embeddings:
    """Largest-face embedding of each photo, computed once, with timings."""

    def __init__(self) -> None:
        self.detector = FaceDetector(ModelStore().get("yunet"))
        self.embedder = FaceEmbedder()
        self.limits = DecodeLimits()
        self.cache: dict[Path, FloatArray | None] = {}
        self.detect_s: list[float] = []
        self.embed_s: list[float] = []

    def of(self, path: Path) -> FloatArray | None:
        if path not in self.cache:
            self.cache[path] = self._compute(path)
        return self.cache[path]

    def _compute(self, path: Path) -> FloatArray | None:
        item = decode_media(path.read_bytes(), self.limits)
        image = item.frames[0].image
        started = time.perf_counter()
        faces = self.detector.detect(image)
        self.detect_s.append(time.perf_counter() - started)
        if not faces:
            return None
        face = max(faces, key=lambda f: f.box[2] * f.box[3])
        rgb = np.asarray(image, dtype=np.uint8)
        started = time.perf_counter()
        (vector,) = self.embedder.embed(rgb, [FaceBox(*face.box)])
        self.embed_s.append(time.perf_counter() - started)
        return vector


def master_pairs(shared: Path) -> list[tuple[Path, Path, bool]]:
    folder = shared / "data/images/celebrities/deepface"
    with (folder / "master.csv").open(encoding="utf-8") as fh:
        return [
            (folder / row["file_x"], folder / row["file_y"], row["Decision"] == "Yes")
            for row in csv.DictReader(fh)
        ]


def knn_pairs(shared: Path) -> list[tuple[Path, Path, bool]]:
    root = shared / "data/images/celebrities/face_recognition/knn_examples/train"
    photos = [
        (person.name, photo)
        for person in sorted(root.iterdir())
        if person.is_dir()
        for photo in sorted(person.iterdir())
        if photo.suffix.lower() in (".jpg", ".jpeg", ".png")
    ]
    return [(a, b, pa == pb) for (pa, a), (pb, b) in itertools.combinations(photos, 2)]


def report(name: str, pairs: list[tuple[Path, Path, bool]], emb: Embeddings) -> None:
    same, diff, skipped = [], [], 0
    for a, b, is_same in pairs:
        va, vb = emb.of(a), emb.of(b)
        if va is None or vb is None:
            skipped += 1
            continue
        (same if is_same else diff).append(float(np.linalg.norm(va - vb)))
    print(f"\n## {name}: {len(same)} same-person pairs, {len(diff)} different-person pairs")
    if skipped:
        print(f"({skipped} pairs skipped: no face found in one photo)")
    print("| distance ≤ | similarity ≥ | true matches (same) | false matches (different) |")
    print("|---|---|---|---|")
    for t in THRESHOLDS:
        tmr = sum(d <= t for d in same) / max(1, len(same))
        fm = sum(d <= t for d in diff)
        mark = " **(product)**" if abs(t - DISTANCE_THRESHOLD) < 1e-9 else ""
        print(
            f"| {t:.2f}{mark} | {similarity(t):.2f} | {tmr:.1%} | "
            f"{fm}/{len(diff)} = {fm / max(1, len(diff)):.2%} |"
        )
    if same and diff:
        print(
            f"same-person distance: median {statistics.median(same):.3f}, max {max(same):.3f}; "
            f"different-person: min {min(diff):.3f}, median {statistics.median(diff):.3f}"
        )
    # With zero false matches observed in n pairs, the 95 % upper bound is ~3/n (rule of three).
    fm_at = sum(d <= DISTANCE_THRESHOLD for d in diff)
    if diff and fm_at == 0:
        print(
            f"FMR at the product threshold: 0/{len(diff)} (95 % upper bound ≈ {3 / len(diff):.1%})"
        )


def open_set(shared: Path, emb: Embeddings, limit: int) -> None:
    """Faces of people who are NOT enrolled (Unsplash portraits) against a registry of one
    reference photo per labelled person: the false-match rate a deployment actually sees
    (each probe is compared with every enrolled person, so it grows with the registry)."""
    registry: list[FloatArray] = []
    for a, _b, is_same in master_pairs(shared) + knn_pairs(shared):
        if is_same:
            vector = emb.of(a)
            if vector is not None and not any(np.array_equal(vector, r) for r in registry):
                registry.append(vector)
    # Several pairs share a person: keep one reference per person (drop near-duplicates).
    kept: list[FloatArray] = []
    for vector in registry:
        if all(float(np.linalg.norm(vector - k)) > DISTANCE_THRESHOLD for k in kept):
            kept.append(vector)
    probes = sorted((shared / "data/images/stylegan2_vs_real/real").glob("*.jpg"))[:limit]
    nearest = []
    for path in probes:
        vector = emb.of(path)
        if vector is None:
            continue
        nearest.append(min(float(np.linalg.norm(vector - k)) for k in kept))
    print(
        f"\n## open set: {len(nearest)} unenrolled faces (stylegan2_vs_real/real) vs a registry of"
        f" {len(kept)} persons"
    )
    print("| distance ≤ | probes matched to someone (false matches) |")
    print("|---|---|")
    for t in THRESHOLDS:
        fm = sum(d <= t for d in nearest)
        mark = " **(product)**" if abs(t - DISTANCE_THRESHOLD) < 1e-9 else ""
        print(f"| {t:.2f}{mark} | {fm}/{len(nearest)} = {fm / max(1, len(nearest)):.2%} |")
    print(f"nearest distance: min {min(nearest):.3f}, median {statistics.median(nearest):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    parser.add_argument("--open-set", type=int, default=200, help="unenrolled probes (0: skip)")
    args = parser.parse_args()
    emb = Embeddings()
    started = time.perf_counter()
    report("deepface/master.csv", master_pairs(args.shared), emb)
    report("face_recognition knn_examples (all pairs)", knn_pairs(args.shared), emb)
    if args.open_set:
        open_set(args.shared, emb, args.open_set)
    print(
        f"\nphotos: {len(emb.cache)}, no face: {sum(v is None for v in emb.cache.values())}; "
        f"YuNet {1000 * statistics.mean(emb.detect_s):.0f} ms/photo, "
        f"embedding {1000 * statistics.mean(emb.embed_s):.0f} ms/face "
        f"(total {time.perf_counter() - started:.1f} s)"
    )


if __name__ == "__main__":
    main()
