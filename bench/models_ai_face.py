"""AI-face classifier through the serving path: per-source metrics and latency, fp32 vs int8.

    nice .venv/bin/python bench/models_ai_face.py [--limit N] [--scale-trial]

The held-out test split of ``models/ai_face/train.py`` (20 % per source and class, never
trained on) goes through exactly what ``/v1/check/media`` does: ``decode_media`` (draft
decode, 1024 px work size), the server's YuNet (``server.media.faces``), ``face_crop`` and
the model loaded by ``server.onnx_runtime`` — once as shipped files ``fp32`` and ``int8``.
"Degraded" copies are downscaled to 512 px and re-encoded at JPEG q60-75 first (web-style).
The SD 2.1 row pairs its fakes with the Unsplash reals (it has no reals of its own: see
``../shared/README.md`` on how little that pair proves). ``bench/models.py`` calls ``run``.

Two kinds of figures: "model" (the largest face of every picture scored, whatever its size:
what the weights can do) and "served" (what the detector says: faces of ``MAX_FACE_SIDE`` px
or more get no score, so they count as not flagged, and the share of them is printed).
``--scale-trial`` adds the experiment that came before that gate: large faces shrunk (and
re-encoded) before the crop, fp32 (MODEL_CARD.md, "Face size"; not what the server does).
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared" / "data" / "images"

from server.detectors.ai_face import (  # noqa: E402
    MAX_FACE_SIDE,
    MIN_FACE_SIDE,
    face_crop,
    square_box,
    to_input,
)
from server.errors import MediaError  # noqa: E402
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


def _crop(
    data: bytes, detector: FaceDetector
) -> tuple[np.ndarray | None, np.ndarray | None, float]:
    """The largest face's crop (model figures), the crop the detector scores (the largest
    face under ``MAX_FACE_SIDE``; None if every face is larger), and the time."""
    started = time.perf_counter()
    item = decode_media(data, DecodeLimits())
    image = item.frames[0].image
    faces = [f for f in detector.detect(image) if max(f.box[2], f.box[3]) >= MIN_FACE_SIDE]
    seconds = time.perf_counter() - started
    if not faces:
        return None, None, seconds
    face = max(faces, key=lambda f: f.box[2] * f.box[3])
    crop = face_crop(image, face.box)
    scored = [f for f in faces if max(f.box[2], f.box[3]) < MAX_FACE_SIDE]
    if not scored:
        return crop, None, seconds
    served = max(scored, key=lambda f: f.box[2] * f.box[3])
    return crop, crop if served is face else face_crop(image, served.box), seconds


def _scores(model: Any, crops: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(
        [
            model.run({"image": to_input(crops[s : s + 64])})["p_fake"].reshape(-1)
            for s in range(0, len(crops), 64)
        ]
    )


def _median_ms(run: Any, feed: dict[str, np.ndarray], repeat: int = 100) -> float:
    for _ in range(10):
        run(feed)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run(feed)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


#: (target side px or None, JPEG quality or None) for ``--scale-trial``.
SCALE_TRIAL = ((None, None), (128, None), (128, 85), (128, 75), (112, None), (112, 85), (96, 80))


def shrunk_crop(
    image: Image.Image, box: Any, target: int | None, quality: int | None
) -> np.ndarray:
    """``face_crop`` after shrinking the face's neighbourhood so the box's longer side is
    ``target`` px (faces already that small are left alone), re-encoded as JPEG at
    ``quality`` if given: scale normalisation before the model, as the trial measured it."""
    side = max(box[2], box[3])
    if target is None or side <= target:
        return face_crop(image, box)
    factor = target / side
    left, top, right, bottom = square_box(box, image.width, image.height)
    margin = int(side * 0.25)  # context for the bilinear filter at the crop's edges
    left, top = max(0, left - margin), max(0, top - margin)
    right, bottom = min(image.width, right + margin), min(image.height, bottom + margin)
    region = image.crop((left, top, right, bottom))
    region = region.resize(
        (max(1, round(region.width * factor)), max(1, round(region.height * factor))),
        Image.Resampling.BILINEAR,
    )
    if quality is not None:
        buffer = io.BytesIO()
        region.save(buffer, "JPEG", quality=quality)
        region = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    moved = ((box[0] - left) * factor, (box[1] - top) * factor, box[2] * factor, box[3] * factor)
    return face_crop(region, moved)


def _largest_face(data: bytes, detector: FaceDetector) -> tuple[Image.Image, Any] | None:
    image = decode_media(data, DecodeLimits()).frames[0].image.convert("RGB")
    faces = [f for f in detector.detect(image) if max(f.box[2], f.box[3]) >= MIN_FACE_SIDE]
    if not faces:
        return None
    return image, max(faces, key=lambda f: f.box[2] * f.box[3]).box


def _scale_trial(
    train: Any, records: list[Any], detector: FaceDetector, model: Any, thresholds: Any
) -> None:
    """Per-source AUC and press-photo flag rates by face size for each ``SCALE_TRIAL`` row."""
    split = {
        kind: [
            _largest_face(_jpeg_bytes(r.path, kind == "degraded", i), detector)
            for i, r in enumerate(records)
        ]
        for kind in ("clean", "degraded")
    }
    y = np.array([r.label for r in records])
    src = np.array([r.source for r in records])
    press: list[tuple[Image.Image, Any]] = []
    for path in sorted((SHARED / "celebrities").rglob("*")):
        if path.suffix.lower() not in (".jpg", ".jpeg", ".png"):
            continue
        try:
            image = decode_media(path.read_bytes(), DecodeLimits()).frames[0].image
        except MediaError:
            continue
        image = image.convert("RGB")
        press += [
            (image, f.box) for f in detector.detect(image) if max(f.box[2:4]) >= MIN_FACE_SIDE
        ]
    sides = np.array([max(box[2], box[3]) for _, box in press])
    blank = np.zeros((128, 128, 3), np.uint8)
    print("\nScale trial (fp32): shrink faces over the target before the crop, JPEG if given")
    print(f"{'target/quality':15} {'AUC clean sg2/sd21/cip':>24} {'AUC degr. sg2/sd21/cip':>24} "
          f"{'acc all':>7} {'press flagged <128/128-255/>=256':>33}")  # fmt: skip
    for target, quality in SCALE_TRIAL:
        aucs, accuracy = [], 0.0
        for kind in ("clean", "degraded"):
            crops = [
                blank if found is None else shrunk_crop(*found, target, quality)
                for found in split[kind]
            ]
            table = train.per_source(_scores(model, crops), y, src, thresholds["flag"])
            aucs.append("/".join(f"{table[s]['auc']:.3f}" for s in PAIRS))
            if kind == "clean":
                accuracy = table["all"]["accuracy"]
        scores = _scores(model, [shrunk_crop(im, box, target, quality) for im, box in press])
        rates = "/".join(
            f"{np.mean(scores[(sides >= lo) & (sides < hi)] >= thresholds['flag']):.0%}"
            for lo, hi in ((0, 128), (128, 256), (256, 1e9))
        )
        print(f"{f'{target}/{quality}':15} {aucs[0]:>24} {aucs[1]:>24} {accuracy:7.3f} "
              f"{rates:>33}")  # fmt: skip


def run(limit: int | None = None, scale_trial: bool = False) -> dict[str, Any]:
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
        crops, labels, sources, missed, served_crops, judged = [], [], [], 0, [], []
        for i, record in enumerate(records):
            crop, served_crop, seconds = _crop(
                _jpeg_bytes(record.path, kind == "degraded", i), detector
            )
            judged.append(crop is None or served_crop is not None)
            served_crops.append(np.zeros((128, 128, 3), np.uint8) if served_crop is None
                                else served_crop)  # fmt: skip
            prep_seconds.append(seconds)
            if crop is None:
                missed += 1  # no face found: the detector stays silent, counted as "real"
                crop = np.zeros((128, 128, 3), np.uint8)
            crops.append(crop)
            labels.append(record.label)
            sources.append(record.source)
        y, src, ok = np.array(labels), np.array(sources), np.array(judged)
        figures[f"too_large_{kind}"] = {
            f"{source} {'fake' if label else 'real'}": round(
                float(1.0 - ok[(src == source) & (y == label)].mean()), 3
            )
            for source in ("stylegan2", "sd21", "ciplab")
            for label in (0, 1)
            if ((src == source) & (y == label)).any()
        }
        for variant, model in models.items():
            scores = _scores(model, crops)
            figures[f"{variant}_{kind}"] = train.per_source(scores, y, src, threshold)
            figures[f"{variant}_{kind}_served"] = train.per_source(
                np.where(ok, _scores(model, served_crops), 0.0), y, src, threshold
            )
        figures[f"no_face_{kind}"] = missed
    feed = {"image": to_input([np.zeros((128, 128, 3), np.uint8)])}
    for variant, model in models.items():
        figures[f"{variant}_ms_per_face"] = round(_median_ms(model.run, feed), 2)
        figures[f"{variant}_bytes"] = model.path.stat().st_size
    figures["decode_detect_ms_median"] = round(statistics.median(prep_seconds) * 1000, 1)
    figures["press_photos"] = _press_photos(detector, models, served.metadata.thresholds)
    figures["loso"] = _loso()
    figures["loadavg"] = [round(v, 2) for v in os.getloadavg()]
    _print(figures)
    if scale_trial:
        _scale_trial(train, records, detector, models["fp32"], served.metadata.thresholds)
    return figures


def _press_photos(
    detector: FaceDetector, models: dict[str, Any], thresholds: Any
) -> dict[str, Any]:
    """Real press photos (``celebrities/``, never trained on) through the serving path: how
    many real faces each operating point flags, and by the size of the face in the photo
    (a small face is upscaled to 128 px, which smooths away the camera noise the model
    reads)."""
    files = sorted(
        p
        for p in (SHARED / "celebrities").rglob("*")
        if p.suffix.lower() in (".jpg", ".jpeg", ".png")
    )
    crops, sides = [], []
    for path in files:
        try:
            item = decode_media(path.read_bytes(), DecodeLimits())
        except MediaError:  # what the server would refuse, it would not score either
            continue
        image = item.frames[0].image
        for face in detector.detect(image):
            side = max(face.box[2], face.box[3])
            if side >= MIN_FACE_SIDE:
                crops.append(face_crop(image, face.box))
                sides.append(side)
    side_array = np.array(sides)
    out: dict[str, Any] = {"files": len(files), "faces": len(crops)}
    for variant, model in models.items():
        scores = np.concatenate(
            [
                model.run({"image": to_input(crops[s : s + 64])})["p_fake"].reshape(-1)
                for s in range(0, len(crops), 64)
            ]
        )
        rows = {}
        for name, (low, high) in {
            "all": (0, 1e9),
            "face < 128 px": (0, 128),
            "face 128-255 px": (128, 256),
            "face >= 256 px": (256, 1e9),
        }.items():
            in_bin = (side_array >= low) & (side_array < high)
            chosen = scores[in_bin]
            served = scores[in_bin & (side_array < MAX_FACE_SIDE)]
            rows[name] = {
                "n": len(chosen),
                "served_flag": float(np.sum(served >= thresholds["flag"]) / max(1, len(chosen))),
                "served_high": float(np.sum(served >= thresholds["high"]) / max(1, len(chosen))),
                "too_large": float(np.mean(side_array[in_bin] >= MAX_FACE_SIDE))
                if len(chosen)
                else 0.0,
                "flag": float(np.mean(chosen >= thresholds["flag"])) if len(chosen) else 0.0,
                "high": float(np.mean(chosen >= thresholds["high"])) if len(chosen) else 0.0,
                "median": float(np.median(chosen)) if len(chosen) else 0.0,
            }
        out[variant] = rows
    return out


def _loso() -> dict[str, Any] | None:
    """Leave-one-source-out figures written by ``train.py loso`` (training, not a bench)."""
    path = ROOT / "models" / "ai_face" / "loso.json"
    if not path.exists():
        return None
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def _print(f: dict[str, Any]) -> None:
    print(f"ai_face (served: {f['served']}, flag threshold {f['threshold']}; "
          f"load average {f['loadavg']})")  # fmt: skip
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
    print(f"\nServed (faces >= {MAX_FACE_SIDE} px get no score): TPR / FPR at flag, and the "
          "share of test pictures whose faces are all too large")  # fmt: skip
    print(f"{'source':10} {'variant':7} {'TPR/FPR clean':>14} {'TPR/FPR degr.':>14}")
    for source in PAIRS:
        for variant in ("fp32", "int8"):
            c = f[f"{variant}_clean_served"][source]
            d = f[f"{variant}_degraded_served"][source]
            print(f"{source:10} {variant:7} {c['tpr']:6.2f}/{c['fpr']:<7.2f} "
                  f"{d['tpr']:6.2f}/{d['fpr']:<7.2f}")  # fmt: skip
    for kind in ("clean", "degraded"):
        shares = ", ".join(f"{k} {v:.0%}" for k, v in f[f"too_large_{kind}"].items())
        print(f"too large ({kind}): {shares}")
    for variant in ("fp32", "int8"):
        print(
            f"{variant}: {f[f'{variant}_bytes'] / 1024:.0f} KiB, "
            f"{f[f'{variant}_ms_per_face']:.2f} ms per face (batch 1, 1 thread)"
        )
    ratio = f["int8_ms_per_face"] / f["fp32_ms_per_face"]
    print(f"int8 / fp32 latency: {ratio:.2f}x; decode + YuNet per image (median): "
          f"{f['decode_detect_ms_median']} ms")  # fmt: skip
    press = f["press_photos"]
    print(f"\nReal press photos (celebrities/, never trained on): {press['faces']} faces "
          f"in {press['files']} files; share of real faces at or above each threshold")  # fmt: skip
    print("(model: every face scored; served: faces too large get no score, count as not flagged)")
    print(f"{'faces':16} {'variant':7} {'n':>4} {'>= flag':>8} {'>= high':>8} {'median p':>8} "
          f"{'served flag':>11} {'served high':>11} {'too large':>9}")  # fmt: skip
    for name in press["fp32"]:
        for variant in ("fp32", "int8"):
            r = press[variant][name]
            print(f"{name:16} {variant:7} {r['n']:4d} {r['flag']:8.1%} {r['high']:8.1%} "
                  f"{r['median']:8.3f} {r['served_flag']:11.1%} {r['served_high']:11.1%} "
                  f"{r['too_large']:9.1%}")  # fmt: skip
    loso = f["loso"]
    if loso is None:
        print("\nleave-one-source-out: models/ai_face/loso.json missing (train.py loso)")
        return
    print(f"\nLeave-one-source-out (train.py loso, fp32 in torch, {loso['epochs']} epochs, "
          f"{loso['variants']} augmented copies): trained without the held-out source's "
          "fakes (StyleGAN2 and CIPLAB runs: without its reals too), threshold from the "
          "validation reals that run saw (5 % flagged)")  # fmt: skip
    print(f"{'held out':15} {'AUC clean':>9} {'AUC degr.':>9} {'TPR/FPR clean':>14} "
          f"{'in-run others AUC clean':>24} {'press >= thr':>12}")  # fmt: skip
    for run in ("stylegan2", "stylegan2:fakes", "sd21", "ciplab", "ciplab:fakes"):
        if run not in loso:
            continue
        held = run.partition(":")[0]
        r = loso[run]
        c, d = r["clean"][held], r["degraded"][held]
        others = ", ".join(
            f"{o} {r['clean'][o]['auc']:.3f}" for o in ("stylegan2", "sd21", "ciplab") if o != held
        )
        print(f"{run:15} {c['auc']:9.3f} {d['auc']:9.3f} {c['tpr']:6.2f}/{c['fpr']:<7.2f} "
              f"{others:>24} {r['celebrities_flagged_clean']:12.1%}")  # fmt: skip
    print("(':fakes' runs keep the source's reals in training: an unseen generator or editor)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="test images at most")
    parser.add_argument(
        "--scale-trial", action="store_true", help="also measure scale normalisation (slow)"
    )
    args = parser.parse_args()
    run(args.limit, args.scale_trial)


if __name__ == "__main__":
    main()
