"""The bot tells a route its server lacks (an older or smaller deployment: degrade politely)
from a record that is not there (say so to the person), by the error's code, against the real
server."""

from __future__ import annotations

import asyncio

import pytest

from bot.api import FeatureMissing, Refused, ServerClient
from tests.support.server import ADMIN_KEY, RunningServer


def test_a_route_the_server_lacks_is_a_missing_feature(server: RunningServer) -> None:
    async def scenario() -> None:
        client = ServerClient(server.url, ADMIN_KEY)
        await client.open()
        try:
            # No public method names a route this server lacks yet; a later one would.
            with pytest.raises(FeatureMissing):
                await client._call("GET", "/v1/a-feature-from-a-later-version")
            with pytest.raises(FeatureMissing):  # the path exists, not for this method
                await client._call("DELETE", "/v1/check/links")
        finally:
            await client.close()

    asyncio.run(scenario())


def test_a_missing_record_is_refused_with_its_code(server: RunningServer) -> None:
    async def scenario() -> None:
        client = ServerClient(server.url, ADMIN_KEY)
        await client.open()
        try:
            with pytest.raises(Refused) as refused:
                await client.decide_case(987654321, "confirm", "")
        finally:
            await client.close()
        assert (refused.value.status, refused.value.code) == (404, "not_found")

    asyncio.run(scenario())
