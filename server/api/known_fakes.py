"""The known-fakes bank over HTTP (moderator keys): add, list, get, confirm, retire, export,
and bulk import of a hash list (``POST /v1/known-fakes/import``: the CSV, JSON or bare PDQ
lines ``server.media.exchange`` reads, as the request body).

``POST /v1/known-fakes`` takes multipart ``file`` plus ``label`` (required), ``person``,
``campaign``, ``source`` and ``status`` (``confirmed``, the default, or ``pending``), hashes
the media in the CPU executor and stores only the hashes (the file too only when
``FAKEWATCH_KNOWN_FAKES_KEEP_MEDIA`` is on). Each change is visible to checks at once on
this server and within ``lists_refresh_s`` on others sharing the database.
"""

from __future__ import annotations

import asyncio

from aiohttp import web
from sqlite_utils import Database

from server.api.body import dumps, int_param, query_params, read_capped
from server.api.media import read_form
from server.api.state import AUTH, CPU, DB, ENGINE, SETTINGS
from server.errors import (
    RECORD,
    NotFound,
    UnprocessableContent,
    UnsupportedMediaType,
    ValidationFailed,
    said,
)
from server.keys import KeyRole
from server.media.bank import KnownFake, Status
from server.media.decode import DecodeLimits
from server.media.enrol import EnrolError, MediaHashes, hash_for_bank, keep_media
from server.media.exchange import ImportFormatError, export_csv, export_json, parse, store
from server.storage import known_fakes as queries

routes = web.RouteTableDef()

FORM_FIELDS = ("label", "person", "campaign", "source", "status")
MAX_LABEL = 200
MAX_FIELD = 200
MAX_PAGE = 500


def _field(fields: dict[str, str], name: str, *, required: bool = False) -> str | None:
    value = fields.get(name, "").strip()
    if not value:
        if required:
            raise ValidationFailed(said("form_field_required", field=name), field=name)
        return None
    if len(value) > (MAX_LABEL if name == "label" else MAX_FIELD):
        raise ValidationFailed(said("field_too_long", field=name), field=name)
    return value


def _status(raw: str | None, *, allowed: tuple[Status, ...]) -> Status | None:
    if raw is None:
        return None
    try:
        status = Status(raw)
    except ValueError:
        status = None
    if status not in allowed:
        names = ", ".join(str(s) for s in allowed)
        raise ValidationFailed(said("field_one_of", field="status", choices=names), field="status")
    return status


def _fake_id(request: web.Request) -> int:
    raw = request.match_info["id"]
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise NotFound(said("known_fake_id"))
    return int(raw)


async def _reload(request: web.Request) -> None:
    engine = request.app[ENGINE]
    await request.app[DB].read(engine.reload_known_fakes)


@routes.post("/v1/known-fakes")
async def add_known_fake(request: web.Request) -> web.Response:
    principal = await request.app[AUTH].require(request, KeyRole.MODERATOR)
    settings = request.app[SETTINGS]
    query_params(request, ())
    upload = await read_form(request, FORM_FIELDS)
    label = _field(upload.fields, "label", required=True)
    assert label is not None
    status = (
        _status(_field(upload.fields, "status"), allowed=(Status.CONFIRMED, Status.PENDING))
        or Status.CONFIRMED
    )
    engine = request.app[ENGINE]
    loop = asyncio.get_running_loop()
    try:
        hashed: MediaHashes = await loop.run_in_executor(
            request.app[CPU],
            hash_for_bank,
            upload.data,
            DecodeLimits.from_settings(settings),
            engine.resources,
        )
    except EnrolError as exc:
        raise UnprocessableContent(str(exc), code="media_low_information") from None

    def write(db: Database) -> int:
        return queries.add(
            db,
            label=label,
            added_by=principal.actor,
            hashes=hashed.regions,
            status=status,
            person=_field(upload.fields, "person"),
            campaign=_field(upload.fields, "campaign"),
            source=_field(upload.fields, "source"),
            media_sha256=hashed.sha256,
            media_format=hashed.format,
            timestamps=hashed.timestamps,
            ai_labels=hashed.ai_labels,
            faces=hashed.faces,
        )

    fake_id = await request.app[DB].write(write)
    if settings.known_fakes_keep_media:
        await loop.run_in_executor(None, keep_media, settings.data_dir, hashed, upload.data)
    await _reload(request)
    return web.json_response(
        {"ok": True, "id": fake_id, "status": str(status), "hashes": len(hashed.regions)},
        status=201,
        dumps=dumps,
    )


@routes.get("/v1/known-fakes")
async def list_known_fakes(request: web.Request) -> web.Response:
    await request.app[AUTH].require(request, KeyRole.MODERATOR)
    params = query_params(request, ("status", "limit", "after"))
    status = _status(params.get("status"), allowed=tuple(Status))
    limit = int_param(params.get("limit"), "limit", default=100, low=1, high=MAX_PAGE)
    after = int_param(params.get("after"), "after", default=0, low=0, high=2**62)
    found: list[KnownFake] = await request.app[DB].read(
        lambda db: queries.listing(db, status=status, limit=limit, after_id=after)
    )
    body = {
        "known_fakes": [entry.describe() for entry in found],
        "next_after": found[-1].id if len(found) == limit else None,
    }
    return web.json_response(body, dumps=dumps)


