"""Brigading: a surge of reports from new or low-weight reporters on one case within the window
(FAKEWATCH_BRIGADE_WINDOW_S) sends it to quarantine for a human; the same number of
newcomers spread beyond the window does not, nor does a burst carried by trusted reporters."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

from server.community.items import CaseKey, Category, ItemKind
from server.community.reputation import BrigadeRule
from server.community.store import NewReport, insert_reports
from server.storage.database import connect

RULE = BrigadeRule(window_s=1, min_reporters=3)


def _report(domain: str, reporter: str, kind: str = "keyed") -> NewReport:
    return NewReport(
        item=CaseKey(ItemKind.LINK, domain, domain),
        reporter=reporter,
        reporter_kind=kind,
        category=Category.INVESTMENT,
    )


def _write(db_path: Path, reports: list[NewReport]) -> int:
    db = connect(db_path)
    with db.atomic():
        case_id = insert_reports(db, reports, RULE)[0].case_id
    db.close()
    return case_id


def _status(db_path: Path, case_id: int) -> str:
    with sqlite3.connect(db_path) as db:
        return str(db.execute("SELECT status FROM cases WHERE id = ?", [case_id]).fetchone()[0])


def test_a_burst_of_newcomers_within_the_window_is_quarantined_and_audited(
    tmp_path: Path,
) -> None:
    db_path = tmp_path / "fakewatch.db"
    case_id = _write(db_path, [_report("burst.example", f"key:1:new{i}") for i in range(3)])
    assert _status(db_path, case_id) == "quarantined"
    with sqlite3.connect(db_path) as db:
        actor, details = db.execute(
            "SELECT actor, details FROM audit_log WHERE action = 'case.quarantine' AND target = ?",
            [f"case:{case_id}"],
        ).fetchone()
    assert actor == "system"
    assert json.loads(details) == {"window_s": 1, "reports_in_window": 3, "low_weight": 3}


def test_the_same_newcomers_spread_beyond_the_window_are_not_a_surge(tmp_path: Path) -> None:
    db_path = tmp_path / "fakewatch.db"
    case_id = _write(
        db_path, [_report("trickle.example", f"ip:a{i}", "anonymous") for i in range(2)]
    )
    time.sleep(2.1)  # timestamps have whole seconds: 2 s puts the first two out of a 1 s window
    _write(db_path, [_report("trickle.example", f"ip:b{i}", "anonymous") for i in range(2)])
    assert _status(db_path, case_id) == "pending"  # four newcomers, never three in a window


def test_a_burst_carried_by_reporters_with_a_record_is_not_quarantined(tmp_path: Path) -> None:
    db_path = tmp_path / "fakewatch.db"
    db = connect(db_path)
    with db.atomic():  # two reporters whose reports were confirmed on contested cases
        db.execute(
            "INSERT INTO reporters (id, kind, created_at, confirmed, contested_confirmed)"
            " VALUES ('key:1:veteran1', 'keyed', 'then', 4, 4),"
            " ('key:1:veteran2', 'keyed', 'then', 4, 4)"
        )
    db.close()
    reports = [_report("trusted.example", f"key:1:veteran{i}") for i in (1, 2)]
    reports += [_report("trusted.example", f"key:1:new{i}") for i in range(3)]
    case_id = _write(db_path, reports)
    # Three newcomers are 60 % of the window's five reports, under the 80 % share.
    assert _status(db_path, case_id) == "pending"
