"""Build ``server/data/blocklist_default.tsv.gz`` from the permissively licensed lists in ../shared.

Only polkadot-js (Apache-2.0) and MetaMask (DBAD) are bundled; GPL and unlicensed lists are
imported at run time or used for evaluation only (see ../shared/README.md). Run from the
repository root:  python scripts/build_bundled_lists.py [--shared ../shared]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from server.links.url import InvalidUrl
from server.scoring.resources import Resources
from server.settings import Settings

POLKADOT = "polkadot-js"
METAMASK = "metamask"
METAMASK_SNAPSHOT = "2023-04-19"


def main() -> int:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--shared", type=Path, default=Path("../shared"))
    args.add_argument("--out", type=Path, default=Path("server/data/blocklist_default.tsv.gz"))
    opts = args.parse_args()
    domains = opts.shared / "data" / "domains"

    dates: dict[str, str] = {}
    with (domains / "polkadot_deny_dated_before_2025-07-01.tsv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            dates.setdefault(row["url"].strip().lower(), row["date"])

    rows: dict[tuple[str, str], str] = {}
    skipped = 0
    # A list entry that is itself a top site is a false positive waiting to happen
    # (MetaMask's lists have carried test.com and mooo.com): keep it out of the default.
    resources = Resources.load(Settings())
    popular = set(resources.top_sites)
    parser = resources.parser
    refused_popular: list[str] = []

    def add(raw: str, list_name: str, added: str) -> None:
        nonlocal skipped
        try:
            host = parser.parse_host(raw.strip().strip(",").lower()).ascii
        except InvalidUrl:
            skipped += 1
            return
        registrable = parser.parse_host(host).registrable
        if (
            host in popular
            or (host == registrable and registrable in popular)
            or (host == f"www.{registrable}" and registrable in popular)
        ):
            refused_popular.append(host)
            return
        rows.setdefault((host, list_name), added)

    for line in (domains / "polkadot_deny_before_2025-07-01.txt").read_text("utf-8").splitlines():
        if line.strip():
            add(line, POLKADOT, dates.get(line.strip().lower(), ""))
    config = json.loads((domains / "metamask_config_2023-04-19.json").read_text("utf-8"))
    for entry in config.get("blacklist", config.get("blocklist", [])):
        add(entry, METAMASK, METAMASK_SNAPSHOT)

    opts.out.parent.mkdir(parents=True, exist_ok=True)
    # mtime=0 keeps the file byte-identical between builds.
    with (
        gzip.GzipFile(opts.out, "wb", mtime=0) as raw,
        __import__("io").TextIOWrapper(raw, encoding="utf-8", newline="\n") as out,
    ):
        out.write("# domain\tlist\tadded (YYYY-MM-DD; MetaMask: snapshot date)\n")
        for (host, list_name), added in sorted(rows.items()):
            out.write(f"{host}\t{list_name}\t{added}\n")
    print(
        f"wrote {len(rows)} entries to {opts.out} ({skipped} unparseable skipped,"
        f" {len(refused_popular)} top sites refused: {', '.join(sorted(set(refused_popular))[:10])})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
