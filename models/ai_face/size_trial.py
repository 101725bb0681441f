"""Diagnostic (nothing shipped): do large real faces in training remove the face-size effect?

    nice .venv/bin/python models/ai_face/size_trial.py [none deepface face_recognition]
    # after train.py prepare; ~10 min a run on the shared machine

The card traced the press-photo false flags to face size: every training real is a small
picture (Unsplash 300 px, CIPLAB 160 px), every SD 2.1 fake a large one, so a large face
shrunk to 128 px reads as "fake". ``../shared`` holds no licensed set of large real faces; the
only ones are the press photos (``celebrities/``), which also measure false positives. So
this trial splits them by person group -- ``deepface/`` (77 faces) against
``face_recognition/`` (33 faces, mostly Obama and Biden; no person in both) -- trains on the
usual cached crops plus one group as reals (two augmented copies each, made exactly as
``train.py prepare`` makes training copies), and scores the other group, by face size, at the
run's own threshold (5 % of validation reals, as shipped). A third run adds no press photo:
the peer at the same 8-epoch schedule. Weights trained on press photos are not shipped
(third-party photos); the trial says whether collecting a licensed set is worth it.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import train as T  # noqa: E402

EPOCHS = 8
COPIES = 2
SIZES = {"< 128 px": (0, 128), "128-255 px": (128, 256), ">= 256 px": (256, 1 << 30)}


def press_faces(rng: np.random.Generator) -> list[tuple[str, float, np.ndarray, np.ndarray]]:
    """(group, face side, clean crop, augmented copies) of every press-photo face."""
    files = sorted(
        p
        for p in (T.IMAGES / "celebrities").rglob("*")
        if p.suffix.lower() in (".jpg", ".jpeg", ".png")
    )
    faces = []
    for path in files:
        group = "deepface" if "deepface" in path.parts else "face_recognition"
        image = Image.open(path).convert("RGB")
        for box in T.detect_faces(image, min_side=48):
            if box[4] < 0.7:
                continue
            side = max(box[2], box[3])
            copies = []
            for _ in range(COPIES):  # the augmentation of train.py prepare_one
                copy, scale = image, 1.0
                if rng.random() < 0.7:
                    scale = min(max(float(rng.uniform(0.35, 1.0)), 128.0 / side * 0.8), 1.0)
                    copy = image.resize(
                        (max(1, round(image.width * scale)), max(1, round(image.height * scale))),
                        Image.Resampling.BILINEAR,
                    )
                if rng.random() < 0.9:
                    copy = T.jpeg(copy, int(rng.integers(55, 96)))
                x, y, w, h = (v * scale for v in box[:4])
                jitter = float(rng.uniform(0.9, 1.15))
                dx, dy = (float(rng.uniform(-0.06, 0.06)) * w for _ in range(2))
                sw, sh = w * jitter, h * jitter
                copies.append(
                    T.face_crop(copy, (x + w / 2 - sw / 2 + dx, y + h / 2 - sh / 2 + dy, sw, sh))
                )
            faces.append((group, side, T.face_crop(image, box), np.stack(copies)))
    return faces


def main() -> None:
    import torch

    torch.set_num_threads(2)
    faces = press_faces(np.random.default_rng(7))
    groups = np.array([f[0] for f in faces])
    sides = np.array([f[1] for f in faces])
    clean = np.stack([f[2] for f in faces])
    features = T.featurize(np.stack([f[3] for f in faces]))
    arrays, meta = T.load_cache()
    train_labels, _, eval_labels, eval_sources, eval_split = T.split_arrays(arrays, meta)
    cached = T.CACHE / f"train_features_{COPIES}.npy"
    if cached.exists():
        base = np.load(cached)
    else:
        base = T.featurize(arrays["train_crops"][:, :COPIES])
        np.save(cached, base)
    val, test = eval_split == "val", eval_split == "test"
    results = {}
    runs = sys.argv[1:] or ["none", "deepface", "face_recognition"]
    for trained_on in runs:
        used = groups == trained_on
        started = time.time()
        model = T.fit(
            np.concatenate([base, features[used]]),
            np.concatenate([train_labels, np.zeros(int(used.sum()), dtype=train_labels.dtype)]),
            EPOCHS,
            T.SEED,
            f"press photos trained: {trained_on}",
        )
        scores = {k: T.predict(model, arrays[f"eval_{k}"]) for k in ("clean", "degraded")}
        val_real = np.concatenate([scores[k][val & (eval_labels == 0)] for k in scores])
        threshold = T.threshold_at_fpr(val_real, 0.05)
        table = {
            k: T.per_source(scores[k][test], eval_labels[test], eval_sources[test], threshold)
            for k in scores
        }
        press = T.predict(model, clean)
        by_size: dict[str, dict[str, object]] = {}
        for group in ("deepface", "face_recognition"):
            if group == trained_on:
                continue
            for name, (low, high) in SIZES.items():
                mask = (groups == group) & (sides >= low) & (sides < high)
                by_size[f"{group} {name}"] = {
                    "n": int(mask.sum()),
                    "flagged": round(float(np.mean(press[mask] >= threshold)), 3)
                    if mask.any()
                    else None,
                }
        results[trained_on] = {
            "threshold": round(threshold, 4),
            "auc_clean_degraded": {
                src: (table["clean"][src]["auc"], table["degraded"][src]["auc"])
                for src in table["clean"]
            },
            "held_out_press_photos": by_size,
            "seconds": round(time.time() - started),
        }
        print(json.dumps({trained_on: results[trained_on]}), flush=True)
    name = "report_size_trial_" + "_".join(runs) + ".json"
    (T.CACHE / name).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
