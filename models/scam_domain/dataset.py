"""Domains for the unseen-scam-domain model, split on time and by popularity.

Scam side (training): polkadot-js deny entries dated before ``CUTOFF`` and MetaMask's 2023
blocklist, both licensed to ship. Scam side (test): polkadot-js entries dated ``CUTOFF`` to
2025-06-30 whose registrable domain is not in training: scams the model has never seen.

Legit side: Tranco top 20k and MetaMask's allowlist. ``top_sites.txt`` *is* Tranco 20k and
the server already trusts it, so a random Tranco hold-out flatters the model (those are the
most popular, best-known names). The honest held-out set is the least popular part: ranks
15,001-20,000 never reach training and sit closest to the long tail of ordinary sites the
model will meet. Ranks 1-15,000 are split 85/15 by hash into training and validation (the
threshold is chosen on validation, never on test).

Scamsniffer (GPL-3.0), Discord AntiScam and CryptoScamDB (no licence) never train the model;
``bench/models.py`` evaluates on them.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from server.links.url import InvalidUrl, LinkParser
from server.scoring.resources import Resources
from server.settings import Settings

CUTOFF = "2025-01-01"
LEGIT_TEST_FROM_RANK = 15_000
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
    legit_val: list[Domain]
    legit_test: list[Domain]


def parser() -> LinkParser:
    return Resources.load(Settings()).parser


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


def load(shared: Path = DEFAULT_SHARED) -> DomainSplits:
    folder = shared / "data" / "domains"
    link_parser = parser()
    old, new = [], []
    for line in (
        (folder / "polkadot_deny_dated_before_2025-07-01.tsv")
        .read_text(encoding="utf-8", errors="replace")
        .splitlines()[1:]
    ):
        date, _, host = line.partition("\t")
        (old if date < CUTOFF else new).append(host)
    metamask = json.loads((folder / "metamask_config_2023-04-19.json").read_text(encoding="utf-8"))
    scam_train = to_domains(
        old + metamask.get("blacklist", metamask.get("blocklist", [])), link_parser
    )
    tranco = [
        line.strip()
        for line in (folder / "tranco_top_20k.txt").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    head = to_domains(tranco[:LEGIT_TEST_FROM_RANK], link_parser)
    tail = to_domains(tranco[LEGIT_TEST_FROM_RANK:], link_parser)
    allow = to_domains(metamask.get("whitelist", metamask.get("allowlist", [])), link_parser)
    legit_names = set(head) | set(tail) | set(allow)
    scam_train = {k: v for k, v in scam_train.items() if k not in legit_names}
    scam_test = {
        k: v
        for k, v in to_domains(new, link_parser).items()
        if k not in scam_train and k not in legit_names
    }
    legit_train = [d for k, d in head.items() if _bucket(k) < 85] + [
        d for k, d in allow.items() if k not in head and k not in tail
    ]
    legit_val = [d for k, d in head.items() if _bucket(k) >= 85]
    legit_test = [d for k, d in tail.items() if k not in head and k not in allow]
    return DomainSplits(
        list(scam_train.values()), list(scam_test.values()), legit_train, legit_val, legit_test
    )


def _bucket(name: str) -> int:
    return zlib.crc32(name.encode()) % 100


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
