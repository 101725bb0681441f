"""Appeals on the moderator page: an appeal filed from a warning page shows on /moderate's
appeals view and on its case page, a moderator upholds or dismisses it there (the same code
path as ``POST /v1/appeals/{id}/decide``, behind the session's CSRF token), and a case that
leaves the state an appeal was about (retired, rejected, merged) closes its open appeals."""

from __future__ import annotations

import http.client
import re
import sqlite3
import urllib.parse

from tests.support.server import RunningServer
from tests.test_reports import client_key, report

#: What a visitor typed under a warning (the review's words, Simplified, with markup in it).
REASON = "这是我们报社自己的测试页面，不是诈骗 <b>真的</b>"
LONG_AGO = "2020-01-01T00:00:00Z"


def _post_form(
    server: RunningServer, path: str, form: dict[str, str], cookie: str = ""
) -> tuple[int, str, str]:
    """POST a form without following the redirect: status, Location, session cookie set."""
    parsed = urllib.parse.urlsplit(server.url)
    conn = http.client.HTTPConnection(parsed.hostname or "", parsed.port, timeout=30)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if cookie:
        headers["Cookie"] = f"fw_mod={cookie}"
    conn.request("POST", path, body=urllib.parse.urlencode(form), headers=headers)
    response = conn.getresponse()
    response.read()
    found = re.search(r"fw_mod=([^;]*)", response.getheader("Set-Cookie") or "")
    conn.close()
    location = response.getheader("Location") or ""
    return response.status, location, found.group(1) if found else ""


def _sign_in(server: RunningServer) -> str:
    status, _, cookie = _post_form(
        server, "/moderate/login", {"key": client_key(server, "moderator"), "lang": "en"}
    )
    assert status == 303 and cookie
    return cookie


def _page(server: RunningServer, path: str, cookie: str) -> tuple[str, dict[str, str]]:
    response = server.request("GET", path, key=None, headers={"Cookie": f"fw_mod={cookie}"})
    assert response.status == 200, response.body[:300]
    return response.body.decode(), response.headers


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def _confirmed_case(server: RunningServer, value: str) -> int:
    _, filed = report(server, client_key(server), kind="link", value=value)
    case_id = int(filed["case_id"])
    confirmed = server.request("POST", f"/v1/cases/{case_id}/confirm", json_body={"note": "fake"})
    assert confirmed.status == 200
    return case_id


def _appeal(
    server: RunningServer,
    case_id: int,
    reason: str,
    ip: str,
    role: str = "visitor",
    key: str | None = None,
) -> dict:
    """An appeal as the extension's "这是误报" button files it (no moderator key)."""
    body = {"case_id": case_id, "role": role, "reason": reason}
    headers = {"X-Forwarded-For": ip}
    created = server.request("POST", "/v1/appeals", json_body=body, key=key, headers=headers)
    assert created.status == 201, created.body
    return dict(created.json())


def _open_ids(server: RunningServer) -> list[int]:
    return [a["id"] for a in server.request("GET", "/v1/appeals").json()["appeals"]]


