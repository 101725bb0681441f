"""Appeals do not tell a caller without a moderator key whether a case exists or how it
stands: only a confirmed case (what the public already sees) can be appealed that way, and
every other id gets the same 404. A moderator key still hears the difference. Refusals of a
moderator action name the action as a word ("retired", never "retireed")."""

from __future__ import annotations

import pytest

from tests.support.server import RunningServer
from tests.test_reports import client_key, report


@pytest.fixture
def community(community_server: RunningServer) -> RunningServer:
    return community_server


def appeal(server: RunningServer, case_id: int, key: str | None, ip: str) -> tuple[int, dict]:
    body = {"case_id": case_id, "role": "visitor", "reason": "probe"}
    response = server.request(
        "POST", "/v1/appeals", json_body=body, key=key, headers={"X-Forwarded-For": ip}
    )
    return response.status, response.json()


def case_in(server: RunningServer, domain: str, *actions: str) -> int:
    _, filed = report(server, client_key(server), kind="link", value=f"https://{domain}/")
    for action in actions:
        done = server.request("POST", f"/v1/cases/{filed['case_id']}/{action}", json_body={})
        assert done.status == 200, done.body
    return int(filed["case_id"])


def test_without_a_moderator_key_unknown_and_unconfirmed_cases_answer_alike(
    community: RunningServer,
) -> None:
    pending = case_in(community, "probe-pending.example")
    rejected = case_in(community, "probe-rejected.example", "reject")
    retired = case_in(community, "probe-retired.example", "confirm", "retire")
    confirmed = case_in(community, "probe-confirmed.example", "confirm")
    extension_key = client_key(community)  # shipped in the extension: anyone has one
    for n, key in enumerate((None, extension_key)):
        answers = {
            case_id: appeal(community, case_id, key, ip=f"10.40.{n}.{i}")
            for i, case_id in enumerate((pending, rejected, retired, 999_999_999))
        }
        shapes = {
            (status, body["code"], body["error"].replace(str(case_id), "ID"))
            for case_id, (status, body) in answers.items()
        }
        assert shapes == {
            (
                404,
                "not_found",
                "No confirmed case ID to appeal: only a case moderators confirmed (the one a"
                " warning names) can be appealed here.",
            )
        }
        status, created = appeal(community, confirmed, key, ip=f"10.40.{n}.9")
        assert status == 201 and created["case_id"] == confirmed
    queue = community.request("GET", "/v1/appeals").json()["appeals"]
    assert pending not in [a["case_id"] for a in queue]  # nothing was filed against it


def test_a_moderator_key_hears_which_it_was(community: RunningServer) -> None:
    moderator = client_key(community, "moderator")
    pending = case_in(community, "mod-pending.example")
    rejected = case_in(community, "mod-rejected.example", "reject")
    assert appeal(community, pending, moderator, ip="10.41.0.1")[0] == 201
    status, refused = appeal(community, rejected, moderator, ip="10.41.0.2")
    assert (status, refused["code"]) == (409, "case_state")
    assert refused["error"] == f"Case {rejected} is rejected; there is nothing to appeal."
    status, missing = appeal(community, 999_999_998, moderator, ip="10.41.0.3")
    assert (status, missing["error"]) == (404, "No case with id 999999998.")


def test_a_refused_action_names_it_as_a_word_in_both_languages(community: RunningServer) -> None:
    rejected = case_in(community, "typo-check.example", "reject")
    english = community.request("POST", f"/v1/cases/{rejected}/retire", json_body={})
    assert (english.status, english.json()["code"]) == (409, "case_state")
    assert english.json()["error"] == f"Case {rejected} is rejected; it cannot be retired."
    chinese = community.request("POST", f"/v1/cases/{rejected}/retire?lang=zh", json_body={})
    assert chinese.json()["error"] == f"案件 {rejected} 的状态是已驳回，不能再撤销。"
