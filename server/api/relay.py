"""Relay routes: link a browser to a Telegram chat and forward items into it.

Roles (see ``server/relay.py`` for why a stranger cannot push into someone's chat):

=================================  ==========  ==============================================
route                              key         who calls it
=================================  ==========  ==============================================
``POST /v1/relay/codes``           moderator   the bot, on ``/link`` in a private chat
``DELETE /v1/relay/chats/{id}``    moderator   the bot, on ``/unlink``
``GET /v1/relay/pending``          moderator   the bot, polling what to deliver
``POST /v1/relay/items/{id}/delivered``  moderator   the bot, after sending
``POST /v1/relay/link``            client      the extension, redeeming the code
``POST /v1/relay/items``           client      the extension, with its relay token
``POST /v1/relay/unlink``          client      the extension, forgetting its token
=================================  ==========  ==============================================
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from typing import Any

from aiohttp import web
from sqlite_utils import Database as SqliteDb

from server import relay
from server.api.auth import client_ip
from server.api.body import dumps, int_param, json_object, query_params, string_field
from server.api.checks import MAX_LANG_LENGTH
from server.api.media import client_hashes, decoded_item, hashes_item, media_verdict, read_form
from server.api.state import AUTH, CPU, DB, ENGINE, SETTINGS
from server.errors import (
    RECORD,
    TOO_MANY,
    Forbidden,
    MediaError,
    MediaTooLarge,
    NotFound,
    RateLimited,
    ValidationFailed,
    said,
)
from server.i18n import chinese_script, negotiate
from server.keys import KeyRole
from server.media.item import MediaItem
from server.traditional import convert_verdicts
from server.web.urls import link_path, own_absolute, page_path

routes = web.RouteTableDef()

#: Telegram chat ids are signed 64-bit integers (groups are negative).
CHAT_ID_LIMIT = 2**63 - 1
MAX_SUMMARY = 1000
MAX_LABEL = 64
_INTEGER = re.compile(r"-?[0-9]{1,18}")


def _chat_id(value: Any, name: str = "chat_id") -> int:
    if isinstance(value, float) and value.is_integer():  # JSON's 42.0 is the integer 42
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) > CHAT_ID_LIMIT:
        raise ValidationFailed(said("field_chat_id", field=name), field=name)
    if value == 0:
        raise ValidationFailed(said("field_not_zero", field=name), field=name)
    return value


def _path_int(request: web.Request, name: str) -> int:
    raw = request.match_info[name]
    if not _INTEGER.fullmatch(raw):
        raise NotFound(said("no_such", what=RECORD["record"]))
    return int(raw)


def _http_url(value: Any, name: str, max_length: int) -> str:
    text = string_field(value, name, max_length=max_length)
    if not text.lower().startswith(("http://", "https://")):
        raise ValidationFailed(said("field_http_url", field=name), field=name)
    return text


@routes.post("/v1/relay/codes")
async def create_code(request: web.Request) -> web.Response:
    """A one-time code for a chat (the bot shows it to the person in that chat only)."""
    await request.app[AUTH].require(request, KeyRole.MODERATOR)
    body = await json_object(request, allowed=("chat_id",), required=("chat_id",))
    chat_id = _chat_id(body["chat_id"])
    code, expires = await request.app[DB].write(lambda db: relay.create_code(db, chat_id))
    return web.json_response(
        {"code": code, "expires_at": expires, "expires_in": relay.CODE_TTL_S},
        status=201,
        dumps=dumps,
    )


@routes.post("/v1/relay/link")
async def redeem_code(request: web.Request) -> web.Response:
    """Spend a code for a relay token bound to the code's chat (shown once, stored hashed)."""
    principal = await request.app[AUTH].require(request, KeyRole.CLIENT)
    body = await json_object(request, allowed=("code", "label"), required=("code",))
    code = string_field(body["code"], "code", max_length=32)
    label = string_field(body.get("label", ""), "label", max_length=MAX_LABEL, min_length=0)
    # Wrong guesses cost the guesser, per IP and per key (a new IP does not refill the key's
    # budget, nor a new key the IP's), and are checked before the code is looked at: a
    # guesser past its budget is refused even the right code, so it never learns it hit one.
    # A key's budget is ten IPs' worth: the key may be shared by many people's browsers.
    auth = request.app[AUTH]
    budgets = (
        (auth.failures, "relay:ip:" + client_ip(request, request.app[SETTINGS])),
        (auth.relay_failures_per_key, f"relay:key:{principal.key_id}"),
    )
    if wait := max(limiter.blocked(bucket) for limiter, bucket in budgets):
        raise RateLimited(
            said("too_many_wait", what=TOO_MANY["wrong codes"], wait=wait), retry_after=wait
        )
    result = await request.app[DB].write(lambda db: relay.redeem_code(db, code, label))
    if result is None:
        if wait := max(limiter.take(bucket) for limiter, bucket in budgets):
            raise RateLimited(
                said("too_many_wait", what=TOO_MANY["wrong codes"], wait=wait), retry_after=wait
            )
        raise NotFound(
            said("relay_code_invalid"),
            code="relay_code_invalid",
        )
    token_id, token = result
    return web.json_response({"id": token_id, "token": token}, status=201, dumps=dumps)


