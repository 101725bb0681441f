"""A picture case is never moderated blind: the copy a reporter let moderators keep is shown on
the case page, to signed-in moderators only, and served as the image it is, never cached."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

from PIL import Image

from tests.support.server import ADMIN_KEY, RunningServer, start_server
from tests.test_moderator_sessions import _post_form
from tests.test_report_abuse import picture, send
from tests.test_reports import client_key


def media_report(server: RunningServer, key: str, keep: bool, data: bytes) -> dict:
    report = {"kind": "media", "reporter": f"r{keep}", "consent": {"keep_media": keep}}
    status, answer = send(server, key, [("report", json.dumps(report).encode()), ("file", data)])
    assert status == 201, answer
    return answer


def page(server: RunningServer, path: str, cookie: str = ""):
    headers = {"Cookie": f"fw_mod={cookie}"} if cookie else {}
    return server.request("GET", path, key=None, headers=headers)


def test_a_kept_picture_is_shown_to_moderators_and_to_no_one_else(tmp_path: Path) -> None:
    server = start_server(tmp_path)
    try:
        key = client_key(server)
        kept = media_report(server, key, True, picture(7))
        assert kept["media_kept"] is True
        unkept = media_report(server, key, False, picture(8))
        cookie = _post_form(server, "/moderate/login", {"key": ADMIN_KEY, "lang": "en"})

        case = page(server, f"/moderate/cases/{kept['case_id']}?lang=en", cookie)
        assert case.status == 200
        html = case.body.decode()
        shown = re.findall(r'<img src="(/moderate/cases/\d+/pictures/\d+)"', html)
        assert shown == [f"/moderate/cases/{kept['case_id']}/pictures/{kept['id']}"]
        assert "img-src 'self'" in case.headers["Content-Security-Policy"]

        served = page(server, shown[0], cookie)
        assert served.status == 200 and served.headers["Content-Type"] == "image/png"
        assert served.headers["Cache-Control"] == "no-store"
        assert served.headers["X-Content-Type-Options"] == "nosniff"
        with Image.open(io.BytesIO(served.body)) as image:
            assert image.size == Image.open(io.BytesIO(picture(7))).size

        # Without a moderator session, or for a report whose reporter did not consent, nothing.
        assert page(server, shown[0]).status == 401
        assert page(server, shown[0], "made-up-token").status == 401
        none = f"/moderate/cases/{unkept['case_id']}/pictures/{unkept['id']}"
        assert page(server, none, cookie).status == 404
        assert (
            "<img" not in page(server, f"/moderate/cases/{unkept['case_id']}", cookie).body.decode()
        )
        # A report of another case cannot be read through this one.
        other = f"/moderate/cases/{unkept['case_id']}/pictures/{kept['id']}"
        assert page(server, other, cookie).status == 404
    finally:
        server.stop()
