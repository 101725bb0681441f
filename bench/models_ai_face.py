"""AI-face classifier through the serving path: per-source metrics and latency, fp32 vs int8.

    nice .venv/bin/python bench/models_ai_face.py [--limit N]

The held-out test split of ``models/ai_face/train.py`` (20 % per source and class, never
trained on) goes through exactly what ``/v1/check/media`` does: ``decode_media`` (draft
decode, 1024 px work size), the server's YuNet (``server.media.faces``), ``face_crop`` and
the model loaded by ``server.onnx_runtime`` — once as shipped files ``fp32`` and ``int8``.
"Degraded" copies are downscaled to 512 px and re-encoded at JPEG q60-75 first (web-style).
The SD 2.1 row pairs its fakes with the Unsplash reals (it has no reals of its own: see
``../shared/README.md`` on how little that pair proves). ``bench/models.py`` calls ``run``.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from server.detectors.ai_face import MIN_FACE_SIDE, face_crop, to_input  # noqa: E402
from server.media.decode import DecodeLimits, decode_media  # noqa: E402
from server.media.faces import FaceDetector  # noqa: E402
from server.onnx_runtime import ModelStore  # noqa: E402

PAIRS = {"stylegan2": ("stylegan2", "stylegan2"), "sd21": ("stylegan2", "sd21"),
         "ciplab": ("ciplab", "ciplab")}  # fmt: skip


def _train_module() -> Any:
    spec = importlib.util.spec_from_file_location(
        "ai_face_train", ROOT / "models" / "ai_face" / "train.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def _jpeg_bytes(path: str, degraded: bool, seed: int) -> bytes:
    data = Path(path).read_bytes()
    if not degraded:
        return data
    image = Image.open(io.BytesIO(data)).convert("RGB")
    scale = min(1.0, 512.0 / max(image.size))
    if scale < 1.0:
        image = image.resize(
            (round(image.width * scale), round(image.height * scale)), Image.Resampling.BILINEAR
        )
    buffer = io.BytesIO()
    quality = int(np.random.default_rng(seed).integers(60, 76))
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def _crop(data: bytes, detector: FaceDetector) -> tuple[np.ndarray | None, float]:
    started = time.perf_counter()
    item = decode_media(data, DecodeLimits())
    image = item.frames[0].image
    faces = [f for f in detector.detect(image) if max(f.box[2], f.box[3]) >= MIN_FACE_SIDE]
    seconds = time.perf_counter() - started
    if not faces:
        return None, seconds
    face = max(faces, key=lambda f: f.box[2] * f.box[3])
    return face_crop(image, face.box), seconds


def _median_ms(run: Any, feed: dict[str, np.ndarray], repeat: int = 100) -> float:
    for _ in range(10):
        run(feed)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run(feed)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def run(limit: int | None = None) -> dict[str, Any]:
    """Print the tables; return the figures (``bench/models.py`` collects them)."""
    train = _train_module()
    store = ModelStore()
    detector = FaceDetector(store.get("yunet"))
    models = {v: store.get("ai_face", v) for v in ("fp32", "int8")}
    served = store.get("ai_face")
    threshold = served.metadata.thresholds["flag"]
    records = [r for r in train.list_records() if r.split == "test"]
    if limit:
        records = records[:: max(1, len(records) // limit)]
    figures: dict[str, Any] = {"threshold": threshold, "served": served.metadata.file}
    prep_seconds: list[float] = []
    for kind in ("clean", "degraded"):
        crops, labels, sources, missed = [], [], [], 0
        for i, record in enumerate(records):
            crop, seconds = _crop(_jpeg_bytes(record.path, kind == "degraded", i), detector)
            prep_seconds.append(seconds)
            if crop is None:
                missed += 1  # no face found: the detector stays silent, counted as "real"
                crop = np.zeros((128, 128, 3), np.uint8)
            crops.append(crop)
            labels.append(record.label)
            sources.append(record.source)
        y, src = np.array(labels), np.array(sources)
        for variant, model in models.items():
            scores = np.concatenate(
                [
                    model.run({"image": to_input(crops[s : s + 64])})["p_fake"].reshape(-1)
                    for s in range(0, len(crops), 64)
                ]
            )
            table = train.per_source(scores, y, src, threshold)
            figures[f"{variant}_{kind}"] = table
        figures[f"no_face_{kind}"] = missed
    feed = {"image": to_input([np.zeros((128, 128, 3), np.uint8)])}
    for variant, model in models.items():
        figures[f"{variant}_ms_per_face"] = round(_median_ms(model.run, feed), 2)
        figures[f"{variant}_bytes"] = model.path.stat().st_size
    figures["decode_detect_ms_median"] = round(statistics.median(prep_seconds) * 1000, 1)
    _print(figures)
    return figures


def _print(f: dict[str, Any]) -> None:
    print(f"ai_face (served: {f['served']}, flag threshold {f['threshold']})")
    print(f"{'source':10} {'variant':7} {'AUC clean':>9} {'acc clean':>9} "
          f"{'AUC degr.':>9} {'acc degr.':>9} {'n real/fake':>12}")  # fmt: skip
    for source in (*PAIRS, "all"):
        for variant in ("fp32", "int8"):
            c, d = f[f"{variant}_clean"][source], f[f"{variant}_degraded"][source]
            print(
                f"{source:10} {variant:7} {c['auc']:9.3f} {c['accuracy']:9.3f} "
                f"{d['auc']:9.3f} {d['accuracy']:9.3f} {c['n_real']:>5}/{c['n_fake']:<6}"
            )
    print(f"no face found: clean {f['no_face_clean']}, degraded {f['no_face_degraded']}")
    for variant in ("fp32", "int8"):
        print(
            f"{variant}: {f[f'{variant}_bytes'] / 1024:.0f} KiB, "
            f"{f[f'{variant}_ms_per_face']:.2f} ms per face (batch 1, 1 thread)"
        )
    ratio = f["int8_ms_per_face"] / f["fp32_ms_per_face"]
    print(f"int8 / fp32 latency: {ratio:.2f}x; decode + YuNet per image (median): "
          f"{f['decode_detect_ms_median']} ms")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="test images at most")
    args = parser.parse_args()
    run(args.limit)


if __name__ == "__main__":
    main()
