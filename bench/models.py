"""Every FakeWatch model on its held-out data: per-source quality and per-item latency,
fp32 beside int8, each build loaded through the server's own loader.

    .venv/bin/python bench/models.py [--shared ../shared] [--skip-domains] [--skip-text]

Scam text: precision / recall / F1 of P(scam) >= threshold on the hash-held-out test split,
per source and per language, plus "unwanted" F1 (spam or scam vs ham: the only task the UCI
set, which has no scam label, can measure) and what the text detectors together (patterns +
classifier) decide. Scam domains: share of 2025 H1 scam domains (registrable domain not trained
on; also label-disjoint from training, and disjoint after folding digits and hyphens) and of
Tranco ranks 15k-20k (never trained on) flagged, evaluation-only lists, and microseconds per
domain at batch 1 and 512. The AI-face model's figures come from ``bench/models_ai_face.py``
when present (``run()``).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

import server.links.domain_features as domain_features  # noqa: E402
from models.scam_domain import dataset as domain_data  # noqa: E402
from models.scam_domain.evaluate import flagged_fraction, latency_us  # noqa: E402
from models.scam_domain.evaluate import probabilities as domain_probabilities  # noqa: E402
from models.scam_text import dataset as text_data  # noqa: E402
from models.scam_text.evaluate import figures, latency_ms  # noqa: E402
from models.scam_text.evaluate import probabilities as text_probabilities  # noqa: E402
from server.engine import Engine  # noqa: E402
from server.links.domain_features import DomainFeaturizer, slot  # noqa: E402
from server.onnx_runtime import ModelStore  # noqa: E402
from server.scoring.detector import ContentKind  # noqa: E402
from server.settings import Settings  # noqa: E402

DEFAULT_SHARED = REPO.parent / "shared"
FLAGGED = {"suspicious", "likely_scam"}


def bench_text(shared: Path, store: ModelStore) -> None:
    messages = [m for m in text_data.load(shared) if m.split == "test"]
    served = store.get("scam_text")
    threshold = served.metadata.thresholds["scam"]
    print(
        f"## scam_text (served: {served.metadata.raw.get('served_variant')}, "
        f"threshold P(scam) >= {threshold}, held-out test split: {len(messages)} messages)\n"
    )
    rows: dict[str, dict[str, object]] = {}
    for variant in ("fp32", "int8"):
        model = store.get("scam_text", variant)
        probs = text_probabilities(model, messages)
        for r in figures(probs, messages, threshold):
            rows.setdefault(r.group, {"n": r.n, "scam": r.positives})[variant] = r
    print("| group | n | scam | fp32 P / R / F1 | int8 P / R / F1 | unwanted F1 fp32 / int8 |")
    print("|---|---:|---:|---|---|---|")
    for group, row in rows.items():
        a, b = row["fp32"], row["int8"]
        if row["scam"] == 0:  # UCI: spam and ham only, P(scam) has nothing to find
            scam_cells = "no scam label: not measurable | no scam label: not measurable"
        else:
            scam_cells = (
                f"{a.precision:.3f} / {a.recall:.3f} / {a.f1:.3f} | "  # type: ignore[attr-defined]
                f"{b.precision:.3f} / {b.recall:.3f} / {b.f1:.3f}"  # type: ignore[attr-defined]
            )
        print(
            f"| {group} | {row['n']} | {row['scam']} | {scam_cells} | "
            f"{a.unwanted_f1:.3f} / {b.unwanted_f1:.3f} |"  # type: ignore[attr-defined]
        )
    _bench_text_twins(shared, store, messages, threshold)
    texts = [m.text for m in messages[:400]]
    print("\n| build | file bytes | ms/item features+model | ms/item model only |")
    print("|---|---:|---:|---:|")
    for variant in ("fp32", "int8"):
        model = store.get("scam_text", variant)
        latency_ms(model, texts[:50])  # warm-up
        total, inference = latency_ms(model, texts)
        print(f"| {variant} | {model.path.stat().st_size} | {total:.3f} | {inference:.3f} |")

    engine = Engine.build(Settings())
    started = time.perf_counter()
    scored = engine.pipeline.score_sync(ContentKind.TEXT, [m.text for m in messages])
    elapsed = time.perf_counter() - started
    cells: Counter[tuple[str, str, str]] = Counter()
    for message, s in zip(messages, scored, strict=True):
        verdict = str(s.outcome().verdict)
        label = text_data.LABELS[message.label]
        cells[(message.source, label, "n")] += 1
        if verdict in FLAGGED:
            cells[(message.source, label, "flagged")] += 1
        if verdict == "likely_scam":
            cells[(message.source, label, "likely")] += 1
    print(
        f"\nText detectors together (patterns + classifier + any other TEXT detector), "
        f"{elapsed * 1000 / len(messages):.2f} ms/message:\n"
    )
    print("| source | label | n | suspicious or worse | likely_scam |")
    print("|---|---|---:|---:|---:|")
    for source in text_data.SOURCES:
        for label in text_data.LABELS:
            n = cells[(source, label, "n")]
            if n:
                print(
                    f"| {source} | {label} | {n} | {cells[(source, label, 'flagged')] / n:.1%} "
                    f"| {cells[(source, label, 'likely')] / n:.1%} |"
                )


def _bench_text_twins(
    shared: Path, store: ModelStore, messages: list[text_data.Message], threshold: float
) -> None:
    """Served build per source, whole test split beside the test split without messages that
    have a near-duplicate twin in train+val of the same source (``dataset.twins``)."""
    everything = text_data.load(shared)
    flags = text_data.twins(everything)
    twin_texts = {(m.source, m.text) for m, twin in zip(everything, flags, strict=True) if twin}
    keep = [m for m in messages if (m.source, m.text) not in twin_texts]
    model = store.get("scam_text")
    whole = {r.group: r for r in figures(text_probabilities(model, messages), messages, threshold)}
    clean = {r.group: r for r in figures(text_probabilities(model, keep), keep, threshold)}
    print(
        f"\nServed build, test messages with a near-duplicate twin in train+val of the same "
        f"source (char-3-gram TF-IDF cosine >= {text_data.TWIN_COSINE}) removed "
        f"({len(messages) - len(keep)} of {len(messages)}):\n"
    )
    print(
        "| source | n whole / without twins | scam F1 whole / without twins | unwanted F1 whole / without twins |"
    )
    print("|---|---|---|---|")
    for source in text_data.SOURCES:
        group = f"source:{source}"
        a, b = whole.get(group), clean.get(group)
        if a is None or b is None:
            continue
        scam = "no scam label: not measurable" if a.positives == 0 else f"{a.f1:.3f} / {b.f1:.3f}"
        print(f"| {source} | {a.n} / {b.n} | {scam} | {a.unwanted_f1:.3f} / {b.unwanted_f1:.3f} |")


def bench_domains(shared: Path, store: ModelStore) -> None:
    splits = domain_data.load(shared)
    served = store.get("scam_domain")
    threshold = served.metadata.thresholds["suspicious"]
    features = served.metadata.raw["features"]
    featurizer = DomainFeaturizer(features["brands"], features["lures"])
    trained = {d.registrable for d in splits.scam_train + splits.legit_train}
    extra = {
        name: [d for d in domains if d.registrable not in trained]
        for name, domains in domain_data.extra_scam_sets(shared, domain_data.parser()).items()
    }
    # Every scam set whole (registrable domain not trained on), then label-disjoint from the
    # training scams (no training name under another suffix) and disjoint after folding digits
    # and hyphens (audit 32 #3). The folded row is the honest "never seen" figure.
    sets: dict[str, list[domain_data.Domain]] = {}
    scam_sets = {
        "polkadot-js 2025 H1": splits.scam_test,
        **{f"{name} (eval only, first 20k)": d for name, d in extra.items()},
    }
    for name, domains in scam_sets.items():
        subsets = domain_data.disjoint_subsets(splits.scam_train, domains)
        sets[f"scam: {name}, registrable not trained"] = subsets["all"]
        sets[f"scam: {name}, label-disjoint"] = subsets["label-disjoint"]
        sets[f"scam: {name}, label-disjoint after folding digits/hyphens"] = subsets[
            "folded-disjoint"
        ]
    sets["legit: Tranco 15k-20k (held out)"] = splits.legit_test
    # Without the tail sites that share a label with a training legit site (ebay.be, google.dev).
    sets["legit: Tranco 15k-20k, label-disjoint from training legit"] = (
        domain_data.disjoint_subsets(splits.legit_train, splits.legit_test)["label-disjoint"]
    )
    print(
        f"\n## scam_domain (served: {served.metadata.raw.get('served_variant')}, "
        f"threshold P(scam) >= {threshold:.4f})\n"
    )
    print("| set | n | flagged fp32 | flagged int8 |")
    print("|---|---:|---:|---:|")
    models = {v: store.get("scam_domain", v) for v in ("fp32", "int8")}
    for name, domains in sets.items():
        flagged = [
            flagged_fraction(domain_probabilities(m, featurizer, domains), threshold)
            for m in models.values()
        ]
        print(f"| {name} | {len(domains)} | {flagged[0]:.2%} | {flagged[1]:.2%} |")
    sample = splits.legit_test[:4096]
    print(
        "\n| build | file bytes | µs/domain batch 1 (features+model / model) | "
        "µs/domain batch 512 (features+model / model) |"
    )
    print("|---|---:|---|---|")
    for variant, model in models.items():
        latency_us(model, featurizer, sample[:200], 1)  # warm-up
        one = latency_us(model, featurizer, sample[:1000], 1)
        many = latency_us(model, featurizer, sample, 512)
        print(
            f"| {variant} | {model.path.stat().st_size} | {one[0]:.1f} / {one[1]:.1f} | "
            f"{many[0]:.1f} / {many[1]:.1f} |"
        )
    _bench_domain_features(featurizer, splits.legit_test + splits.scam_test)
    probs = domain_probabilities(models["fp32"], featurizer, splits.scam_test)
    print(
        f"\nscore quantiles on 2025 H1 scam domains: "
        f"{np.quantile(probs, [0.1, 0.25, 0.5]).round(3).tolist()} (10/25/50 %)"
    )


def _bench_domain_features(featurizer: DomainFeaturizer, domains: list[domain_data.Domain]) -> None:
    """Featurising alone, µs per new domain: the array path ``prime`` uses, at several batch
    sizes, against the token-by-token path (``tokens`` + ``slot``: what features v1 did,
    string tokens hashed one by one) measured in the same run. Best of 3 passes."""
    sample = domains[:8192]
    labels = [d.label for d in sample]
    suffixes = [d.suffix for d in sample]
    private = [d.private_suffix for d in sample]

    def best_us(run: object, n: int) -> float:
        times = []
        for _ in range(3):
            started = time.perf_counter()
            run()  # type: ignore[operator]
            times.append((time.perf_counter() - started) * 1e6 / n)
        return min(times)

    def tokens_path() -> None:
        for d in sample[:2000]:
            {slot(t) for t in featurizer.tokens(d.label, d.suffix, d.private_suffix)}

    def array_path(batch: int) -> object:
        def run() -> None:
            for start in range(0, len(sample), batch):
                end = start + batch
                featurizer.batch_slots(labels[start:end], suffixes[start:end], private[start:end])

        return run

    def single_path() -> None:
        for d in sample[:2000]:
            featurizer.hashed(d.label, d.suffix, d.private_suffix)

    peer = best_us(tokens_path, 2000)
    print(f"\nFeaturising only, µs per new domain (load average {os.getloadavg()[0]:.1f}):\n")
    print("| path | µs/domain | vs token-by-token |")
    print("|---|---:|---:|")
    print(f"| token by token (string tokens, one hash each; v1's way) | {peer:.1f} | 1.00 |")
    one = best_us(single_path, 2000)
    print(
        f"| one domain (`hashed`, small-batch path, warm token cache) | {one:.1f} | {peer / one:.2f}x |"
    )
    for batch in (64, 512, 4096):
        us = best_us(array_path(batch), len(sample))
        print(f"| array path, batch {batch} (`prime`) | {us:.1f} | {peer / us:.2f}x |")
    # The previous features (v2: 3-5-grams in 2**17 slots) in the same run: what v3's 2- and
    # 6-grams cost per domain.
    with previous_features((3, 4, 5), 1 << 17):
        featurizer = DomainFeaturizer(featurizer.brands, featurizer.lures)
        us = best_us(array_path(512), len(sample))
    print(f"| array path, batch 512, features v2 (3-5-grams) | {us:.1f} | {peer / us:.2f}x |")


@contextlib.contextmanager
def previous_features(ngrams: tuple[int, ...], dim: int) -> Iterator[None]:
    """Featurise with other n-grams / slots (module constants, read at call time). The
    training scripts have the same switch; this one needs no training packages."""
    saved = domain_features.NGRAMS, domain_features.DIM
    domain_features.NGRAMS, domain_features.DIM = ngrams, dim
    try:
        yield
    finally:
        domain_features.NGRAMS, domain_features.DIM = saved


def bench_ai_face() -> None:
    path = REPO / "bench" / "models_ai_face.py"
    if not path.exists():
        print("\n## ai_face: bench/models_ai_face.py not present")
        return
    spec = importlib.util.spec_from_file_location("models_ai_face", path)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    print("\n## ai_face (bench/models_ai_face.py)\n")
    module.run()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--skip-text", action="store_true")
    parser.add_argument("--skip-domains", action="store_true")
    parser.add_argument("--skip-ai-face", action="store_true")
    args = parser.parse_args()
    store = ModelStore()
    if not args.skip_text:
        bench_text(args.shared, store)
    if not args.skip_domains:
        bench_domains(args.shared, store)
    if not args.skip_ai_face:
        bench_ai_face()


if __name__ == "__main__":
    main()
