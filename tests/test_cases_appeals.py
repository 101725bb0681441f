"""Appeals: a site owner disputes a confirmed listing, follows it with a token, a moderator
upholds it and the domain comes off the blocklist; the page shows the due date."""

from __future__ import annotations

from tests.support.server import RunningServer
from tests.test_reports import client_key, report


def test_an_upheld_appeal_takes_a_confirmed_domain_off_the_blocklist(
    community_server: RunningServer,
) -> None:
    server = community_server
    _, filed = report(server, client_key(server), kind="link", value="https://my-bakery.example/")
    case_id = filed["case_id"]
    server.request("POST", f"/v1/cases/{case_id}/confirm", json_body={"note": "looked fake"})
    body = {"case_id": case_id, "role": "site_owner", "reason": "This is my <b>bakery</b>."}
    created = server.request("POST", "/v1/appeals", json_body=body, key=None)
    assert created.status == 201
    appeal = created.json()
    mine = server.request("GET", f"/v1/appeals/{appeal['id']}?token={appeal['token']}", key=None)
    assert mine.json()["status"] == "open" and mine.json()["due_at"] == appeal["due_at"]
    wrong = server.request("GET", f"/v1/appeals/{appeal['id']}?token=ap_guess", key=None)
    assert wrong.status == 404
    forgot = server.request("GET", f"/v1/appeals/{appeal['id']}", key=None)
    assert forgot.status == 401 and "?token=" in forgot.json()["error"]  # not "get an API key"

    page = server.request("GET", f"/moderate/cases/{case_id}?lang=en").body.decode()
    assert f"answer by {appeal['due_at'][:10]}" in page and "&lt;b&gt;bakery" in page
    queue = server.request("GET", "/v1/appeals").json()["appeals"]
    assert appeal["id"] in [a["id"] for a in queue]

    decided = server.request(
        "POST", f"/v1/appeals/{appeal['id']}/decide", json_body={"decision": "upheld"}
    )
    assert decided.json()["case"]["status"] == "retired"
    check = server.request(
        "POST", "/v1/check/links", json_body={"urls": ["https://my-bakery.example/"]}
    ).json()["results"][0]
    assert check["verdict"] != "likely_scam"
    assert all(r["code"] != "lists.community_case" for r in check["reasons"])
    again = server.request(
        "POST", f"/v1/appeals/{appeal['id']}/decide", json_body={"decision": "dismissed"}
    )
    assert (again.status, again.json()["code"]) == (409, "case_state")


def test_a_visitor_who_saw_the_warning_appeals_as_a_visitor(
    community_server: RunningServer,
) -> None:
    server = community_server
    _, filed = report(server, client_key(server), kind="link", value="https://our-choir.example/")
    case_id = filed["case_id"]
    server.request("POST", f"/v1/cases/{case_id}/confirm", json_body={"note": "looked fake"})
    body = {"case_id": case_id, "role": "visitor", "reason": "This is our church choir's site."}
    created = server.request("POST", "/v1/appeals", json_body=body, key=None)
    assert created.status == 201
    queue = server.request("GET", "/v1/appeals").json()["appeals"]
    (mine,) = [a for a in queue if a["id"] == created.json()["id"]]
    assert mine["role"] == "visitor"  # moderators see who is asking, not a guessed owner
    body["role"] = "owner"
    refused = server.request("POST", "/v1/appeals", json_body=body, key=None)
    assert refused.status == 400 and "site_owner, named_person, visitor" in refused.json()["error"]
