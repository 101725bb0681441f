"""The bot's client for the FakeWatch server API: the only place the bot talks to the server.

The bot judges nothing itself; it asks here and renders what comes back. Failures become
three exceptions the handlers turn into polite words::

    ServerError
    ├── ServerUnavailable   connection refused, timeout, 5xx: "try again in a few minutes"
    │   └── ServerBusy      503 with Retry-After (media slots full): pictures are sent again
    ├── FeatureMissing      404 on a route this server does not have (yet): degrade politely
    └── Refused             any other 4xx: ``code`` and ``status`` from the error shape
        └── KeyRefused      401/403: the bot's own key is wrong, revoked or lacks the role:
                            the operator's to fix, never "try again later"
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import aiohttp

#: A check that takes longer than this is reported as "not reachable" rather than waited on.
CHECK_TIMEOUT_S = 30.0
#: Polling calls (alerts, cases, relay) are cheap; they should never hang the loops.
POLL_TIMEOUT_S = 15.0
#: A picture or video the server was too busy to decode is sent again this often, after the
#: wait it asks for, unless that wait is longer than this (a person is waiting for the answer).
BUSY_RETRIES = 2
MAX_BUSY_WAIT_S = 10
#: The setting that holds the bot's key, and the role the key needs: the bot creates relay
#: codes, reads the relay queue and the moderation queue (``fakewatch keys create``).
KEY_SETTING = "FAKEWATCH_API_KEY"
ROLE_NEEDED = "moderator"


class ServerError(Exception):
    """The server could not give an answer."""


class ServerUnavailable(ServerError):
    """Down, unreachable, too slow, or failing on its side."""


class ServerBusy(ServerUnavailable):
    """503 with ``Retry-After``: the server is up but already decoding all it may."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"HTTP 503, retry after {retry_after} s")
        self.retry_after = retry_after


class FeatureMissing(ServerError):
    """This server has no such route (an older or smaller deployment)."""


