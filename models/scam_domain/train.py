"""Train the unseen-scam-domain model and write its fp32 ONNX graph.

    .venv/bin/python models/scam_domain/train.py           # ~1 min on 2 cores

Logistic regression over the hashed tokens of ``server/links/domain_features.py``; the data
and the time/popularity split are in ``dataset.py``. Writes ``build/scam_domain.fp32.onnx``
and ``build/training.json`` (split sizes, C, validation-chosen threshold).

The graph takes the sparse batch as it is (``indices``, ``values`` [N, K]) and gathers one
weight per token: no dense vector per domain, so a batch of thousands costs microseconds each.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import scipy.sparse as sp  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from models.scam_domain.dataset import DEFAULT_SHARED, Domain, load  # noqa: E402
from server.links.domain_features import DIM, DomainFeaturizer  # noqa: E402
from server.scoring.resources import bundled_data_dir  # noqa: E402

#: Inverse regularisation, chosen on time: trained on scams listed before 2024-07-01, the
#: share of 2024 H2 scams flagged at the validation threshold was 77.6 / 78.8 / **81.4** /
#: 78.1 / 77.7 / 78.1 % for C = 0.05 / 0.03 / 0.1 / 0.3 / 1 / 3 (MODEL_CARD.md). The 2025 test
#: scams played no part.
C = 0.1
#: The flag threshold keeps validation false positives at or under this fraction: half of
#: the 0.5 % target, leaving room for the held-out tail to be harder than validation.
VAL_FP_BUDGET = 0.0025


def matrix(featurizer: DomainFeaturizer, domains: list[Domain]) -> sp.csr_matrix:
    """Binary token matrix [N, DIM] through the same batch path the server uses."""
    parts = []
    for start in range(0, len(domains), 4096):
        chunk = domains[start : start + 4096]
        indices, values = featurizer.batch_slots(
            [d.label for d in chunk], [d.suffix for d in chunk], [d.private_suffix for d in chunk]
        )
        keep = values > 0
        indptr = np.concatenate([[0], np.cumsum(keep.sum(axis=1))])
        parts.append(
            sp.csr_matrix(
                (values[keep], indices[keep], indptr), shape=(len(chunk), DIM), dtype=np.float32
            )
        )
    return sp.vstack(parts).tocsr()


#: Folds of the out-of-fold legit scores the threshold is chosen on.
FOLDS = 5


def _cut(sorted_legit: np.ndarray) -> float:
    """Strictly above the (allowed+1)-th highest legit score: at most VAL_FP_BUDGET flagged."""
    allowed = int(VAL_FP_BUDGET * len(sorted_legit))
    return float(np.nextafter(sorted_legit[-(allowed + 1)], 1.0))


def out_of_fold_legit(
    featurizer: DomainFeaturizer, scams: list[Domain], legit: list[Domain], c: float
) -> np.ndarray:
    """P(scam) of each legit domain from a model trained on every scam and the other folds
    of legit domains (folds by a hash of the name)."""
    fold = np.asarray([zlib.adler32(d.registrable.encode()) % FOLDS for d in legit])
    scam_x, legit_x = matrix(featurizer, scams), matrix(featurizer, legit)
    scores = np.zeros(len(legit))
    for k in range(FOLDS):
        keep = np.flatnonzero(fold != k)
        x = sp.vstack([scam_x, legit_x[keep]]).tocsr()
        y = np.r_[np.ones(len(scams)), np.zeros(len(keep))]
        clf = LogisticRegression(C=c, max_iter=3000, class_weight="balanced").fit(x, y)
        scores[fold == k] = clf.predict_proba(legit_x[fold == k])[:, 1]
    return scores


def to_onnx(clf: LogisticRegression) -> onnx.ModelProto:
    """indices, values [N, K] → Gather(weight) · values → sum → + bias → sigmoid → p_scam [N]."""
    weight = numpy_helper.from_array(clf.coef_[0].astype(np.float32), "weight")
    bias = numpy_helper.from_array(clf.intercept_.astype(np.float32), "bias")
    axes = numpy_helper.from_array(np.asarray([1], dtype=np.int64), "axes")
    graph = helper.make_graph(
        [
            helper.make_node("Gather", ["weight", "indices"], ["gathered"], axis=0),
            helper.make_node("Mul", ["gathered", "values"], ["weighted"]),
            helper.make_node("ReduceSum", ["weighted", "axes"], ["summed"], keepdims=0),
            helper.make_node("Add", ["summed", "bias"], ["logit"]),
            helper.make_node("Sigmoid", ["logit"], ["p_scam"]),
        ],
        "scam_domain",
        [
            helper.make_tensor_value_info("indices", TensorProto.INT64, ["batch", "tokens"]),
            helper.make_tensor_value_info("values", TensorProto.FLOAT, ["batch", "tokens"]),
        ],
        [helper.make_tensor_value_info("p_scam", TensorProto.FLOAT, ["batch"])],
        initializer=[weight, bias, axes],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--out", type=Path, default=HERE / "build")
    parser.add_argument("--C", type=float, default=C)
    args = parser.parse_args()
    started = time.perf_counter()
    splits = load(args.shared)
    featurizer = DomainFeaturizer.from_data_dir(bundled_data_dir())
    train = splits.scam_train + splits.legit_train
    labels = np.asarray([1] * len(splits.scam_train) + [0] * len(splits.legit_train))
    clf = LogisticRegression(C=args.C, max_iter=3000, class_weight="balanced")
    clf.fit(matrix(featurizer, train), labels)
    val_scores = np.sort(clf.predict_proba(matrix(featurizer, splits.legit_val))[:, 1])
    threshold = _cut(val_scores)
    # A diagnostic, not the served cut: the same budget over out-of-fold scores of all 15k
    # held-in legit domains. The validation set's 0.25 % is 5 domains, so its cut is noisy;
    # the card reports how far the two cuts land apart on the held-out sets.
    oof = out_of_fold_legit(
        featurizer, splits.scam_train, splits.legit_train + splits.legit_val, args.C
    )
    oof_threshold = _cut(np.sort(oof))
    args.out.mkdir(parents=True, exist_ok=True)
    onnx.save(to_onnx(clf), args.out / "scam_domain.fp32.onnx")
    test_scam = clf.predict_proba(matrix(featurizer, splits.scam_test))[:, 1]
    test_legit = clf.predict_proba(matrix(featurizer, splits.legit_test))[:, 1]
    report = {
        "C": args.C,
        "dim": DIM,
        "threshold_suspicious": round(threshold, 6),
        "val_fp_budget": VAL_FP_BUDGET,
        "threshold_rule": f"at most {VAL_FP_BUDGET:.2%} of the validation legit domains",
        "oof_threshold_diagnostic": round(oof_threshold, 6),
        "vocabulary_sha256": featurizer.vocabulary_sha256,
        "brands": list(featurizer.brands),
        "lures": list(featurizer.lures),
        "sizes": {
            "scam_train": len(splits.scam_train),
            "scam_test_2025H1": len(splits.scam_test),
            "legit_train": len(splits.legit_train),
            "legit_val": len(splits.legit_val),
            "legit_test_tranco_15k_20k": len(splits.legit_test),
        },
        "sklearn_check": {
            "scam_test_recall": round(float(np.mean(test_scam >= threshold)), 4),
            "legit_test_flagged": round(float(np.mean(test_legit >= threshold)), 4),
            "oof_cut_scam_test_recall": round(float(np.mean(test_scam >= oof_threshold)), 4),
            "oof_cut_legit_test_flagged": round(float(np.mean(test_legit >= oof_threshold)), 4),
        },
        "seconds": round(time.perf_counter() - started, 1),
    }
    (args.out / "training.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
