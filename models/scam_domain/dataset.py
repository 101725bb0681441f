"""Domains for the unseen-scam-domain model, split on time and by popularity.

Scam side (training): polkadot-js deny entries dated before ``CUTOFF`` and MetaMask's 2023
blocklist, both licensed to ship. Scam side (test): polkadot-js entries dated ``CUTOFF`` to
2025-06-30 whose registrable domain is not in training. That is not quite "never seen": 512 of
them reuse a training scam's label under another suffix (``claim-masa.net``) and 234 more match
one once digits and hyphens are removed (``claim-aave.app``). ``disjoint_subsets`` gives the
label-disjoint and folded subsets every figure is reported on beside the whole set (audit 32).

Legit side: Tranco top 20k and MetaMask's allowlist. ``top_sites.txt`` *is* Tranco 20k and
the server already trusts it, so a random Tranco hold-out flatters the model (those are the
most popular, best-known names). The honest held-out set is the least popular part: ranks
15,001-20,000 never reach training and sit closest to the long tail of ordinary sites the
model will meet. Ranks 1-15,000 all train; the threshold comes from their out-of-fold scores
(``train.py``), never from the test ranks.

Scamsniffer (GPL-3.0), Discord AntiScam and CryptoScamDB (no licence) never train the model;
``bench/models.py`` evaluates on them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from server.links.domains import SuffixList
from server.links.redirectors import Redirectors
from server.links.url import InvalidUrl, LinkParser
from server.scoring.resources import bundled_data_dir, read_lines

CUTOFF = "2025-01-01"
TEST_UNTIL = "2025-07-01"
LEGIT_TEST_FROM_RANK = 15_000
LEGIT_TEST_UNTIL_RANK = 20_000
#: The MetaMask blocklist has no dates per entry: its snapshot date stands for all of them.
METAMASK_DATE = "2023-04-19"
DEFAULT_SHARED = Path(__file__).resolve().parents[3] / "shared"


@dataclass(frozen=True)
class Domain:
    registrable: str
    label: str
    suffix: str
    private_suffix: bool


@dataclass
class DomainSplits:
    scam_train: list[Domain]
    scam_test: list[Domain]
    legit_train: list[Domain]
    legit_test: list[Domain]
    #: Per training scam: whole months between its latest listing and the cutoff.
    scam_train_age_months: list[int]


def parser() -> LinkParser:
    """The server's host parsing (same suffix list), without loading every resource."""
    suffixes = SuffixList(read_lines(bundled_data_dir() / "hosting_suffixes.txt"))
    return LinkParser(suffixes, Redirectors())


def to_domains(hosts: Iterable[str], link_parser: LinkParser) -> dict[str, Domain]:
    found: dict[str, Domain] = {}
    suffixes = link_parser.suffixes
    for raw in hosts:
        host = raw.strip().lower().removeprefix("*.")
        if not host or "/" in host:
            host = host.split("/")[0]
        if not host:
            continue
        try:
            parsed = link_parser.parse_host(host)
        except InvalidUrl:
            continue
        if parsed.is_ip or not parsed.registrable:
            continue
        parts = suffixes.split(parsed.ascii)
        found.setdefault(
            parts.registrable,
            Domain(parts.registrable, parts.label, parts.suffix, parts.private_suffix),
        )
    return found


def load(
    shared: Path = DEFAULT_SHARED,
    cutoff: str = CUTOFF,
    test_until: str = TEST_UNTIL,
    legit_test_from_rank: int = LEGIT_TEST_FROM_RANK,
    legit_test_until_rank: int = LEGIT_TEST_UNTIL_RANK,
) -> DomainSplits:
    """The served split by default. ``select_settings.py`` calls it with an earlier cutoff and a
    lower rank split (2024-07-01, Tranco 11,250-15,000) to choose settings without ever
    reading the 2025 scams or Tranco ranks above 15,000."""
    folder = shared / "data" / "domains"
    link_parser = parser()
    old, new = [], []
    dated: dict[str, str] = {}
    for line in (
        (folder / "polkadot_deny_dated_before_2025-07-01.tsv")
        .read_text(encoding="utf-8", errors="replace")
        .splitlines()[1:]
    ):
        date, _, host = line.partition("\t")
        if date < cutoff:
            old.append(host)
            for name in to_domains([host], link_parser):
                dated[name] = max(dated.get(name, ""), date)
        elif date < test_until:
            new.append(host)
    metamask = json.loads((folder / "metamask_config_2023-04-19.json").read_text(encoding="utf-8"))
    scam_train = to_domains(
        old + metamask.get("blacklist", metamask.get("blocklist", [])), link_parser
    )
    tranco = [
        line.strip()
        for line in (folder / "tranco_top_20k.txt").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    head = to_domains(tranco[:legit_test_from_rank], link_parser)
    tail = to_domains(tranco[legit_test_from_rank:legit_test_until_rank], link_parser)
    allow = to_domains(metamask.get("whitelist", metamask.get("allowlist", [])), link_parser)
    legit_names = set(head) | set(tail) | set(allow)
    scam_train = {k: v for k, v in scam_train.items() if k not in legit_names}
    scam_test = {
        k: v
        for k, v in to_domains(new, link_parser).items()
        if k not in scam_train and k not in legit_names
    }
    legit_train = list(head.values()) + [
        d for k, d in allow.items() if k not in head and k not in tail
    ]
    legit_test = [d for k, d in tail.items() if k not in head and k not in allow]
    ages = [_months_between(dated.get(name, METAMASK_DATE), cutoff) for name in scam_train]
    return DomainSplits(
        list(scam_train.values()), list(scam_test.values()), legit_train, legit_test, ages
    )


def _months_between(date: str, cutoff: str) -> int:
    """Whole months from ``date`` to ``cutoff`` (both ISO dates; 0 for the last month)."""
    return (int(cutoff[:4]) - int(date[:4])) * 12 + int(cutoff[5:7]) - int(date[5:7]) - 1


def extra_scam_sets(
    shared: Path, link_parser: LinkParser, limit: int = 20_000
) -> dict[str, list[Domain]]:
    """Evaluation-only lists (never trained on), first ``limit`` lines each."""
    folder = shared / "data" / "domains"
    sets = {}
    for name in (
        "scamsniffer_before_2025-07-01.txt",
        "discord_antiscam_before_2025-01-01.txt",
        "cryptoscamdb_giveaway_2022.txt",
    ):
        lines = (folder / name).read_text(encoding="utf-8", errors="replace").splitlines()[:limit]
        sets[name.split("_")[0]] = list(to_domains(lines, link_parser).values())
    return sets


_DIGITS_HYPHENS = re.compile(r"[\d-]")


def fold(label: str) -> str:
    """A label without digits and hyphens: ``claim-aave`` and ``claimaave2`` fold alike."""
    return _DIGITS_HYPHENS.sub("", label)


def disjoint_subsets(
    trained: Iterable[Domain], domains: Iterable[Domain]
) -> dict[str, list[Domain]]:
    """``domains`` whole, without those whose label is a ``trained`` label (the same name under
    another suffix), and without those whose folded label is a folded ``trained`` label."""
    trained = list(trained)
    labels = {d.label for d in trained}
    folded = {fold(d.label) for d in trained}
    domains = list(domains)
    return {
        "all": domains,
        "label-disjoint": [d for d in domains if d.label not in labels],
        "folded-disjoint": [d for d in domains if fold(d.label) not in folded],
    }
