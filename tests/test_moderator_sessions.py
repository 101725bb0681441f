"""Moderator sessions live in the database as hashed tokens: another server process on the same
file (or the same server after a restart) knows a signed-in moderator, signing out anywhere
ends the session everywhere, and the database never holds the token itself."""

from __future__ import annotations

import http.client
import re
import sqlite3
import urllib.parse
from pathlib import Path

from tests.support.server import ADMIN_KEY, RunningServer, start_server


def _post_form(server: RunningServer, path: str, form: dict[str, str], cookie: str = "") -> str:
    """POST a form without following the redirect; the session cookie it sets ('' if none)."""
    parsed = urllib.parse.urlsplit(server.url)
    conn = http.client.HTTPConnection(parsed.hostname or "", parsed.port, timeout=30)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if cookie:
        headers["Cookie"] = f"fw_mod={cookie}"
    conn.request("POST", path, body=urllib.parse.urlencode(form), headers=headers)
    response = conn.getresponse()
    response.read()
    assert response.status == 303, response.status
    found = re.search(r"fw_mod=([^;]*)", response.getheader("Set-Cookie") or "")
    conn.close()
    return found.group(1) if found else ""


def _queue_page(server: RunningServer, cookie: str) -> str:
    page = server.request("GET", "/moderate", key=None, headers={"Cookie": f"fw_mod={cookie}"})
    return page.body.decode()


def test_a_session_outlives_its_process_and_sign_out_ends_it_everywhere(tmp_path: Path) -> None:
    first = start_server(tmp_path)
    second: RunningServer | None = None
    try:
        for made_up in ("guess", "x" * 5000):
            assert 'id="key"' in _queue_page(first, made_up)
        token = _post_form(first, "/moderate/login", {"key": ADMIN_KEY, "lang": "en"})
        assert token
        assert 'id="queue"' in _queue_page(first, token)

        # Another process on the same database: it never saw the sign-in.
        second = start_server(tmp_path)
        page = _queue_page(second, token)
        assert 'id="queue"' in page
        csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
        assert csrf is not None

        with sqlite3.connect(first.db) as db:
            rows = db.execute("SELECT token_hash, key_prefix FROM moderator_sessions").fetchall()
        assert len(rows) == 1 and rows[0][0] != token and rows[0][1] == ADMIN_KEY[:10]
        assert token.encode() not in first.db.read_bytes()

        # Signing out on the second process ends the session on the first as well.
        _post_form(second, "/moderate/logout", {"csrf": csrf.group(1)}, cookie=token)
        assert 'id="queue"' not in _queue_page(first, token)
        assert 'id="key"' in _queue_page(first, token)  # the sign-in form instead
        with sqlite3.connect(first.db) as db:
            assert db.execute("SELECT COUNT(*) FROM moderator_sessions").fetchone()[0] == 0
    finally:
        first.stop()
        if second is not None:
            second.stop()
