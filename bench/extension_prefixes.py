"""Prefix list size and daily diff size at 500k listed domains (server/prefixes.py).

The listed set is the bundled blocklist topped up with synthetic host names to 500k (SHA-256
spreads any names uniformly, so the sizes do not depend on which names). A "day" of churn adds
and removes a share of the entries; the diff is what ``GET /v1/lists/prefixes?since=V`` sends.

Peers measured in the same run: raw 4-byte prefixes, the same gzip-compressed (what HTTP
compression would make of them), and delta+varint coding. Decoding time in JavaScript is the
extension's own ``FW.riceDecode`` under node.

    .venv/bin/python bench/extension_prefixes.py [--size 500000]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from server.list_sources import bundled_entries  # noqa: E402
from server.lists import Action, EntryKind, ListEntry, ListIndex  # noqa: E402
from server.prefixes import PrefixPublisher, rice_decode  # noqa: E402

CHURN = (0.002, 0.01, 0.02, 0.05)  # share of entries added and the same share removed per day


def synthetic(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    words = ["secure", "login", "wallet", "verify", "claim", "gift", "bonus", "bank", "pay"]
    tlds = ["com", "xyz", "top", "net", "shop", "click", "online", "cn", "icu"]
    return [f"{rng.choice(words)}-{rng.getrandbits(40):x}.{rng.choice(tlds)}" for _ in range(n)]


def entry(host: str) -> ListEntry:
    return ListEntry("bench", Action.BLOCK, EntryKind.DOMAIN, host, "bench", "2026-01-01")


def varint_size(values: list[int]) -> int:
    size, previous = 0, 0
    for value in values:
        gap = value - previous
        previous = value
        size += max(1, (gap.bit_length() + 6) // 7)
    return size


def body_bytes(body: dict[str, object]) -> int:
    return len(json.dumps(body, separators=(",", ":")).encode())


def js_decode_ms(body: dict[str, object]) -> float | None:
    node = shutil.which("node")
    if node is None:
        return None
    script = (
        "const fs=require('fs');new Function(fs.readFileSync('extension/lib/core.js','utf8'))();"
        "const b=JSON.parse(fs.readFileSync(0,'utf8'));FW.riceDecode(b.add);"
        "const t=process.hrtime.bigint();for(let i=0;i<5;i++)FW.riceDecode(b.add);"
        "console.log(Number(process.hrtime.bigint()-t)/5e6)"
    )
    out = subprocess.run(
        [node, "-e", script],
        input=json.dumps(body),
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
    )
    return float(out.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=500_000)
    args = parser.parse_args()
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    bundled = [e.value for e in bundled_entries(REPO / "server" / "data")][: args.size]
    hosts = bundled + synthetic(args.size - len(bundled), seed=1)
    print(f"listed hosts: {len(hosts):,} ({len(bundled):,} bundled + synthetic)")

    publisher = PrefixPublisher()
    start = time.perf_counter()
    base = ListIndex([entry(h) for h in hosts], version=1)
    index_s = time.perf_counter() - start
    start = time.perf_counter()
    full = publisher.update(base, None)
    build_s = time.perf_counter() - start
    prefixes = rice_decode(full["add"])
    raw = len(prefixes) * 4
    rice = len(full["add"]["data"]) * 3 // 4
    gz_raw = len(gzip.compress(b"".join(p.to_bytes(4, "big") for p in prefixes), 9))
    json_full = body_bytes(full)
    json_gz = len(gzip.compress(json.dumps(full).encode(), 6))
    print(f"unique prefixes: {len(prefixes):,} (k={full['add']['k']})")
    print(f"build (hash+sort+encode): {build_s:.2f} s  (ListIndex itself: {index_s:.2f} s)")
    print("full set:")
    print(
        f"  rice-coded          {rice / 1e6:7.3f} MB  {8 * rice / len(prefixes):5.2f} bits/prefix"
    )
    print(f"  JSON response body  {json_full / 1e6:7.3f} MB  (gzip: {json_gz / 1e6:.3f} MB)")
    print(f"  peer raw 4-byte     {raw / 1e6:7.3f} MB  ratio rice/raw {rice / raw:.2f}")
    print(f"  peer raw+gzip -9    {gz_raw / 1e6:7.3f} MB  ratio rice/gzip {rice / gz_raw:.2f}")
    print(f"  peer delta+varint   {varint_size(prefixes) / 1e6:7.3f} MB")
    decode = js_decode_ms(full)
    if decode is not None:
        print(f"  JS decode (FW.riceDecode, node): {decode:.1f} ms")

    print("daily diff (?since=V), churn = share added and the same share removed:")
    rng = random.Random(2)
    for share in CHURN:
        changed = int(len(hosts) * share)
        removed = set(rng.sample(range(len(hosts)), changed))
        kept = [h for i, h in enumerate(hosts) if i not in removed]
        added = synthetic(changed, seed=int(share * 1e6) + 7)
        next_index = ListIndex([entry(h) for h in kept + added], version=2)
        pub = PrefixPublisher()
        pub.update(base, None)
        start = time.perf_counter()
        diff = pub.update(next_index, 1)
        diff_s = time.perf_counter() - start
        assert not diff["full"]
        size = body_bytes(diff)
        per = size / (2 * changed)
        print(
            f"  {share:5.1%}: +{diff['add']['count']:,} -{diff['remove']['count']:,}"
            f"  JSON {size / 1e3:8.1f} kB ({per:.2f} B per change)"
            f"  vs full {json_full / size:6.1f}x smaller; built in {diff_s:.2f} s"
        )


if __name__ == "__main__":
    main()
