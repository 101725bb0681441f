"""``POST /v1/check/media``: an image or video (multipart ``file``) or only its hashes (JSON
``{"hashes": {...}}``) -> the verdict object plus ``matches`` against the known-fakes bank.

Decoding (``server.media.decode``) and every MEDIA detector run in the CPU executor; the
upload is read in chunks under ``max_media_bytes`` and never stored or logged.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from server.api.body import dumps, json_object, query_params, string_field
from server.api.checks import MAX_LANG_LENGTH
from server.api.media_text import ocr_requested, read_media_text
from server.api.state import AUTH, CPU, ENGINE, SETTINGS
from server.api.traditional import CHINESE_SCRIPT, VERDICT_LANG
from server.community.media_hashes import item_hashes
from server.errors import (
    MediaTooLarge,
    PayloadTooLarge,
    ServerBusy,
    UnsupportedMediaType,
    ValidationFailed,
    said,
)
from server.i18n import chinese_script, negotiate
from server.keys import KeyRole
from server.media.bank import HashFormatError, parse_hex
from server.media.decode import DecodeLimits, decode_media
from server.media.hashing import HashKind
from server.media.item import MediaItem
from server.scoring.detector import ContentKind
from server.web.urls import media_verdict_url

routes = web.RouteTableDef()

#: Parts read from one multipart form before we give up (a form of thousands of parts is
#: an attack, not an upload).
MAX_PARTS = 16
#: Longest text form field (label, person, campaign, source, lang).
MAX_FIELD_BYTES = 4096
#: Most hashes of one kind a hashes-only check may send (a few regions or keyframes).
MAX_CLIENT_HASHES = 32


class MediaSlots:
    """Admission for uploaded media checks: at most ``limit`` are decoded and scored at once.

    One more is refused at once with ``503 busy`` and ``Retry-After`` rather than queued: a
    queue in front of two cores only grows under a flood, every waiting check gets slower,
    and clients retry anyway. Used from the event loop only (no lock needed); 0 = no limit.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.in_use = 0

    @contextlib.contextmanager
    def take(self) -> Iterator[None]:
        if self.limit and self.in_use >= self.limit:
            raise ServerBusy(
                said("media_checks_full", in_use=self.in_use, wait=BUSY_RETRY_AFTER_S),
                retry_after=BUSY_RETRY_AFTER_S,
            )
        self.in_use += 1
        try:
            yield
        finally:
            self.in_use -= 1


MEDIA_SLOTS = web.AppKey("media_slots", MediaSlots)
#: Seconds a refused client is asked to wait (about two media checks on a busy server).
BUSY_RETRY_AFTER_S = 1


@dataclass
class Upload:
    """A multipart form: the file's bytes and the text fields."""

    data: bytes = b""
    filename: str = ""
    fields: dict[str, str] = field(default_factory=dict)


async def read_form(
    request: web.Request, allowed: Iterable[str], *, file_field: str = "file"
) -> Upload:
    """Read a multipart form with one file under ``max_media_bytes`` and short text fields;
    unknown fields are refused (``validation_failed``)."""
    if request.content_type != "multipart/form-data":
        raise UnsupportedMediaType(said("send_multipart_field", field=file_field))
    allowed_set = set(allowed)
    limit = request.app[SETTINGS].max_media_bytes
    upload = Upload()
    seen_file = False
    try:
        reader = await request.multipart()
        for _ in range(MAX_PARTS):
            part = await reader.next()
            if part is None:
                break
            if not isinstance(part, BodyPartReader):
                raise ValidationFailed(said("nested_multipart"))
            name = part.name or ""
            if name == file_field:
                if seen_file:
                    raise ValidationFailed(
                        said("one_file_field", field=file_field), field=file_field
                    )
                seen_file = True
                upload.data = await _read_capped(part, limit)
                upload.filename = (part.filename or "")[:200]
            elif name in allowed_set:
                if name in upload.fields:  # which of two values counts would be a guess
                    raise ValidationFailed(
                        said("part_repeated", name=name), code="repeated_field", field=name
                    )
                # read_chunk returns what has arrived, not the whole field: read to its end.
                raw = b""
                while chunk := await part.read_chunk(MAX_FIELD_BYTES + 1):
                    raw += chunk
                    if len(raw) > MAX_FIELD_BYTES:
                        raise ValidationFailed(said("field_too_long", field=name), field=name)
                try:
                    upload.fields[name] = raw.decode("utf-8")
                except UnicodeDecodeError:
                    raise ValidationFailed(said("field_not_utf8", field=name), field=name) from None
            else:
                shown = ", ".join(sorted(allowed_set | {file_field}))
                raise ValidationFailed(
                    said("unknown_form_field_named", name=repr(name[:40]), allowed=shown),
                    field=name[:64],
                )
        else:
            raise ValidationFailed(said("too_many_form_fields", limit=MAX_PARTS))
    except web.HTTPRequestEntityTooLarge:
        raise PayloadTooLarge(said("upload_too_large")) from None
    except (ValueError, AssertionError, RuntimeError, HttpProcessingError) as exc:
        if isinstance(exc, ValidationFailed):
            raise
        # HttpProcessingError: a part's headers are malformed (aiohttp's multipart parser).
        reason = exc.message if isinstance(exc, HttpProcessingError) else str(exc)
        raise ValidationFailed(said("multipart_unreadable", reason=reason[:100])) from None
    if not seen_file:
        raise ValidationFailed(said("media_field_missing", field=file_field), field=file_field)
    return upload


