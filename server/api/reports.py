"""``POST /v1/reports``: a person reports a link, message, phone number, wallet or picture.

JSON for everything but media files; multipart with a ``report`` part (the same JSON) and a
``file`` part for media. With a client key the reporter is the key (plus the ``reporter`` id
the client gives for its own user, hashed); without one the reporter is the IP (hashed) and
per-IP limits apply. The same reporter reporting the same case twice gets the first report's
id back (``duplicate: true``): nothing is stored twice.

Order of work, cheapest refusal first: the per-IP limit (anonymous), reading the body (a
multipart body has at most a ``report`` and a ``file`` part), the per-key and per-reporter
limits, then decoding the file under a media-check slot (the same admission as
``/v1/check/media``; one report at a time, never in the last slot), then the write. A
consented file is kept (a re-encoded copy, ``server/community/kept_media.py``) only for keyed
reporters, within the media quota, and only once its report is stored.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from server.api.auth import ANONYMOUS, Principal, client_ip
from server.api.body import dumps, json_object, parse_json, string_field
from server.api.cases import words_in
from server.api.media import BUSY_RETRY_AFTER_S, MEDIA_SLOTS
from server.api.middleware import error_language
from server.api.state import AUTH, CPU, ENGINE, SETTINGS
from server.community.items import (
    MEDIA_HASHES,
    CaseKey,
    Category,
    ItemKind,
    file_key,
    link_key,
    media_key,
    phone_key,
    text_key,
    wallet_key,
)
from server.community.kept_media import MediaQuota, digest_of, kept_copy
from server.community.media_hashes import item_hashes
from server.community.runtime import COMMUNITY
from server.community.store import NewReport
from server.errors import PayloadTooLarge, RateLimited, ServerBusy, ValidationFailed, Words, said
from server.keys import KeyRole
from server.media.decode import DecodeLimits, decode_media
from server.settings import Settings

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
#: Report files decoded at once: of the CPU executor's two threads, one stays free for checks.
REPORT_DECODES = 1
#: A multipart report is a ``report`` part and at most one ``file`` part.
MULTIPART_PARTS = ("report", "file")
_FIELDS = frozenset(FIELDS)
#: Said with a report whose picture could not be hashed (``picture_hashed: false``).
NOT_HASHED: Words = {
    "en": "Report filed. The picture carries too little detail (flat or tiny) to be recognised"
    " again, so it was not hashed: it will not match copies of itself. Its words, link and"
    " category reach the moderators; report the link or text it shows as well.",
    "zh": "举报已提交。图片细节太少（过于单调或太小），无法再次识别，因此没有计算哈希，"
    "也不会匹配它的副本。举报中的文字、链接和类别会交给审核员；也请举报图片中的链接或文字。",
}
_KINDS = frozenset(k.value for k in ItemKind)
_CATEGORIES = frozenset(c.value for c in Category)


async def _principal(request: web.Request) -> Principal:
    if "Authorization" in request.headers:
        return await request.app[AUTH].require(request, KeyRole.CLIENT)
    return ANONYMOUS


_REPORTERS: dict[str, Words] = {
    "address": {"en": "address", "zh": "地址"},
    "key": {"en": "key", "zh": "密钥"},
    "reporter": {"en": "reporter", "zh": "举报人"},
}
_KEY_SETTING: Words = {
    "en": " (FAKEWATCH_KEY_REPORTS_PER_MINUTE)",
    "zh": "（FAKEWATCH_KEY_REPORTS_PER_MINUTE）",
}


def _limit(request: web.Request, bucket: str, per: str) -> None:
    community = request.app[COMMUNITY]
    limiter = {
        "address": community.per_ip,
        "key": community.per_key,
        "reporter": community.per_reporter,
    }[per]
    wait = limiter.take(bucket)
    if wait:
        raise RateLimited(
            said(
                "reports_wait",
                per=_REPORTERS[per],
                wait=wait,
                setting=_KEY_SETTING if per == "key" else "",
            ),
            retry_after=wait,
        )


def reporter_of(
    request: web.Request, body: dict[str, Any], principal: Principal
) -> tuple[str, str]:
    """(reporter id, kind): ``ip:<hash>`` without a key, ``key:<id>[:<hash of reporter>]``
    with one."""
    if principal.role is None:
        ip = client_ip(request, request.app[SETTINGS])
        return "ip:" + request.app[COMMUNITY].pseudonym(ip), "anonymous"
    reporter = f"key:{principal.key_id}"
    given = _optional(body, "reporter", 200)
    if given:
        reporter += ":" + request.app[COMMUNITY].pseudonym(given)
    return reporter, "keyed"


def _limit_reporter(request: web.Request, principal: Principal, reporter: str) -> None:
    """A key's reports share one bucket whatever ``reporter`` ids it sends; each reporter
    (each of a key's users, each address) has its own within it."""
    if principal.role is not None:
        _limit(request, f"key:{principal.key_id}", "key")
    _limit(request, reporter, "reporter")


def _optional(body: dict[str, Any], name: str, max_length: int) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    text = string_field(value, name, max_length=max_length, min_length=0).strip()
    return text or None


def _flag(consent: dict[str, Any], name: str) -> bool:
    value = consent.get(name, False)
    if not isinstance(value, bool):
        raise ValidationFailed(said("field_boolean", field=f"consent.{name}"), field="consent")
    return value


def item_of(request: web.Request, body: dict[str, Any], kind: ItemKind) -> CaseKey:
    if kind is ItemKind.MEDIA:
        hashes = body.get("hashes")
        if not isinstance(hashes, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in hashes.items()
        ):
            raise ValidationFailed(said("hashes_object"), field="hashes")
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


def parse_report(
    request: web.Request,
    body: dict[str, Any],
    principal: Principal,
    media_path: str | None,
    *,
    item: CaseKey | None = None,
    hashes_source: str | None = None,
) -> NewReport:
    """Validate a report body into a ``NewReport`` (every field checked; unknown ones refused).
    Its text is valid Unicode: ``parse_json`` refused lone surrogates. ``item``: the media
    item when the server decided it (a picture too flat to hash); ``hashes_source``:
    ``server`` when the server hashed the picture itself."""
    unknown = sorted(set(body) - _FIELDS)
    if unknown:
        raise ValidationFailed(
            said("unknown_fields", unknown=", ".join(unknown[:5]), allowed=", ".join(FIELDS)),
            field=unknown[0][:64],
        )
    kind_raw = body.get("kind")
    if not isinstance(kind_raw, str) or kind_raw not in _KINDS:
        raise ValidationFailed(
            said("field_one_of", field="kind", choices=", ".join(k.value for k in ItemKind)),
            field="kind",
        )
    kind = ItemKind(kind_raw)
    category_raw = body.get("category", "other")
    if not isinstance(category_raw, str) or category_raw not in _CATEGORIES:
        raise ValidationFailed(
            said("field_one_of", field="category", choices=", ".join(c.value for c in Category)),
            field="category",
        )
    item = item if item is not None else item_of(request, body, kind)
    seen_on = body.get("seen_on") or {}
    if not isinstance(seen_on, dict) or set(seen_on) - {"platform", "url"}:
        raise ValidationFailed(said("seen_on_shape"), field="seen_on")
    consent = body.get("consent") or {}
    if not isinstance(consent, dict) or set(consent) - {"keep_media", "share_with_authorities"}:
        raise ValidationFailed(said("consent_shape"), field="consent")
    keep_media = _flag(consent, "keep_media")
    hashes = body.get("hashes") if kind is ItemKind.MEDIA else None
    reporter, reporter_kind = reporter_of(request, body, principal)
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
        hashes_source=hashes_source,
    )