async def _owner(request: web.Request, token_value: Any) -> tuple[int, int]:
    token = string_field(token_value, "token", max_length=100)
    owner = await request.app[DB].read(lambda db: relay.token_owner(db, token))
    if owner is None:
        raise Forbidden(
            said("relay_token_unlinked"),
            code="relay_token_invalid",
        )
    return owner


#: Fields of ``POST /v1/relay/items``. ``verdict``, ``summary`` and ``verdict_url`` are what
#: older extensions sent as their own judgement of a picture: still accepted and checked, so
#: those keep working, but never passed on. Whoever holds a relay token could otherwise make a
#: family chat read "no known signals" (or any sentence) under any picture.
ITEM_FIELDS = (
    "token",
    "kind",
    "url",
    "page_url",
    "verdict",
    "summary",
    "verdict_url",
    "lang",
    "hashes",
)
ITEM_REQUIRED = ("token", "kind", "url")
#: What the chat is shown when the server judged nothing: an image sent by its address alone,
#: or one the server could not decode. "Don't know" is not "safe".
NOT_JUDGED = {"verdict": "unknown", "summary": ""}


async def _item_body(request: web.Request) -> tuple[dict[str, Any], bytes | None]:
    """JSON, or multipart with the picture itself in ``file`` (a picture the browser fetched,
    for the server to judge), under the same caps as ``/v1/check/media``."""
    if request.content_type != "multipart/form-data":
        body = await json_object(request, allowed=ITEM_FIELDS, required=ITEM_REQUIRED)
        return body, None
    upload = await read_form(request, [name for name in ITEM_FIELDS if name != "hashes"])
    for name in ITEM_REQUIRED:
        if name not in upload.fields:
            raise ValidationFailed(said("field_required", field=name), field=name)
    return dict(upload.fields), upload.data


def _language(request: web.Request, body: dict[str, Any]) -> tuple[str, str | None]:
    """The sender's language, as every check endpoint picks it: the body's ``lang``, then
    ``?lang=``, then Accept-Language; and the Traditional region it asked for, if any."""
    wanted = request.query.get("lang")
    if "lang" in body:
        wanted = string_field(body["lang"], "lang", max_length=MAX_LANG_LENGTH, min_length=0)
    elif wanted is not None:
        string_field(wanted, "lang", max_length=MAX_LANG_LENGTH, min_length=0)
    accept = request.headers.get("Accept-Language")
    return negotiate(wanted, accept), chinese_script(wanted, accept)


def _check_claim(body: dict[str, Any]) -> None:
    """An older extension's own verdict: refused when malformed (as it always was), else
    dropped."""
    verdict = string_field(body.get("verdict", "unknown"), "verdict", max_length=20)
    if verdict not in relay.VERDICTS:
        raise ValidationFailed(
            said("field_one_of", field="verdict", choices=", ".join(relay.VERDICTS)),
            field="verdict",
        )
    string_field(body.get("summary", ""), "summary", max_length=MAX_SUMMARY, min_length=0)
    if "verdict_url" in body:
        _http_url(body["verdict_url"], "verdict_url", 2048)


