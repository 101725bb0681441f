"""Held-out figures of a scam-domain model, run through ``server.onnx_runtime``.

Shared by ``export.py`` and ``bench/models.py``.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence

import numpy as np

from models.scam_domain.dataset import Domain, disjoint_subsets
from server.links.domain_features import DomainFeaturizer
from server.onnx_runtime import OnnxModel


def probabilities(
    model: OnnxModel, featurizer: DomainFeaturizer, domains: Sequence[Domain], batch: int = 1024
) -> np.ndarray:
    parts = []
    for start in range(0, len(domains), batch):
        parts.append(model.run(feeds(featurizer, domains[start : start + batch]))["p_scam"])
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)


def feeds(featurizer: DomainFeaturizer, domains: Sequence[Domain]) -> dict[str, np.ndarray]:
    """Model inputs of a batch, through the featuriser's batch path (as ``prime`` does)."""
    return featurizer.features(
        [d.label for d in domains], [d.suffix for d in domains], [d.private_suffix for d in domains]
    )


def flagged_fraction(probs: np.ndarray, threshold: float) -> float:
    return float(np.mean(probs >= threshold)) if len(probs) else 0.0


def disjoint_recalls(
    model: OnnxModel,
    featurizer: DomainFeaturizer,
    trained: Sequence[Domain],
    domains: Sequence[Domain],
    threshold: float,
) -> dict[str, tuple[float, int]]:
    """Flagged share and size of ``domains`` whole, label-disjoint from ``trained`` and
    disjoint after folding digits and hyphens (``dataset.disjoint_subsets``)."""
    return {
        name: (flagged_fraction(probabilities(model, featurizer, subset), threshold), len(subset))
        for name, subset in disjoint_subsets(trained, domains).items()
    }


def latency_us(
    model: OnnxModel, featurizer: DomainFeaturizer, domains: Sequence[Domain], batch: int
) -> tuple[float, float]:
    """Microseconds per domain: (features + model, model alone), median over batches."""
    total, inference = [], []
    for start in range(0, len(domains) - batch + 1, batch):
        chunk = domains[start : start + batch]
        t0 = time.perf_counter()
        inputs = feeds(featurizer, chunk)
        t1 = time.perf_counter()
        model.run(inputs)
        t2 = time.perf_counter()
        total.append((t2 - t0) * 1e6 / batch)
        inference.append((t2 - t1) * 1e6 / batch)
    return statistics.median(total), statistics.median(inference)
