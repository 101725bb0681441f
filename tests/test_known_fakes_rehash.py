"""``fakewatch known-fakes rehash``: entries hashed before today's hashing catch up from the
media file the operator chose to keep (``FAKEWATCH_KNOWN_FAKES_KEEP_MEDIA``).

An "older hasher" is simulated by deleting an entry's inner face rows and face embeddings,
which is what an entry added before ``server.media.inner_face`` and
``server.media.identity`` holds. Faces are generated ones (Stable Diffusion 2.1, read from
``../shared``, never copied into the repository); the ad layout is drawn here. Every test
runs the real CLI on a real SQLite file.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from tests.support.server import RunningServer, cli_env, start_server
from tests.test_known_fakes_api import check, jpeg
from tests.test_known_fakes_other_face import FACE_A, FACE_B, ad

REPO = Path(__file__).resolve().parents[1]
KEEP = {"FAKEWATCH_KNOWN_FAKES_KEEP_MEDIA": "1"}

pytestmark = pytest.mark.skipif(not FACE_A.is_file(), reason="../shared faces are not here")


def known_fakes(
    *args: str, data_dir: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server", "known-fakes", *args, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        env=cli_env(env),
        cwd=REPO,
        timeout=300,
        check=False,
    )


def add(data_dir: Path, picture: Path, *extra: str, keep: bool = True) -> int:
    added = known_fakes("add", str(picture), *extra, data_dir=data_dir, env=KEEP if keep else None)
    assert added.returncode == 0, added.stderr
    return int(added.stdout.strip())


def connect(data_dir: Path) -> sqlite3.Connection:
    return sqlite3.connect(data_dir / "fakewatch.db")


def hashed_before_inner_faces(data_dir: Path, fake_id: int) -> None:
    """What an entry added before inner face regions and face embeddings holds."""
    with connect(data_dir) as db:
        db.execute(
            "DELETE FROM known_fake_hashes WHERE fake_id = ? AND region LIKE 'inner%'", [fake_id]
        )
        db.execute("DELETE FROM known_fake_faces WHERE fake_id = ?", [fake_id])
        db.execute(  # as any bank change does, so a running server loads these rows
            "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'known_fakes_version'"
        )


def stored(data_dir: Path, fake_id: int) -> dict[str, Any]:
    """Everything the database holds of one entry, row ids included, and the bank version."""
    with connect(data_dir) as db:
        return {
            "entry": db.execute("SELECT * FROM known_fakes WHERE id = ?", [fake_id]).fetchall(),
            "hashes": db.execute(
                "SELECT * FROM known_fake_hashes WHERE fake_id = ? ORDER BY id", [fake_id]
            ).fetchall(),
            "faces": db.execute(
                "SELECT * FROM known_fake_faces WHERE fake_id = ? ORDER BY id", [fake_id]
            ).fetchall(),
            "version": db.execute(
                "SELECT value FROM meta WHERE key = 'known_fakes_version'"
            ).fetchone(),
            "audit": db.execute(
                "SELECT actor, action, details FROM audit_log WHERE target = ?",
                [f"known_fake:{fake_id}"],
            ).fetchall(),
        }


def regions(data_dir: Path, fake_id: int) -> list[str]:
    with connect(data_dir) as db:
        rows = db.execute("SELECT region FROM known_fake_hashes WHERE fake_id = ?", [fake_id])
        return [r[0] for r in rows]


def matched_ids(data_dir: Path, picture: Path) -> list[tuple[int, str]]:
    checked = known_fakes("check", str(picture), data_dir=data_dir)
    assert checked.returncode == 0, checked.stderr
    (line,) = checked.stdout.splitlines()
    return [(m["id"], m["bank_region"]) for m in json.loads(line)["matches"]]


def counts(line: str) -> tuple[int, int, int, int]:
    found = re.search(r"rows (\d+) → (\d+), faces (\d+) → (\d+)", line)
    assert found, line
    rows_before, rows_after, faces_before, faces_after = map(int, found.groups())
    return rows_before, rows_after, faces_before, faces_after


def test_an_entry_hashed_before_inner_faces_is_found_inside_an_ad_after_rehash(
    tmp_path: Path,
) -> None:
    fake = add(
        tmp_path,
        FACE_A,
        "--label",
        "fake interview",
        "--person",
        "Jane Example",
        "--campaign",
        "garden ads",
        "--source",
        "report 7",
    )
    hashed_before_inner_faces(tmp_path, fake)
    before = stored(tmp_path, fake)
    copy = tmp_path / "ad.jpg"
    copy.write_bytes(jpeg(ad(Image.open(FACE_A), 0.3), quality=80))
    assert fake not in {entry for entry, _ in matched_ids(tmp_path, copy)}

    rehashed = known_fakes("rehash", data_dir=tmp_path)

    assert rehashed.returncode == 0, rehashed.stderr
    line, summary = rehashed.stdout.splitlines()
    assert line.startswith(f"{fake}: rehashed, "), line
    rows_before, rows_after, faces_before, faces_after = counts(line)
    assert (rows_before, faces_before) == (len(before["hashes"]), 0)
    assert rows_after > rows_before and faces_after >= 1
    assert summary == "1 rehashed"
    assert any(r.startswith("inner") for r in regions(tmp_path, fake))
    after = stored(tmp_path, fake)
    assert after["entry"] == before["entry"], "id, label, person, campaign, source, status stay"
    assert len(after["hashes"]) == rows_after and len(after["faces"]) == faces_after
    assert int(after["version"][0]) == int(before["version"][0]) + 1, "servers reload"
    ((actor, action, details),) = after["audit"]
    assert (actor, action) == ("cli", "known_fake.rehash")
    assert json.loads(details) == {
        "rows": [rows_before, rows_after],
        "faces": [faces_before, faces_after],
    }
    found = matched_ids(tmp_path, copy)
    assert found and found[0][0] == fake and found[0][1].startswith("inner"), found

    again = known_fakes("rehash", "--id", str(fake), data_dir=tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[0].startswith(f"{fake}: unchanged, ")
    assert stored(tmp_path, fake) == after, "a rehash that changes nothing writes nothing"


def test_entries_without_kept_media_are_reported_and_left_alone(tmp_path: Path) -> None:
    kept = add(tmp_path, FACE_A, "--label", "kept")
    not_kept = add(tmp_path, FACE_B, "--label", "hashes only", keep=False)
    hashed_before_inner_faces(tmp_path, not_kept)
    pdq_list = tmp_path / "partner.txt"
    pdq_list.write_text("ab" * 32 + "\n", encoding="utf-8")
    imported = known_fakes("import", str(pdq_list), data_dir=tmp_path)
    assert imported.returncode == 0, imported.stderr
    hash_only = not_kept + 1
    before = {i: stored(tmp_path, i) for i in (not_kept, hash_only)}

    rehashed = known_fakes("rehash", data_dir=tmp_path)

    assert rehashed.returncode == 0, rehashed.stderr
    lines = rehashed.stdout.splitlines()
    assert lines[0].startswith(f"{kept}: unchanged, "), lines
    assert lines[1].startswith(f"{not_kept}: no kept media (no "), lines
    assert "old rows kept" in lines[1]
    assert lines[2] == "1 unchanged, 1 no kept media, 1 hash-only", "imported: counted only"
    assert "known-fakes add" in rehashed.stderr and "retire" in rehashed.stderr
    for fake_id, rows in before.items():
        assert stored(tmp_path, fake_id) == rows

    named = known_fakes("rehash", "--id", str(hash_only), "--id", "999", data_dir=tmp_path)
    assert named.returncode == 1, "an id that is not in the bank fails the command"
    assert named.stdout.splitlines() == [
        f"{hash_only}: hash-only (an imported list or a community case: no media)",
        "999: failed (no known fake with this id)",
        "1 hash-only, 1 failed",
    ]
    assert stored(tmp_path, hash_only) == before[hash_only]


def truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


def scribbled(data: bytes) -> bytes:
    """Still decodes (as a different picture): only its sha256 tells it from the original."""
    middle = len(data) // 2
    return data[:middle] + bytes(range(64)) + data[middle + 64 :]


@pytest.mark.parametrize("damage", [truncated, scribbled])
def test_a_damaged_kept_file_leaves_the_entry_as_it_was(
    tmp_path: Path, damage: Callable[[bytes], bytes]
) -> None:
    fake = add(tmp_path, FACE_A, "--label", "damaged")
    hashed_before_inner_faces(tmp_path, fake)
    before = stored(tmp_path, fake)
    (kept,) = (tmp_path / "known_fakes").iterdir()
    kept.write_bytes(damage(kept.read_bytes()))

    rehashed = known_fakes("rehash", data_dir=tmp_path)

    assert rehashed.returncode == 1
    line, summary = rehashed.stdout.splitlines()
    assert line.startswith(f"{fake}: failed (") and "old rows kept" in line, line
    assert summary == "1 failed"
    assert stored(tmp_path, fake) == before


def test_a_kept_file_that_no_longer_decodes_leaves_the_entry_as_it_was(tmp_path: Path) -> None:
    fake = add(tmp_path, FACE_A, "--label", "too big now")
    hashed_before_inner_faces(tmp_path, fake)
    before = stored(tmp_path, fake)

    # The file is whole, but today's limits refuse it (768 x 768 pixels).
    rehashed = known_fakes(
        "rehash", data_dir=tmp_path, env={"FAKEWATCH_MAX_MEDIA_PIXELS": "100000"}
    )

    assert rehashed.returncode == 1
    line = rehashed.stdout.splitlines()[0]
    assert line.startswith(f"{fake}: failed (media_") and "old rows kept" in line, line
    assert stored(tmp_path, fake) == before


def test_a_write_that_fails_halfway_leaves_the_old_rows(tmp_path: Path) -> None:
    fake = add(tmp_path, FACE_A, "--label", "disk trouble")
    hashed_before_inner_faces(tmp_path, fake)
    with connect(tmp_path) as db:  # the database refuses the face rows, written after hashes
        db.execute(
            "CREATE TRIGGER refuse_faces BEFORE INSERT ON known_fake_faces"
            " BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
        )
    before = stored(tmp_path, fake)

    rehashed = known_fakes("rehash", data_dir=tmp_path)

    assert rehashed.returncode != 0
    assert "refused by the test" in rehashed.stderr
    assert stored(tmp_path, fake) == before


def test_dry_run_hashes_and_reports_but_writes_nothing(tmp_path: Path) -> None:
    fake = add(tmp_path, FACE_A, "--label", "dry")
    hashed_before_inner_faces(tmp_path, fake)
    before = stored(tmp_path, fake)

    dry = known_fakes("rehash", "--dry-run", data_dir=tmp_path)

    assert dry.returncode == 0, dry.stderr
    line, summary = dry.stdout.splitlines()
    assert line.startswith(f"{fake}: would rehash, "), line
    rows_before, rows_after, faces_before, faces_after = counts(line)
    assert rows_after > rows_before == len(before["hashes"]) and faces_after > faces_before == 0
    assert summary == "1 would rehash (dry run: nothing written)"
    assert stored(tmp_path, fake) == before


def test_a_running_server_matches_with_the_new_rows_after_its_refresh(tmp_path: Path) -> None:
    server = start_server(
        tmp_path,
        env={"FAKEWATCH_LISTS_REFRESH_S": "0.5", "FAKEWATCH_DETECTOR_TIMEOUT_MS": "60000"},
    )
    try:
        fake = add(tmp_path, FACE_A, "--label", "served")  # the server's own database
        hashed_before_inner_faces(tmp_path, fake)
        copy = jpeg(ad(Image.open(FACE_A), 0.3), quality=80)
        deadline = time.monotonic() + 30
        while server_matches(server, copy) != []:  # until it has loaded the old rows
            assert time.monotonic() < deadline, "the server never loaded the entry"
            time.sleep(0.25)

        rehashed = known_fakes("rehash", data_dir=tmp_path)
        assert rehashed.returncode == 0, rehashed.stderr

        deadline = time.monotonic() + 30
        while (found := server_matches(server, copy)) != [fake]:
            assert time.monotonic() < deadline, found
            time.sleep(0.25)
    finally:
        server.stop()


def server_matches(server: RunningServer, data: bytes) -> list[int]:
    return [m["id"] for m in check(server, data).get("matches") or []]


def test_help_says_what_rehash_does() -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "server", "known-fakes", "rehash", "--help"],
        capture_output=True,
        text=True,
        env=cli_env(),
        cwd=REPO,
        timeout=60,
        check=False,
    )
    assert shown.returncode == 0
    text = " ".join(shown.stdout.split())
    for words in ("FAKEWATCH_KNOWN_FAKES_KEEP_MEDIA", "one transaction per entry", "--dry-run"):
        assert words in text, words
    assert "FAKEWATCH_LISTS_REFRESH_S" in text