async def _read_capped(part: BodyPartReader, limit: int, what: Words) -> bytes:
    chunks, size = [], 0
    while chunk := await part.read_chunk(65536):
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(said("part_too_large", what=what, limit=limit))
        chunks.append(chunk)
    return b"".join(chunks)


_REPORT_PART: Words = {"en": "'report' part", "zh": "'report' 部分"}
_THE_REPORT_PART: Words = {"en": "The 'report' part", "zh": "'report' 部分"}
_FILE_PART: Words = {
    "en": "file (FAKEWATCH_REPORT_MEDIA_MAX_BYTES)",
    "zh": "文件（FAKEWATCH_REPORT_MEDIA_MAX_BYTES）",
}


async def _multipart(
    request: web.Request, before_file: Callable[[dict[str, Any]], None]
) -> tuple[dict[str, Any], bytes | None]:
    """The ``report`` JSON part and the ``file`` part (capped at report_media_max_bytes).

    Two parts at most, each once: a body of hundreds of ``report`` parts would otherwise be
    read and parsed part after part on the event loop. ``before_file(report)`` runs once the
    ``report`` part is read and before a ``file`` part after it is: a refused report is
    refused before its 10 MB are read and parsed."""
    if "boundary=" not in request.headers.get("Content-Type", ""):
        raise ValidationFailed(said("multipart_boundary"))
    limit = request.app[SETTINGS].report_media_max_bytes
    body: dict[str, Any] | None = None
    data: bytes | None = None
    seen: set[str] = set()
    try:
        reader = await request.multipart()
        while True:
            part = await reader.next()
            if part is None:
                break
            if len(seen) == len(MULTIPART_PARTS):
                raise ValidationFailed(
                    said("report_parts"),
                    code="too_many_parts",
                )
            if not isinstance(part, BodyPartReader):
                raise ValidationFailed(said("nested_multipart"))
            name = part.name or ""
            if name not in MULTIPART_PARTS:
                raise ValidationFailed(said("report_part_names"))
            if name in seen:
                raise ValidationFailed(
                    said("part_repeated", name=name),
                    code="repeated_field",
                    field=name,
                )
            seen.add(name)
            if name == "report":
                raw = await _read_capped(part, MAX_REPORT_JSON, _REPORT_PART)
                parsed = parse_json(raw, _THE_REPORT_PART)
                if not isinstance(parsed, dict):
                    raise ValidationFailed(said("report_part_object"))
                body = parsed
            else:
                if body is not None:
                    before_file(body)
                data = await _read_capped(part, limit, _FILE_PART)
    # aiohttp's "malformed multipart" errors (our own ApiErrors are not among these).
    except (ValueError, AssertionError, RuntimeError, HttpProcessingError):
        raise ValidationFailed(said("multipart_malformed")) from None
    if body is None:
        raise ValidationFailed(said("report_part_missing"), field="report")
    return body, data


