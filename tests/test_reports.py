"""Reports: how they merge into cases, and what bad input and floods get back."""

from __future__ import annotations

import io
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from server.community.items import CaseKey, Category, ItemKind
from server.community.store import NewReport, insert_reports
from server.storage.database import connect
from tests.support.server import RunningServer, cli_env
from tests.test_report_abuse import picture, send


@pytest.fixture
def community(community_server: RunningServer) -> RunningServer:
    return community_server


def client_key(server: RunningServer, role: str = "client") -> str:
    response = server.request("POST", "/v1/keys", json_body={"role": role, "label": "test"})
    assert response.status == 201
    return str(response.json()["key"])


def report(
    server: RunningServer, key: str | None, ip: str = "10.0.0.1", **body: object
) -> tuple[int, dict]:
    headers = {"X-Forwarded-For": ip}
    response = server.request("POST", "/v1/reports", json_body=body, key=key, headers=headers)
    return response.status, response.json()


def case(server: RunningServer, case_id: int) -> dict:
    return server.request("GET", f"/v1/cases/{case_id}").json()


def test_reports_of_one_domain_merge_and_count_independent_reporters(
    community: RunningServer,
) -> None:
    key = client_key(community)
    status, first = report(
        community, None, kind="link", value="https://login.merge-me.example/a", category="shopping"
    )
    assert status == 201 and set(first) == {"id", "case_id", "duplicate"}
    status, second = report(
        community, key, kind="link", value="http://merge-me.example/other", reporter="u1"
    )
    assert status == 201
    assert second["case_id"] == first["case_id"] and second["id"] != first["id"]
    status, third = report(
        community, key, kind="link", value="https://merge-me.example/", reporter="u2"
    )
    assert third["case_id"] == first["case_id"]
    merged = case(community, first["case_id"])
    assert (merged["key"], merged["reports"], merged["reporters"]) == ("merge-me.example", 3, 3)


def test_the_same_reporter_reporting_again_stores_nothing_new(community: RunningServer) -> None:
    key = client_key(community)
    _, first = report(community, key, kind="phone", value="+86 138 0013 8000", reporter="same")
    status, again = report(
        community, key, kind="phone", value="0086-138-0013-8000", reporter="same"
    )
    assert status == 200
    assert again == {**first, "duplicate": True}
    assert case(community, first["case_id"])["reports"] == 1


def test_the_same_text_template_with_other_numbers_is_one_case(community: RunningServer) -> None:
    key = client_key(community)
    _, a = report(
        community,
        key,
        kind="text",
        value="您的账户异常，请于24小时内拨打 400-123-4567 解冻，否则冻结 5000 元。",
        reporter="a",
    )
    _, b = report(
        community,
        key,
        kind="text",
        value="您的账户异常，请于12小时内拨打 400-999-0000 解冻，否则冻结 8000 元。",
        reporter="b",
    )
    _, other = report(
        community,
        key,
        kind="text",
        value="Your parcel is waiting, pay the customs fee here",
        reporter="c",
    )
    assert a["case_id"] == b["case_id"] != other["case_id"]


def test_near_identical_media_hashes_merge_and_distant_ones_do_not(
    community: RunningServer,
) -> None:
    key = client_key(community)
    base = int("a5" * 32, 16)
    near = f"{base ^ 0b11111:064x}"  # 5 bits differ
    far = f"{base ^ ((1 << 80) - 1):064x}"  # 80 bits differ
    _, a = report(community, key, kind="media", hashes={"pdq": f"{base:064x}"}, reporter="m1")
    _, b = report(community, key, kind="media", hashes={"pdq": near}, reporter="m2")
    _, c = report(community, key, kind="media", hashes={"pdq": far}, reporter="m3")
    assert a["case_id"] == b["case_id"] != c["case_id"]


def test_a_page_on_a_popular_site_is_its_own_case(community: RunningServer) -> None:
    key = client_key(community)
    _, form = report(
        community, key, kind="link", value="https://docs.google.com/forms/d/scamform1", reporter="p"
    )
    _, other = report(
        community, key, kind="link", value="https://docs.google.com/forms/d/other", reporter="p"
    )
    assert form["case_id"] != other["case_id"]
    assert case(community, form["case_id"])["key"] == "docs.google.com/forms/d/scamform1"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"kind": "link"}, "validation_failed"),
        ({"kind": "email", "value": "x"}, "validation_failed"),
        ({"kind": "link", "value": "javascript:alert(1)"}, "validation_failed"),
        (
            {"kind": "link", "value": "https://a.example/", "category": "lottery"},
            "validation_failed",
        ),
        (
            {"kind": "link", "value": "https://a.example/", "description": "x" * 2001},
            "validation_failed",
        ),
        ({"kind": "link", "value": "https://a.example/", "extra": 1}, "validation_failed"),
        ({"kind": "phone", "value": "call me"}, "validation_failed"),
        ({"kind": "media", "hashes": {"pdq": "zz"}}, "validation_failed"),
        (
            {"kind": "link", "value": "https://a.example/", "consent": {"keep_media": "yes"}},
            "validation_failed",
        ),
    ],
)
def test_malformed_reports_get_a_clear_error(
    community: RunningServer, body: dict, code: str
) -> None:
    status, answer = report(community, client_key(community), **body)
    assert (status, answer["code"]) == (400, code)


