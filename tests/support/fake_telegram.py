"""A small fake of the Telegram Bot API on 127.0.0.1, for the real python-telegram-bot stack.

The bot under test talks to it exactly as to Telegram (``base_url``/``base_file_url``): form
fields (non-strings JSON-encoded), ``getUpdates`` long polling, file downloads. It implements
only the methods the bot uses and answers 404 to anything else, so a gap is loud. Every call is
recorded; ``wait_for(method, predicate)`` awaits one. Tests put updates in with ``push`` (or the
helpers that build messages and button presses), files with ``add_file``, member statuses with
``set_member``, and Telegram's flood control with ``flood(every=N, retry_after=S)``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_ID = 7000001
BOT_USERNAME = "fakewatch_test_bot"
TOKEN = "7000001:TEST-token-for-the-fake-bot-api"
#: Fields that stay strings (everything else was JSON-encoded by PTB).
_STRING_FIELDS = {"text", "caption", "callback_query_id", "file_id", "data", "parse_mode"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None


class FakeTelegram:
    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.files: dict[str, bytes] = {}
        self.big_files: set[str] = set()
        self.members: dict[tuple[int, int], str] = {}
        self.undeletable: set[int] = set()
        self.blocked: set[int] = set()
        self.delay_s = 0.0
        #: File downloads: how long each takes, and the most that were in flight at once.
        self.file_delay_s = 0.0
        #: When set, every download waits for this event: a test holds files until it is ready.
        self.files_held: asyncio.Event | None = None
        self.downloads_now = 0
        self.downloads_peak = 0
        #: When each update was first handed to the bot (getUpdates), for latency figures.
        self.handed_at: dict[int, float] = {}
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._new_update = asyncio.Event()
        self._new_call = asyncio.Event()
        self._flood_every = 0
        self._flood_retry = 1
        self._send_count = 0
        self._closing = False
        self._runner: web.AppRunner | None = None
        self.url = ""

    # --- lifecycle --------------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._method)
        app.router.add_get("/file/bot{token}/{path:.*}", self._file)
        # For benchmarks that run the fake in its own process: read the log, set flooding.
        app.router.add_get("/_control/calls", self._control_calls)
        app.router.add_post("/_control/flood", self._control_flood)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        self._closing = True
        self._new_update.set()  # answer pending long polls now
        if self._runner is not None:
            await self._runner.cleanup()

    # --- what tests do ----------------------------------------------------------------------

    def push(self, update: dict[str, Any]) -> int:
        update_id = next(self._update_ids)
        self._updates.append({"update_id": update_id, **update})
        self._new_update.set()
        return update_id

    def add_file(self, file_id: str, data: bytes) -> None:
        self.files[file_id] = data

    def set_member(self, chat_id: int, user_id: int, status: str) -> None:
        self.members[(chat_id, user_id)] = status

    def flood(self, every: int, retry_after: int = 1) -> None:
        """Answer every ``every``-th sendMessage with 429 Too Many Requests."""
        self._flood_every, self._flood_retry = every, retry_after

    def sent(self, method: str = "sendMessage", chat_id: int | None = None) -> list[Call]:
        return [
            c
            for c in self.calls
            if c.method == method and (chat_id is None or c.chat_id == chat_id)
        ]

    async def wait_for(
        self,
        method: str,
        predicate: Callable[[Call], bool] = lambda call: True,
        *,
        within: float = 15.0,
        after: int = 0,
    ) -> Call:
        """The first call to ``method`` (from index ``after``) that satisfies ``predicate``."""
        deadline = time.monotonic() + within
        seen = after
        while True:
            for call in self.calls[seen:]:
                if call.method == method and predicate(call):
                    return call
            seen = len(self.calls)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                made = [f"{c.method}:{c.text[:60]!r}" for c in self.calls[after:]][-15:]
                raise AssertionError(f"no {method} matching in {within}s; calls: {made}")
            self._new_call.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_call.wait(), remaining)

    # --- building updates -------------------------------------------------------------------

    def user(self, user_id: int, language_code: str = "en", name: str = "Ann") -> dict[str, Any]:
        return {
            "id": user_id,
            "is_bot": False,
            "first_name": name,
            "language_code": language_code,
        }

    def message(
        self,
        chat_id: int,
        user_id: int,
        text: str | None = None,
        *,
        language_code: str = "en",
        edited: bool = False,
        **extra: Any,
    ) -> int:
        chat: dict[str, Any] = (
            {"id": chat_id, "type": "private", "first_name": "Ann"}
            if chat_id > 0
            else {"id": chat_id, "type": "supergroup", "title": "Family"}
        )
        body: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": self.user(user_id, language_code),
            **extra,
        }
        if text is not None:
            body["text"] = text
            if text.startswith("/"):
                command = text.split()[0]
                body["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        if edited:
            body["edit_date"] = int(time.time())
            return self.push({"edited_message": body})
        return self.push({"message": body})

    @staticmethod
    def shown(call: Call) -> dict[str, Any]:
        """The message a recorded send produced, as a button press carries it."""
        chat_id = int(call.params["chat_id"])
        chat = {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"}
        return {"message_id": call.params.get("_message_id", 0), "date": 0, "chat": chat}

    def press(
        self, user_id: int, data: str, message: dict[str, Any] | None = None, **user: Any
    ) -> int:
        """A button press on a message the bot sent (``message``: its recorded result)."""
        query: dict[str, Any] = {
            "id": str(next(self._message_ids)),
            "from": self.user(user_id, **user),
            "chat_instance": "ci",
            "data": data,
        }
        if message is not None:
            query["message"] = message
        return self.push({"callback_query": query})

    async def _control_calls(self, request: web.Request) -> web.Response:
        start = int(request.query.get("from", "0"))
        return web.json_response(
            [
                {
                    "method": c.method,
                    "chat_id": c.chat_id if c.method == "sendMessage" else None,
                    "at": c.at,
                    "refused": bool(c.params.get("_refused")),
                }
                for c in self.calls[start:]
            ]
        )

    async def _control_flood(self, request: web.Request) -> web.Response:
        self.flood(int(request.query["every"]), int(request.query.get("retry_after", "1")))
        return web.json_response({"ok": True})

    # --- the Bot API ------------------------------------------------------------------------

    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            loaded = await request.json()
            return dict(loaded) if isinstance(loaded, dict) else {}
        form = await request.post()
        params: dict[str, Any] = {}
        for name, value in form.items():
            if isinstance(value, str) and name not in _STRING_FIELDS:
                try:
                    params[name] = json.loads(value)
                except ValueError:
                    params[name] = value
            elif isinstance(value, str):
                params[name] = value
            else:
                params[name] = value.file.read()
        return params

    async def _method(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        params = await self._params(request)
        if method != "getUpdates":
            self.calls.append(Call(method, params))
            self._new_call.set()
            if self.delay_s:
                await asyncio.sleep(self.delay_s)
        handler = getattr(self, "_m_" + method, None)
        if handler is None:
            return _error(404, f"Not Found: method {method} is not in the fake")
        result = await handler(params)
        if isinstance(result, web.Response):
            return result
        return web.json_response({"ok": True, "result": result})

    async def _m_getMe(self, params: dict[str, Any]) -> Any:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "FakeWatch",
            "username": BOT_USERNAME,
            "can_join_groups": True,
            "can_read_all_group_messages": True,
            "supports_inline_queries": False,
        }

    async def _m_deleteWebhook(self, params: dict[str, Any]) -> Any:
        return True

    async def _m_setWebhook(self, params: dict[str, Any]) -> Any:
        return True

    async def _m_getUpdates(self, params: dict[str, Any]) -> Any:
        offset = int(params.get("offset") or 0)
        timeout = float(params.get("timeout") or 0)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates and timeout and not self._closing:
            self._new_update.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), timeout)
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        handed = self._updates[:100]
        now = time.monotonic()
        for update in handed:
            self.handed_at.setdefault(update["update_id"], now)
        return handed

    def _chat(self, chat_id: int) -> dict[str, Any]:
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": "Ann"}
        return {"id": chat_id, "type": "supergroup", "title": "Family"}

    def _sent_message(self, params: dict[str, Any]) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": self._chat(int(params["chat_id"])),
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "FakeWatch"},
            "text": params.get("text", ""),
        }
        if isinstance(params.get("reply_markup"), dict):
            message["reply_markup"] = params["reply_markup"]
        params["_message_id"] = message["message_id"]  # the recorded call's, for button presses
        return message

    async def _m_sendMessage(self, params: dict[str, Any]) -> Any:
        chat_id = int(params["chat_id"])
        self._send_count += 1
        if self._flood_every and self._send_count % self._flood_every == 0:
            self.calls[-1].params["_refused"] = True
            return web.json_response(
                {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {self._flood_retry}",
                    "parameters": {"retry_after": self._flood_retry},
                },
                status=429,
            )
        if chat_id in self.blocked:
            self.calls[-1].params["_refused"] = True
            return _error(403, "Forbidden: bot was blocked by the user")
        return self._sent_message(params)

    async def _m_editMessageText(self, params: dict[str, Any]) -> Any:
        return self._sent_message(params)

    async def _m_answerCallbackQuery(self, params: dict[str, Any]) -> Any:
        return True

    async def _m_sendChatAction(self, params: dict[str, Any]) -> Any:
        return True

    async def _m_deleteMessage(self, params: dict[str, Any]) -> Any:
        if int(params["chat_id"]) in self.undeletable:
            return _error(400, "Bad Request: message can't be deleted")
        return True

    async def _m_getFile(self, params: dict[str, Any]) -> Any:
        file_id = str(params["file_id"])
        if file_id in self.big_files:
            return _error(400, "Bad Request: file is too big")
        if file_id not in self.files:
            return _error(400, "Bad Request: invalid file_id")
        return {
            "file_id": file_id,
            "file_unique_id": "u" + file_id,
            "file_size": len(self.files[file_id]),
            "file_path": f"photos/{file_id}.jpg",
        }

    async def _file(self, request: web.Request) -> web.StreamResponse:
        file_id = request.match_info["path"].rsplit("/", 1)[-1].rsplit(".", 1)[0]
        if request.match_info["token"] != self.token or file_id not in self.files:
            return web.Response(status=404)
        self.downloads_now += 1
        self.downloads_peak = max(self.downloads_peak, self.downloads_now)
        try:
            if self.files_held is not None:
                await self.files_held.wait()
            if self.file_delay_s:
                await asyncio.sleep(self.file_delay_s)
        finally:
            self.downloads_now -= 1
        return web.Response(body=self.files[file_id])

    async def _m_getChatMember(self, params: dict[str, Any]) -> Any:
        chat_id, user_id = int(params["chat_id"]), int(params["user_id"])
        status = self.members.get((chat_id, user_id), "member")
        user = {"id": user_id, "is_bot": user_id == BOT_ID, "first_name": "X"}
        if status == "administrator":
            return {
                "status": status,
                "user": user,
                "can_be_edited": False,
                "is_anonymous": False,
                "can_manage_chat": True,
                "can_delete_messages": True,
                "can_manage_video_chats": False,
                "can_restrict_members": True,
                "can_promote_members": False,
                "can_change_info": False,
                "can_invite_users": True,
                "can_post_stories": False,
                "can_edit_stories": False,
                "can_delete_stories": False,
            }
        if status == "creator":
            return {"status": status, "user": user, "is_anonymous": False}
        return {"status": status, "user": user}


def _error(code: int, description: str) -> web.Response:
    return web.json_response(
        {"ok": False, "error_code": code, "description": description}, status=code
    )