class Refused(ServerError):
    """A 4xx answer with the API's error shape."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        retry_after: int = 0,
        body: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}")
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after
        #: The whole error object (``case_status`` for ``case_state``, ``field``...).
        self.body: Mapping[str, Any] = body or {}


class KeyRefused(Refused):
    """401 (the key is unknown or revoked) or 403 (its role is below what the call needs)."""

    @property
    def why(self) -> str:
        """What is wrong with the key, in words for the operator (never the key itself)."""
        if self.status == 401:
            return "the server does not know this key (wrong or revoked)"
        return f"this key's role is below {ROLE_NEEDED} (a client key?)"


class FileTooBig(Exception):
    """A download passed its size limit; what was read so far is dropped."""


class DownloadFailed(Exception):
    """A file could not be fetched (its URL holds the bot's token: never put it in here)."""


async def download(
    session: aiohttp.ClientSession, url: str, limit: int, time_limit: float = CHECK_TIMEOUT_S
) -> bytearray:
    """The file at ``url`` read in chunks into one buffer, stopped past ``limit`` bytes: one
    copy in memory, never more than the limit (a client library that reads the whole body and
    joins it holds two or three)."""
    data = bytearray()
    try:
        async with session.get(url, timeout=aiohttp.ClientTimeout(total=time_limit)) as response:
            if response.status != 200:
                raise DownloadFailed(f"HTTP {response.status}")
            if (response.content_length or 0) > limit:
                raise FileTooBig()
            async for chunk in response.content.iter_chunked(256 * 1024):
                data += chunk
                if len(data) > limit:
                    raise FileTooBig()
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise DownloadFailed(type(exc).__name__) from None
    return data


class ServerClient:
    """Async calls to one FakeWatch server with the bot's key."""

    def __init__(self, base_url: str, api_key: str) -> None:
        self.base_url = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._session: aiohttp.ClientSession | None = None
        self._files: aiohttp.ClientSession | None = None

    async def open(self) -> None:
        # trust_env=False: the server is reached directly; a proxy must never see checked items.
        self._session = aiohttp.ClientSession(headers=self._headers, trust_env=False)
        # Telegram's files: a session of its own, which never carries the server's API key, and
        # which takes HTTP(S)_PROXY / NO_PROXY from the environment as PTB's own requests do: a
        # bot that reaches Telegram only through a proxy fetches its files the same way.
        self._files = aiohttp.ClientSession(trust_env=True)

    async def close(self) -> None:
        for session in (self._session, self._files):
            if session is not None:
                await session.close()
        self._session = self._files = None

    async def fetch_file(self, url: str, limit: int) -> bytearray:
        """A Telegram file (``File.file_path``, the full URL), at most ``limit`` bytes."""
        assert self._files is not None, "ServerClient.open() first"
        return await download(self._files, url, limit)

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        data: aiohttp.FormData | None = None,
        time_limit: float = CHECK_TIMEOUT_S,
        missing_route_only: bool = True,
    ) -> Any:
        assert self._session is not None, "ServerClient.open() first"
        try:
            async with self._session.request(
                method,
                self.base_url + path,
                params=params,
                json=json_body,
                data=data,
                timeout=aiohttp.ClientTimeout(total=time_limit),
            ) as response:
                raw = await response.read()
                status = response.status
                retry_after = response.headers.get("Retry-After", "0")
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ServerUnavailable(type(exc).__name__) from None
        if status == 503 and retry_after.isdigit():
            raise ServerBusy(int(retry_after))
        if status >= 500:
            raise ServerUnavailable(f"HTTP {status}")
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            raise ServerUnavailable(f"HTTP {status}: not JSON") from None
        if status < 400:
            return body
        code = str(body.get("code", "")) if isinstance(body, dict) else ""
        message = str(body.get("error", "")) if isinstance(body, dict) else ""
        # A server older than this bot lacks the route (404 route_not_found; 405 when the path
        # exists for other methods); servers before the code existed said so only in words.
        no_route = code in ("route_not_found", "method_not_allowed") or message.startswith(
            "No such route"
        )
        if status in (404, 405) and (not missing_route_only or no_route):
            raise FeatureMissing(path)
        # 401/403: the bot's own key (the only credential it sends), the operator's to fix.
        raise (KeyRefused if status in (401, 403) else Refused)(
            status,
            code,
            message,
            int(retry_after) if retry_after.isdigit() else 0,
            body if isinstance(body, dict) else None,
        )

    async def check_key(self) -> None:
        """Ask once, as cheaply as can be, for something only a ``ROLE_NEEDED`` key may read
        (one waiting relay item; a server without the relay: one pending case). ``KeyRefused``
        when the key may not, ``ServerUnavailable`` when the server is down; a server with
        neither route has nothing this key could be refused (``FeatureMissing`` is swallowed).
        """
        for path in ("/v1/relay/pending", "/v1/cases"):
            try:
                await self._call("GET", path, params={"limit": "1"}, time_limit=POLL_TIMEOUT_S)
                return
            except FeatureMissing:
                continue

    # --- checks ---------------------------------------------------------------------------

    async def check_links(self, urls: list[str], lang: str) -> list[dict[str, Any]]:
        body = await self._call("POST", "/v1/check/links", json_body={"urls": urls, "lang": lang})
        return list(body["results"])

    async def check_text(self, text: str, lang: str) -> dict[str, Any]:
        result: dict[str, Any] = await self._call(
            "POST", "/v1/check/text", json_body={"text": text}, params={"lang": lang}
        )
        return result

    async def check_media(
        self, payload: bytes | bytearray, filename: str, content_type: str, lang: str
    ) -> dict[str, Any]:
        def form() -> aiohttp.FormData:
            built = aiohttp.FormData()
            built.add_field("file", payload, filename=filename, content_type=content_type)
            return built

        return await self._upload("/v1/check/media", form, params={"lang": lang})

    # --- reports and moderation -----------------------------------------------------------

    async def report(self, report: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = await self._call("POST", "/v1/reports", json_body=report)
        return result

    async def report_media(
        self,
        report: dict[str, Any],
        payload: bytes | bytearray,
        filename: str,
        content_type: str,
    ) -> dict[str, Any]:
        def form() -> aiohttp.FormData:
            built = aiohttp.FormData()
            built.add_field("report", json.dumps(report), content_type="application/json")
            built.add_field("file", payload, filename=filename, content_type=content_type)
            return built

        return await self._upload("/v1/reports", form)

    async def _upload(
        self,
        path: str,
        form: Callable[[], aiohttp.FormData],
        params: Mapping[str, str] | None = None,
    ) -> dict[str, Any]:
        """POST a file, sent again after the server's ``Retry-After`` when it is busy decoding
        others (a form is consumed by sending it, so each attempt builds its own)."""
        for attempt in range(BUSY_RETRIES + 1):
            try:
                result: dict[str, Any] = await self._call("POST", path, data=form(), params=params)
                return result
            except ServerBusy as busy:
                if attempt == BUSY_RETRIES or busy.retry_after > MAX_BUSY_WAIT_S:
                    raise
                await asyncio.sleep(max(busy.retry_after, 1))
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def pending_cases(self, limit: int = 50) -> list[dict[str, Any]]:
        body = await self._call(
            "GET",
            "/v1/cases",
            params={"status": "pending", "limit": str(limit)},
            time_limit=POLL_TIMEOUT_S,
        )
        return list(body.get("cases", []))

    async def case(self, case_id: int, lang: str) -> dict[str, Any]:
        result: dict[str, Any] = await self._call(
            "GET", f"/v1/cases/{case_id}", params={"lang": lang}, time_limit=POLL_TIMEOUT_S
        )
        return result

    async def decide_case(
        self,
        case_id: int,
        action: str,
        note: str,
        expect_status: str | None = None,
        lang: str = "en",
    ) -> dict[str, Any]:
        """``expect_status``: act only if the case still has it, the status the moderator's
        button was shown for; else ``Refused`` ``case_state`` with ``body["case_status"]``."""
        assert action in ("confirm", "reject")
        body: dict[str, Any] = {"note": note}
        if expect_status is not None:
            body["expect_status"] = expect_status
        result: dict[str, Any] = await self._call(
            "POST", f"/v1/cases/{case_id}/{action}", json_body=body, params={"lang": lang}
        )
        return result

    # --- alerts ---------------------------------------------------------------------------

    async def alerts(self, since: str, limit: int = 100) -> tuple[list[dict[str, Any]], str]:
        params = {"limit": str(limit)}
        if since:
            params["since"] = since
        body = await self._call("GET", "/v1/alerts", params=params, time_limit=POLL_TIMEOUT_S)
        return list(body.get("alerts", [])), str(body.get("cursor", since))

    async def watch(self, item: dict[str, Any], subscriber: str) -> float | None:
        """Ask for a retroactive alert if this item is confirmed as a scam later; when the
        subscription ends (the server's ``expires_at``, epoch seconds), if it said."""
        body = await self._call(
            "POST",
            "/v1/alerts/subscriptions",
            json_body={**item, "subscriber": subscriber},
            time_limit=POLL_TIMEOUT_S,
        )
        expires = body.get("expires_at") if isinstance(body, dict) else None
        if not isinstance(expires, str):
            return None
        try:
            when = datetime.fromisoformat(expires)
        except ValueError:
            return None
        return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()

    # --- relay (the extension's "Send to my Telegram") ------------------------------------

    async def relay_code(self, chat_id: int) -> dict[str, Any]:
        result: dict[str, Any] = await self._call(
            "POST", "/v1/relay/codes", json_body={"chat_id": chat_id}
        )
        return result

    async def relay_unlink(self, chat_id: int) -> int:
        body = await self._call("DELETE", f"/v1/relay/chats/{chat_id}")
        return int(body.get("revoked", 0))

    async def relay_pending(self, limit: int = 50) -> list[dict[str, Any]]:
        body = await self._call(
            "GET", "/v1/relay/pending", params={"limit": str(limit)}, time_limit=POLL_TIMEOUT_S
        )
        return list(body.get("items", []))

    async def relay_delivered(self, item_id: int) -> None:
        await self._call(
            "POST",
            f"/v1/relay/items/{item_id}/delivered",
            time_limit=POLL_TIMEOUT_S,
            missing_route_only=True,
        )
