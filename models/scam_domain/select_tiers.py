"""Choose the domain model's "alone" cut and its weaker tier without reading the test sets.

    .venv/bin/python models/scam_domain/select_tiers.py          # ~5 min on 2 cores

The detector has two cuts on P(scam), both budgets of the out-of-fold scores of the training
legit domains (``train.cut``): from ``thresholds["suspicious"]`` (0.4 %) the model says
something, ``domain_model.scam_like_weak``, a SUPPORTING reason of weight ``WEAK`` that makes a
verdict only beside another signal; from ``thresholds["alone"]`` it is ``domain_model.scam_like``,
weight 0.5, ``suspicious`` by itself. This script replays build 1.1's settings on the three
earlier time splits of ``select_settings.py`` (train on scams listed before 2023-07-01,
2024-01-01 or 2024-07-01 and Tranco ranks 1-11,250 + MetaMask's allowlist) and prints, for each
candidate budget of the alone cut and each weak weight, the whole link pipeline's verdicts with
no block list (every rule detector, the model's evidence added by tier):

- judged scams: the next half-year's scams whose folded label is not a training label;
- development legit: Tranco ranks 5,001-10,000 judged with ``top_sites`` = ranks 1-5,000 (the
  slice the lookalike rules are developed on, ``bench/links_quality.py``), the model's score
  for each being its out-of-fold score (the fold that scores it never trained on it);
- hold-out legit: Tranco ranks 11,251-15,000, the model alone (how many it makes suspicious by
  itself, and how many sit in the weak tier). Their rule verdicts are not computed: those
  ranks are the frozen slice of ``bench/links_quality.py``.

No 2025 scam and no Tranco rank above 15,000 is read. The rule, fixed when only the 2023 H2 split
had been printed: the alone budget is the largest of ``ALONE_BUDGETS`` whose model-alone flags
on the hold-out are <= ``MAX_ALONE_FLAGGED`` (0.1 %: of the 0.5 % target the rules alone take
about 0.4 %) in every split; the weak weight is the larger candidate if in every split it gains
more recall points than ten times the development flagged points it adds.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

import models.scam_domain.train as train  # noqa: E402
from models.scam_domain.dataset import DEFAULT_SHARED, disjoint_subsets, load  # noqa: E402
from models.scam_domain.select_settings import LEGIT_SPLIT, SPLITS  # noqa: E402
from server.links.domain_features import DomainFeaturizer  # noqa: E402
from server.lists import ListIndex  # noqa: E402
from server.scoring.combiner import Verdict, combine  # noqa: E402
from server.scoring.evidence import Evidence, Role  # noqa: E402
from server.scoring.pipeline import Pipeline  # noqa: E402
from server.scoring.registry import build_detectors  # noqa: E402
from server.scoring.resources import Resources, bundled_data_dir  # noqa: E402
from server.settings import Settings  # noqa: E402

ALONE_BUDGETS = (0.0025, 0.002, 0.0015, 0.001)
#: 0.35 needs a cue of 0.24 or more beside it (a lookalike's country ending, two lure words);
#: 0.42 any weighted URL or lookalike cue of 0.15 or more (a risky ending, hyphens, a lure word).
WEAK = (0.35, 0.42)
MAX_ALONE_FLAGGED = 0.001
DEV = (5_000, 10_000)
FLAGGED = (Verdict.SUSPICIOUS, Verdict.LIKELY_SCAM)


def rules(top_sites: int | None = None) -> tuple[Pipeline, Resources]:
    """The link pipeline without a block list and without ``domain_model``."""
    resources = Resources.load(Settings(bundled_blocklist=False))
    if top_sites is not None:
        resources = dataclasses.replace(resources, top_sites=resources.top_sites[:top_sites])
    resources.lists.swap(ListIndex())
    detectors = [d for d in build_detectors(resources) if d.name != "domain_model"]
    return Pipeline(detectors, link_cache_size=0), resources


def rule_evidence(
    pipeline: Pipeline, resources: Resources, hosts: Sequence[str]
) -> list[tuple[Evidence, ...]]:
    state = resources.lists.current.version
    found: list[tuple[Evidence, ...]] = []
    for start in range(0, len(hosts), 1000):
        urls = [f"https://{h}/" for h in hosts[start : start + 1000]]
        found += [
            tuple(r.outcome.reasons)
            for r in pipeline.check_links_sync(urls, resources.parser.parse, state)
        ]
    return found


def flagged(
    reasons: tuple[Evidence, ...], p: float, low: float, alone: float, weak: float, skip: bool
) -> bool:
    evidence = list(reasons)
    if not skip and p >= alone:
        evidence.append(Evidence("domain_model", "domain_model.scam_like", 0.5, Role.SUPPORTING))
    elif not skip and p >= low:
        evidence.append(
            Evidence("domain_model", "domain_model.scam_like_weak", weak, Role.SUPPORTING)
        )
    return combine(evidence).verdict in FLAGGED


def rate(
    evidence: Sequence[tuple[Evidence, ...]],
    scores: Sequence[float],
    skip: Sequence[bool],
    low: float,
    alone: float,
    weak: float,
) -> float:
    """The flagged share of one set, the model's evidence added by tier."""
    hits = sum(
        flagged(r, float(p), low, alone, weak, k)
        for r, p, k in zip(evidence, scores, skip, strict=True)
    )
    return hits / len(evidence)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    args = parser.parse_args()
    featurizer = DomainFeaturizer.from_data_dir(bundled_data_dir())
    scam_rules, scam_resources = rules()
    dev_rules, dev_resources = rules(top_sites=DEV[0])
    tranco = [
        line.strip()
        for line in (args.shared / "data/domains/tranco_top_20k.txt")
        .read_text(encoding="utf-8")
        .splitlines()
        if line.strip()
    ]
    dev_names = set(tranco[DEV[0] : DEV[1]])
    table: dict[tuple[float, float], list[tuple[float, float, int]]] = {}
    served: list[tuple[float, float, int]] = []
    for cutoff, until in SPLITS:
        name = f"{cutoff[:4]} H{1 if cutoff[5:7] == '01' else 2}"
        s = load(args.shared, cutoff, until, LEGIT_SPLIT, 15_000)
        folded = {
            d.registrable for d in disjoint_subsets(s.scam_train, s.scam_test)["folded-disjoint"]
        }
        held = [d for d in s.scam_test if d.registrable in folded]
        scam_x = train.matrix(featurizer, s.scam_train)
        legit_x = train.matrix(featurizer, s.legit_train)
        ages = s.scam_train_age_months
        clf = train.fit(scam_x, legit_x, ages)
        oof = train.out_of_fold_legit(scam_x, legit_x, s.legit_train, ages)
        p_scam = clf.predict_proba(train.matrix(featurizer, held))[:, 1]
        p_hold = clf.predict_proba(train.matrix(featurizer, s.legit_test))[:, 1]
        dev = [i for i, d in enumerate(s.legit_train) if d.registrable in dev_names]
        dev_hosts = [s.legit_train[i].registrable for i in dev]
        dev_p = oof[dev]
        dev_ev = rule_evidence(dev_rules, dev_resources, dev_hosts)
        scam_hosts = [d.registrable for d in held]
        scam_ev = rule_evidence(scam_rules, scam_resources, scam_hosts)
        dev_skip = [h in dev_resources.protected.registrables for h in dev_hosts]
        scam_skip = [h in scam_resources.protected.registrables for h in scam_hosts]
        low = train.cut(oof, train.OOF_FP_BUDGET)

        sides = ((scam_ev, p_scam, scam_skip), (dev_ev, dev_p, dev_skip))

        def judge(
            alone: float, weak: float, low: float = low, sides: Any = sides
        ) -> tuple[float, float]:
            """(recall on the judged scams, flagged share of the development legit)."""
            (scams, p_scams, skip_scams), (legit, p_legit, skip_legit) = sides
            return (
                rate(scams, p_scams, skip_scams, low, alone, weak),
                rate(legit, p_legit, skip_legit, low, alone, weak),
            )

        recall, dev_rate = judge(low, 0.5)
        served.append((recall, dev_rate, int(np.sum(p_hold >= low))))
        print(
            f"{name}: {len(held):,} judged scams, {len(dev_hosts):,} development legit, "
            f"{len(p_hold):,} hold-out legit; one cut (served 1.1): recall {recall:.2%}, "
            f"development {dev_rate:.2%}, hold-out model alone {served[-1][2]}",
            flush=True,
        )
        for budget in ALONE_BUDGETS:
            alone = train.cut(oof, budget)
            for weak in WEAK:
                recall, dev_rate = judge(alone, weak)
                table.setdefault((budget, weak), []).append(
                    (recall, dev_rate, int(np.sum(p_hold >= alone)))
                )
    names = [f"{c[:4]} H{1 if c[5:7] == '01' else 2}" for c, _ in SPLITS]
    print(
        "\n| alone budget | weak weight | "
        + " | ".join(f"{n} recall / development / hold-out alone" for n in names)
        + " | mean recall |"
    )
    print("|---:|---:|" + "---|" * len(names) + "---:|")

    def cells(rows: list[tuple[float, float, int]]) -> str:
        return " | ".join(f"{r:.2%} / {d:.2%} / {h}" for r, d, h in rows)

    print(f"| one cut 0.40 % (served 1.1) | 0.5 | {cells(served)} | "
          f"{np.mean([r for r, _, _ in served]):.2%} |")  # fmt: skip
    for (budget, weak), rows in table.items():
        mean = np.mean([r for r, _, _ in rows])
        print(f"| {budget:.2%} | {weak} | {cells(rows)} | {mean:.2%} |")
    holdout = len(p_hold)
    fits = [
        b
        for b in ALONE_BUDGETS
        if all(h <= MAX_ALONE_FLAGGED * holdout for _, _, h in table[(b, WEAK[0])])
    ]
    budget = max(fits) if fits else min(ALONE_BUDGETS)
    small, large = (table[(budget, w)] for w in WEAK)
    gains = all(
        100 * (rl - rs) > 10 * 100 * (dl - ds)
        for (rs, ds, _), (rl, dl, _) in zip(small, large, strict=True)
    )
    weak = WEAK[1] if gains else WEAK[0]
    print(
        f"\nalone budget: {budget:.2%} (model alone <= {MAX_ALONE_FLAGGED:.1%} of the hold-out in "
        f"every split: {', '.join(f'{b:.2%}' for b in fits) or 'none, the smallest'}); "
        f"weak weight: {weak} (train.ALONE_FP_BUDGET = {train.ALONE_FP_BUDGET:.2%})"
    )


if __name__ == "__main__":
    main()
