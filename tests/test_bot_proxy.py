"""Behind a proxy: Telegram's files are fetched through it, as PTB's Bot API calls are, without
the FakeWatch key; the FakeWatch server is still reached directly. A recording proxy and an
origin on 127.0.0.1, the bot's real client."""

from __future__ import annotations

import asyncio

import pytest

from bot.api import ServerClient, ServerUnavailable

KEY = "fakewatch-key-never-shown-to-a-proxy"


def test_telegram_files_go_through_the_proxy_without_the_key_and_the_server_does_not(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: dict[str, list[bytes]] = {"proxy": [], "origin": []}

    async def answer(name: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = b""
        while (line := await reader.readline()) not in (b"\r\n", b""):
            head += line
        seen[name].append(head)
        body = name.encode()
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
        await writer.drain()
        writer.close()

    async def scenario() -> None:
        proxy = await asyncio.start_server(lambda r, w: answer("proxy", r, w), "127.0.0.1", 0)
        origin = await asyncio.start_server(lambda r, w: answer("origin", r, w), "127.0.0.1", 0)
        proxy_url = f"http://127.0.0.1:{proxy.sockets[0].getsockname()[1]}"
        origin_url = f"http://127.0.0.1:{origin.sockets[0].getsockname()[1]}"
        for name in ("NO_PROXY", "no_proxy", "http_proxy", "https_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTP_PROXY", proxy_url)
        monkeypatch.setenv("HTTPS_PROXY", proxy_url)
        client = ServerClient(origin_url, KEY)
        await client.open()
        try:
            got = await client.fetch_file(f"{origin_url}/file/botTOKEN/photos/1.jpg", 1 << 20)
            with pytest.raises(ServerUnavailable):
                await client.alerts("")  # the origin's "origin" is not JSON: reached directly
        finally:
            await client.close()
            proxy.close()
            origin.close()
        assert bytes(got) == b"proxy"
        assert len(seen["proxy"]) == 1 and b"/file/botTOKEN/photos/1.jpg" in seen["proxy"][0]
        assert KEY.encode() not in seen["proxy"][0]
        assert len(seen["origin"]) == 1 and seen["origin"][0].startswith(b"GET /v1/alerts")
        assert KEY.encode() in seen["origin"][0]

    asyncio.run(scenario())
