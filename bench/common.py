"""What both link benchmarks share: the data in ../shared and a pipeline built as the CLI does.

The pipeline is ``Resources.load(Settings())`` + the bundled blocklist in a ``ListIndex`` +
``build_detectors`` + ``Pipeline``; nothing here is a benchmark-only shortcut.
"""

from __future__ import annotations

import dataclasses
import random
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # `python bench/x.py` puts bench/, not the repository, on the path
    sys.path.insert(0, str(REPO))

from server.links.domains import SuffixList  # noqa: E402, F401  (re-exported for the benchmarks)
from server.list_sources import bundled_entries  # noqa: E402
from server.lists import ListIndex  # noqa: E402
from server.scoring.pipeline import LinkResult, Pipeline  # noqa: E402
from server.scoring.registry import build_detectors  # noqa: E402
from server.scoring.resources import Resources  # noqa: E402
from server.settings import Settings  # noqa: E402

DEFAULT_SHARED = REPO.parent / "shared"

FLAGGED = frozenset({"suspicious", "likely_scam"})

TRANCO = "tranco_top_20k.txt"
POLKADOT = "polkadot_deny_before_2025-07-01.txt"
SCAMSNIFFER = "scamsniffer_before_2025-07-01.txt"
DISCORD = "discord_antiscam_before_2025-01-01.txt"
GIVEAWAY = "cryptoscamdb_giveaway_2022.txt"
METAMASK_CONFIG = "metamask_config_2023-04-19.json"


def domains_dir(shared: Path) -> Path:
    path = shared / "data" / "domains"
    if not path.is_dir():
        raise SystemExit(f"{path} not found: pass --shared /path/to/shared")
    return path


def read_domains(path: Path) -> list[str]:
    """One domain a line, lowercased; blanks and comments dropped, order and duplicates kept."""
    out = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip().lower()
        if line and not line.startswith("#"):
            out.append(line)
    return out


def unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def sample(items: Sequence[str], n: int, seed: int) -> list[str]:
    """``n`` items drawn without replacement with a fixed seed (all of them, shuffled, if fewer)."""
    rng = random.Random(seed)
    pool = list(items)
    return rng.sample(pool, min(n, len(pool)))


def as_urls(domains: Iterable[str]) -> list[str]:
    return [f"https://{d}/" for d in domains]


@dataclass
class Built:
    resources: Resources
    pipeline: Pipeline

    def check(self, urls: Sequence[str]) -> list[LinkResult]:
        state = self.resources.lists.current.version
        return self.pipeline.check_links_sync(urls, self.resources.parser.parse, state)


def build(
    *,
    bundled: bool = True,
    top_sites: Sequence[str] | None = None,
    data_dir: Path | None = None,
    only: Iterable[str] | None = None,
) -> Built:
    """A fresh pipeline (fresh caches) the way the CLI builds one.

    ``bundled=False`` is ``Settings(bundled_blocklist=False)`` with an empty list index: what the
    heuristics alone catch. ``top_sites`` replaces the protected top-sites list and ``data_dir``
    the folder detectors read their tables from (held-out runs). ``only`` keeps just the named
    detectors (an empty list: parsing and the pipeline's own work, no detector).
    """
    resources = Resources.load(Settings(bundled_blocklist=bundled))
    if top_sites is not None:
        resources = dataclasses.replace(resources, top_sites=tuple(top_sites))
    if data_dir is not None:
        resources = dataclasses.replace(resources, data_dir=data_dir)
    index = ListIndex(bundled_entries(resources.data_dir)) if bundled else ListIndex()
    resources.lists.swap(index)
    # The server's link-verdict cache, at its default size, as the server runs it.
    detectors = build_detectors(resources)
    if only is not None:
        keep = set(only)
        detectors = [d for d in detectors if d.name in keep]
    pipeline = Pipeline(detectors, link_cache_size=Settings().link_cache_size)
    return Built(resources, pipeline)


def detector_names(built: Built) -> str:
    return ", ".join(f"{d.name} {d.version}" for d in built.pipeline.detectors)


def render_table(headers: Sequence[str], rows: Sequence[Sequence[object]], align: str = "") -> str:
    """A plain fixed-width table. ``align`` has one letter a column (``l`` or ``r``); by default
    the first column is left-aligned and the rest right-aligned."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    align = align or "l" + "r" * (len(headers) - 1)

    def line(row: Sequence[str]) -> str:
        parts = [
            row[i].ljust(widths[i]) if align[i] == "l" else row[i].rjust(widths[i])
            for i in range(len(row))
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(cells[0]), rule, *(line(r) for r in cells[1:])])
