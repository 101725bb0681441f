"""The relay's server side: a code links a browser to one chat, and only that browser's token
can put items into that chat."""

from __future__ import annotations

from tests.support.server import RunningServer


def _key(server: RunningServer, role: str) -> str:
    response = server.request("POST", "/v1/keys", json_body={"role": role, "label": "t"})
    assert response.status == 201
    return str(response.json()["key"])


def _code(server: RunningServer, chat_id: int, key: str) -> str:
    response = server.request("POST", "/v1/relay/codes", json_body={"chat_id": chat_id}, key=key)
    assert response.status == 201, response.body
    return str(response.json()["code"])


def test_a_code_links_a_browser_and_its_items_reach_that_chat(server: RunningServer) -> None:
    bot, browser = _key(server, "moderator"), _key(server, "client")
    code = _code(server, 4242, bot)
    linked = server.request(
        "POST",
        "/v1/relay/link",
        json_body={"code": code.lower().replace("-", " "), "label": "Chrome"},
        key=browser,
    )
    assert linked.status == 201, linked.body
    token = linked.json()["token"]
    assert token.startswith("fwr_")

    queued = server.request(
        "POST",
        "/v1/relay/items",
        json_body={"token": token, "kind": "link", "url": "https://polkadot-dot.info/claim"},
        key=browser,
    )
    assert queued.status == 201, queued.body
    # The server judged the link itself: a client cannot make a scam look fine.
    assert queued.json()["verdict"] == "likely_scam"
    image = server.request(
        "POST",
        "/v1/relay/items",
        json_body={
            "token": token,
            "kind": "image",
            "url": "https://cdn.example/ad.jpg",
            # What an older extension sent as its own verdict: the server never saw the
            # picture, so none of it reaches the chat (tests/test_relay_judged.py).
            "verdict": "no_known_signals",
            "verdict_url": "https://fakewatch-verdicts.example/r/c1",
        },
        key=browser,
    )
    assert image.status == 201
    assert image.json()["verdict"] == "unknown"

    items = server.request("GET", "/v1/relay/pending?limit=500", key=bot).json()["items"]
    mine = [item for item in items if item["chat_id"] == 4242]
    assert [item["kind"] for item in mine] == ["linked", "link", "image"]
    assert mine[0]["summary"] == "Chrome"
    assert mine[1]["verdict_url"].startswith(server.url + "/r/l")
    assert (mine[2]["verdict"], mine[2]["verdict_url"]) == ("unknown", None)
    for item in mine:
        done = server.request("POST", f"/v1/relay/items/{item['id']}/delivered", key=bot)
        assert done.status == 200
    again = server.request("POST", f"/v1/relay/items/{mine[0]['id']}/delivered", key=bot)
    assert again.status == 404
    left = server.request("GET", "/v1/relay/pending", key=bot).json()["items"]
    assert all(item["chat_id"] != 4242 for item in left)


def test_a_code_works_once_and_a_client_cannot_mint_codes(server: RunningServer) -> None:
    bot, browser = _key(server, "moderator"), _key(server, "client")
    code = _code(server, 777, bot)
    first = server.request("POST", "/v1/relay/link", json_body={"code": code}, key=browser)
    assert first.status == 201
    second = server.request("POST", "/v1/relay/link", json_body={"code": code}, key=browser)
    assert second.status == 404
    assert second.json()["code"] == "relay_code_invalid"
    minted = server.request("POST", "/v1/relay/codes", json_body={"chat_id": 1}, key=browser)
    assert minted.status == 403


def test_a_stranger_without_the_token_cannot_push_into_a_chat(server: RunningServer) -> None:
    stranger = _key(server, "client")
    pushed = server.request(
        "POST",
        "/v1/relay/items",
        json_body={"token": "fwr_guessed", "kind": "link", "url": "https://example.com/"},
        key=stranger,
    )
    assert pushed.status == 403
    assert pushed.json()["code"] == "relay_token_invalid"


def test_unlinking_a_chat_stops_its_tokens(server: RunningServer) -> None:
    bot, browser = _key(server, "moderator"), _key(server, "client")
    code = _code(server, 999, bot)
    token = server.request("POST", "/v1/relay/link", json_body={"code": code}, key=browser).json()[
        "token"
    ]
    assert server.request("DELETE", "/v1/relay/chats/999", key=bot).json()["revoked"] == 1
    pushed = server.request(
        "POST",
        "/v1/relay/items",
        json_body={"token": token, "kind": "image", "url": "https://cdn.example/a.jpg"},
        key=browser,
    )
    assert pushed.status == 403
