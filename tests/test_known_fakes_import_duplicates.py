"""Importing a hash list never adds an entry the bank already holds: the same list imported
twice, a partner's list that overlaps ours, an entry repeated in one list. Each skipped
entry is named with the bank entry that holds its hashes, over the API and in the CLI."""

from __future__ import annotations

import secrets
from pathlib import Path

from sqlite_utils import Database

from server.media.exchange import import_entries, parse
from server.storage.database import connect, migrate
from tests.support.server import RunningServer
from tests.test_cli import fakewatch

HEADER = "signal_type,signal,known_fake_id,label"


def csv_list(pdqs: list[str], label: str = "Partner fake") -> bytes:
    rows = [HEADER] + [f"pdq,{pdq},p{n},{label} {n}" for n, pdq in enumerate(pdqs)]
    return ("\n".join(rows) + "\n").encode()


def post_list(server: RunningServer, body: bytes, content_type: str = "text/csv"):
    return server.request(
        "POST", "/v1/known-fakes/import", body=body, headers={"Content-Type": content_type}
    )


def bank_size(server: RunningServer) -> int:
    listed = server.request("GET", "/v1/known-fakes?limit=500").json()
    return len(listed["known_fakes"])


def test_the_same_list_imported_twice_adds_nothing_the_second_time(
    fresh_server: RunningServer,
) -> None:
    body = csv_list([secrets.token_hex(32) for _ in range(3)])
    first = post_list(fresh_server, body)
    assert first.status == 201, first.body
    ids = list(range(first.json()["first_id"], first.json()["last_id"] + 1))
    again = post_list(fresh_server, body)
    assert again.status == 200, again.body
    assert again.json() == {
        "ok": True,
        "imported": 0,
        "hash_rows": 0,
        "first_id": None,
        "last_id": None,
        "already_in_bank": [{"entry": n, "known_fake_id": i} for n, i in enumerate(ids, 1)],
    }
    assert bank_size(fresh_server) == 3


def test_an_overlapping_list_adds_only_what_is_new(fresh_server: RunningServer) -> None:
    ours = [secrets.token_hex(32) for _ in range(2)]
    first = post_list(fresh_server, csv_list(ours)).json()
    new = secrets.token_hex(32)
    # The partner's list: one of ours, one new, and the new one again under another label.
    partner = post_list(fresh_server, csv_list([ours[1], new, new], label="Their fake"))
    assert partner.status == 201, partner.body
    result = partner.json()
    assert result["imported"] == 1 and result["first_id"] == result["last_id"]
    assert result["already_in_bank"] == [
        {"entry": 1, "known_fake_id": first["last_id"]},
        {"entry": 3, "known_fake_id": result["first_id"]},
    ]
    assert bank_size(fresh_server) == 3


def test_an_entry_with_a_hash_the_bank_lacks_is_still_added(fresh_server: RunningServer) -> None:
    """Only an entry whose every hash one bank entry holds is a duplicate."""
    pdq, extra = secrets.token_hex(32), secrets.token_hex(32)
    post_list(fresh_server, csv_list([pdq]))
    # One entry (same known_fake_id) holding the known PDQ and a new one.
    body = f"{HEADER}\npdq,{pdq},x,Bigger\npdq,{extra},x,Bigger\n".encode()
    result = post_list(fresh_server, body).json()
    assert result["imported"] == 1 and result["already_in_bank"] == []
    assert bank_size(fresh_server) == 2


def test_the_cli_says_what_it_skipped(tmp_path: Path) -> None:
    hash_list = tmp_path / "list.csv"
    hash_list.write_bytes(csv_list([secrets.token_hex(32) for _ in range(2)]))
    db = tmp_path / "bank.db"
    first = fakewatch("known-fakes", "import", str(hash_list), "--db", str(db))
    assert first.returncode == 0, first.stderr
    assert "imported 2 known fakes" in first.stdout and "skipped" not in first.stdout
    again = fakewatch("known-fakes", "import", str(hash_list), "--db", str(db))
    assert again.returncode == 0, again.stderr
    assert "imported 0 known fakes" in again.stdout
    assert "skipped 2 already in the bank" in again.stdout
    assert "entry 1 = #1, entry 2 = #2" in again.stdout


def test_duplicates_are_found_in_a_bank_of_many_rows(tmp_path: Path) -> None:
    """100,000 bank rows, a list of 2,000 of them (``bench``-free: how long it takes is in
    the CHANGELOG, measured; here only that every one is found and nothing is added)."""
    db = connect(tmp_path / "big.db")
    migrate(db)
    rows = [f"pdq,{n:064x},{n},fake {n}" for n in range(100_000)]
    import_entries(db, parse("\n".join([HEADER, *rows]), default_label="x"), "test")
    partner = parse("\n".join([HEADER, *rows[:1_000], *rows[-1_000:]]), default_label="x")
    done = import_entries(db, partner, "test")
    assert done.ids == [] and len(done.duplicates) == 2_000
    assert count(db) == 100_000


def count(db: Database) -> int:
    return int(db.execute("SELECT COUNT(*) FROM known_fakes").fetchone()[0])


def test_a_pending_or_retired_entry_does_not_hold_a_partner_s_confirmed_one(
    fresh_server: RunningServer,
) -> None:
    """A reviewer's find: a pending entry for the same picture made a partner's confirmed entry
    "already in the bank", and the picture then matched nothing."""
    pending_pdq, retired_pdq = secrets.token_hex(32), secrets.token_hex(32)
    held = "signal_type,signal,known_fake_id,label,status"
    body = f"{held}\npdq,{pending_pdq},a,Ours,pending\npdq,{retired_pdq},b,Ours,retired\n"
    ours = post_list(fresh_server, body.encode())
    assert ours.status == 201, ours.body
    partner = post_list(fresh_server, csv_list([pending_pdq, retired_pdq], label="Theirs"))
    assert partner.status == 201, partner.body
    assert partner.json()["imported"] == 2 and partner.json()["already_in_bank"] == []
