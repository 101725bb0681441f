"""Reach and brigading count independent sources: one client key names its users itself, so
its made-up ids can neither out-rank what several independent keys reported nor push an
honestly reported case into quarantine; a bot relaying many real people still ranks a case
more of them reported higher (docs/community.md, "Independent reporters")."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.community.items import CaseKey, Category, ItemKind
from server.community.reputation import NEW_REPORTER_WEIGHT
from server.community.store import NewReport, insert_reports, recount_reach
from server.storage.database import connect
from tests.support.server import RunningServer
from tests.test_reports import case, client_key, report


@pytest.fixture
def community(community_server: RunningServer) -> RunningServer:
    return community_server


def queue_position(server: RunningServer, case_ids: list[int]) -> list[int]:
    rows = server.request("GET", "/v1/cases?status=pending&limit=500").json()["cases"]
    order = [r["id"] for r in rows]
    return [order.index(i) for i in case_ids]


def test_one_keys_made_up_reporters_do_not_out_rank_three_independent_keys(
    community: RunningServer,
) -> None:
    honest = "https://honest-r30.top/pay"
    for _ in range(3):
        _, filed = report(community, client_key(community), kind="link", value=honest)
    honest_id = filed["case_id"]
    sock_key = client_key(community)
    for i in range(12):
        _, decoy = report(
            community, sock_key, kind="link", value="https://decoy-r30.top/", reporter=f"sock{i}"
        )
    decoy_case, honest_case = case(community, decoy["case_id"]), case(community, honest_id)
    assert (decoy_case["reports"], decoy_case["reporters"]) == (12, 3)
    assert decoy_case["status"] == "pending"
    assert decoy_case["reach"] <= 3 * NEW_REPORTER_WEIGHT  # the review's bound: at most 1.5
    assert decoy_case["reach"] < honest_case["reach"]
    (honest_at, decoy_at) = queue_position(community, [honest_id, decoy["case_id"]])
    assert honest_at < decoy_at


def test_one_key_cannot_quarantine_what_three_independent_keys_reported(
    community: RunningServer,
) -> None:
    scam = "https://real-scam-r30.top/pay"
    for _ in range(3):
        _, filed = report(community, client_key(community), kind="link", value=scam)
    sock_key = client_key(community)
    for i in range(7):
        report(community, sock_key, kind="link", value=scam, reporter=f"brigade{i}")
    shown = case(community, filed["case_id"])
    assert shown["reports"] == 10 and shown["status"] == "pending"


def _reports(domain: str, reporters: list[str]) -> list[NewReport]:
    item = CaseKey(ItemKind.LINK, domain, domain)
    return [NewReport(item, r, "keyed", Category.OTHER) for r in reporters]


def test_a_bot_relaying_more_people_ranks_their_case_higher_and_reach_recounts_the_same(
    tmp_path: Path,
) -> None:
    db = connect(tmp_path / "fakewatch.db")
    with db.atomic():
        many = insert_reports(db, _reports("many.example", [f"key:7:tg{i}" for i in range(20)]))
        few = insert_reports(db, _reports("few.example", [f"key:7:tg{i}" for i in range(3)]))
        one = insert_reports(db, _reports("one.example", ["key:7:tg1"]))
    reach = {
        name: float(
            db.execute("SELECT reach FROM cases WHERE id = ?", [stored[0].case_id]).fetchone()[0]
        )
        for name, stored in (("many", many), ("few", few), ("one", one))
    }
    # Every person counts (more people, more reach), yet one key's users of weight 0.5 never
    # reach the 1.5 of three independent sources.
    assert reach["one"] == 0.5 < reach["few"] < reach["many"] < 3 * NEW_REPORTER_WEIGHT
    with db.atomic():  # the merge and migration path gives the same figure
        assert recount_reach(db, many[0].case_id) == pytest.approx(reach["many"], abs=1e-6)
    db.close()


def test_a_heavier_user_of_a_key_counts_first_whatever_order_it_reported_in(
    tmp_path: Path,
) -> None:
    db = connect(tmp_path / "fakewatch.db")
    with db.atomic():
        db.execute(
            "INSERT INTO reporters (id, kind, created_at, confirmed, contested_confirmed)"
            " VALUES ('key:3:veteran', 'keyed', 'then', 2, 2)"
        )  # weight 0.5 + 2 x 0.25 = 1.0
        stored = insert_reports(db, _reports("order.example", ["key:3:new", "key:3:veteran"]))
    (reach,) = db.execute("SELECT reach FROM cases WHERE id = ?", [stored[0].case_id]).fetchone()
    db.close()
    assert reach == pytest.approx(1.0 + 0.6 * 0.5)