async def _read_capped(part: BodyPartReader, limit: int) -> bytes:
    chunks, size = [], 0
    while chunk := await part.read_chunk(65_536):
        size += len(chunk)
        if size > limit:
            raise MediaTooLarge(
                said("media_file_too_large", limit=limit),
                code="media_too_large",
            )
        chunks.append(chunk)
    return b"".join(chunks)


def client_hashes(value: Any) -> dict[str, tuple[str, ...]]:
    """Validate ``{"pdq": [hex...], "phash": [...], "dhash": [...]}`` (a string for one)."""
    if not isinstance(value, dict) or not value:
        raise ValidationFailed(said("hashes_shape"), field="hashes")
    known = {str(kind) for kind in HashKind}
    out: dict[str, tuple[str, ...]] = {}
    for kind_name, raw in value.items():
        if kind_name not in known:
            raise ValidationFailed(
                said("hash_kind_unknown", kind=repr(str(kind_name)[:20])),
                field="hashes",
            )
        items = [raw] if isinstance(raw, str) else raw
        if not isinstance(items, list) or not 1 <= len(items) <= MAX_CLIENT_HASHES:
            raise ValidationFailed(
                said("hash_count", kind=kind_name, limit=MAX_CLIENT_HASHES),
                field="hashes",
            )
        try:
            out[kind_name] = tuple(parse_hex(HashKind(kind_name), item) for item in items)
        except HashFormatError as exc:
            raise ValidationFailed(
                said("hash_invalid", kind=kind_name, reason=str(exc)), field="hashes"
            ) from None
    return out


@routes.post("/v1/check/media")
async def check_media(request: web.Request) -> web.Response:
    """One image or video (multipart ``file``), or its hashes (JSON) -> the verdict object."""
    await request.app[AUTH].require(request, KeyRole.CLIENT, open_check=True)
    query_lang = query_params(request, ("lang",)).get("lang")
    if query_lang is not None:
        string_field(query_lang, "lang", max_length=MAX_LANG_LENGTH, min_length=0)
    # An upload holds a media slot from its decoding to its verdict, and so does a
    # hashes-only check that sends PDQ to a large bank (FAKEWATCH_PDQ_SCAN_SLOT_ROWS): each
    # PDQ hash is scanned against every bank row (server/media/matching.py; ~29 ms a hash at
    # 10M rows, microseconds on a small bank). pHash/dHash alone are an index probe: cheap
    # and never refused.
    with contextlib.ExitStack() as slot:
        return await _check_media(request, slot)


