"""Protected persons: the registry behind impersonation checks (moderators write, clients read).

    POST   /v1/persons                 {"name", "aliases", "description", "official_domains",
                                        "official_accounts", "never"} -> 201 {"id", ...record}
    GET    /v1/persons                 ?include_retired=true&limit=&offset=
    GET    /v1/persons/{id}            the record, its face count and its revisions
    PATCH  /v1/persons/{id}            any of the fields -> the new record (old one kept)
    DELETE /v1/persons/{id}            retire: no longer used, never erased
    POST   /v1/persons/{id}/faces      multipart ``file``: one photo with exactly one face ->
                                       one embedding (the photo is not kept)

Every write bumps ``persons_version`` and swaps the detectors' index before answering, so the
next check already sees the change (another process's changes arrive with the refresher).
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web
from sqlite_utils import Database as SqliteDb

from server.api.body import dumps, int_param, json_object, query_params
from server.api.media import read_form
from server.api.state import AUTH, CPU, DB, ENGINE, SETTINGS
from server.errors import RECORD, Conflict, NotFound, UnsupportedMediaType, ValidationFailed, said
from server.keys import KeyRole
from server.media.decode import DecodeLimits, decode_media
from server.media.faces import FaceDetector
from server.persons import store
from server.persons.enrol import Enrolment, enrol_photo
from server.persons.records import check_fields
from server.persons.registry import FIELDS, PersonInvalid

routes = web.RouteTableDef()


def _person_id(request: web.Request) -> int:
    raw = request.match_info["id"]
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise NotFound(said("no_such", what=RECORD["person"]))
    return int(raw)


def _checked(body: dict[str, Any], request: web.Request, *, partial: bool) -> dict[str, Any]:
    try:
        return check_fields(body, request.app[ENGINE].resources.parser, partial=partial)
    except PersonInvalid as exc:
        raise ValidationFailed(str(exc), field=exc.field) from None


async def _reload(request: web.Request) -> None:
    engine = request.app[ENGINE]
    await request.app[DB].read(engine.reload_persons)


@routes.post("/v1/persons")
async def create_person(request: web.Request) -> web.Response:
    principal = await request.app[AUTH].require(request, KeyRole.MODERATOR)
    query_params(request, ())
    body = await json_object(request, allowed=FIELDS, required=("name",))
    fields = _checked(body, request, partial=False)

    def write(db: SqliteDb) -> dict[str, Any] | None:
        person_id = store.insert_person(db, fields, actor=principal.actor)
        return store.person_record(db, person_id)

    record = await request.app[DB].write(write)
    await _reload(request)
    return web.json_response(record, status=201, dumps=dumps)


@routes.get("/v1/persons")
async def list_persons(request: web.Request) -> web.Response:
    await request.app[AUTH].require(request, KeyRole.CLIENT)
    params = query_params(request, ("include_retired", "limit", "offset"))
    limit = int_param(params.get("limit"), "limit", default=100, low=1, high=1000)
    offset = int_param(params.get("offset"), "offset", default=0, low=0, high=10_000_000)
    flag = params.get("include_retired", "false")
    if flag not in ("true", "false"):
        raise ValidationFailed(
            said("field_boolean", field="include_retired"), field="include_retired"
        )
    rows = await request.app[DB].read(
        lambda db: store.person_rows(db, include_retired=flag == "true", limit=limit, offset=offset)
    )
    return web.json_response({"persons": rows, "limit": limit, "offset": offset}, dumps=dumps)


@routes.get("/v1/persons/{id}")
async def get_person(request: web.Request) -> web.Response:
    await request.app[AUTH].require(request, KeyRole.CLIENT)
    query_params(request, ())
    person_id = _person_id(request)

    def read(db: SqliteDb) -> dict[str, Any] | None:
        record = store.person_record(db, person_id)
        if record is not None:
            record["revisions"] = store.revisions(db, person_id)
        return record

    record = await request.app[DB].read(read)
    if record is None:
        raise NotFound(said("no_record", what=RECORD["person"], id=person_id))
    return web.json_response(record, dumps=dumps)


@routes.patch("/v1/persons/{id}")
async def edit_person(request: web.Request) -> web.Response:
    principal = await request.app[AUTH].require(request, KeyRole.MODERATOR)
    query_params(request, ())
    person_id = _person_id(request)
    body = await json_object(request, allowed=FIELDS)
    changes = _checked(body, request, partial=True)

    def write(db: SqliteDb) -> dict[str, Any] | None:
        if not store.update_person(db, person_id, changes, actor=principal.actor):
            return None
        return store.person_record(db, person_id)

    record = await request.app[DB].write(write)
    if record is None:
        raise NotFound(said("person_retired", id=person_id))
    await _reload(request)
    return web.json_response(record, dumps=dumps)


@routes.delete("/v1/persons/{id}")
async def retire_person(request: web.Request) -> web.Response:
    principal = await request.app[AUTH].require(request, KeyRole.MODERATOR)
    query_params(request, ())
    person_id = _person_id(request)
    done = await request.app[DB].write(
        lambda db: store.retire_person(db, person_id, actor=principal.actor)
    )
    if not done:
        raise NotFound(said("no_record", what=RECORD["active person"], id=person_id))
    await _reload(request)
    return web.json_response({"ok": True, "id": person_id, "retired": True}, dumps=dumps)


@routes.post("/v1/persons/{id}/faces")
async def enrol_face(request: web.Request) -> web.Response:
    """One photo (multipart field ``file``) → one reference embedding; the photo is dropped."""
    principal = await request.app[AUTH].require(request, KeyRole.MODERATOR)
    query_params(request, ())
    person_id = _person_id(request)
    exists = await request.app[DB].read(lambda db: store.person_record(db, person_id))
    if exists is None or exists["retired"]:
        raise NotFound(said("no_record", what=RECORD["active person"], id=person_id))
    if request.content_type != "multipart/form-data":
        raise UnsupportedMediaType(said("send_photo_form"))
    data = (await read_form(request, ())).data
    engine = request.app[ENGINE]
    limits = DecodeLimits.from_settings(request.app[SETTINGS])

    def work() -> Enrolment:
        item = decode_media(data, limits)
        detector = FaceDetector(engine.resources.models.get("yunet"))
        return enrol_photo(item, detector, engine.resources.embedder)

    # Only the embedding and the photo's sha256 (to spot the same photo twice) are stored.
    enrolment = await asyncio.get_running_loop().run_in_executor(request.app[CPU], work)
    other = engine.resources.persons.current.match_face(enrolment.vector)
    if other is not None and other.person.id != person_id:
        # One face under two names would make every match ambiguous: say whose it is.
        raise Conflict(
            said(
                "face_of_another_person",
                id=other.person.id,
                name=other.person.name,
                similarity=f"{other.similarity:.2f}",
            ),
            code="enrol_face_of_another_person",
        )

    def write(db: SqliteDb) -> tuple[int, bool] | None:
        return store.add_face(
            db,
            person_id,
            enrolment.vector,
            photo_sha256=enrolment.photo_sha256,
            face_pixels=enrolment.face_pixels,
            actor=principal.actor,
        )

    added = await request.app[DB].write(write)
    if added is None:
        raise NotFound(said("no_record", what=RECORD["active person"], id=person_id))
    face_id, created = added
    await _reload(request)
    faces = engine.resources.persons.current.faces_of(person_id)
    return web.json_response(
        {
            "ok": True,
            "person_id": person_id,
            "face_id": face_id,
            "created": created,
            "faces": faces,
            "face_pixels": enrolment.face_pixels,
        },
        status=201 if created else 200,
        dumps=dumps,
    )
