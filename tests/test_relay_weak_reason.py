"""A relayed link between the domain model's two cuts reaches the chat with its note.

``domain_model.scam_like_weak`` alone leaves a link ``no_known_signals``; the summary still
names it ("No strong warning signs, but note: …"). The relay keeps only the verdict and the
summary of an item, so the summary is all a chat can learn of the weak reason: it must be the
one ``/v1/check/link`` gives, in the sender's language, never the bare "no known warning signs".
(Real server, real port, real SQLite file.)
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.server import RunningServer, start_server

#: Scores between the two cuts (P ~ 0.980, tests/test_domain_model_tiers.py) with no other cue.
BETWEEN_THE_CUTS = "https://secure-login.net/"
CHAT = 6262
NOTE = {
    "en": "No strong warning signs, but note: The site name secure-login.net has some traits",
    "zh": "未发现明显风险信号，但请留意：网站名 secure-login.net 有一些",
}


@pytest.fixture(scope="module")
def relayed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningServer, str, str]]:
    server = start_server(tmp_path_factory.mktemp("relay-weak"))
    bot, browser = (
        server.request("POST", "/v1/keys", json_body={"role": role}).json()["key"]
        for role in ("moderator", "client")
    )
    code = server.request("POST", "/v1/relay/codes", json_body={"chat_id": CHAT}, key=bot).json()[
        "code"
    ]
    token = server.request("POST", "/v1/relay/link", json_body={"code": code}, key=browser).json()[
        "token"
    ]
    yield server, bot, token
    assert server.stop() == 0, server.stderr()


def _queued(server: RunningServer, bot: str, item_id: int) -> dict[str, Any]:
    items = server.request("GET", "/v1/relay/pending?limit=500", key=bot).json()["items"]
    [item] = [i for i in items if i["id"] == item_id]
    return dict(item)


def test_a_relayed_link_between_the_cuts_keeps_its_note(
    relayed: tuple[RunningServer, str, str],
) -> None:
    server, bot, token = relayed
    quoted = urllib.parse.quote(BETWEEN_THE_CUTS, safe="")
    for lang, opening in NOTE.items():
        checked = server.request("GET", f"/v1/check/link?url={quoted}&lang={lang}").json()
        assert checked["verdict"] == "no_known_signals"
        assert [r["code"] for r in checked["reasons"]] == ["domain_model.scam_like_weak"]
        response = server.request(
            "POST",
            "/v1/relay/items",
            json_body={"token": token, "kind": "link", "url": BETWEEN_THE_CUTS, "lang": lang},
        )
        assert response.status == 201, response.body
        answer = response.json()
        item = _queued(server, bot, answer["id"])
        assert answer["judged"] is True
        assert (item["verdict"], item["summary"]) == ("no_known_signals", checked["summary"])
        assert item["summary"].startswith(opening), lang
