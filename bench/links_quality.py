"""Link-check quality: the fraction of each source FakeWatch flags, through the real pipeline.

Prints tables (figures are printed, never asserted). Run from the repository root:

    .venv/bin/python bench/links_quality.py [--per-fuzzer 4000] [--scam-sample 20000]

"Flagged" means verdict ``suspicious`` or ``likely_scam``. Every source is checked twice: with
the heuristics alone (``Settings(bundled_blocklist=False)``, empty list index) and with the
shipped configuration (bundled polkadot-js + MetaMask blocklist on). On legitimate sets the
flagged fraction is the false-positive rate; on scam sets it is the catch rate.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from common import (
    DEFAULT_SHARED,
    DISCORD,
    FLAGGED,
    GIVEAWAY,
    METAMASK_CONFIG,
    POLKADOT,
    REPO,
    SCAMSNIFFER,
    TRANCO,
    Built,
    Resources,
    Settings,
    SuffixList,
    as_urls,
    build,
    detector_names,
    domains_dir,
    read_domains,
    render_table,
    sample,
    unique,
)

PROTECTED_BRANDS = REPO / "server" / "data" / "protected_brands.tsv"
#: Hosts the lookalike detector never flags (MetaMask's allowlist, when it exists).
KNOWN_LEGIT = "known_legit.txt"
TARGET_LEGIT_MAX = 0.005
TARGET_LOOKALIKE_MIN = 0.95
HELD_OUT_SPLIT = 15_000


@dataclass
class Tally:
    """What one configuration said about one set of domains."""

    n: int = 0
    flagged: int = 0
    likely: int = 0
    unreadable: int = 0
    codes: Counter[str] = field(default_factory=Counter)
    codes_flagged: Counter[str] = field(default_factory=Counter)
    examples: list[tuple[str, str, list[str]]] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.flagged / self.n if self.n else 0.0


def tally(built: Built, domains: Sequence[str], keep_examples: int = 0) -> Tally:
    out = Tally()
    urls = as_urls(domains)
    for start in range(0, len(urls), 1000):
        chunk = urls[start : start + 1000]
        for domain, result in zip(domains[start : start + 1000], built.check(chunk), strict=True):
            out.n += 1
            verdict = result.outcome.verdict.value
            if result.link is None:
                out.unreadable += 1
            codes = sorted({e.code for e in result.outcome.reasons})
            out.codes.update(codes)
            if verdict in FLAGGED:
                out.flagged += 1
                out.likely += verdict == "likely_scam"
                out.codes_flagged.update(codes)
                if len(out.examples) < keep_examples:
                    out.examples.append((domain, verdict, codes))
    return out


def pct(t: Tally) -> str:
    return f"{100 * t.rate:.2f}% ({t.flagged:,})"


# --- lookalikes -------------------------------------------------------------------------------


def protected_brands(tranco: Sequence[str], fallback: int) -> tuple[list[str], str]:
    """Domains from server/data/protected_brands.tsv, or the top ``fallback`` Tranco domains."""
    if PROTECTED_BRANDS.exists():
        brands = []
        for raw in PROTECTED_BRANDS.read_text(encoding="utf-8").splitlines():
            if not raw.strip() or raw.lstrip().startswith("#"):
                continue
            # The first field that reads like a domain (a header row has none).
            for cell in raw.split("\t"):
                cell = cell.strip().lower()
                if "." in cell and " " not in cell and "/" not in cell:
                    brands.append(cell)
                    break
        if brands:
            brands = unique(brands)
            return brands, f"{len(brands)} domains of server/data/protected_brands.tsv"
    return list(tranco[:fallback]), (
        f"top {fallback} Tranco domains (server/data/protected_brands.tsv does not exist yet)"
    )


_WORKER: dict[str, object] = {}


def _init_worker(tranco: frozenset[str], suffix_brands: tuple[str, ...]) -> None:
    _WORKER["tranco"] = tranco
    _WORKER["suffix_brands"] = suffix_brands
    _WORKER["suffixes"] = Resources.load(Settings()).suffixes


def _permutations(domain: str) -> tuple[list[tuple[str, str]], Counter[str]]:
    """dnstwist's permutations of ``domain`` that a scammer could register, and what was dropped.

    Dropped: the original; a Tranco domain; a name whose registrable domain is a Tranco domain
    (``goo.gle.com`` lives on someone's real site); a name under a protected public suffix
    (``hmrc0.gov.uk``: only the government registers there), and any name whose public suffix
    only governments, armed forces or schools may register under (``irsf.gov``,
    ``nhyc.gov.cn``, ``atob.gov.au``): a scammer cannot own those.
    """
    import dnstwist

    tranco: frozenset[str] = _WORKER["tranco"]  # type: ignore[assignment]
    suffix_brands: tuple[str, ...] = _WORKER["suffix_brands"]  # type: ignore[assignment]
    suffixes: SuffixList = _WORKER["suffixes"]  # type: ignore[assignment]
    fuzzer = dnstwist.Fuzzer(domain)
    fuzzer.generate()
    kept: list[tuple[str, str]] = []
    dropped: Counter[str] = Counter()
    for perm in fuzzer.permutations():
        name, found = perm["fuzzer"], perm["domain"]
        if name == "*original":
            continue
        if found in tranco:
            dropped["is a Tranco domain"] += 1
        elif suffixes.split(found).registrable in tranco:
            dropped["registrable domain is a Tranco domain"] += 1
        elif any(found.endswith("." + b) for b in suffix_brands):
            dropped["under a protected public suffix"] += 1
        elif _restricted_suffix(suffixes.split(found).suffix):
            dropped["under a government/military/school-only suffix"] += 1
        else:
            kept.append((name, found))
    return sorted(kept), dropped


#: First labels of public suffixes only governments, armed forces, treaty bodies or schools
#: can register under (gov, gov.uk, gc.ca, go.jp, gouv.fr, edu.cn, mil...).
RESTRICTED_SUFFIX_HEADS = frozenset({"gov", "gob", "gouv", "go", "gc", "mil", "edu", "int"})


def _restricted_suffix(suffix: str) -> bool:
    return suffix.split(".", 1)[0] in RESTRICTED_SUFFIX_HEADS


def brand_classes() -> dict[str, str]:
    """Protected domain -> its combo class (``any``, ``words``, ``none``) from the TSV."""
    classes: dict[str, str] = {}
    for raw in PROTECTED_BRANDS.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in raw.split("\t")]
        if raw.lstrip().startswith("#") or len(cells) < 4:
            continue
        classes[cells[0].lower()] = cells[3]
    return classes


def lookalikes(
    brands: Sequence[str], tranco: set[str], per_fuzzer: int, seed: int, jobs: int
) -> tuple[dict[str, list[str]], Counter[str], Counter[str], dict[str, str]]:
    """dnstwist permutations of every brand a scammer could register, ``per_fuzzer`` at most each.

    Returns the sample per fuzzer, how many each fuzzer generated before sampling, how many
    permutations were dropped, by reason, and the brand each permutation came from.
    """
    suffixes = Resources.load(Settings()).suffixes
    suffix_brands = tuple(b for b in brands if suffixes.is_suffix(b))
    by_fuzzer: dict[str, set[str]] = {}
    origin: dict[str, str] = {}
    dropped: Counter[str] = Counter()
    with ProcessPoolExecutor(
        max_workers=jobs, initializer=_init_worker, initargs=(frozenset(tranco), suffix_brands)
    ) as pool:
        for brand, (kept, gone) in zip(
            brands, pool.map(_permutations, brands, chunksize=4), strict=True
        ):
            dropped.update(gone)
            for fuzzer, domain in kept:
                if domain in origin:
                    dropped["duplicate of another brand's permutation"] += 1
                    continue
                origin[domain] = brand
                by_fuzzer.setdefault(fuzzer, set()).add(domain)
    generated = Counter({f: len(d) for f, d in by_fuzzer.items()})
    sampled = {f: sample(sorted(d), per_fuzzer, seed) for f, d in sorted(by_fuzzer.items())}
    return sampled, generated, dropped, origin


# --- main -------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--shared", type=Path, default=DEFAULT_SHARED, help="the shared data folder"
    )
    parser.add_argument("--seed", type=int, default=1, help="seed for every sample")
    parser.add_argument("--scam-sample", type=int, default=20_000, help="domains per scam list")
    parser.add_argument(
        "--per-fuzzer", type=int, default=4_000, help="lookalikes sampled per dnstwist fuzzer"
    )
    parser.add_argument(
        "--brands-fallback", type=int, default=200, help="Tranco domains used without brand file"
    )
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="dnstwist processes")
    parser.add_argument("--examples", type=int, default=10, help="false positives listed")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    folder = domains_dir(args.shared)
    tranco = unique(read_domains(folder / TRANCO))
    tranco_set = set(tranco)
    config = json.loads((folder / METAMASK_CONFIG).read_text(encoding="utf-8"))
    allowlist = unique(d.strip().lower() for d in config.get("whitelist", config.get("allowlist")))

    shipped = build(bundled=True)
    heuristics = build(bundled=False)
    head = shipped.resources.top_sites[:HELD_OUT_SPLIT]
    shipped_held = build(bundled=True, top_sites=head)
    heuristics_held = build(bundled=False, top_sites=head)
    held_out = tranco[HELD_OUT_SPLIT:]

    rows: list[tuple[object, ...]] = []
    legit: dict[str, Tally] = {}

    def add(
        name: str,
        domains: Sequence[str],
        pair: tuple[Built, Built],
        target: str = "",
        note: str = "",
        keep: str = "",
    ) -> tuple[Tally, Tally]:
        alone = tally(pair[0], domains)
        full = tally(pair[1], domains, keep_examples=args.examples if keep else 0)
        if keep:
            legit[keep] = full
        judged = ""
        if target:
            passed = (
                full.rate <= TARGET_LEGIT_MAX
                if target.startswith("<=")
                else full.rate >= TARGET_LOOKALIKE_MIN
            )
            judged = "meets" if passed else "MISSES"
        rows.append((name, f"{full.n:,}", pct(alone), pct(full), target, judged, note))
        return alone, full

    both = (heuristics, shipped)
    held = (heuristics_held, shipped_held)
    add("legit: Tranco top 20k", tranco, both, "<= 0.5%", keep="Tranco top 20k")
    add(
        f"legit: Tranco ranks {HELD_OUT_SPLIT + 1:,}-{len(tranco):,}, in top_sites",
        held_out,
        both,
        note="protected by the lookalike list itself",
    )
    add(
        f"legit: Tranco ranks {HELD_OUT_SPLIT + 1:,}-{len(tranco):,}, held out",
        held_out,
        held,
        "<= 0.5%",
        note=f"top_sites = ranks 1-{HELD_OUT_SPLIT:,} only",
        keep="Tranco held out",
    )
    known = shipped.resources.data_dir / KNOWN_LEGIT
    in_known = set(read_domains(known)) & set(allowlist) if known.exists() else set()
    add(
        "legit: MetaMask allowlist (2023-04-19)",
        allowlist,
        both,
        "" if in_known else "<= 0.5%",
        note=f"{len(in_known)} of them in {KNOWN_LEGIT}: exempt by construction"
        if in_known
        else "",
        keep="" if in_known else "MetaMask allowlist",
    )
    if in_known:
        # The lookalike detector exempts known_legit.txt (which is this allowlist): rerun with a
        # copy of server/data whose known_legit.txt is empty, so the row measures something.
        scratch = Path(tempfile.mkdtemp(prefix="fakewatch-bench-"))
        copy = scratch / "data"
        shutil.copytree(shipped.resources.data_dir, copy)
        (copy / KNOWN_LEGIT).write_text("# emptied by bench/links_quality.py\n", encoding="utf-8")
        add(
            "legit: MetaMask allowlist, held out",
            allowlist,
            (build(bundled=False, data_dir=copy), build(bundled=True, data_dir=copy)),
            "<= 0.5%",
            note=f"{KNOWN_LEGIT} emptied; near-brand names by design",
            keep="MetaMask allowlist, held out",
        )
        shutil.rmtree(scratch, ignore_errors=True)

    brands, brands_from = protected_brands(tranco, args.brands_fallback)
    t0 = time.perf_counter()
    fuzzed, generated, dropped, origin = lookalikes(
        brands, tranco_set, args.per_fuzzer, args.seed, args.jobs
    )
    fuzz_seconds = time.perf_counter() - t0
    all_fuzzed = [d for domains in fuzzed.values() for d in domains]
    fuzz_rows = []
    fuzz_rates = []
    for fuzzer, domains in fuzzed.items():
        alone, full = tally(heuristics, domains), tally(shipped, domains)
        fuzz_rates.append((alone.rate, full.rate))
        fuzz_rows.append((fuzzer, f"{generated[fuzzer]:,}", f"{alone.n:,}", pct(alone), pct(full)))
    add(
        "lookalikes: dnstwist, all fuzzers pooled",
        all_fuzzed,
        both,
        ">= 95%",
        note=f"at most {args.per_fuzzer:,} per fuzzer",
    )
    classes = brand_classes()
    for combo, meaning in (
        ("any", "made-up names"),
        ("words", "ordinary-word names"),
        ("none", "short or common names"),
    ):
        members = [d for d in all_fuzzed if classes.get(origin[d]) == combo]
        if members:
            add(
                f"lookalikes: dnstwist, brands marked '{combo}'",
                members,
                both,
                note=f"{meaning} (protected_brands.tsv combo column)",
            )
    mean_alone = sum(a for a, _ in fuzz_rates) / len(fuzz_rates)
    mean_full = sum(f for _, f in fuzz_rates) / len(fuzz_rates)
    rows.append(
        (
            "lookalikes: dnstwist, mean over fuzzers",
            f"{len(fuzz_rates)} fuzzers",
            f"{100 * mean_alone:.2f}%",
            f"{100 * mean_full:.2f}%",
            ">= 95%",
            "meets" if mean_full >= TARGET_LOOKALIKE_MIN else "MISSES",
            "each fuzzer weighs the same",
        )
    )

    scam_lists = (
        (POLKADOT, "polkadot-js deny", "shipped list is built from it: trivial"),
        (SCAMSNIFFER, "scamsniffer", "partly overlaps the shipped list"),
        (DISCORD, "Discord-AntiScam", "partly overlaps the shipped list"),
        (GIVEAWAY, "CryptoScamDB giveaway 2022", "partly overlaps the shipped list"),
    )
    for filename, label, note in scam_lists:
        pool = unique(read_domains(folder / filename))
        picked = sample(pool, args.scam_sample, args.seed)
        size = f"all {len(picked):,}" if len(picked) == len(pool) else f"{len(picked):,} sampled"
        add(f"scam: {label} ({size})", picked, both, note=note)

    print("FakeWatch link quality: fraction flagged (verdict suspicious or likely_scam)")
    print(f"detectors: {detector_names(shipped)}; seed {args.seed}")
    print()
    print(
        render_table(
            ["source", "n", "heuristics only", "shipped config", "target", "", "note"],
            rows,
            align="lrrrrll",
        )
    )
    print()
    print(
        "heuristics only = Settings(bundled_blocklist=False) + empty ListIndex; shipped config = "
        "bundled polkadot-js + MetaMask blocklist on. Targets are judged on the shipped config."
    )
    print(
        f"Lookalikes: dnstwist {_dnstwist_version()} permutations of {brands_from}, "
        f"{sum(generated.values()):,} kept in {fuzz_seconds:.0f} s, {len(all_fuzzed):,} checked; "
        "dropped: " + ", ".join(f"{n:,} {why}" for why, n in dropped.most_common()) + "."
    )
    print()
    print("Lookalikes per dnstwist fuzzer:")
    print(
        render_table(["fuzzer", "kept", "checked", "heuristics only", "shipped config"], fuzz_rows)
    )
    print()
    print_evidence(legit, args.examples)
    print()
    print(f"Whole run: {time.perf_counter() - started:.0f} s.")
    return 0


def print_evidence(legit: dict[str, Tally], examples: int) -> None:
    """Which evidence codes fire on the legitimate sets (shipped config), top 10."""
    total: Counter[str] = Counter()
    for t in legit.values():
        total.update(t.codes)
    names = list(legit)
    headers = ["evidence code", *(f"{n} (all / flagged)" for n in names)]
    rows = []
    for code, _ in total.most_common(10):
        rows.append(
            (code, *(f"{legit[n].codes[code]:,} / {legit[n].codes_flagged[code]:,}" for n in names))
        )
    sizes = ", ".join(f"{n} {t.n:,}" for n, t in legit.items())
    print(f"Evidence codes on the legitimate sets, shipped config, top 10 ({sizes} URLs):")
    print(render_table(headers, rows) if rows else "(no evidence fired)")
    for name, t in legit.items():
        if not t.examples:
            continue
        print()
        print(f"First {min(examples, len(t.examples))} flagged in {name}:")
        for domain, verdict, codes in t.examples:
            print(f"  {domain:<40} {verdict:<12} {', '.join(codes)}")


def _dnstwist_version() -> str:
    import dnstwist

    return str(getattr(dnstwist, "__version__", "?"))


if __name__ == "__main__":
    sys.exit(main())