async def _check_media(request: web.Request, slot: contextlib.ExitStack) -> web.Response:
    body_lang: str | None = None
    ocr_asked = False
    if request.content_type == "application/json":
        body = await json_object(request, allowed=("hashes", "lang"), required=("hashes",))
        if "lang" in body:
            body_lang = string_field(body["lang"], "lang", max_length=MAX_LANG_LENGTH, min_length=0)
        item = hashes_item(request.app, client_hashes(body["hashes"]), slot)
    elif request.content_type == "multipart/form-data":
        upload = await read_form(request, ("lang", "ocr"))
        ocr_asked = ocr_requested(upload.fields.get("ocr"))
        if "lang" in upload.fields:
            body_lang = string_field(
                upload.fields["lang"], "lang", max_length=MAX_LANG_LENGTH, min_length=0
            )
        item = await decoded_item(request.app, upload.data, slot)
    else:
        raise UnsupportedMediaType(said("send_media_or_hashes"))
    wanted = body_lang if body_lang is not None else request.query.get("lang")
    accept = request.headers.get("Accept-Language")
    lang = request[VERDICT_LANG] = negotiate(wanted, accept)
    request[CHINESE_SCRIPT] = chinese_script(wanted, accept)  # a JSON body's lang counts too
    verdict = await media_verdict(request, item, lang, ocr_asked=ocr_asked)
    return web.json_response(verdict, dumps=dumps)


# The media check's own path, shared with the relay (``server.api.relay``: a picture or hashes
# relayed to a chat are judged exactly as this endpoint judges them, under the same slots).


def hashes_item(
    app: web.Application, sent: dict[str, tuple[str, ...]], slot: contextlib.ExitStack
) -> MediaItem:
    """A hashes-only check of ``sent`` (``client_hashes``), holding a media slot in ``slot``
    when it sends PDQ to a bank of ``pdq_scan_slot_rows`` rows or more (``ServerBusy`` when
    none is free)."""
    bank_rows = app[ENGINE].resources.known_fakes.current.index.size
    if str(HashKind.PDQ) in sent and bank_rows >= app[SETTINGS].pdq_scan_slot_rows:
        slot.enter_context(app[MEDIA_SLOTS].take())
    return MediaItem.from_hashes(sent)


async def decoded_item(app: web.Application, data: bytes, slot: contextlib.ExitStack) -> MediaItem:
    """An uploaded file decoded in the CPU executor under the server's decode limits, holding
    a media slot in ``slot`` from here to its verdict (``ServerBusy`` when none is free;
    ``MediaError`` when the file cannot be decoded)."""
    slot.enter_context(app[MEDIA_SLOTS].take())
    limits = DecodeLimits.from_settings(app[SETTINGS])
    return await asyncio.get_running_loop().run_in_executor(app[CPU], decode_media, data, limits)


async def media_verdict(
    request: web.Request, item: MediaItem, lang: str, *, ocr_asked: bool = False
) -> dict[str, Any]:
    """The verdict object of ``/v1/check/media`` for ``item`` in ``lang``: every MEDIA detector
    with the text read from the picture (when ``ocr_asked``), rendered with ``matches``,
    ``media`` and ``text``, and ``verdict_url`` (the details page, named on the request's
    Host; ``None`` when the item has no hashes to name it by)."""
    app, loop = request.app, asyncio.get_running_loop()
    engine = app[ENGINE]
    # Text read from the picture first: the impersonation detector judges a face with it.
    media_text = await read_media_text(app, item, asked=ocr_asked)
    (scored,) = await engine.pipeline.score(ContentKind.MEDIA, [item], app[CPU])
    scored = scored.merge(media_text.scored)
    matches = media_matches(scored.evidence)
    extra = {
        "matches": matches,
        "media": describe_media(item),
        "text": media_text.report,
    }
    verdict = engine.render(scored, lang, [ContentKind.MEDIA, *media_text.kinds], extra=extra)
    hashes = await loop.run_in_executor(app[CPU], item_hashes, item)
    verdict["verdict_url"] = media_verdict_url(request, hashes, matches) if hashes else None
    return verdict


def media_matches(evidence: Iterable[Any]) -> list[Mapping[str, Any]]:
    """The known-fakes matches behind a verdict (strongest first)."""
    for found in evidence:
        if found.detector == "known_fakes":
            return list(found.details.get("matches", []))
    return []


def describe_media(item: MediaItem) -> dict[str, Any]:
    """What was checked, without any of its content."""
    if not item.has_pixels:
        return {"kind": "hashes", "hashes": {k: len(v) for k, v in item.client_hashes.items()}}
    return {
        "kind": "video" if item.is_video else "image",
        "format": item.format,
        "width": item.width,
        "height": item.height,
        "bytes": item.size_bytes,
        "sha256": item.sha256,
        "frames": len(item.frames),
        **({"duration_s": item.duration_s} if item.is_video else {}),
        **({"animation": dict(item.animation)} if item.animation else {}),
    }
