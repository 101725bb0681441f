"""Held-out figures of a scam-text model: per source, per language, and per-item latency.

Shared by ``export.py`` (which writes them into the card's numbers) and ``bench/models.py``;
models run through ``server.onnx_runtime`` exactly as the server runs them.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from models.scam_text.dataset import LABELS, Message
from server.onnx_runtime import OnnxModel
from server.text.features import dense

SCAM = LABELS.index("scam")
SPAM = LABELS.index("spam")


@dataclass(frozen=True)
class Figures:
    group: str
    n: int
    positives: int
    precision: float
    recall: float
    f1: float
    #: Spam-or-scam vs ham at P(scam) + P(spam) >= 0.5: the only task the UCI set (spam/ham, no
    #: scam) can measure. The detector reads P(scam) alone, so this is not a product figure.
    unwanted_f1: float


def probabilities(model: OnnxModel, messages: Sequence[Message], batch: int = 256) -> np.ndarray:
    parts = []
    for start in range(0, len(messages), batch):
        texts = [m.text for m in messages[start : start + batch]]
        parts.append(model.run({"features": dense(texts)})["probs"])
    return np.concatenate(parts) if parts else np.zeros((0, len(LABELS)), dtype=np.float32)


def _f1(flagged: np.ndarray, positive: np.ndarray) -> tuple[float, float, float]:
    tp = float(np.sum(flagged & positive))
    precision = tp / max(float(np.sum(flagged)), 1.0)
    recall = tp / max(float(np.sum(positive)), 1.0)
    f1 = 2 * precision * recall / max(precision + recall, 1e-9)
    return precision, recall, f1


def figures(probs: np.ndarray, messages: Sequence[Message], threshold: float) -> list[Figures]:
    """One row per source, per language, and pooled, on the given (held-out) messages."""
    groups: dict[str, list[int]] = {}
    for i, m in enumerate(messages):
        for group in (f"source:{m.source}", f"lang:{m.lang}", "all"):
            groups.setdefault(group, []).append(i)
    rows = []
    for group, index in sorted(groups.items()):
        p = probs[index]
        labels = np.asarray([messages[i].label for i in index])
        precision, recall, f1 = _f1(p[:, SCAM] >= threshold, labels == SCAM)
        unwanted = _f1(p[:, SCAM] + p[:, SPAM] >= 0.5, labels != 0)[2]
        rows.append(
            Figures(group, len(index), int(np.sum(labels == SCAM)), precision, recall, f1, unwanted)
        )
    return rows


def latency_ms(model: OnnxModel, texts: Sequence[str], repeat: int = 1) -> tuple[float, float]:
    """Median milliseconds per item at batch size 1: (features + model, model alone)."""
    total, inference = [], []
    for _ in range(repeat):
        for text in texts:
            t0 = time.perf_counter()
            features = dense([text])
            t1 = time.perf_counter()
            model.run({"features": features})
            t2 = time.perf_counter()
            total.append((t2 - t0) * 1000)
            inference.append((t2 - t1) * 1000)
    return statistics.median(total), statistics.median(inference)
