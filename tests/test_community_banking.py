"""A confirmed media case joins the known-fakes bank only with hashes this server computed from
the picture itself: hashes a reporter's app sent could be any picture's (an innocent one's),
so such a case is confirmed, alerts go out, but nothing is banked and the answer says why.
A picture too flat to hash is still reported (keyed by its file), never banked."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path

import pytest
from PIL import Image

from server.community.items import CaseKey, Category, ItemKind
from server.community.media_hashes import file_hashes
from server.community.store import NewReport, decide, insert_reports
from server.settings import Settings
from server.storage.database import connect
from tests.support.server import RunningServer
from tests.test_known_fakes_api import check
from tests.test_report_abuse import media_report, picture, send
from tests.test_reports import client_key, report


@pytest.fixture
def community(community_server: RunningServer) -> RunningServer:
    return community_server


def known_fake_reasons(verdict: dict) -> list[dict]:
    return [r for r in verdict["reasons"] if r["code"].startswith("known_fakes")]


def feed_values(server: RunningServer, case_id: int) -> list[str]:
    """What the federation feed offers peers for the case (``add`` rows)."""
    with sqlite3.connect(server.db) as db:
        rows = db.execute(
            "SELECT value FROM federation_feed WHERE case_id = ? AND op = 'add'", [case_id]
        )
        return [str(r[0]) for r in rows]


def confirm(server: RunningServer, case_id: int, lang: str = "en") -> dict:
    response = server.request(
        "POST", f"/v1/cases/{case_id}/confirm?lang={lang}", json_body={"note": "deepfake ad"}
    )
    assert response.status == 200, response.body
    return response.json()


def test_a_case_known_only_by_hashes_a_reporter_sent_is_confirmed_but_not_banked(
    community: RunningServer,
) -> None:
    innocent = picture(301)  # stands for a news photo whose hashes anyone can compute
    pdq = file_hashes(innocent, Settings())["pdq"]
    key = client_key(community)
    cursor = community.request("GET", "/v1/alerts", key=key).json()["cursor"]
    _, filed = report(
        community,
        key,
        kind="media",
        hashes={"pdq": pdq},
        category="celebrity",
        impersonates="A news anchor",
        reporter="x1",
    )
    case_id = filed["case_id"]
    shown = community.request("GET", f"/v1/cases/{case_id}?lang=en").json()
    assert shown["hash_checked"] is False
    assert shown["hash_note"].startswith("No picture: this server never saw the picture")
    moderator_page = community.request("GET", f"/moderate/cases/{case_id}?lang=en")
    assert moderator_page.status == 200
    assert 'id="unchecked"' in moderator_page.body.decode()  # said on the page, before Confirm
    assert [r["hashes_source"] for r in shown["reports_shown"]] == ["client"]

    answer = confirm(community, case_id)
    assert (answer["status"], answer["list_entry_id"]) == ("confirmed", None)
    assert answer["not_banked_reason"] == "no_picture_seen"
    assert answer["not_banked"].startswith("not banked: no picture seen")
    verdict = check(community, innocent)
    assert verdict["verdict"] == "no_known_signals" and not known_fake_reasons(verdict)
    # The rest of the privacy-minded path works: the alert went out for the case...
    alerts = community.request("GET", f"/v1/alerts?since={cursor}", key=key).json()["alerts"]
    assert case_id in [a["case_id"] for a in alerts]
    # ...but peers are not handed the unchecked hash as a known fake either.
    assert feed_values(community, case_id) == []


def test_the_not_banked_answer_and_the_case_note_are_said_in_chinese_too(
    community: RunningServer,
) -> None:
    pdq = file_hashes(picture(302), Settings())["pdq"]
    _, filed = report(community, client_key(community), kind="media", hashes={"pdq": pdq})
    shown = community.request("GET", f"/v1/cases/{filed['case_id']}?lang=zh").json()
    assert shown["hash_note"].startswith("没有图片")
    answer = confirm(community, filed["case_id"], lang="zh")
    assert answer["not_banked"].startswith("未加入已知伪造库：服务器没有见过图片")


def test_the_same_picture_sent_as_a_file_is_banked_and_then_matched(
    community: RunningServer,
) -> None:
    shown = picture(303)
    assert not known_fake_reasons(check(community, shown))
    status, filed = send(
        community,
        client_key(community),
        [("report", media_report("f1", keep=False)), ("file", shown)],
    )
    assert status == 201 and filed["picture_hashed"] is True
    case = community.request("GET", f"/v1/cases/{filed['case_id']}").json()
    assert case["hash_checked"] is True and "hash_note" not in case
    answer = confirm(community, filed["case_id"])
    assert answer["list_entry_id"] is not None and "not_banked" not in answer
    verdict = check(community, shown)
    assert verdict["verdict"] == "likely_scam"
    assert f"community case {filed['case_id']}" in known_fake_reasons(verdict)[0]["message"]
    assert feed_values(community, filed["case_id"]) == [case["key"]]


def test_a_file_joining_a_hashes_only_case_banks_the_files_own_hash_not_the_sent_one(
    community: RunningServer,
) -> None:
    shown = picture(304)
    pdq = file_hashes(shown, Settings())["pdq"]
    sent = f"{int(pdq, 16) ^ 0b1011:064x}"  # a near copy's hash, typed by a client: 3 bits off
    key = client_key(community)
    _, by_hash = report(community, key, kind="media", hashes={"pdq": sent}, reporter="h1")
    status, by_file = send(
        community, key, [("report", media_report("h2", keep=False)), ("file", shown)]
    )
    assert status == 201 and by_file["case_id"] == by_hash["case_id"]
    confirm(community, by_hash["case_id"])
    fakes = community.request("GET", "/v1/known-fakes").json()
    entries = fakes.get("entries", fakes.get("known_fakes", []))
    (entry,) = [e for e in entries if e.get("source") == f"case:{by_hash['case_id']}"]
    with sqlite3.connect(community.db) as db:
        banked = [
            r[0]
            for r in db.execute(
                "SELECT pdq FROM known_fake_hashes WHERE fake_id = ?", [entry["id"]]
            )
        ]
    assert banked == [pdq]  # the picture's own hash, not the one the client typed
    assert feed_values(community, by_hash["case_id"]) == [f"pdq:{pdq}"]  # and so do peers


def flat_screenshot() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1080, 1920), "white").save(out, format="PNG")
    return out.getvalue()


def test_a_picture_too_flat_to_hash_is_still_reported_and_says_it_was_not_hashed(
    community: RunningServer,
) -> None:
    body = media_report("flat1", keep=False, category="giveaway", description="free iPhone, DM")
    status, filed = send(community, None, [("report", body), ("file", flat_screenshot())])
    assert status == 201, filed
    assert filed["picture_hashed"] is False
    assert "too little detail" in filed["note"] and "not hashed" in filed["note"]
    case = community.request("GET", f"/v1/cases/{filed['case_id']}").json()
    assert case["key"].startswith("file:") and case["category"] == "giveaway"
    assert [r["description"] for r in case["reports_shown"]] == ["free iPhone, DM"]
    answer = confirm(community, filed["case_id"])
    assert answer["not_banked_reason"] == "no_perceptual_hash"


def test_the_flat_picture_note_is_said_in_chinese(community: RunningServer) -> None:
    response = community.request(
        "POST",
        "/v1/reports?lang=zh",
        body=_multipart(media_report("flat2", keep=False), flat_screenshot()),
        key=None,
        headers={
            "Content-Type": "multipart/form-data; boundary=fwabuse",
            "X-Forwarded-For": "10.3.3.3",
        },
    )
    assert response.status == 201, response.body
    assert response.json()["note"].startswith("举报已提交。图片细节太少")


def _multipart(report_part: bytes, file: bytes) -> bytes:
    from tests.test_report_abuse import multipart

    return multipart([("report", report_part), ("file", file)])


def test_a_peers_phash_alone_is_confirmed_but_not_banked(tmp_path: Path) -> None:
    """A federation peer's item is trusted like a picture we hashed, but a pHash alone is
    never matched by the bank: the reason says so."""
    db = connect(tmp_path / "fakewatch.db")
    item = CaseKey(ItemKind.MEDIA, "phash:" + "c3a5" * 4, "phash:c3a5…")
    with db.atomic():
        (stored,) = insert_reports(db, [NewReport(item, "peer:other", "peer", Category.OTHER)])
        answer = decide(db, stored.case_id, "confirm", actor="test", note="")
    row = db.execute(
        "SELECT hashes, hashes_source FROM reports WHERE case_id = ?", [stored.case_id]
    ).fetchone()
    db.close()
    assert answer["not_banked"] == "phash_only" and answer["list_entry_id"] is None
    assert (json.loads(row[0]), row[1]) == ({"phash": "c3a5" * 4}, "peer")


def test_a_case_reported_before_hash_sources_were_recorded_says_so_when_not_banked(
    tmp_path: Path,
) -> None:
    """Reports from before the upgrade have no ``hashes_source``: some carried the picture, so
    the refusal must not claim "only hashes were sent" (review 31 #6)."""
    db = connect(tmp_path / "fakewatch.db")
    pdq = file_hashes(picture(303), Settings())["pdq"]
    item = CaseKey(ItemKind.MEDIA, f"pdq:{pdq}", f"pdq:{pdq[:16]}…")
    with db.atomic():
        (stored,) = insert_reports(db, [NewReport(item, "old-report", "anonymous", Category.OTHER)])
        db.execute("UPDATE reports SET hashes_source = NULL WHERE case_id = ?", [stored.case_id])
        answer = decide(db, stored.case_id, "confirm", actor="test", note="")
    db.close()
    assert answer["list_entry_id"] is None
    assert answer["not_banked"] == "reported_before_source_recorded"
