"""Train the unseen-scam-domain model and write its fp32 ONNX graph.

    .venv/bin/python models/scam_domain/train.py           # ~1 min on 2 cores

Logistic regression over the hashed tokens of ``server/links/domain_features.py``; the data
and the time/popularity split are in ``dataset.py``; every setting here was chosen on
earlier time splits that never read the test sets (``select_settings.py``, which since build 1.1
judges 2023 H2, 2024 H1 and 2024 H2; the second cut: ``select_tiers.py``). Writes
``build/scam_domain.fp32.onnx``, ``build/training.json`` (split sizes, settings, both
out-of-fold cuts) and ``build/oof_legit.tsv`` (the out-of-fold scores they were read from).

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
from models.scam_domain.dataset import fold as fold_label  # noqa: E402
from server.links.domain_features import DIM, NGRAMS, DomainFeaturizer  # noqa: E402
from server.scoring.resources import bundled_data_dir  # noqa: E402

#: Inverse regularisation, chosen on time by ``select_settings.py`` (train before 2024-07-01, judge
#: 2024 H2 scams against Tranco ranks 11,251-15,000); the 2025 test scams played no part.
C = 0.3
#: Scams listed in the last RECENT_MONTHS before the cutoff weigh RECENT_WEIGHT times an
#: older one (then the scam side is rescaled to half the total weight, as "balanced" does).
#: Scam campaigns drift: on the 2024 split this moved recall at 0.5 % legit flagged from
#: 80 % to 85 % (``select_settings.py``), more than any feature change.
RECENT_MONTHS = 12
RECENT_WEIGHT = 32.0
#: Each scam can weigh count**-GROUP_ALPHA, count = training scams sharing its label once
#: digits and hyphens are removed (``dataset.fold``), so one campaign name re-registered under
#: 40 suffixes does not outweigh 40 distinct names. 0 in the served build 1.1. On three earlier
#: time splits (``select_settings.py``) 0.5 raised folded-disjoint recall at fixed shares of
#: the legit hold-out flagged in all three (mean over 0.25-1 %: +0.5, +0.6, +0.3 points), but
#: under the threshold rule below its cut lands lower (0.32 / 0.35 / 0.24 % flagged against
#: 0.43 / 0.32 / 0.30 %) and recall did not rise (mean 71.30 % against 71.43 %): not shipped.
GROUP_ALPHA = 0.0
#: The flag threshold lets through at most this fraction of the out-of-fold scores of the
#: training legit domains. On the 2024 H2 split the rule at 0.4 % flagged 0.30 % of the
#: less popular hold-out (ranks 11,251-15,000); on 2023 H2 it flagged 0.43 % (16 of 3,724),
#: so the room under the 0.5 % target is thinner than that one split said.
OOF_FP_BUDGET = 0.004
#: Above a stricter cut, at most this fraction of the same out-of-fold scores, the score is
#: enough alone (``metadata.thresholds["alone"]``); between the two cuts it is a weaker reason
#: that makes a verdict only beside another signal (``domain_model.scam_like_weak``). Chosen
#: by ``select_tiers.py`` on the three earlier time splits of ``select_settings.py``, by a rule
#: fixed before two of them were read: the largest of 0.25 / 0.2 / 0.15 / 0.1 % whose
#: model-alone flags on the hold-out (Tranco 11,251-15,000) are <= 0.1 % (3 of 3,724) in every
#: split (0.5 % target, of which the rules alone take ~0.4 %): only 0.1 % (2, 2, 3) fits. It
#: costs the whole pipeline 17.7 points of folded-disjoint recall there (71.8 -> 54.2 %).
ALONE_FP_BUDGET = 0.001


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


def cut(legit_scores: np.ndarray, budget: float = OOF_FP_BUDGET) -> float:
    """Strictly above the (allowed+1)-th highest legit score: at most ``budget`` flagged."""
    ranked = np.sort(legit_scores)
    allowed = int(budget * len(ranked))
    return float(np.nextafter(ranked[-(allowed + 1)], np.inf))


def sample_weights(
    ages: list[int],
    legit: int,
    recent_months: int,
    recent_weight: float,
    groups: list[str] | None = None,
    group_alpha: float = 0.0,
) -> np.ndarray:
    """Scams first, then legit: each class half the total weight, recent scams heavier, and
    a scam whose ``groups`` key (its folded label) is shared by n scams weighs n**-alpha."""
    scam = np.where(np.asarray(ages) < recent_months, recent_weight, 1.0)
    if groups is not None and group_alpha:
        _, inverse, counts = np.unique(groups, return_inverse=True, return_counts=True)
        scam = scam * counts[inverse].astype(np.float64) ** -group_alpha
    total = len(ages) + legit
    return np.r_[scam * (0.5 * total / scam.sum()), np.full(legit, 0.5 * total / legit)]


def fit(
    scam_x: sp.csr_matrix,
    legit_x: sp.csr_matrix,
    ages: list[int],
    c: float = C,
    recent_months: int = RECENT_MONTHS,
    recent_weight: float = RECENT_WEIGHT,
    groups: list[str] | None = None,
    group_alpha: float = GROUP_ALPHA,
) -> LogisticRegression:
    x = sp.vstack([scam_x, legit_x]).tocsr()
    y = np.r_[np.ones(scam_x.shape[0]), np.zeros(legit_x.shape[0])]
    weights = sample_weights(
        ages, legit_x.shape[0], recent_months, recent_weight, groups, group_alpha
    )
    return LogisticRegression(C=c, max_iter=3000).fit(x, y, sample_weight=weights)


def out_of_fold_legit(
    scam_x: sp.csr_matrix,
    legit_x: sp.csr_matrix,
    legit: list[Domain],
    ages: list[int],
    c: float = C,
    recent_weight: float = RECENT_WEIGHT,
    groups: list[str] | None = None,
    group_alpha: float = GROUP_ALPHA,
) -> np.ndarray:
    """P(scam) of each legit domain from a model trained on every scam and the other folds
    of legit domains (folds by a hash of the name)."""
    fold = np.asarray([zlib.adler32(d.registrable.encode()) % FOLDS for d in legit])
    scores = np.zeros(len(legit))
    for k in range(FOLDS):
        clf = fit(
            scam_x,
            legit_x[np.flatnonzero(fold != k)],
            ages,
            c,
            RECENT_MONTHS,
            recent_weight,
            groups,
            group_alpha,
        )
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
    scam_x = matrix(featurizer, splits.scam_train)
    legit_x = matrix(featurizer, splits.legit_train)
    ages = splits.scam_train_age_months
    groups = [fold_label(d.label) for d in splits.scam_train]
    clf = fit(scam_x, legit_x, ages, args.C, groups=groups)
    # The served cut: out-of-fold scores of all 15k training legit domains (0.4 % of them is
    # 61 domains; the old 15 % validation slice's 0.25 % was 5 and its cut was noise).
    oof = out_of_fold_legit(scam_x, legit_x, splits.legit_train, ages, args.C, groups=groups)
    threshold = cut(oof)
    threshold_alone = cut(oof, ALONE_FP_BUDGET)
    args.out.mkdir(parents=True, exist_ok=True)
    onnx.save(to_onnx(clf), args.out / "scam_domain.fp32.onnx")
    # The scores both cuts were read from, to check them or to read what sits between them.
    (args.out / "oof_legit.tsv").write_text(
        "".join(
            f"{d.registrable}\t{p:.6f}\n" for d, p in zip(splits.legit_train, oof, strict=True)
        ),
        encoding="utf-8",
    )
    test_scam = clf.predict_proba(matrix(featurizer, splits.scam_test))[:, 1]
    test_legit = clf.predict_proba(matrix(featurizer, splits.legit_test))[:, 1]
    report = {
        "C": args.C,
        "recent_months": RECENT_MONTHS,
        "recent_weight": RECENT_WEIGHT,
        "group_alpha": GROUP_ALPHA,
        "group_key": "label without digits and hyphens (dataset.fold)",
        "dim": DIM,
        "ngrams": list(NGRAMS),
        "threshold_suspicious": round(threshold, 6),
        "oof_fp_budget": OOF_FP_BUDGET,
        "threshold_rule": (
            f"at most {OOF_FP_BUDGET:.2%} of the out-of-fold scores of the training legit domains"
        ),
        "threshold_alone": round(threshold_alone, 6),
        "alone_fp_budget": ALONE_FP_BUDGET,
        "threshold_alone_rule": (
            f"at most {ALONE_FP_BUDGET:.2%} of the same out-of-fold scores: from here the score "
            "alone makes a link suspicious; between the two cuts it counts only beside "
            "another signal"
        ),
        "vocabulary_sha256": featurizer.vocabulary_sha256,
        "brands": list(featurizer.brands),
        "lures": list(featurizer.lures),
        "sizes": {
            "scam_train": len(splits.scam_train),
            "scam_test_2025H1": len(splits.scam_test),
            "scam_train_recent": int(np.sum(np.asarray(ages) < RECENT_MONTHS)),
            "legit_train": len(splits.legit_train),
            "legit_test_tranco_15k_20k": len(splits.legit_test),
        },
        "sklearn_check": {
            "scam_test_recall": round(float(np.mean(test_scam >= threshold)), 4),
            "legit_test_flagged": round(float(np.mean(test_legit >= threshold)), 4),
            "scam_test_recall_alone": round(float(np.mean(test_scam >= threshold_alone)), 4),
            "legit_test_flagged_alone": round(float(np.mean(test_legit >= threshold_alone)), 4),
        },
        "seconds": round(time.perf_counter() - started, 1),
    }
    (args.out / "training.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