def test_not_json_and_oversize_bodies_are_refused(community: RunningServer) -> None:
    key = client_key(community)
    broken = community.request(
        "POST",
        "/v1/reports",
        body=b"{not json",
        headers={"Content-Type": "application/json"},
        key=key,
    )
    assert (broken.status, broken.json()["code"]) == (400, "invalid_json")
    form = community.request(
        "POST",
        "/v1/reports",
        body=b"kind=link",
        key=key,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert (form.status, form.json()["code"]) == (415, "unsupported_media_type")
    huge = community.request(
        "POST",
        "/v1/reports",
        key=key,
        json_body={"kind": "text", "value": "x" * 2_000_000},
    )
    assert (huge.status, huge.json()["code"]) == (413, "payload_too_large")


def test_a_wrong_key_is_refused_rather_than_treated_as_anonymous(community: RunningServer) -> None:
    status, answer = report(community, "fw_not-a-real-key", kind="link", value="https://x.example/")
    assert (status, answer["code"]) == (401, "unauthorized")


def test_a_flood_from_one_address_is_cut_off_and_nothing_is_lost_or_doubled(
    community: RunningServer,
) -> None:
    answers = [
        report(community, None, ip="10.9.9.9", kind="link", value=f"https://flood{i}.example/")
        for i in range(8)
    ]
    accepted = [a for status, a in answers if status == 201]
    refused = [a for status, a in answers if status == 429]
    assert len(accepted) == 5 and len(refused) == 3
    assert refused[0]["code"] == "rate_limited"
    pending = community.request("GET", "/v1/cases?status=pending&limit=500").json()["cases"]
    flooded = sorted(c["key"] for c in pending if c["key"].startswith("flood"))
    assert flooded == [f"flood{i}.example" for i in range(5)]


def test_a_flood_from_one_keyed_reporter_is_cut_off(community: RunningServer) -> None:
    key = client_key(community)
    statuses = [
        report(community, key, kind="wallet", value=f"0x{i:040x}", reporter="busy")[0]
        for i in range(22)
    ]
    assert statuses.count(201) == 20 and statuses[-2:] == [429, 429]
    assert report(community, key, kind="wallet", value="0x" + "e" * 40, reporter="calm")[0] == 201


def test_media_files_are_kept_only_with_consent(community: RunningServer) -> None:
    server = community
    key = client_key(server)

    def multipart(consent: bool, reporter: str, phash: str, data: bytes) -> tuple[int, dict]:
        report_json = json.dumps(
            {
                "kind": "media",
                "hashes": {"phash": phash},
                "reporter": reporter,
                "consent": {"keep_media": consent},
            }
        ).encode()
        return send(server, key, [("report", report_json), ("file", data)])

    media_dir = server.db.parent / "report_media"
    status, answer = multipart(False, "no-consent", "f0e1d2c3b4a59687", picture(1))
    assert (status, answer["media_kept"]) == (201, False)
    assert not media_dir.exists()
    status, answer = multipart(True, "consents", "0f1e2d3c4b5a6978", picture(2))
    assert (status, answer["media_kept"]) == (201, True)
    (kept,) = media_dir.iterdir()
    # A reporter's picture is for the server's moderators, not every user of the machine.
    assert (kept.stat().st_mode & 0o777, media_dir.stat().st_mode & 0o777) == (0o600, 0o700)
    with Image.open(kept) as stored, Image.open(io.BytesIO(picture(2))) as sent:
        assert np.array_equal(np.asarray(stored), np.asarray(sent))
    # A file to keep must be a picture we can read: it is decoded, never stored as sent.
    status, answer = multipart(True, "junk", "1f1e2d3c4b5a6978", b"consents" * 100)
    assert (status, answer["code"]) == (415, "media_unsupported")


def test_the_retention_purge_blanks_old_reports_and_deletes_their_media(tmp_path: Path) -> None:
    db_path = tmp_path / "fakewatch.db"
    db = connect(db_path)
    item = CaseKey(ItemKind.MEDIA, "phash:" + "ab" * 8, "phash:abab…")
    kept = NewReport(
        item=item,
        reporter="ip:old",
        reporter_kind="anonymous",
        category=Category.CELEBRITY,
        impersonates=None,
        platform="douyin",
        seen_url="https://v.example/123",
        description="my aunt sent this",
        keep_media=True,
        share_with_authorities=False,
        hashes={"phash": "ab" * 8},
        media_path="f" * 64,
    )
    with db.atomic():
        stored = insert_reports(db, [kept])[0]
    db.close()
    (tmp_path / "report_media").mkdir()
    (tmp_path / "report_media" / ("f" * 64)).write_bytes(b"picture")
    run = subprocess.run(
        [sys.executable, "-m", "server", "community", "purge", "--days", "0", "--db", str(db_path)],
        env=cli_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(run.stdout)["reports_scrubbed"] == 1
    assert not (tmp_path / "report_media" / ("f" * 64)).exists()
    with sqlite3.connect(db_path) as conn:
        row = conn.execute(
            "SELECT description, seen_url, platform, media_path, case_id FROM reports WHERE id = ?",
            [stored.id],
        ).fetchone()
        reports = conn.execute("SELECT reports FROM cases WHERE id = ?", [row[4]]).fetchone()
    assert row[:4] == (None, None, None, None) and reports == (1,)
