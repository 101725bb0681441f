"""A new media report finds its near-identical case through an index of exact key chunks
(``case_hash_chunks``, kept by a trigger), not a scan of every media case inside the write
transaction; near-duplicates still merge and the migration indexes the cases already there."""

from __future__ import annotations

import hashlib
import json
import random
import sqlite3
import subprocess
import sys
from pathlib import Path

from sqlite_utils import Database

from server.community.items import Category, media_key
from server.community.store import NewReport, insert_reports, media_candidates
from server.storage.database import connect
from server.storage.migrations import migrations
from tests.support.server import cli_env

#: Enough cases that a scan would compare thousands; the index compares a few dozen.
CASES = 5_000


def random_pdq(rng: random.Random) -> str:
    return f"{rng.getrandbits(256):064x}"


def fill(db: Database, keys: list[str]) -> None:
    """Media cases written the way a crowd of hashes-only reports leaves them."""
    db.conn.executemany(
        "INSERT INTO cases (kind, key, key_hash, display, category, status, first_at, last_at)"
        " VALUES ('media', ?, ?, ?, 'other', 'pending', 'then', 'then')",
        [(k, hashlib.sha256(("media\x00" + k).encode()).hexdigest(), k[:20]) for k in keys],
    )


def flip_one_bit_in_chunks(pdq: str, chunks: int) -> str:
    """Flip one bit in each of the first ``chunks`` 3-hex-digit chunks (12 bits each)."""
    value = int(pdq, 16)
    for chunk in range(chunks):
        value ^= 1 << (255 - 12 * chunk - 5)
    return f"{value:064x}"


def report(key: str, reporter: str) -> NewReport:
    name, value = key.split(":", 1)
    return NewReport(media_key({name: value}), reporter, "keyed", Category.OTHER)


def test_a_new_media_report_compares_a_few_candidates_and_still_merges_near_copies(
    tmp_path: Path,
) -> None:
    rng = random.Random(30)
    db = connect(tmp_path / "fakewatch.db")
    keys = ["pdq:" + random_pdq(rng) for _ in range(CASES)]
    with db.atomic():
        fill(db, keys)
    # A fresh random hash is compared with a few dozen cases (≈ 21 x 5,000 / 4,096), not all.
    assert len(media_candidates(db, "pdq:" + random_pdq(rng))) < 100
    target = keys[1_234]
    (target_id,) = db.execute("SELECT id FROM cases WHERE key = ?", [target]).fetchone()
    near = "pdq:" + flip_one_bit_in_chunks(target[4:], 20)  # 20 bits: the merge limit
    far = "pdq:" + flip_one_bit_in_chunks(target[4:], 21)  # 21 bits, one in every chunk
    assert target_id in [i for i, _ in media_candidates(db, near)]
    with db.atomic():
        merged, apart = insert_reports(db, [report(near, "key:1:a"), report(far, "key:1:b")])
    assert merged.case_id == target_id and apart.case_id != target_id
    # The new case is indexed too: a pHash case and its near copy (5 of 64 bits).
    phash = f"{rng.getrandbits(64):016x}"
    near_phash = f"{int(phash, 16) ^ 0b10001000100010001000000000000000000000:016x}"
    with db.atomic():
        first, second = insert_reports(
            db, [report("phash:" + phash, "key:1:c"), report("phash:" + near_phash, "key:1:d")]
        )
    db.close()
    assert first.case_id == second.case_id and not first.duplicate


def test_the_migration_indexes_existing_cases_and_marks_kept_files_as_seen(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    db = Database(sqlite3.connect(path, isolation_level=None))
    migrations.apply(db, stop_before="m_review30_community")
    rng = random.Random(31)
    key = "pdq:" + random_pdq(rng)
    fill(db, [key])
    (case_id,) = db.execute("SELECT id FROM cases").fetchone()
    rows = [("key:4:a", "m.png"), ("key:4:b", None), ("key:4:c", None), ("key:4:d", None)]
    db.conn.executemany(
        "INSERT INTO reports (case_id, reporter, created_at, category, hashes, media_path,"
        " weight) VALUES (?, ?, 'then', 'other', ?, ?, 0.5)",
        [(case_id, r, json.dumps({"pdq": key[4:]}), m) for r, m in rows],
    )
    db.execute("UPDATE cases SET reach = 2.0, reports = 4 WHERE id = ?", [case_id])
    db.conn.close()

    db = connect(path)  # applies m_review30_community
    sources = [r[0] for r in db.execute("SELECT hashes_source FROM reports ORDER BY id")]
    (reach,) = db.execute("SELECT reach FROM cases WHERE id = ?", [case_id]).fetchone()
    near = "pdq:" + flip_one_bit_in_chunks(key[4:], 10)
    candidates = media_candidates(db, near)
    db.close()
    # A kept file was re-encoded from the picture the server decoded; the others are unknown.
    assert sources == ["server", None, None, None]
    assert reach == round(0.5 * (1 + 0.6 + 0.36 + 0.216), 6)  # one key: decayed, recounted
    assert candidates == [(case_id, key)]


def test_the_operator_can_list_cases_banked_before_only_server_hashes_were(
    tmp_path: Path,
) -> None:
    """Old bank entries from client hashes cannot be told apart from a file report whose file
    was not kept; ``fakewatch community unchecked-bank`` lists both kinds, and nothing else."""
    path = tmp_path / "old.db"
    db = Database(sqlite3.connect(path, isolation_level=None))
    migrations.apply(db, stop_before="m_review30_community")
    rng = random.Random(32)
    keys = ["pdq:" + random_pdq(rng) for _ in range(2)]
    fill(db, keys)
    for case_id, (key, kept) in enumerate(zip(keys, (None, "kept.png"), strict=True), start=1):
        fake = db.execute(
            "INSERT INTO known_fakes (label, source, status, added_by, added_at)"
            " VALUES ('community case', ?, 'confirmed', 'mod', 'then')",
            [f"case:{case_id}"],
        ).lastrowid
        db.execute(
            "UPDATE cases SET status = 'confirmed', list_entry_id = ? WHERE id = ?",
            [fake, case_id],
        )
        db.execute(
            "INSERT INTO reports (case_id, reporter, created_at, category, hashes, media_path,"
            " weight) VALUES (?, 'key:1:a', 'then', 'other', ?, ?, 0.5)",
            [case_id, json.dumps({"pdq": key[4:]}), kept],
        )
    db.conn.close()
    connect(path).close()  # the migration: the kept file's report is marked as seen
    listed = subprocess.run(
        [sys.executable, "-m", "server", "community", "unchecked-bank", "--db", str(path)],
        env=cli_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    assert [row["case_id"] for row in json.loads(listed.stdout)] == [1]
    with sqlite3.connect(path) as check:  # listed, not deleted
        assert check.execute("SELECT COUNT(*) FROM known_fakes").fetchone()[0] == 2