async def _judge_link(request: web.Request, url: str, lang: str) -> dict[str, Any]:
    engine = request.app[ENGINE]
    results = await engine.check_links([url], request.app[CPU])
    # A link the server cannot read is "unknown" with the server's reason, never the
    # client's words.
    rendered = engine.render_links(results, lang)[0]
    judged = {
        "verdict": rendered["verdict"],
        "summary": rendered.get("summary") or "",
        # Queued too: the bot falls back on them when it cannot check the link again.
        "reasons": rendered.get("reasons", []),
    }
    if results[0].error is None:
        judged["verdict_url"] = own_absolute(request, link_path(url))
    return judged


async def _judge_media(request: web.Request, item: MediaItem, lang: str) -> dict[str, Any]:
    """The verdict ``/v1/check/media`` gives the same picture (or hashes) in ``lang``: the same
    code (``media_verdict``), so the same detectors, rendering and details page
    (``tests/test_relay_judged.py`` holds the two answers equal, so the chat reads what the
    person's bubble said)."""
    rendered = await media_verdict(request, item, lang)
    # The same page /v1/check/media links to, on this server's own address: that answer
    # names the Host header, and a forged ``Host: evil.example`` must not reach a chat.
    checked_url = rendered["verdict_url"]
    path = page_path(checked_url) if checked_url else None
    return {
        "verdict": rendered["verdict"],
        "summary": rendered.get("summary") or "",
        "verdict_url": own_absolute(request, path) if path else None,
        # Queued: the bot cannot judge a picture again, and a weak reason under
        # ``no_known_signals`` changes the headline a chat reads.
        "reasons": rendered.get("reasons", []),
    }


async def _judge_image(
    request: web.Request,
    picture: bytes | None,
    hashes: dict[str, tuple[str, ...]] | None,
    lang: str,
) -> dict[str, Any] | None:
    """Judge the picture the browser sent (or its hashes) as ``/v1/check/media`` does, holding
    a media slot the same way (``decoded_item``, ``hashes_item``); ``None`` when there is
    nothing the server could judge."""
    with contextlib.ExitStack() as slot:
        if picture is not None:
            try:
                item = await decoded_item(request.app, picture, slot)
            except MediaTooLarge:
                raise
            except MediaError:
                # The person still wants the address shared; the chat reads "could not be
                # judged", not whatever the browser thought of it.
                return None
        elif hashes is not None:
            item = hashes_item(request.app, hashes, slot)
        else:
            return None
        return await _judge_media(request, item, lang)