@routes.get("/v1/known-fakes/export")
async def export_known_fakes(request: web.Request) -> web.Response:
    """The bank as a hash list: ``?format=json`` (default) or ``csv`` (ThreatExchange-style
    ``signal_type,signal`` columns with PDQ hex)."""
    await request.app[AUTH].require(request, KeyRole.MODERATOR)
    params = query_params(request, ("format", "status"))
    fmt = params.get("format", "json")
    if fmt not in ("json", "csv"):
        raise ValidationFailed(
            said("field_one_of", field="format", choices="json, csv"), field="format"
        )
    status = _status(params.get("status"), allowed=tuple(Status))
    if fmt == "csv":
        text = await request.app[DB].read(lambda db: export_csv(db, status))
        return web.Response(text=text, content_type="text/csv", charset="utf-8")
    data = await request.app[DB].read(lambda db: export_json(db, status))
    return web.json_response(data, dumps=dumps)


#: Content types a hash list may be sent as (the parser reads the text itself).
IMPORT_TYPES = ("text/csv", "application/json", "text/plain")
#: Label of imported entries when the list has none (bare PDQ lines, CSV without labels).
DEFAULT_IMPORT_LABEL = "imported hash list"


@routes.post("/v1/known-fakes/import")
async def import_known_fakes(request: web.Request) -> web.Response:
    """A hash list as the body -> entries added (confirmed unless the list says otherwise)."""
    principal = await request.app[AUTH].require(request, KeyRole.MODERATOR)
    params = query_params(request, ("label", "source"))
    label = _field(dict(params), "label") or DEFAULT_IMPORT_LABEL
    source = _field(dict(params), "source")
    if request.content_type not in IMPORT_TYPES:
        raise UnsupportedMediaType(said("send_hash_list"))
    limit = request.app[SETTINGS].max_media_bytes
    body = await read_capped(
        request,
        limit,
        f"The hash list is larger than {limit} bytes (FAKEWATCH_MAX_MEDIA_BYTES); split it.",
    )
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationFailed(said("hash_list_not_utf8")) from None
    loop = asyncio.get_running_loop()
    try:
        entries = await loop.run_in_executor(
            request.app[CPU],
            lambda: parse(text, default_label=label, default_source=source),
        )
    except ImportFormatError as exc:
        raise ValidationFailed(said("hash_list_unreadable", reason=str(exc))) from None
    if not entries:
        raise ValidationFailed(said("hash_list_empty"))
    done = await request.app[DB].write(lambda db: store(db, entries, principal.actor))
    await _reload(request)
    body_out = {
        "ok": True,
        "imported": len(done.ids),
        "hash_rows": done.hash_rows,
        "first_id": done.ids[0] if done.ids else None,
        "last_id": done.ids[-1] if done.ids else None,
        # An entry whose every hash the bank already holds is not added twice.
        "already_in_bank": [
            {"entry": position, "known_fake_id": fake_id} for position, fake_id in done.duplicates
        ],
    }
    # 200 when the list brought nothing new: nothing was created.
    return web.json_response(body_out, status=201 if done.ids else 200, dumps=dumps)


@routes.get(r"/v1/known-fakes/{id:\d+}")
async def get_known_fake(request: web.Request) -> web.Response:
    await request.app[AUTH].require(request, KeyRole.MODERATOR)
    query_params(request, ())
    fake_id = _fake_id(request)
    entry = await request.app[DB].read(lambda db: queries.get(db, fake_id))
    if entry is None:
        raise NotFound(said("no_record", what=RECORD["known fake"], id=fake_id))
    return web.json_response(entry.describe(), dumps=dumps)


async def _set_status(request: web.Request, status: Status) -> web.Response:
    await request.app[AUTH].require(request, KeyRole.MODERATOR)
    query_params(request, ())
    fake_id = _fake_id(request)
    entry = await request.app[DB].write(lambda db: queries.set_status(db, fake_id, status))
    if entry is None:
        raise NotFound(said("no_record", what=RECORD["known fake"], id=fake_id))
    await _reload(request)
    return web.json_response(entry.describe(), dumps=dumps)


@routes.post("/v1/known-fakes/{id}/retire")
async def retire_known_fake(request: web.Request) -> web.Response:
    """Stop matching an entry (kept, with its hashes, for the record)."""
    return await _set_status(request, Status.RETIRED)


@routes.post("/v1/known-fakes/{id}/confirm")
async def confirm_known_fake(request: web.Request) -> web.Response:
    """A pending (or retired) entry starts matching."""
    return await _set_status(request, Status.CONFIRMED)
