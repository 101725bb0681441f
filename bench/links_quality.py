"""Link-check quality: the fraction of each source FakeWatch flags, through the real pipeline.

Prints tables (figures are printed, never asserted). Run from the repository root:

    .venv/bin/python bench/links_quality.py [--per-fuzzer 4000] [--scam-sample 20000]

"Flagged" means verdict ``suspicious`` or ``likely_scam``. Every source is checked twice: with
the heuristics alone (``Settings(bundled_blocklist=False)``, empty list index: every detector,
the domain model included) and with the shipped configuration (bundled polkadot-js + MetaMask
blocklist on). On legitimate sets the flagged fraction is the false-positive rate; on scam sets
it is the catch rate.

Scam lists are also split by what the domain model trained on (``models/scam_domain``
``dataset.load().scam_train``, by registrable domain) and checked with the rules alone (every
detector but ``domain_model``): the model has memorised most of polkadot-js and of the
CryptoScamDB giveaway list (through MetaMask's blocklist), so only the untrained part says what
the heuristics do on domains they have never seen.

Legitimate Tranco sets: the top 20k are all in ``top_sites`` (exempt by construction). Three
slices cut ``top_sites`` short and judge the ranks just below the cut, each with its own role:

- development: ranks 5,001-10,000 with ``top_sites`` = ranks 1-5,000, flagged domains printed
  (``--examples``). Lookalike rules are developed and chosen reading this slice (and the
  dnstwist and scam-list figures) only.
- held out: ranks 15,001-20,000 with ``top_sites`` = ranks 1-15,000, the figure the issue's
  target is judged on. The lookalike rules up to 2026-11-23 were tuned reading its flagged
  domains, so it is no longer clean; its flagged domains are printed for the record only.
- frozen: ranks 10,001-15,000 with ``top_sites`` = ranks 1-10,000, every detector but the
  domain model (it trains on these ranks). No rule was tuned on it (audit 32): the script
  prints only its count; never print or read its flagged domains.

Every legit row reads site names only (``https://domain/``). ``--paths`` (on by default) adds a
row for the held-out ranks with the same fixed pages on every domain, ``PATHS``: a homepage, a
login page, a news page, an about page and a rewards page (a loyalty programme's page; a lure
word, so it prices what a lure word in the path completes). The set is fixed and applied to
every domain, never picked per domain or after looking at results.
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
#: The frozen slice: ranks FROZEN_SPLIT+1..HELD_OUT_SPLIT judged with top_sites = 1..FROZEN_SPLIT.
FROZEN_SPLIT = 10_000
#: The development slice: ranks DEV_SPLIT+1..FROZEN_SPLIT judged with top_sites = 1..DEV_SPLIT.
DEV_SPLIT = 5_000
DOMAIN_MODEL = "domain_model"
#: The pages of every held-out domain checked by ``--paths``: common pages of any site, one
#: of them (``/rewards``) a lure word. Fixed before any figure was read; not to be tuned.
PATHS = ("/", "/login", "/news", "/about", "/rewards")


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
    #: The domains flagged (``--paths`` counts domains flagged on any page).
    flagged_domains: set[str] = field(default_factory=set)

    @property
    def rate(self) -> float:
        return self.flagged / self.n if self.n else 0.0


def tally(built: Built, domains: Sequence[str], keep_examples: int = 0, path: str = "/") -> Tally:
    out = Tally()
    urls = as_urls(domains) if path == "/" else [f"https://{d}{path}" for d in domains]
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
                out.flagged_domains.add(domain)
                out.likely += verdict == "likely_scam"
                out.codes_flagged.update(codes)
                if len(out.examples) < keep_examples:
                    out.examples.append((domain, verdict, codes + imitated(result.outcome)))
    return out


def imitated(outcome: object) -> list[str]:
    """What each lookalike reason says the host imitates (``-> hulu.com``), so a flagged
    domain can be read without re-running it: which brand, and whether it is another real
    site."""
    return [
        f"-> {e.details['brand_domain']}"
        for e in getattr(outcome, "reasons", ())
        if e.details.get("brand_domain")
    ]


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
    parser.add_argument(
        "--paths",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also check the held-out Tranco ranks at " + ", ".join(PATHS),
    )
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
    rule_names = [d.name for d in heuristics.pipeline.detectors if d.name != DOMAIN_MODEL]
    rules = build(bundled=False, only=rule_names)
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
        judged: str = "",
    ) -> tuple[Tally, Tally]:
        alone = tally(pair[0], domains)
        full = tally(pair[1], domains, keep_examples=args.examples if keep else 0)
        if keep:
            legit[keep] = full
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
    add(
        "legit: Tranco top 20k",
        tranco,
        both,
        note="in-sample (protected by construction): all in top_sites; domain_model trains on "
        f"ranks 1-{HELD_OUT_SPLIT:,} and skips top_sites",
        keep="Tranco top 20k",
        judged="in-sample",
    )
    add(
        f"legit: Tranco ranks {HELD_OUT_SPLIT + 1:,}-{len(tranco):,}, in top_sites",
        held_out,
        both,
        note="in-sample: protected by the lookalike list itself",
        judged="in-sample",
    )
    held_alone, _ = add(
        f"legit: Tranco ranks {HELD_OUT_SPLIT + 1:,}-{len(tranco):,}, held out",
        held_out,
        held,
        "<= 0.5%",
        note=f"top_sites = ranks 1-{HELD_OUT_SPLIT:,} only; the lookalike rules were tuned "
        "reading these ranks",
        keep="Tranco held out",
    )
    # The development slice: the one rules are developed reading (its flags are printed).
    dev_top = shipped.resources.top_sites[:DEV_SPLIT]
    add(
        f"legit: Tranco ranks {DEV_SPLIT + 1:,}-{FROZEN_SPLIT:,}, development",
        tranco[DEV_SPLIT:FROZEN_SPLIT],
        (
            build(bundled=False, top_sites=dev_top, only=rule_names),
            build(bundled=True, top_sites=dev_top, only=rule_names),
        ),
        note=f"rules are developed reading this slice: top_sites = ranks 1-{DEV_SPLIT:,}; every "
        f"detector but {DOMAIN_MODEL} (it trains on these ranks)",
        keep="Tranco development",
        judged="dev",
    )
    # The frozen slice: ranks no rule was tuned on (they sat inside top_sites while the rules
    # were developed). domain_model is left out because it trains on ranks 1-15,000.
    frozen_top = shipped.resources.top_sites[:FROZEN_SPLIT]
    frozen_pair = (
        build(bundled=False, top_sites=frozen_top, only=rule_names),
        build(bundled=True, top_sites=frozen_top, only=rule_names),
    )
    _, frozen = add(
        f"legit: Tranco ranks {FROZEN_SPLIT + 1:,}-{HELD_OUT_SPLIT:,}, frozen",
        tranco[FROZEN_SPLIT:HELD_OUT_SPLIT],
        frozen_pair,
        "<= 0.5%",
        note=f"never tuned on: top_sites = ranks 1-{FROZEN_SPLIT:,}; every detector but "
        f"{DOMAIN_MODEL} (it trains on these ranks)",
    )
    paths_note = ""
    if args.paths:
        paths_note = with_paths(rows, held_out, held)
    model_tail = tally(build(bundled=False, top_sites=head, only=[DOMAIN_MODEL]), held_out)
    # What the model adds to the rules there: its score alone, and its weaker reason beside a
    # rule's cue (domain_model.scam_like_weak), which the model-alone run cannot count.
    rules_tail = tally(build(bundled=False, top_sites=head, only=rule_names), held_out)
    model_adds = held_alone.flagged - rules_tail.flagged
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
        judged="in-sample" if in_known else "",
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
            note=f"{KNOWN_LEGIT} emptied; near-brand names by design; in-sample for "
            f"{DOMAIN_MODEL} (it trains on this allowlist as legitimate)",
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
    trained = domain_model_training_scams(args.shared)
    scam_rows = []
    for filename, label, note in scam_lists:
        pool = unique(read_domains(folder / filename))
        picked = sample(pool, args.scam_sample, args.seed)
        size = f"all {len(picked):,}" if len(picked) == len(pool) else f"{len(picked):,} sampled"
        unseen = [d for d in picked if registrable(d) not in trained]
        scam_rows.append(
            (
                f"{label} ({size})",
                f"{len(picked):,}",
                pct(tally(rules, picked)),
                pct(tally(heuristics, picked)),
                f"{len(unseen):,}",
                pct(tally(rules, unseen)),
                pct(tally(heuristics, unseen)),
                pct(tally(shipped, picked)),
                note,
            )
        )

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
        "heuristics only = Settings(bundled_blocklist=False) + empty ListIndex, every detector "
        f"({DOMAIN_MODEL} included); shipped config = bundled polkadot-js + MetaMask blocklist "
        "on. Targets are judged on the shipped config. In-sample rows get no target."
    )
    print(
        f"{DOMAIN_MODEL} alone on Tranco ranks {HELD_OUT_SPLIT + 1:,}-{len(tranco):,} "
        f"(top_sites = ranks 1-{HELD_OUT_SPLIT:,}): {pct(model_tail)}; beside the rules it adds "
        f"{model_adds:,} flagged there (rules alone {pct(rules_tail)}, heuristics "
        f"{pct(held_alone)}: its score alone, or its weaker reason beside a rule's cue). So the "
        "whole product on a slice no rule was tuned on is about "
        f"{100 * (frozen.rate + model_adds / max(held_alone.n, 1)):.2f}% (frozen slice + what "
        f"{DOMAIN_MODEL} adds on the held-out tail): an estimate, not a measurement."
    )
    if paths_note:
        print(paths_note)
    print(
        f"Lookalikes: dnstwist {_dnstwist_version()} permutations of {brands_from}, "
        f"{sum(generated.values()):,} kept in {fuzz_seconds:.0f} s, {len(all_fuzzed):,} checked; "
        "dropped: " + ", ".join(f"{n:,} {why}" for why, n in dropped.most_common()) + "."
    )
    print()
    print("Scam lists: catch rate, split by what the domain model trained on:")
    print(
        render_table(
            [
                "list",
                "n",
                "rules alone",
                "rules + domain_model",
                "untrained n",
                "untrained: rules alone",
                "untrained: rules + model",
                "shipped config",
                "note",
            ],
            scam_rows,
            align="lrrrrrrrl",
        )
    )
    print(
        f"rules alone = every detector but {DOMAIN_MODEL}, no list (lookalike, URL cues); "
        f"rules + domain_model = the heuristics-only configuration above. untrained = sampled "
        f"domains whose registrable domain is not among the domain model's {len(trained):,} "
        "training scams (models/scam_domain/dataset.py: polkadot-js before 2025-01-01 + "
        "MetaMask's blocklist): the only part where rules + domain_model measures unseen "
        "domains. The lookalike and URL-cue word lists were themselves taken from host names "
        "in these four lists (server/data/lookalike_words.txt), so even the rules are not "
        "fully independent of them."
    )
    print()
    print("Lookalikes per dnstwist fuzzer:")
    print(
        render_table(["fuzzer", "kept", "checked", "heuristics only", "shipped config"], fuzz_rows)
    )
    print()
    print_evidence(legit, args.examples)
    print()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"Whole run: {time.perf_counter() - started:.0f} s; load average {load}.")
    return 0


def with_paths(
    rows: list[tuple[object, ...]], domains: Sequence[str], pair: tuple[Built, Built]
) -> str:
    """The held-out row again with every domain at each of ``PATHS``: one row of all those URLs
    (no target: the target is about sites), and a line with the shipped config per page and
    the domains flagged on any page."""
    alone = [tally(pair[0], domains, path=path) for path in PATHS]
    full = [tally(pair[1], domains, path=path) for path in PATHS]

    def pooled(tallies: Sequence[Tally]) -> str:
        n = sum(t.n for t in tallies)
        flagged = sum(t.flagged for t in tallies)
        return f"{100 * flagged / max(n, 1):.2f}% ({flagged:,})"

    any_page = set().union(*(t.flagged_domains for t in full))
    rows.append(
        (
            f"legit: Tranco held out, {len(PATHS)} pages each",
            f"{sum(t.n for t in full):,}",
            pooled(alone),
            pooled(full),
            "",
            "",
            "the held-out row's domains at " + ", ".join(PATHS) + " (URLs flagged)",
        )
    )
    per_page = ", ".join(f"{path} {pct(t)}" for path, t in zip(PATHS, full, strict=True))
    return (
        f"Held-out Tranco domains at {len(PATHS)} fixed pages, shipped config, per page: "
        f"{per_page}; domains flagged on any page {len(any_page):,} of {len(domains):,} "
        f"({100 * len(any_page) / max(len(domains), 1):.2f}%)."
    )


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


def domain_model_training_scams(shared: Path) -> frozenset[str]:
    """Registrable domains the domain model trained on as scams (``dataset.load``)."""
    from models.scam_domain import dataset

    return frozenset(d.registrable for d in dataset.load(shared).scam_train)


_PARSER: list[object] = []


def registrable(host: str) -> str | None:
    """``host``'s registrable domain as the domain model's data set computes it."""
    from models.scam_domain import dataset

    if not _PARSER:
        _PARSER.append(dataset.parser())
    found = dataset.to_domains([host], _PARSER[0])  # type: ignore[arg-type]
    return next(iter(found), None)


def _dnstwist_version() -> str:
    import dnstwist

    return str(getattr(dnstwist, "__version__", "?"))


if __name__ == "__main__":
    sys.exit(main())
