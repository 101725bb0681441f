"""``POST /v1/reports``: a person reports a link, message, phone number, wallet or picture.

JSON for everything but media files; multipart with a ``report`` part (the same JSON) and a
``file`` part for media. With a client key the reporter is the key (plus the ``reporter`` id
the client gives for its own user, hashed); without one the reporter is the IP (hashed) and
per-IP limits apply. The same reporter reporting the same case twice gets the first report's
id back (``duplicate: true``): nothing is stored twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from server.api.auth import ANONYMOUS, Principal, client_ip
from server.api.body import dumps, json_object, string_field
from server.api.state import AUTH, CPU, ENGINE, SETTINGS
from server.community.items import (
    MEDIA_HASHES,
    CaseKey,
    Category,
    ItemKind,
    link_key,
    media_key,
    phone_key,
    text_key,
    wallet_key,
)
from server.community.media_hashes import file_hashes
from server.community.runtime import COMMUNITY
from server.community.store import NewReport
from server.errors import InvalidJson, PayloadTooLarge, RateLimited, ValidationFailed
from server.keys import KeyRole

routes = web.RouteTableDef()

FIELDS = (
    "kind",
    "value",
    "hashes",
    "category",
    "impersonates",
    "seen_on",
    "description",
    "consent",
    "reporter",
)
MAX_DESCRIPTION = 2000
MAX_REPORT_JSON = 64 * 1024
_FIELDS = frozenset(FIELDS)
_KINDS = frozenset(k.value for k in ItemKind)
_CATEGORIES = frozenset(c.value for c in Category)


async def _principal(request: web.Request) -> Principal:
    if "Authorization" in request.headers:
        return await request.app[AUTH].require(request, KeyRole.CLIENT)
    return ANONYMOUS


def _limit(request: web.Request, bucket: str, per_ip: bool) -> None:
    community = request.app[COMMUNITY]
    limiter = community.per_ip if per_ip else community.per_reporter
    wait = limiter.take(bucket)
    if wait:
        raise RateLimited(
            f"Too many reports from this {'address' if per_ip else 'reporter'};"
            f" try again in {wait} s.",
            retry_after=wait,
        )


def _optional(body: dict[str, Any], name: str, max_length: int) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    text = string_field(value, name, max_length=max_length, min_length=0).strip()
    return text or None


def _flag(consent: dict[str, Any], name: str) -> bool:
    value = consent.get(name, False)
    if not isinstance(value, bool):
        raise ValidationFailed(f"'consent.{name}' must be true or false.", field="consent")
    return value


def item_of(request: web.Request, body: dict[str, Any], kind: ItemKind) -> CaseKey:
    if kind is ItemKind.MEDIA:
        hashes = body.get("hashes")
        if not isinstance(hashes, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in hashes.items()
        ):
            raise ValidationFailed(
                "'hashes' must be an object of hash name → hex string.", field="hashes"
            )
        return media_key(hashes)
    engine = request.app[ENGINE]
    settings = request.app[SETTINGS]
    value = string_field(body.get("value"), "value", max_length=max(settings.max_url_length, 5000))
    if kind is ItemKind.LINK:
        return link_key(engine.resources.parser, value, request.app[COMMUNITY].popular)
    if kind is ItemKind.TEXT:
        return text_key(value)
    if kind is ItemKind.PHONE:
        return phone_key(value)
    return wallet_key(value)


def _encodable(value: Any) -> bool:
    """Every string in a parsed JSON value encodes as UTF-8 (walking it costs less than
    serialising the whole body again on the hot path)."""
    if isinstance(value, str):
        if value.isascii():
            return True
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, dict):
        return all(_encodable(k) and _encodable(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_encodable(v) for v in value)
    return True


def parse_report(
    request: web.Request, body: dict[str, Any], principal: Principal, media_path: str | None
) -> NewReport:
    """Validate a report body into a ``NewReport`` (every field checked; unknown ones refused)."""
    try:
        encodable = _encodable(body)
    except RecursionError:
        raise ValidationFailed("The report is nested too deeply.") from None
    if not encodable:  # JSON may spell lone surrogates (\udXXX); SQLite cannot store them
        raise InvalidJson("The report holds text that is not valid Unicode.")
    unknown = sorted(set(body) - _FIELDS)
    if unknown:
        raise ValidationFailed(
            f"Unknown field(s): {', '.join(unknown[:5])}. Allowed: {', '.join(FIELDS)}.",
            field=unknown[0][:64],
        )
    kind_raw = body.get("kind")
    if not isinstance(kind_raw, str) or kind_raw not in _KINDS:
        raise ValidationFailed(
            "'kind' must be one of: " + ", ".join(k.value for k in ItemKind) + ".", field="kind"
        )
    kind = ItemKind(kind_raw)
    category_raw = body.get("category", "other")
    if not isinstance(category_raw, str) or category_raw not in _CATEGORIES:
        raise ValidationFailed(
            "'category' must be one of: " + ", ".join(c.value for c in Category) + ".",
            field="category",
        )
    item = item_of(request, body, kind)
    seen_on = body.get("seen_on") or {}
    if not isinstance(seen_on, dict) or set(seen_on) - {"platform", "url"}:
        raise ValidationFailed('\'seen_on\' must be {"platform", "url"}.', field="seen_on")
    consent = body.get("consent") or {}
    if not isinstance(consent, dict) or set(consent) - {"keep_media", "share_with_authorities"}:
        raise ValidationFailed(
            '\'consent\' must be {"keep_media", "share_with_authorities"}.', field="consent"
        )
    keep_media = _flag(consent, "keep_media")
    hashes = body.get("hashes") if kind is ItemKind.MEDIA else None
    reporter_given = _optional(body, "reporter", 200)
    if principal.role is None:
        reporter = "ip:" + request.app[COMMUNITY].pseudonym(
            client_ip(request, request.app[SETTINGS])
        )
        reporter_kind = "anonymous"
    else:
        reporter = f"key:{principal.key_id}"
        if reporter_given:
            reporter += ":" + request.app[COMMUNITY].pseudonym(reporter_given)
        reporter_kind = "keyed"
    return NewReport(
        item=item,
        reporter=reporter,
        reporter_kind=reporter_kind,
        category=Category(category_raw),
        impersonates=_optional(body, "impersonates", 200),
        platform=_optional(seen_on, "platform", 100),
        seen_url=_optional(seen_on, "url", 2000),
        description=_optional(body, "description", MAX_DESCRIPTION),
        keep_media=keep_media,
        share_with_authorities=_flag(consent, "share_with_authorities"),
        hashes={k: v.lower() for k, v in hashes.items() if k in MEDIA_HASHES}
        if isinstance(hashes, dict)
        else None,
        media_path=media_path,
    )


async def _read_capped(part: BodyPartReader, limit: int, what: str) -> bytes:
    chunks, size = [], 0
    while chunk := await part.read_chunk(65536):
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"The {what} is larger than {limit} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)


async def _multipart(request: web.Request) -> tuple[dict[str, Any], bytes | None]:
    """The ``report`` JSON part and the ``file`` part (capped at report_media_max_bytes)."""
    if "boundary=" not in request.headers.get("Content-Type", ""):
        raise ValidationFailed("A multipart body needs a boundary in its Content-Type.")
    limit = request.app[SETTINGS].report_media_max_bytes
    body: dict[str, Any] | None = None
    data: bytes | None = None
    try:
        reader = await request.multipart()
        while True:
            part = await reader.next()
            if part is None:
                break
            if not isinstance(part, BodyPartReader):
                raise ValidationFailed("Nested multipart bodies are not accepted.")
            if part.name == "report":
                raw = await _read_capped(part, MAX_REPORT_JSON, "'report' part")
                try:
                    parsed = json.loads(raw.decode("utf-8"))
                except (UnicodeDecodeError, json.JSONDecodeError):
                    raise InvalidJson("The 'report' part is not valid JSON.") from None
                if not isinstance(parsed, dict):
                    raise ValidationFailed("The 'report' part must be a JSON object.")
                body = parsed
            elif part.name == "file":
                data = await _read_capped(part, limit, "file (FAKEWATCH_REPORT_MEDIA_MAX_BYTES)")
            else:
                raise ValidationFailed("Multipart reports have two parts: 'report' and 'file'.")
    except (ValueError, HttpProcessingError):  # aiohttp's "malformed multipart" errors
        raise ValidationFailed(
            "The multipart body is malformed (part headers or framing)."
        ) from None
    if body is None:
        raise ValidationFailed("The multipart body needs a 'report' part (JSON).", field="report")
    return body, data


def _keep_file(folder: Path, data: bytes) -> str:
    """Store consented media by content hash (so the same file is kept once)."""
    digest = hashlib.sha256(data).hexdigest()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / digest
    if not path.exists():
        tmp = path.with_suffix(".part")
        tmp.write_bytes(data)
        tmp.replace(path)
    return digest


@routes.post("/v1/reports")
async def create_report(request: web.Request) -> web.Response:
    """One report → ``{"id", "case_id", "duplicate"}`` (201 new, 200 already reported)."""
    principal = await _principal(request)
    if principal.role is None:
        _limit(request, "ip:" + client_ip(request, request.app[SETTINGS]), per_ip=True)
    media_file: bytes | None = None
    if request.content_type.startswith("multipart/"):
        body, media_file = await _multipart(request)
        if body.get("kind", "media") != "media":
            raise ValidationFailed("A file can only be attached to a media report.", field="kind")
        body["kind"] = "media"
        # A file without client hashes is hashed here, by the media checks' own code.
        if media_file is not None and not body.get("hashes"):
            loop = asyncio.get_running_loop()
            settings = request.app[SETTINGS]
            body["hashes"] = await loop.run_in_executor(
                request.app[CPU], file_hashes, media_file, settings
            )
    else:
        body = await json_object(request, allowed=FIELDS, required=("kind",))
    report = parse_report(request, body, principal, None)
    if media_file is not None and report.keep_media:
        folder = request.app[SETTINGS].db.parent / "report_media"  # beside the database
        loop = asyncio.get_running_loop()
        kept = await loop.run_in_executor(request.app[CPU], _keep_file, folder, media_file)
        report = replace(report, media_path=kept)
    _limit(request, report.reporter, per_ip=False)
    stored = await request.app[COMMUNITY].writer.submit(report)
    return web.json_response(
        {"id": stored.id, "case_id": stored.case_id, "duplicate": stored.duplicate},
        status=200 if stored.duplicate else 201,
        dumps=dumps,
    )
