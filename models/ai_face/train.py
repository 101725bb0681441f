"""Train the AI-generated / edited face classifier from ../shared/data/images.

    nice .venv/bin/python models/ai_face/train.py prepare   # face crops -> cache (~3 min)
    nice .venv/bin/python models/ai_face/train.py train     # CNN + baseline + fp32 ONNX
    nice .venv/bin/python models/ai_face/train.py loso      # leave-one-source-out runs

Needs the ``train`` extra (torch). Nothing here is shipped but the ONNX file and figures.

Why the data is handled this way (see MODEL_CARD.md):
- Every image, real or fake, goes through the same path: YuNet face box -> square crop of the
  box's longer side -> 128 px bilinear. Training crops come from copies of the whole image
  downscaled at random and re-encoded as JPEG at a random quality (55-95), so neither the
  original resolution nor the original encoder (PNG/JPEG, quality) separates the classes.
- Held-out figures are on a random 20 % split per (source, class), each image evaluated
  "clean" (the original file) and "degraded" (downscaled to 512 px, JPEG q60-75, faces
  detected again), plus leave-one-source-out runs (``loso``).
- Real press photos (../shared/data/images/celebrities) are never trained on: they measure
  how often the model flags real faces from a distribution it has never seen.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import sys
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing import Pool
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from server.detectors.ai_face import INPUT_SIZE, face_crop  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
IMAGES = SHARED / "images"
YUNET = SHARED / "models" / "yunet_n_dynamic.onnx"
CACHE = Path("/tmp/fakewatch_ai_face")  # noqa: S108 (scratch space for crops, not secrets)
HERE = Path(__file__).resolve().parent

#: (source, label, folder); label 1 = AI-generated or edited.
SETS = (
    ("stylegan2", 0, "stylegan2_vs_real/real"),
    ("stylegan2", 1, "stylegan2_vs_real/fake"),
    ("sd21", 1, "sd21_faces"),
    ("ciplab", 0, "ciplab_photoshop/real"),
    ("ciplab", 1, "ciplab_photoshop/fake"),
)
TRAIN_VARIANTS = 5
SEED = 20261122


@dataclass(frozen=True)
class Record:
    path: str
    source: str
    label: int
    split: str  # train / val / test


def list_records() -> list[Record]:
    rng = np.random.default_rng(SEED)
    records: list[Record] = []
    for source, label, folder in SETS:
        files = sorted(str(p) for p in (IMAGES / folder).glob("*.jpg"))
        order = rng.permutation(len(files))
        n_test = round(0.2 * len(files))
        n_val = round(0.1 * len(files))
        for rank, index in enumerate(order):
            split = "test" if rank < n_test else "val" if rank < n_test + n_val else "train"
            records.append(Record(files[index], source, label, split))
    return records


# ---------------------------------------------------------------- preparation (workers)

_detector = None


def _yunet():  # type: ignore[no-untyped-def]
    global _detector
    if _detector is None:
        import cv2

        cv2.setNumThreads(1)
        _detector = cv2.FaceDetectorYN.create(str(YUNET), "", (320, 320), 0.6)
    return _detector


def detect_faces(image: Image.Image, min_side: int = 40) -> list[tuple[float, ...]]:
    """YuNet boxes ``(x, y, w, h, score)`` in ``image`` coordinates, best first."""
    scale = min(1.0, 640.0 / max(image.size))
    small = (
        image
        if scale == 1.0
        else image.resize(
            (round(image.width * scale), round(image.height * scale)), Image.Resampling.BILINEAR
        )
    )
    bgr = np.ascontiguousarray(np.asarray(small.convert("RGB"))[:, :, ::-1])
    det = _yunet()
    det.setInputSize((bgr.shape[1], bgr.shape[0]))
    _, faces = det.detect(bgr)
    if faces is None:
        return []
    boxes = [(f[0] / scale, f[1] / scale, f[2] / scale, f[3] / scale, float(f[14])) for f in faces]
    boxes = [b for b in boxes if max(b[2], b[3]) >= min_side]
    return sorted(boxes, key=lambda b: -b[4])


def jpeg(image: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    buffer.seek(0)
    return Image.open(buffer).convert("RGB")


def degrade(image: Image.Image, quality: int) -> Image.Image:
    """Web-style copy: longer side at most 512 px, then JPEG at ``quality``."""
    scale = min(1.0, 512.0 / max(image.size))
    if scale < 1.0:
        image = image.resize(
            (round(image.width * scale), round(image.height * scale)), Image.Resampling.BILINEAR
        )
    return jpeg(image, quality)


def fallback_box(image: Image.Image) -> tuple[float, ...]:
    side = 0.8 * min(image.size)
    return ((image.width - side) / 2, (image.height - side) / 2, side, side, 0.0)


def prepare_one(args: tuple[Record, int]) -> dict[str, object]:
    record, seed = args
    rng = np.random.default_rng(seed)
    image = Image.open(record.path).convert("RGB")
    boxes = detect_faces(image)
    found = bool(boxes)
    box = boxes[0] if boxes else fallback_box(image)
    out: dict[str, object] = {"found": found}
    if record.split == "train":
        crops = []
        for _ in range(TRAIN_VARIANTS):
            copy, scale = image, 1.0
            if rng.random() < 0.7:
                scale = float(rng.uniform(0.35, 1.0))
                scale = max(scale, 128.0 / max(box[2], box[3]) * 0.8)
                scale = min(scale, 1.0)
                copy = image.resize(
                    (max(1, round(image.width * scale)), max(1, round(image.height * scale))),
                    Image.Resampling.BILINEAR,
                )
            if rng.random() < 0.9:
                copy = jpeg(copy, int(rng.integers(55, 96)))
            x, y, w, h = (v * scale for v in box[:4])
            jitter = float(rng.uniform(0.9, 1.15))
            dx, dy = (float(rng.uniform(-0.06, 0.06)) * w for _ in range(2))
            side_w, side_h = w * jitter, h * jitter
            jittered = (x + w / 2 - side_w / 2 + dx, y + h / 2 - side_h / 2 + dy, side_w, side_h)
            crops.append(face_crop(copy, jittered))
        out["crops"] = np.stack(crops)
    else:
        out["clean"] = face_crop(image, box)
        degraded = degrade(image, int(rng.integers(60, 76)))
        dboxes = detect_faces(degraded)
        out["degraded_found"] = bool(dboxes)
        dbox = dboxes[0] if dboxes else fallback_box(degraded)
        out["degraded"] = face_crop(degraded, dbox)
    return out


def celebrity_one(path: str) -> list[tuple[np.ndarray, np.ndarray]]:
    image = Image.open(path).convert("RGB")
    rng = np.random.default_rng(zlib.crc32(Path(path).name.encode()))
    degraded = degrade(image, int(rng.integers(60, 76)))
    pairs = []
    for box in detect_faces(image, min_side=48):
        if box[4] < 0.7:
            continue
        ratio = degraded.width / image.width
        dbox = tuple(v * ratio for v in box[:4])
        pairs.append((face_crop(image, box), face_crop(degraded, dbox)))
    return pairs


def prepare(workers: int) -> None:
    CACHE.mkdir(parents=True, exist_ok=True)
    records = list_records()
    started = time.time()
    with Pool(workers) as pool:
        results = pool.map(
            prepare_one, [(r, SEED + i) for i, r in enumerate(records)], chunksize=16
        )
        celeb_files = sorted(
            str(p)
            for p in (IMAGES / "celebrities").rglob("*")
            if p.suffix.lower() in (".jpg", ".jpeg", ".png")
        )
        celeb = pool.map(celebrity_one, celeb_files, chunksize=4)
    arrays: dict[str, np.ndarray] = {}
    meta = []
    train_crops, train_index = [], []
    eval_clean, eval_degraded, eval_index = [], [], []
    for i, (record, result) in enumerate(zip(records, results, strict=True)):
        meta.append({**record.__dict__, "found": result["found"]})
        if record.split == "train":
            train_crops.append(result["crops"])
            train_index.append(i)
        else:
            eval_clean.append(result["clean"])
            eval_degraded.append(result["degraded"])
            eval_index.append(i)
            meta[-1]["degraded_found"] = result["degraded_found"]
    arrays["train_crops"] = np.stack(train_crops)
    arrays["train_index"] = np.array(train_index)
    arrays["eval_clean"] = np.stack(eval_clean)
    arrays["eval_degraded"] = np.stack(eval_degraded)
    arrays["eval_index"] = np.array(eval_index)
    pairs = [p for group in celeb for p in group]
    arrays["celeb_clean"] = np.stack([p[0] for p in pairs])
    arrays["celeb_degraded"] = np.stack([p[1] for p in pairs])
    np.savez(CACHE / "crops.npz", **arrays)
    (CACHE / "records.json").write_text(json.dumps(meta))
    missed = sum(1 for m in meta if not m["found"])
    print(
        f"prepared {len(records)} images ({missed} without a detected face: centre crop), "
        f"{len(pairs)} celebrity faces from {len(celeb_files)} files "
        f"in {time.time() - started:.0f} s",
        flush=True,
    )


# ---------------------------------------------------------------- model and training


#: Fixed high-pass filters (noise residuals, after Fridrich & Kodovsky's SRM): first and
#: second differences in both directions, a diagonal, the 3x3 and 5x5 "square" kernels and
#: the Laplacian. Applied to each colour channel of the 128 px crop.
RESIDUAL_KERNELS = (
    [[0, 0, 0], [0, -1, 1], [0, 0, 0]],
    [[0, 0, 0], [0, -1, 0], [0, 1, 0]],
    [[0, 0, 0], [1, -2, 1], [0, 0, 0]],
    [[0, 1, 0], [0, -2, 0], [0, 1, 0]],
    [[0, 0, 0], [0, -1, 0], [0, 0, 1]],
    [[-0.25, 0.5, -0.25], [0.5, -1, 0.5], [-0.25, 0.5, -0.25]],
    [[0, 0.25, 0], [0.25, -1, 0.25], [0, 0.25, 0]],
)
KV_KERNEL = [
    [-1, 2, -2, 2, -1],
    [2, -6, 8, -6, 2],
    [-2, 8, -12, 8, -2],
    [2, -6, 8, -6, 2],
    [-1, 2, -2, 2, -1],
]
#: Residual statistics are pooled over POOL x POOL blocks: a 16 x 16 map per residual, so
#: the head can compare noise level between face regions (composites paste parts whose
#: noise does not match) as well as its overall level and shape (generators and resampling).
POOL = 8


def build_features():  # type: ignore[no-untyped-def]
    """The fixed part: image -> (3 colour + 2 x 24 residual-statistic) maps of 16 x 16."""
    import torch
    from torch import nn

    class Residuals(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            k3 = torch.tensor(RESIDUAL_KERNELS, dtype=torch.float32).unsqueeze(1)
            k5 = torch.tensor(KV_KERNEL, dtype=torch.float32).view(1, 1, 5, 5) / 12.0
            # depthwise over R, G, B: every kernel applied to each channel
            self.register_buffer("k3", k3.repeat(3, 1, 1, 1))
            self.register_buffer("k5", k5.repeat(3, 1, 1, 1))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x255 = x * 255.0
            per = self.k3.shape[0] // 3
            r3 = nn.functional.conv2d(
                x255.repeat_interleave(per, dim=1), self.k3, padding=1, groups=3 * per
            )
            r5 = nn.functional.conv2d(x255, self.k5, padding=2, groups=3)
            r = torch.cat([r3, r5], dim=1)
            energy = torch.log(nn.functional.avg_pool2d(r * r, POOL) + 1e-2)
            magnitude = torch.log(nn.functional.avg_pool2d(torch.abs(r), POOL) + 1e-2)
            colour = nn.functional.avg_pool2d(x, POOL) * 4.0 - 2.0
            return torch.cat([colour, energy * 0.5, magnitude], dim=1)

    return Residuals()


FEATURE_CHANNELS = 3 + 2 * 3 * (len(RESIDUAL_KERNELS) + 1)


def build_head():  # type: ignore[no-untyped-def]
    """The trained part: a small CNN over the 16 x 16 residual-statistic maps."""
    import torch
    from torch import nn

    def conv(c_in: int, c_out: int) -> list[nn.Module]:
        return [
            nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
            nn.BatchNorm2d(c_out),
            nn.ReLU(inplace=True),
        ]

    class Head(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.norm = nn.BatchNorm2d(FEATURE_CHANNELS)
            self.body = nn.Sequential(
                *conv(FEATURE_CHANNELS, 48),
                *conv(48, 48),
                nn.MaxPool2d(2),
                *conv(48, 64),
                nn.MaxPool2d(2),
                *conv(64, 64),
            )
            self.out = nn.Sequential(nn.Dropout(0.3), nn.Linear(128, 1))

        def forward(self, f: torch.Tensor) -> torch.Tensor:
            f = self.body(self.norm(f))
            pooled = torch.cat([f.mean(dim=(2, 3)), f.amax(dim=(2, 3))], dim=1)
            return self.out(pooled).squeeze(1)

    return Head()


def build_model(head=None):  # type: ignore[no-untyped-def]
    """Image (N, 3, 128, 128) in [0, 1] -> logit: fixed residual features, trained head."""
    import torch
    from torch import nn

    class FaceNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.features = build_features()
            self.head = head if head is not None else build_head()

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.head(self.features(x))

    return FaceNet()


class Probability:  # wrapper built lazily so torch stays optional for `prepare`
    @staticmethod
    def wrap(model):  # type: ignore[no-untyped-def]
        import torch

        class WithSigmoid(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.model = model

            def forward(self, image: torch.Tensor) -> torch.Tensor:
                return torch.sigmoid(self.model(image))

        return WithSigmoid()


def load_cache() -> tuple[dict[str, np.ndarray], list[dict[str, object]]]:
    with np.load(CACHE / "crops.npz") as data:
        arrays = {k: data[k] for k in data.files}
    return arrays, json.loads((CACHE / "records.json").read_text())


def batches(n: int, size: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
    order = rng.permutation(n)
    for start in range(0, n, size):
        yield order[start : start + size]


def to_tensor(crops: np.ndarray):  # type: ignore[no-untyped-def]
    import torch

    return torch.from_numpy(crops.transpose(0, 3, 1, 2).astype(np.float32) / 255.0)


def featurize(crops: np.ndarray) -> np.ndarray:
    """Fixed features of crops (..., H, W, 3) uint8 -> (..., C, 16, 16) float32."""
    import torch

    features = build_features().eval()
    flat = crops.reshape(-1, *crops.shape[-3:])
    out = []
    with torch.no_grad():
        for start in range(0, len(flat), 256):
            out.append(features(to_tensor(flat[start : start + 256])).numpy())
    result = np.concatenate(out)
    return result.reshape(*crops.shape[:-3], *result.shape[1:])


def fit(crops: np.ndarray, labels: np.ndarray, epochs: int, seed: int, log: str):  # type: ignore[no-untyped-def]
    """``crops``: fixed features (N, variants, C, 16, 16); each epoch picks one variant
    per image. Returns the whole model (fixed features + trained head)."""
    import torch

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    head = build_head()
    model = head
    optimiser = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-3)
    steps = epochs * math.ceil(len(crops) / 64)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=3e-3, total_steps=steps)
    positives = float(labels.sum())
    pos_weight = torch.tensor((len(labels) - positives) / max(positives, 1.0))
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=pos_weight)
    for epoch in range(epochs):
        model.train()
        started, total, count = time.time(), 0.0, 0
        for index in batches(len(crops), 64, rng):
            variant = rng.integers(0, crops.shape[1], size=len(index))
            batch = crops[index, variant]
            flip = rng.random(len(index)) < 0.5
            batch[flip] = batch[flip, :, :, ::-1]
            x = torch.from_numpy(np.ascontiguousarray(batch))
            y = torch.from_numpy(labels[index].astype(np.float32))
            optimiser.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimiser.step()
            schedule.step()
            total += float(loss) * len(index)
            count += len(index)
        print(
            f"[{log}] epoch {epoch + 1}/{epochs} loss {total / count:.4f} "
            f"{time.time() - started:.0f} s",
            flush=True,
        )
    head.eval()
    return build_model(head).eval()


def predict(model, crops: np.ndarray) -> np.ndarray:  # type: ignore[no-untyped-def]
    import torch

    out = []
    with torch.no_grad():
        for start in range(0, len(crops), 256):
            out.append(torch.sigmoid(model(to_tensor(crops[start : start + 256]))).numpy())
    return np.concatenate(out) if out else np.zeros(0, dtype=np.float32)


def auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve (rank statistic, ties counted half)."""
    pos, neg = scores[labels == 1], scores[labels == 0]
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    order = np.argsort(np.concatenate([pos, neg]), kind="mergesort")
    ranks = np.empty(len(order), dtype=np.float64)
    values = np.concatenate([pos, neg])[order]
    ranks[order] = np.arange(1, len(order) + 1)
    # average ranks of ties
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=ranks[order])
    ranks[order] = (sums / counts)[inverse]
    return float((ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


#: Which reals each source is judged against ("sd21" has none of its own: Unsplash reals).
PAIRS = {
    "stylegan2": ("stylegan2", "stylegan2"),
    "sd21": ("stylegan2", "sd21"),
    "ciplab": ("ciplab", "ciplab"),
}


def per_source(
    scores: np.ndarray, labels: np.ndarray, sources: np.ndarray, threshold: float
) -> dict[str, dict[str, float]]:
    table: dict[str, dict[str, float]] = {}
    for name, (real_src, fake_src) in PAIRS.items():
        mask = ((sources == real_src) & (labels == 0)) | ((sources == fake_src) & (labels == 1))
        y, s = labels[mask], scores[mask]
        table[name] = {
            "auc": round(auc(y, s), 4),
            "accuracy": round(float(np.mean((s >= threshold) == (y == 1))), 4),
            "tpr": round(float(np.mean(s[y == 1] >= threshold)), 4),
            "fpr": round(float(np.mean(s[y == 0] >= threshold)), 4),
            "n_real": int((y == 0).sum()),
            "n_fake": int((y == 1).sum()),
        }
    y_all = labels
    table["all"] = {
        "auc": round(auc(y_all, scores), 4),
        "accuracy": round(float(np.mean((scores >= threshold) == (y_all == 1))), 4),
        "n_real": int((y_all == 0).sum()),
        "n_fake": int((y_all == 1).sum()),
    }
    return table


def threshold_at_fpr(scores_real: np.ndarray, fpr: float) -> float:
    return float(np.quantile(scores_real, 1.0 - fpr))


def spectrum_features(crops: np.ndarray) -> np.ndarray:
    """Azimuthally averaged log power spectrum of the grey crop (the classic GAN-trace
    feature, Durall et al. 2020): the baseline the CNN must beat."""
    grey = crops.astype(np.float32).mean(axis=-1)
    grey -= grey.mean(axis=(1, 2), keepdims=True)
    power = np.log1p(np.abs(np.fft.fftshift(np.fft.fft2(grey), axes=(1, 2))) ** 2)
    size = grey.shape[1]
    yy, xx = np.indices((size, size)) - size // 2
    radius = np.minimum(np.hypot(yy, xx).astype(int), size // 2 - 1)
    bins = np.bincount(radius.ravel(), minlength=size // 2)
    feats = np.stack(
        [np.bincount(radius.ravel(), weights=p.ravel(), minlength=size // 2) / bins for p in power]
    )
    return feats - feats[:, :1]


def logistic(train_x: np.ndarray, train_y: np.ndarray):  # type: ignore[no-untyped-def]
    import torch

    mean, std = train_x.mean(0), train_x.std(0) + 1e-6
    x = torch.from_numpy(((train_x - mean) / std).astype(np.float32))
    y = torch.from_numpy(train_y.astype(np.float32))
    w = torch.zeros(x.shape[1], requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], max_iter=300)

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(x @ w + b, y)
        loss = loss + 1e-3 * (w**2).sum()
        loss.backward()
        return loss

    opt.step(closure)

    def score(features: np.ndarray) -> np.ndarray:
        z = torch.from_numpy(((features - mean) / std).astype(np.float32))
        with torch.no_grad():
            return torch.sigmoid(z @ w + b).numpy()

    return score


def split_arrays(arrays: dict[str, np.ndarray], meta: list[dict[str, object]]):  # type: ignore[no-untyped-def]
    tr = arrays["train_index"]
    ev = arrays["eval_index"]
    train_labels = np.array([meta[i]["label"] for i in tr])
    train_sources = np.array([meta[i]["source"] for i in tr])
    eval_labels = np.array([meta[i]["label"] for i in ev])
    eval_sources = np.array([meta[i]["source"] for i in ev])
    eval_split = np.array([meta[i]["split"] for i in ev])
    return train_labels, train_sources, eval_labels, eval_sources, eval_split


def train(epochs: int, baseline: bool, variants: int) -> None:
    import torch

    torch.set_num_threads(2)
    arrays, meta = load_cache()
    # Fewer augmented copies per image when CPU is short (each costs a feature pass).
    arrays["train_crops"] = arrays["train_crops"][:, :variants]
    train_labels, _, eval_labels, eval_sources, eval_split = split_arrays(arrays, meta)
    report: dict[str, object] = {"epochs": epochs, "input_size": INPUT_SIZE, "variants": variants}
    val, test = eval_split == "val", eval_split == "test"

    # Baseline: spectrum + logistic regression on the same crops.
    started = time.time()
    if not baseline:
        return train_cnn(epochs, arrays, meta, report)
    base = logistic(spectrum_features(arrays["train_crops"][:, 0]), train_labels)
    base_val = base(spectrum_features(arrays["eval_clean"][val]))
    base_thr = threshold_at_fpr(base_val[eval_labels[val] == 0], 0.05)
    report["baseline_spectrum"] = {
        kind: per_source(
            base(spectrum_features(arrays[f"eval_{kind}"][test])),
            eval_labels[test],
            eval_sources[test],
            base_thr,
        )
        for kind in ("clean", "degraded")
    }
    print(f"baseline done in {time.time() - started:.0f} s", flush=True)
    print(json.dumps(report["baseline_spectrum"], indent=1), flush=True)
    (CACHE / "report_baseline.json").write_text(json.dumps(report["baseline_spectrum"]))
    return train_cnn(epochs, arrays, meta, report)


def train_cnn(
    epochs: int,
    arrays: dict[str, np.ndarray],
    meta: list[dict[str, object]],
    report: dict[str, object],
) -> None:
    train_labels, _, eval_labels, eval_sources, eval_split = split_arrays(arrays, meta)
    val, test = eval_split == "val", eval_split == "test"
    started = time.time()
    features = featurize(arrays["train_crops"])
    print(f"features {features.shape} in {time.time() - started:.0f} s", flush=True)
    started = time.time()
    model = fit(features, train_labels, epochs, SEED, "main")
    report["train_seconds"] = round(time.time() - started)
    scores = {k: predict(model, arrays[f"eval_{k}"]) for k in ("clean", "degraded")}
    # Operating point: at most 5 % of validation reals (clean and degraded) flagged.
    val_real = np.concatenate([scores[k][val & (eval_labels == 0)] for k in scores])
    threshold = round(threshold_at_fpr(val_real, 0.05), 4)
    report["threshold"] = threshold
    # A stricter point (1 % of validation reals) at which the face alone weighs enough
    # to make a verdict suspicious (see server/detectors/ai_face.py).
    report["threshold_high"] = round(threshold_at_fpr(val_real, 0.01), 4)
    report["cnn"] = {
        kind: per_source(scores[kind][test], eval_labels[test], eval_sources[test], threshold)
        for kind in scores
    }
    celeb = {k: predict(model, arrays[f"celeb_{k}"]) for k in ("clean", "degraded")}
    report["celebrities_flagged"] = {
        k: {
            "n": len(v),
            "flagged": round(float(np.mean(v >= threshold)), 4),
            "flagged_high": round(float(np.mean(v >= report["threshold_high"])), 4),
        }
        for k, v in celeb.items()
    }
    print(json.dumps(report, indent=1), flush=True)
    (CACHE / "report_main.json").write_text(json.dumps(report, indent=1))
    export(model, HERE / "ai_face_fp32.onnx")
    print("exported", HERE / "ai_face_fp32.onnx", flush=True)


def loso(epochs: int, variants: int, only: tuple[str, ...] = ()) -> None:
    """Train once per source with that source's fakes (and its own reals, if any) left out,
    then score the held-out pair's test split: how the model does on a generator or an
    editing method it has never seen. The threshold comes from the validation reals the run
    did see, exactly as in ``train``."""
    import torch

    torch.set_num_threads(2)
    arrays, meta = load_cache()
    arrays["train_crops"] = arrays["train_crops"][:, :variants]
    train_labels, train_sources, eval_labels, eval_sources, eval_split = split_arrays(arrays, meta)
    test, val = eval_split == "test", eval_split == "val"
    started = time.time()
    cached = CACHE / f"train_features_{variants}.npy"  # three runs, one feature pass
    if cached.exists():
        features = np.load(cached)
    else:
        features = featurize(arrays["train_crops"])
        np.save(cached, features)
    print(f"features {features.shape} in {time.time() - started:.0f} s", flush=True)
    results: dict[str, object] = {"epochs": epochs, "variants": variants}
    if only and (HERE / "loso.json").exists():
        results = json.loads((HERE / "loso.json").read_text())
    # "<source>": the source's fakes and its own reals left out; "<source>:fakes": only its
    # fakes (the reals stay: an unseen generator or editor, photos of a kind already seen).
    runs = only or ("stylegan2", "sd21", "ciplab")
    for run in runs:
        held, _, part = run.partition(":")
        keep = train_sources != held
        seen_val = val & (eval_sources != held)
        if held == "sd21" or part == "fakes":  # sd21's reals are Unsplash: always kept
            keep = ~((train_sources == held) & (train_labels == 1))
            seen_val = val & ~((eval_sources == held) & (eval_labels == 1))
        started = time.time()
        model = fit(features[keep], train_labels[keep], epochs, SEED, f"loso-{run}")
        scores = {k: predict(model, arrays[f"eval_{k}"]) for k in ("clean", "degraded")}
        val_real = np.concatenate([scores[k][seen_val & (eval_labels == 0)] for k in scores])
        threshold = threshold_at_fpr(val_real, 0.05)
        row: dict[str, object] = {"threshold": round(threshold, 4)}
        for kind in ("clean", "degraded"):
            row[kind] = per_source(
                scores[kind][test], eval_labels[test], eval_sources[test], threshold
            )
        celeb = predict(model, arrays["celeb_clean"])
        row["celebrities_flagged_clean"] = round(float(np.mean(celeb >= threshold)), 4)
        row["seconds"] = round(time.time() - started)
        results[run] = row
        brief = {k: row[k][held] for k in ("clean", "degraded")}  # type: ignore[index]
        print(f"held out {run}: {json.dumps(brief)}", flush=True)
        (CACHE / "report_loso.json").write_text(json.dumps(results, indent=1))
    # Figures only (no image data): the card and bench/models_ai_face.py quote them.
    (HERE / "loso.json").write_text(json.dumps(results, indent=1) + "\n")


def export(model, path: Path) -> None:  # type: ignore[no-untyped-def]
    import torch

    wrapped = Probability.wrap(model).eval()
    dummy = torch.zeros(1, 3, INPUT_SIZE, INPUT_SIZE)
    torch.onnx.export(
        wrapped,
        (dummy,),
        str(path),
        input_names=["image"],
        output_names=["p_fake"],
        dynamic_axes={"image": {0: "batch"}, "p_fake": {0: "batch"}},
        opset_version=17,
        dynamo=False,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("stage", choices=("prepare", "train", "loso"))
    parser.add_argument("--epochs", type=int, default=18)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--baseline", action="store_true", help="also fit the spectrum baseline")
    parser.add_argument("--variants", type=int, default=TRAIN_VARIANTS, help="copies per image")
    parser.add_argument(
        "--only", nargs="*", default=[], help="loso runs to (re)do, e.g. stylegan2:fakes"
    )
    args = parser.parse_args()
    if args.stage == "prepare":
        prepare(args.workers)
    elif args.stage == "train":
        train(args.epochs, args.baseline, args.variants)
    else:
        loso(args.epochs, args.variants, tuple(args.only))


if __name__ == "__main__":
    main()