def _prepare_media(
    data: bytes, settings: Settings, quota: MediaQuota | None
) -> tuple[dict[str, str] | None, bytes | None]:
    """Decode a reported file under the media limits (``MediaError`` on a bad one), and
    return its hashes and the copy to keep (with a ``quota``, when it has
    room). CPU work: run it in the CPU executor, holding a media slot."""
    item = decode_media(data, DecodeLimits.from_settings(settings))
    hashes = item_hashes(item)
    copy = kept_copy(item) if quota is not None else None
    if copy is not None and quota is not None and not quota.room_for(len(copy)):
        copy = None
    return hashes, copy


def _keeps_file(request: web.Request, principal: Principal, body: dict[str, Any]) -> bool:
    consent = body.get("consent")
    return (
        isinstance(consent, dict)
        and consent.get("keep_media") is True
        and principal.role is not None
        and request.app[COMMUNITY].media_quota.limit > 0
    )


def _slot_free(request: web.Request) -> None:
    """``ServerBusy`` unless a report may decode now: ``REPORT_DECODES`` at a time, and never
    in the last media slot, so a person checking a picture is neither turned away nor queued
    behind uploads of reports (the CPU executor has two threads)."""
    slots = request.app[MEDIA_SLOTS]
    decoding = request.app[COMMUNITY].report_decodes
    if decoding >= REPORT_DECODES or (slots.limit > 1 and slots.in_use >= slots.limit - 1):
        raise ServerBusy(
            said("media_slots_full", in_use=slots.in_use, wait=BUSY_RETRY_AFTER_S),
            retry_after=BUSY_RETRY_AFTER_S,
        )


@routes.post("/v1/reports")
async def create_report(request: web.Request) -> web.Response:
    """One report → ``{"id", "case_id", "duplicate"}`` (201 new, 200 already reported), plus
    ``media_kept`` when a file was attached."""
    principal = await _principal(request)
    settings = request.app[SETTINGS]
    community = request.app[COMMUNITY]
    if principal.role is None:
        _limit(request, "ip:" + client_ip(request, settings), "address")
    admitted = False

    def admit(body: dict[str, Any], file_follows: bool) -> None:
        """The per-key and per-reporter limits, and for a file to decode a free media slot."""
        nonlocal admitted
        if not admitted:
            reporter, _ = reporter_of(request, body, principal)
            _limit_reporter(request, principal, reporter)
            admitted = True
        if file_follows:  # every file is decoded: the server hashes what it is shown
            _slot_free(request)

    media_file: bytes | None = None
    if request.content_type.startswith("multipart/"):
        body, media_file = await _multipart(request, lambda b: admit(b, True))
        if body.get("kind", "media") != "media":
            raise ValidationFailed(said("file_needs_media_report"), field="kind")
        body["kind"] = "media"
    else:
        body = await json_object(request, allowed=FIELDS, required=("kind",))
    admit(body, False)
    copy: bytes | None = None
    item: CaseKey | None = None
    source: str | None = None
    if media_file is not None:
        # A file is hashed here, by the media checks' own code, and its hashes replace any the
        # client sent: only hashes the server computed from a picture are ever banked (hashes
        # a client sends could be any picture's: confirmed, they would put that picture in the
        # known-fakes bank). A consented file from a keyed reporter is kept as a re-encoded
        # copy. A picture too flat to hash is filed under its file's SHA-256: the report's
        # words, link and category still reach the moderators.
        _slot_free(request)
        quota = community.media_quota if _keeps_file(request, principal, body) else None
        loop = asyncio.get_running_loop()
        community.report_decodes += 1
        try:
            with request.app[MEDIA_SLOTS].take():
                hashes, copy = await loop.run_in_executor(
                    request.app[CPU],
                    _prepare_media,
                    media_file,
                    settings,
                    quota,
                )
        finally:
            community.report_decodes -= 1
        source = "server"
        if hashes:
            body["hashes"] = hashes
        else:
            body.pop("hashes", None)
            item = file_key(media_file)
    report = parse_report(request, body, principal, None, item=item, hashes_source=source)
    if copy is not None and report.keep_media:
        report = replace(report, media_path=digest_of(copy), media=copy)
    stored = await community.writer.submit(report)
    answer: dict[str, Any] = {
        "id": stored.id,
        "case_id": stored.case_id,
        "duplicate": stored.duplicate,
    }
    if media_file is not None:
        answer["media_kept"] = stored.media_kept
        answer["picture_hashed"] = item is None
        if item is not None:
            lang, region = error_language(request)
            answer["note"] = words_in(NOT_HASHED, lang, region)
    return web.json_response(answer, status=200 if stored.duplicate else 201, dumps=dumps)
