"""A relayed item with a weak reason reaches the chat with its note and that reason.

``domain_model.scam_like_weak`` alone leaves a link ``no_known_signals``, and so does an AI
generator named in a picture's EXIF (``ai_labels``); the summary still names the reason ("No
strong warning signs, but note: …"). The queue keeps the summary ``/v1/check/*`` gives, in the
sender's language, never the bare "no known warning signs", and the server's reasons
(``m011``): the bot can check a link again but not a picture, and a weak reason picks the
chat's headline. A reason a client sends is refused, never queued. (Real server, real port,
real SQLite file.)
"""

from __future__ import annotations

import io
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from server import relay
from server.storage.migrations import migrations
from tests.support.server import RunningServer, start_server
from tests.test_known_fakes_api import multipart, picture

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
        assert item["reasons"] == [_kept(r) for r in checked["reasons"]]


def ai_labelled_jpeg(seed: int = 12) -> bytes:
    """A picture whose EXIF names an AI generator: the server's weak ``ai_labels`` reason
    alone, ``no_known_signals`` (tests/test_extension_browser.py)."""
    from PIL import Image

    exif = Image.Exif()
    exif[0x0131] = "Adobe Firefly Image 3"
    out = io.BytesIO()
    picture(seed).save(out, "JPEG", quality=88, exif=exif.tobytes())
    return out.getvalue()


def _kept(reason: dict[str, Any]) -> dict[str, Any]:
    """What the queue keeps of a reason ``/v1/check/*`` gives."""
    return {name: reason[name] for name in ("detector", "code", "message", "role", "weight")}


def _relay_picture(
    server: RunningServer, fields: dict[str, str], data: bytes | None
) -> tuple[int, Any]:
    body, content_type = multipart(fields, data)
    response = server.request(
        "POST", "/v1/relay/items", body=body, headers={"Content-Type": content_type}
    )
    return response.status, response.json()


def test_a_relayed_picture_keeps_the_servers_weak_reason(
    relayed: tuple[RunningServer, str, str],
) -> None:
    server, bot, token = relayed
    labelled = ai_labelled_jpeg()
    for lang in ("en", "zh", "zh-TW"):
        body, content_type = multipart({"lang": lang}, labelled)
        checked = server.request(
            "POST", "/v1/check/media", body=body, headers={"Content-Type": content_type}
        ).json()
        assert checked["verdict"] == "no_known_signals"
        [reason] = checked["reasons"]
        assert reason["code"].startswith("ai_labels.") and reason["role"] == "supporting"
        assert reason["weight"] > 0
        fields = {"token": token, "kind": "image", "url": "https://news.example/a.jpg"}
        status, answer = _relay_picture(server, fields | {"lang": lang}, labelled)
        assert status == 201, answer
        item = _queued(server, bot, answer["id"])
        assert (item["verdict"], item["summary"]) == ("no_known_signals", checked["summary"])
        # In the sender's language and script, as /v1/check/media said it.
        assert item["reasons"] == [_kept(reason)], lang


def test_a_reason_is_only_ever_the_servers(relayed: tuple[RunningServer, str, str]) -> None:
    server, bot, token = relayed
    claim = [{"detector": "x", "code": "x", "message": "Genuine.", "role": "allow", "weight": 1}]
    before = len(server.request("GET", "/v1/relay/pending?limit=500", key=bot).json()["items"])
    image = {"token": token, "kind": "image", "url": "https://news.example/b.jpg"}
    response = server.request("POST", "/v1/relay/items", json_body=image | {"reasons": claim})
    assert response.status == 400, response.body
    assert response.json()["code"] == "validation_failed"
    status, answer = _relay_picture(server, image | {"reasons": "[]"}, ai_labelled_jpeg(13))
    assert (status, answer["code"]) == (400, "validation_failed"), answer
    after = server.request("GET", "/v1/relay/pending?limit=500", key=bot).json()["items"]
    assert len(after) == before
    # A picture sent by its address alone: nothing judged, no reasons (not "none found").
    response = server.request("POST", "/v1/relay/items", json_body=image)
    assert response.status == 201, response.body
    item = _queued(server, bot, response.json()["id"])
    assert (item["verdict"], item["reasons"]) == ("unknown", None)


def test_items_queued_before_the_queue_kept_reasons_still_deliver(tmp_path: Path) -> None:
    """``m011`` adds a nullable column: a row from before reads ``reasons: None``."""
    db = Database(tmp_path / "old.db")
    migrations.apply(db, stop_before="m011_relay_item_reasons")
    db.execute(
        "INSERT INTO relay_items (token_id, chat_id, kind, url, verdict, summary, created_at)"
        " VALUES (1, 7, 'image', 'https://news.example/c.jpg', 'no_known_signals',"
        " 'No known warning signs.', ?)",
        [relay._iso(relay._now())],
    )
    migrations.apply(db)
    [old] = relay.pending_items(db, 10)
    assert (old["verdict"], old["summary"], old["reasons"]) == (
        "no_known_signals",
        "No known warning signs.",
        None,
    )
    weak = {"detector": "ai_labels", "code": "ai_labels.generator_trace", "message": "M."}
    weak |= {"role": "supporting", "weight": 0.2, "details": {"labels": ["kept out"]}}
    relay.queue_item(
        db,
        token_id=1,
        chat_id=7,
        item={"kind": "image", "url": "https://news.example/d.jpg", "verdict": "no_known_signals"}
        | {"reasons": [weak]},
    )
    [_, new] = relay.pending_items(db, 10)
    assert new["reasons"] == [_kept(weak)]