def test_an_appeal_filed_from_a_warning_shows_on_the_appeals_view_and_its_case_page(
    community_server: RunningServer,
) -> None:
    server = community_server
    case_id = _confirmed_case(server, "https://gov-cn-safe-appeal.example/verify")
    first = _appeal(server, case_id, REASON, "10.9.0.1")
    second = _appeal(server, case_id, "It is my site.", "10.9.0.2", role="site_owner")
    cookie = _sign_in(server)

    queue, _ = _page(server, "/moderate?lang=en", cookie)
    assert 'href="/moderate/appeals?lang=en"' in queue  # reachable from the queue page

    view, headers = _page(server, "/moderate/appeals?lang=en", cookie)
    csp = headers["Content-Security-Policy"]
    assert "script-src" not in csp and "default-src 'none'" in csp and "form-action 'self'" in csp
    assert f'href="/moderate/cases/{case_id}?lang=en"' in view
    assert "gov-cn-safe-appeal.example" in view
    # As written, escaped: the markup is text.
    assert "这是我们报社自己的测试页面，不是诈骗 &lt;b&gt;真的&lt;/b&gt;" in view
    assert "<b>真的</b>" not in view
    assert "Visitor who saw the warning" in view and "Site owner" in view
    assert f"answer by {first['due_at'][:10]}" in view
    assert view.index(f'id="appeal-{first["id"]}"') < view.index(f'id="appeal-{second["id"]}"')
    # Time passes for the second one (its due date moved back in the real database file):
    # most overdue first, and said so.
    with sqlite3.connect(server.db) as db:
        db.execute("UPDATE appeals SET due_at = ? WHERE id = ?", [LONG_AGO, second["id"]])
    view, _ = _page(server, "/moderate/appeals?lang=en", cookie)
    assert view.index(f'id="appeal-{second["id"]}"') < view.index(f'id="appeal-{first["id"]}"')
    row = view[view.index(f'id="appeal-{second["id"]}"') :]
    assert row.index("overdue") < row.index("</tr>")

    # A Taiwan moderator reads the page in Traditional; the appellant's words stay as written.
    view_tw, _ = _page(server, "/moderate/appeals?lang=zh-TW", cookie)
    assert REASON.replace("<", "&lt;").replace(">", "&gt;") in view_tw
    assert "訪問者" in view_tw or "訪客" in view_tw or "看到警告" in view_tw

    case_page, _ = _page(server, f"/moderate/cases/{case_id}?lang=en", cookie)
    for appeal in (first, second):
        assert f'action="/moderate/appeals/{appeal["id"]}/uphold"' in case_page
        assert f'action="/moderate/appeals/{appeal["id"]}/dismiss"' in case_page
    zh_page, _ = _page(server, f"/moderate/cases/{case_id}?lang=zh", cookie)
    assert "支持申诉" in zh_page and "驳回申诉" in zh_page


def test_upholding_on_the_case_page_does_what_the_api_uphold_does(
    community_server: RunningServer,
) -> None:
    server = community_server
    url = "https://our-newsroom-test.example/"
    case_id = _confirmed_case(server, url)
    appeal = _appeal(server, case_id, REASON, "10.9.1.1")
    other = _appeal(server, case_id, "Ours too.", "10.9.1.2", role="site_owner")
    cookie = _sign_in(server)
    case_page, _ = _page(server, f"/moderate/cases/{case_id}?lang=zh", cookie)
    status, location, _ = _post_form(
        server,
        f"/moderate/appeals/{appeal['id']}/uphold",
        {"csrf": _csrf(case_page), "note": "报社的测试页", "lang": "zh"},
        cookie,
    )
    assert (status, location) == (303, f"/moderate/cases/{case_id}?lang=zh")

    decided = server.request("GET", f"/v1/appeals/{appeal['id']}").json()
    assert (decided["status"], decided["note"]) == ("upheld", "报社的测试页")
    case = server.request("GET", f"/v1/cases/{case_id}").json()
    assert case["status"] == "retired"
    actions = [a["action"] for a in case["audit"]]
    assert "appeal.upheld" in actions and "case.retire" in actions
    check = server.request("POST", "/v1/check/links", json_body={"urls": [url]}).json()
    assert all(r["code"] != "lists.community_case" for r in check["results"][0]["reasons"])
    # The case is down: the other appeal about it is closed, not left open.
    assert appeal["id"] not in _open_ids(server) and other["id"] not in _open_ids(server)
    closed = server.request("GET", f"/v1/appeals/{other['id']}").json()
    assert closed["status"] == "closed" and "retired" in closed["note"]
    # Deciding it again is the API's 409.
    again = server.request(
        "POST", f"/v1/appeals/{appeal['id']}/decide", json_body={"decision": "dismissed"}
    )
    assert again.status == 409


