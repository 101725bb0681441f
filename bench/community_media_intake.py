"""How long a new media report's case lookup takes once many media cases exist (review 30 #7).

Fills a fresh database with N media cases keyed by random PDQs (as one client key's hour of
hashes-only reports would, the reviewer's ``fill.py``), then writes M new media reports, one
transaction each, through ``store.insert_reports`` (indexed: ``case_hash_chunks``), and, as
the peer in the same run, looks the same keys up the way intake did before (every open media
case's key read and compared in Python). Prints ms per report, candidates compared, and the
ratio.

    flock /work/bench.lock .venv/bin/python bench/community_media_intake.py --cases 36000
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

from server.community.items import Category, media_key, near_media
from server.community.store import NewReport, insert_reports, media_candidates
from server.storage.database import connect


def fill(db_path: Path, n: int, rng: random.Random) -> float:
    db = connect(db_path)
    rows = []
    for _ in range(n):
        key = f"pdq:{rng.getrandbits(256):064x}"
        digest = hashlib.sha256(("media\x00" + key).encode()).hexdigest()
        rows.append((key, digest, key[:20]))
    started = time.perf_counter()
    with db.atomic():
        db.conn.executemany(
            "INSERT INTO cases (kind, key, key_hash, display, category, status, first_at,"
            " last_at) VALUES ('media', ?, ?, ?, 'other', 'pending', 'then', 'then')",
            rows,
        )
    took = time.perf_counter() - started
    db.close()
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=36_000)
    parser.add_argument("--reports", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fakewatch.db"
        fill_s = fill(path, args.cases, rng)
        keys = [f"pdq:{rng.getrandbits(256):064x}" for _ in range(args.reports)]
        db = connect(path)
        indexed, candidates = [], []
        for i, key in enumerate(keys):
            report = NewReport(media_key({"pdq": key[4:]}), f"key:1:u{i}", "keyed", Category.OTHER)
            started = time.perf_counter()
            with db.atomic():
                insert_reports(db, [report])
            indexed.append(time.perf_counter() - started)
            candidates.append(len(media_candidates(db, key)))
        legacy = []
        for key in keys:  # the peer: intake's lookup before the index
            started = time.perf_counter()
            rows = db.execute(
                "SELECT id, key FROM cases WHERE kind = 'media' AND merged_into IS NULL"
            ).fetchall()
            near_media(key, [(int(i), str(k)) for i, k in rows])
            legacy.append(time.perf_counter() - started)
        (chunks,) = db.execute("SELECT COUNT(*) FROM case_hash_chunks").fetchone()
        db.close()
        size_mb = path.stat().st_size / 1e6
    new_ms = statistics.median(indexed) * 1000
    old_ms = statistics.median(legacy) * 1000
    print(f"media cases: {args.cases}  fill (with the index trigger): {fill_s:.2f} s")
    print(f"index rows: {chunks}  database: {size_mb:.1f} MB")
    print(
        f"new media report, whole insert (indexed lookup): median {new_ms:.2f} ms,"
        f" p95 {sorted(indexed)[int(0.95 * len(indexed))] * 1000:.2f} ms,"
        f" candidates compared median {statistics.median(candidates):.0f}"
    )
    print(f"peer, lookup alone as before (scan of every media case): median {old_ms:.1f} ms")
    print(f"ratio scan lookup / indexed whole insert: {old_ms / new_ms:.0f}x")
    print(f"loadavg: {os.getloadavg()}")


if __name__ == "__main__":
    main()
