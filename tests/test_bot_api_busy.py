"""The bot's server client sends a picture again when the server says it is busy decoding
others (503 with Retry-After), and gives up when the wait asked for is too long for a person
waiting. A small stand-in server on 127.0.0.1 answers busy first; the client is the real one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from aiohttp import web

from bot.api import ServerBusy, ServerClient

PICTURE = b"\x89PNG\r\n\x1a\n" + b"\0" * 2048


@asynccontextmanager
async def busy_then_ok(
    busy_answers: int, retry_after: str
) -> AsyncIterator[tuple[str, list[bytes]]]:
    """A server whose first ``busy_answers`` uploads get 503 busy; it records every upload."""
    received: list[bytes] = []

    async def upload(request: web.Request) -> web.Response:
        received.append(await request.read())
        if len(received) <= busy_answers:
            return web.json_response(
                {"ok": False, "error": "busy", "code": "busy", "status": 503, "request_id": "r"},
                status=503,
                headers={"Retry-After": retry_after},
            )
        return web.json_response({"verdict": "no_known_signals", "id": 7})

    app = web.Application()
    app.router.add_post("/v1/check/media", upload)
    app.router.add_post("/v1/reports", upload)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}", received
    finally:
        await runner.cleanup()


def test_a_busy_server_gets_the_picture_again_after_the_wait_it_asked_for() -> None:
    async def scenario() -> None:
        async with busy_then_ok(2, "1") as (url, received):
            client = ServerClient(url, "fw_test")
            await client.open()
            try:
                verdict = await client.check_media(PICTURE, "a.png", "image/png", "en")
                stored = await client.report_media({"kind": "media"}, PICTURE, "a.png", "image/png")
            finally:
                await client.close()
        assert verdict["verdict"] == "no_known_signals" and stored["id"] == 7
        # Two busy answers, then the check; the report went through at once. Every attempt
        # carried the whole picture (a sent form cannot be sent twice).
        assert len(received) == 4
        assert all(PICTURE in body for body in received)

    asyncio.run(scenario())


def test_a_wait_too_long_for_a_person_is_not_waited_out() -> None:
    async def scenario() -> None:
        async with busy_then_ok(1, "120") as (url, received):
            client = ServerClient(url, "fw_test")
            await client.open()
            try:
                with pytest.raises(ServerBusy) as busy:
                    await client.check_media(PICTURE, "a.png", "image/png", "en")
            finally:
                await client.close()
        assert busy.value.retry_after == 120 and len(received) == 1

    asyncio.run(scenario())