def test_a_dismissal_keeps_the_case_and_a_forged_form_is_refused(
    community_server: RunningServer,
) -> None:
    server = community_server
    case_id = _confirmed_case(server, "https://still-a-scam-appeal.example/")
    appeal = _appeal(server, case_id, "please remove", "10.9.2.1")
    cookie = _sign_in(server)
    path = f"/moderate/appeals/{appeal['id']}/uphold"
    for forged in ({"note": "x"}, {"csrf": "0" * 64, "note": "x"}):
        status, _, _ = _post_form(server, path, forged, cookie)
        assert status == 403
    status, _, _ = _post_form(server, path, {"csrf": "x", "note": "x"})  # no session
    assert status == 401
    assert appeal["id"] in _open_ids(server)
    assert server.request("GET", f"/v1/cases/{case_id}").json()["status"] == "confirmed"

    case_page, _ = _page(server, f"/moderate/cases/{case_id}?lang=en", cookie)
    status, _, _ = _post_form(
        server,
        f"/moderate/appeals/{appeal['id']}/dismiss",
        {"csrf": _csrf(case_page), "note": "still phishing"},
        cookie,
    )
    assert status == 303
    assert server.request("GET", f"/v1/appeals/{appeal['id']}").json()["status"] == "dismissed"
    assert server.request("GET", f"/v1/cases/{case_id}").json()["status"] == "confirmed"


def test_retiring_rejecting_or_merging_a_case_closes_its_open_appeals(
    community_server: RunningServer,
) -> None:
    server = community_server
    cookie = _sign_in(server)

    # Retired from the page.
    retired = _confirmed_case(server, "https://retire-me-appeal.example/")
    appeal = _appeal(server, retired, "my shop", "10.9.3.1")
    case_page, _ = _page(server, f"/moderate/cases/{retired}?lang=en", cookie)
    status, _, _ = _post_form(
        server,
        f"/moderate/cases/{retired}/retire",
        {"csrf": _csrf(case_page), "note": "gone"},
        cookie,
    )
    assert status == 303
    assert appeal["id"] not in _open_ids(server)
    shown = server.request("GET", f"/v1/appeals/{appeal['id']}").json()
    assert shown["status"] == "closed" and shown["note"] == "the case was retired"

    # Rejected through the API: closed in the same write (not when someone next reads it).
    rejected = _confirmed_case(server, "https://reject-me-appeal.example/")
    appeal = _appeal(server, rejected, "my blog", "10.9.3.2")
    server.request("POST", f"/v1/cases/{rejected}/reject", json_body={"note": "not a scam"})
    with sqlite3.connect(server.db) as db:
        row = db.execute("SELECT status FROM appeals WHERE id = ?", [appeal["id"]]).fetchone()
    assert row == ("closed",)
    assert appeal["id"] not in _open_ids(server)
    mine = f"/v1/appeals/{appeal['id']}?token={appeal['token']}"  # what the appellant reads
    shown = server.request("GET", mine, key=None).json()
    assert shown["status"] == "closed" and shown["note"] == "the case was rejected"
    view, _ = _page(server, "/moderate/appeals?lang=en", cookie)
    assert f'id="appeal-{appeal["id"]}"' not in view
    shown = server.request("GET", f"/v1/appeals/{appeal['id']}").json()
    assert shown["status"] == "closed" and shown["note"] == "the case was rejected"

    # A moderator's appeal on an open case, merged into another from the page.
    moderator = client_key(server, "moderator")
    _, source = report(server, client_key(server), kind="link", value="https://m1-appeal.example/")
    _, target = report(server, client_key(server), kind="link", value="https://m2-appeal.example/")
    appeal = _appeal(server, source["case_id"], "dup", "10.9.3.3", key=moderator)
    case_page, _ = _page(server, f"/moderate/cases/{source['case_id']}?lang=en", cookie)
    status, _, _ = _post_form(
        server,
        f"/moderate/cases/{source['case_id']}/merge",
        {"csrf": _csrf(case_page), "into": str(target["case_id"])},
        cookie,
    )
    assert status == 303
    shown = server.request("GET", f"/v1/appeals/{appeal['id']}").json()
    assert shown["status"] == "closed"
    assert shown["note"] == f"the case was merged into #{target['case_id']}"
    audit = server.request("GET", f"/v1/cases/{source['case_id']}").json()["audit"]
    assert "appeal.closed" in [a["action"] for a in audit]