@routes.post("/v1/relay/items")
async def queue_item(request: web.Request) -> web.Response:
    """Queue a link or image, with the server's own verdict, for the token's chat.

    One brain: the chat sees only what this server judged, in the sender's language (the
    bot shows it in the chat's). A link is checked again here; an image is judged from the
    picture itself (multipart ``file``) or its ``hashes``, exactly as ``/v1/check/media``
    would. An image sent by its address alone is queued ``unknown``: the server never fetches
    it, and a verdict the client claims is not passed on.
    """
    await request.app[AUTH].require(request, KeyRole.CLIENT)
    query_params(request, ("lang",))
    body, picture = await _item_body(request)
    kind = string_field(body["kind"], "kind", max_length=8)
    if kind not in ("link", "image"):
        raise ValidationFailed(
            said("field_one_of", field="kind", choices="link, image"), field="kind"
        )
    if kind != "image" and (picture is not None or "hashes" in body):
        # A picture or hashes with a link would be judged as neither: refuse, don't guess.
        raise ValidationFailed(said("field_one_of", field="kind", choices="image"), field="kind")
    hashes = client_hashes(body["hashes"]) if "hashes" in body else None
    settings = request.app[SETTINGS]
    item: dict[str, Any] = {
        "kind": kind,
        "url": _http_url(body["url"], "url", settings.max_url_length),
    }
    if "page_url" in body:
        item["page_url"] = _http_url(body["page_url"], "page_url", settings.max_url_length)
    _check_claim(body)
    lang, region = _language(request, body)
    token_id, chat_id = await _owner(request, body["token"])
    # Refused before the judging work, not only at the write (which checks again).
    refused = await request.app[DB].read(
        lambda db: relay.queue_limits_reached(db, token_id, chat_id)
    )
    if refused:
        raise RateLimited(refused, retry_after=60)
    if kind == "link":
        judged: dict[str, Any] | None = await _judge_link(request, item["url"], lang)
    else:
        judged = await _judge_image(request, picture, hashes, lang)
    if judged is not None and region is not None:
        # Taiwan's or Hong Kong's characters, as /v1/check/* answer such a sender (evidence
        # such as a bank entry's label kept as written). OpenCC loads on first use: a thread.
        judged = await asyncio.get_running_loop().run_in_executor(
            None, convert_verdicts, judged, region
        )
    # Only what the server judged: ``reasons`` is no request field (``ITEM_FIELDS``), and
    # ``None`` (nothing judged) is stored as NULL, never as "no reasons".
    item.update(NOT_JUDGED if judged is None else judged)
    item["reasons"] = None if judged is None else judged.get("reasons", [])

    def write(db: SqliteDb) -> int | str:
        refused = relay.queue_limits_reached(db, token_id, chat_id)
        return (
            refused
            if refused
            else relay.queue_item(db, token_id=token_id, chat_id=chat_id, item=item)
        )

    result = await request.app[DB].write(write)
    if isinstance(result, str):
        raise RateLimited(result, retry_after=60)
    answer = {
        "ok": True,
        "id": result,
        "verdict": item["verdict"],
        "summary": item["summary"],
        "verdict_url": item.get("verdict_url"),
        # False: nothing the server could judge (an image by its address alone).
        "judged": judged is not None,
    }
    return web.json_response(answer, status=201, dumps=dumps)


@routes.post("/v1/relay/unlink")
async def unlink_token(request: web.Request) -> web.Response:
    """The extension forgets its link: the token stops working at once."""
    await request.app[AUTH].require(request, KeyRole.CLIENT)
    body = await json_object(request, allowed=("token",), required=("token",))
    token = string_field(body["token"], "token", max_length=100)
    done = await request.app[DB].write(lambda db: relay.revoke_token(db, token))
    if not done:
        raise Forbidden(said("relay_token_unlinked"), code="relay_token_invalid")
    return web.json_response({"ok": True, "revoked": True}, dumps=dumps)


@routes.delete("/v1/relay/chats/{chat_id}")
async def unlink_chat(request: web.Request) -> web.Response:
    """Every browser linked to this chat is unlinked (the bot's ``/unlink``)."""
    await request.app[AUTH].require(request, KeyRole.MODERATOR)
    chat_id = _path_int(request, "chat_id")
    count = await request.app[DB].write(lambda db: relay.revoke_chat(db, chat_id))
    return web.json_response({"ok": True, "revoked": count}, dumps=dumps)


@routes.get("/v1/relay/pending")
async def pending(request: web.Request) -> web.Response:
    """Items waiting for delivery, oldest first (the bot)."""
    await request.app[AUTH].require(request, KeyRole.MODERATOR)
    params = query_params(request, ("limit",))
    limit = int_param(params.get("limit"), "limit", default=50, low=1, high=500)
    items = await request.app[DB].read(lambda db: relay.pending_items(db, limit))
    return web.json_response({"items": items}, dumps=dumps)


@routes.post("/v1/relay/items/{id}/delivered")
async def delivered(request: web.Request) -> web.Response:
    """The bot sent this item (or gave up on it): it leaves the queue."""
    await request.app[AUTH].require(request, KeyRole.MODERATOR)
    item_id = _path_int(request, "id")
    if item_id <= 0 or not await request.app[DB].write(
        lambda db: relay.mark_delivered(db, item_id)
    ):
        raise NotFound(said("no_record", what=RECORD["undelivered relay item"], id=item_id))
    return web.json_response({"ok": True, "id": item_id}, dumps=dumps)
