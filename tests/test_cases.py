"""Moderation: a confirmed case feeds the blocklist and names itself in the verdict; every
action needs a moderator key and leaves an audit row; reputation follows decisions."""

from __future__ import annotations

import pytest

from tests.support.server import RunningServer
from tests.test_reports import client_key, report


@pytest.fixture
def community(community_server: RunningServer) -> RunningServer:
    return community_server


def check(server: RunningServer, url: str) -> dict:
    body = {"urls": [url]}
    return server.request("POST", "/v1/check/links", json_body=body).json()["results"][0]


def test_confirming_a_case_makes_a_recheck_likely_scam_naming_the_case(
    community: RunningServer,
) -> None:
    key = client_key(community)
    _, filed = report(
        community,
        key,
        kind="link",
        value="https://wallet-claim.confirm-me.example/drop",
        category="giveaway",
        reporter="c1",
    )
    assert check(community, "https://confirm-me.example/")["verdict"] != "likely_scam"
    case_id = filed["case_id"]
    pending = community.request("GET", "/v1/cases?status=pending&limit=500").json()
    assert case_id in [c["id"] for c in pending["cases"]]

    moderator = client_key(community, "moderator")
    done = community.request(
        "POST", f"/v1/cases/{case_id}/confirm", json_body={"note": "drainer kit"}, key=moderator
    )
    assert done.status == 200 and done.json()["status"] == "confirmed"

    verdict = check(community, "https://other.confirm-me.example/page")
    assert verdict["verdict"] == "likely_scam"
    reason = verdict["reasons"][0]
    assert reason["code"] == "lists.community_case"
    assert f"community case {case_id}" in reason["message"]
    assert reason["details"]["matched"][0]["reference"] == f"case:{case_id}"
    assert verdict["verdict_url"].endswith("/r/l" + verdict["verdict_url"].split("/r/l")[1])

    detail = community.request("GET", f"/v1/cases/{case_id}").json()
    assert detail["audit"][0]["action"] == "case.confirm"
    assert detail["audit"][0]["details"]["note"] == "drainer kit"
    assert detail["automatic_verdict"]["verdict"] == "likely_scam"

    again = community.request("POST", f"/v1/cases/{case_id}/confirm", json_body={})
    assert (again.status, again.json()["code"]) == (409, "case_state")


def test_retiring_a_confirmed_case_takes_it_off_the_blocklist(community: RunningServer) -> None:
    _, filed = report(
        community, client_key(community), kind="link", value="https://retire-me.example/"
    )
    case_id = filed["case_id"]
    community.request("POST", f"/v1/cases/{case_id}/confirm", json_body={"note": "x"})
    assert check(community, "https://retire-me.example/")["verdict"] == "likely_scam"
    retired = community.request("POST", f"/v1/cases/{case_id}/retire", json_body={"note": "gone"})
    assert retired.json()["status"] == "retired"
    after = check(community, "https://retire-me.example/")
    assert after["verdict"] != "likely_scam"
    assert all(r["code"] != "lists.community_case" for r in after["reasons"])


def test_moderator_actions_without_a_moderator_key_change_nothing(
    community: RunningServer,
) -> None:
    client = client_key(community)
    _, filed = report(community, client, kind="link", value="https://forged.example/")
    path = f"/v1/cases/{filed['case_id']}/confirm"
    no_key = community.request("POST", path, json_body={"note": "x"}, key=None)
    assert (no_key.status, no_key.json()["code"]) == (401, "unauthorized")
    as_client = community.request("POST", path, json_body={"note": "x"}, key=client)
    assert (as_client.status, as_client.json()["code"]) == (403, "forbidden")
    listing = community.request("GET", "/v1/cases", key=client)
    assert listing.status == 403
    detail = community.request("GET", f"/v1/cases/{filed['case_id']}").json()
    assert detail["status"] == "pending" and detail["audit"] == []


def test_merge_moves_reports_once_per_reporter(community: RunningServer) -> None:
    key = client_key(community)
    _, a = report(community, key, kind="link", value="https://merge-a.example/", reporter="m1")
    _, b = report(community, key, kind="link", value="https://merge-b.example/", reporter="m1")
    _, _b2 = report(community, key, kind="link", value="https://merge-b.example/", reporter="m2")
    merged = community.request(
        "POST", f"/v1/cases/{b['case_id']}/merge", json_body={"into": a["case_id"], "note": "kit"}
    )
    assert merged.json() == {
        "ok": True,
        "id": b["case_id"],
        "status": "merged",
        "merged_into": a["case_id"],
    }
    survivor = community.request("GET", f"/v1/cases/{a['case_id']}").json()
    assert survivor["reporters"] == 2
    _, later = report(community, key, kind="link", value="https://merge-b.example/x", reporter="m3")
    assert later["case_id"] == a["case_id"]


def test_three_false_reports_cost_a_reporter_its_weight(community: RunningServer) -> None:
    key = client_key(community)
    for i in range(3):
        _, filed = report(
            community, key, kind="link", value=f"https://honest-shop{i}.example/", reporter="liar"
        )
        rejected = community.request(
            "POST", f"/v1/cases/{filed['case_id']}/reject", json_body={"note": "legit shop"}
        )
        assert rejected.json()["status"] == "rejected"
    _, fourth = report(
        community, key, kind="link", value="https://honest-shop9.example/", reporter="liar"
    )
    _, _honest = report(
        community, key, kind="link", value="https://honest-shop9.example/", reporter="newcomer"
    )
    shown = community.request("GET", f"/v1/cases/{fourth['case_id']}").json()
    assert sorted(r["weight"] for r in shown["reports_shown"]) == [0.0, 0.5]
    assert shown["reach"] == 0.5


def test_a_surge_of_new_reporters_is_quarantined_for_a_human(community: RunningServer) -> None:
    # Ten anonymous addresses are ten sources (one client key's made-up users never are:
    # tests/test_community_reach.py).
    for i in range(10):
        report(community, None, ip=f"10.99.0.{i}", kind="link", value="https://brigaded.example/")
    statuses = community.request("GET", "/v1/cases?status=quarantined&limit=500").json()
    assert "brigaded.example" in [c["key"] for c in statuses["cases"]]
