"""Keys and lists: the operator's side of the API. Every route here needs a key."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlite_utils import Database as SqliteDb

from server.api.body import dumps, int_param, json_object, query_params, string_field
from server.api.state import AUTH, DB, ENGINE
from server.errors import RECORD, Conflict, InvalidUrlError, NotFound, ValidationFailed, said
from server.keys import KeyRole, hash_key, key_prefix, new_key, without_key_prefixes
from server.links.url import InvalidUrl
from server.lists import Action, EntryKind
from server.storage import queries

routes = web.RouteTableDef()

OPERATOR_LIST = queries.OPERATOR_LIST


def _path_id(request: web.Request) -> int:
    raw = request.match_info["id"]
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise NotFound(said("no_such", what=RECORD["record"]))
    return int(raw)


@routes.post("/v1/keys")
async def create_key(request: web.Request) -> web.Response:
    """A new key (admin): the key itself is in this response and nowhere else, ever."""
    principal = await request.app[AUTH].require(request, KeyRole.ADMIN)
    body = await json_object(request, allowed=("role", "label"), required=("role",))
    role_raw = string_field(body["role"], "role", max_length=16)
    if role_raw not in {r.value for r in KeyRole}:
        raise ValidationFailed(
            said("field_one_of", field="role", choices="client, moderator, admin"), field="role"
        )
    label = string_field(body.get("label", ""), "label", max_length=100, min_length=0)
    key = new_key()

    def write(db: SqliteDb) -> int:
        key_id = queries.insert_api_key(
            db, key_hash=hash_key(key), prefix=key_prefix(key), role=role_raw, label=label
        )
        queries.audit(
            db,
            actor=principal.actor,
            action="key.create",
            target=f"key:{key_id}",
            details={"role": role_raw},
        )
        return key_id

    key_id = await request.app[DB].write(write)
    return web.json_response(
        {"id": key_id, "key": key, "prefix": key_prefix(key), "role": role_raw, "label": label},
        status=201,
        dumps=dumps,
    )


@routes.get("/v1/keys")
async def list_keys(request: web.Request) -> web.Response:
    await request.app[AUTH].require(request, KeyRole.ADMIN)
    query_params(request, ())
    rows = await request.app[DB].read(queries.api_key_rows)
    return web.json_response({"keys": rows}, dumps=dumps)


@routes.delete("/v1/keys/{id}")
async def revoke_key(request: web.Request) -> web.Response:
    principal = await request.app[AUTH].require(request, KeyRole.ADMIN)
    key_id = _path_id(request)

    def write(db: SqliteDb) -> bool:
        done = queries.revoke_api_key(db, key_id)
        if done:
            queries.audit(
                db, actor=principal.actor, action="key.revoke", target=f"key:{key_id}", details={}
            )
        return done

    if not await request.app[DB].write(write):
        raise NotFound(said("no_record", what=RECORD["active key"], id=key_id))
    request.app[AUTH].forget()
    return web.json_response({"ok": True, "id": key_id, "revoked": True}, dumps=dumps)


@routes.get("/v1/lists")
async def list_summary(request: web.Request) -> web.Response:
    """How many entries each list holds, and the lists version (clients cache by it)."""
    await request.app[AUTH].require(request, KeyRole.CLIENT, open_check=True)
    query_params(request, ())
    index = request.app[ENGINE].resources.lists.current
    return web.json_response(
        {"version": index.version, "entries": index.size, "lists": index.counts()}, dumps=dumps
    )


@routes.get("/v1/lists/entries")
async def list_entries(request: web.Request) -> web.Response:
    await request.app[AUTH].require(request, KeyRole.MODERATOR)
    params = query_params(request, ("list", "action", "limit", "offset"))
    limit = int_param(params.get("limit"), "limit", default=100, low=1, high=1000)
    offset = int_param(params.get("offset"), "offset", default=0, low=0, high=10_000_000)
    action = params.get("action")
    if action is not None and action not in {a.value for a in Action}:
        raise ValidationFailed(
            said("field_one_of", field="action", choices="block, allow"), field="action"
        )
    list_name = params.get("list")
    if list_name is not None:
        string_field(list_name, "list", max_length=100)
    rows = await request.app[DB].read(
        lambda db: queries.list_entry_rows(
            db, list_name=list_name, action=action, limit=limit, offset=offset
        )
    )
    return web.json_response({"entries": rows, "limit": limit, "offset": offset}, dumps=dumps)


@routes.post("/v1/lists/entries")
async def add_entry(request: web.Request) -> web.Response:
    """An operator entry: ``{"value": "evil.example", "action": "block"|"allow", "note"}``."""
    principal = await request.app[AUTH].require(request, KeyRole.MODERATOR)
    body = await json_object(
        request, allowed=("value", "action", "note"), required=("value", "action")
    )
    value = string_field(body["value"], "value", max_length=253)
    action = string_field(body["action"], "action", max_length=8)
    if action not in {a.value for a in Action}:
        raise ValidationFailed(
            said("field_one_of", field="action", choices="block, allow"), field="action"
        )
    note = string_field(body.get("note", ""), "note", max_length=500, min_length=0)
    engine = request.app[ENGINE]
    try:
        host = engine.resources.parser.parse_host(value)
    except InvalidUrl as exc:
        raise InvalidUrlError(str(exc), code=exc.code) from None
    if host.is_ip or engine.resources.suffixes.is_suffix(host.ascii):
        raise ValidationFailed(
            said("list_not_a_domain", host=host.ascii),
            field="value",
        )
    now = queries.now_iso()

    def write(db: SqliteDb) -> dict[str, Any]:
        entry_id, created = queries.upsert_list_entry(
            db,
            list_name=OPERATOR_LIST,
            action=action,
            kind=EntryKind.DOMAIN.value,
            value=host.ascii,
            source=f"operator ({without_key_prefixes(principal.actor)})",
            added_at=now,
            seen_at=now,
            note=note or None,
        )
        version = queries.bump_lists_version(db)
        queries.audit(
            db,
            actor=principal.actor,
            action=f"list.{action}",
            target=host.ascii,
            details={"entry_id": entry_id},
        )
        return {"id": entry_id, "created": created, "lists_version": version}

    result = await request.app[DB].write(write)
    await _reload(request)
    return web.json_response(
        {"ok": True, **result, "value": host.ascii, "action": action, "list": OPERATOR_LIST},
        status=201 if result["created"] else 200,
        dumps=dumps,
    )


@routes.delete("/v1/lists/entries/{id}")
async def remove_entry(request: web.Request) -> web.Response:
    principal = await request.app[AUTH].require(request, KeyRole.MODERATOR)
    entry_id = _path_id(request)

    def write(db: SqliteDb) -> bool:
        try:
            done = queries.remove_operator_entry(db, entry_id)
        except queries.NotAnOperatorEntry as exc:
            raise Conflict(str(exc), code="not_an_operator_entry") from None
        if done:
            queries.bump_lists_version(db)
            queries.audit(
                db,
                actor=principal.actor,
                action="list.remove",
                target=f"entry:{entry_id}",
                details={},
            )
        return done

    if not await request.app[DB].write(write):
        raise NotFound(said("no_record", what=RECORD["active list entry"], id=entry_id))
    await _reload(request)
    return web.json_response({"ok": True, "id": entry_id, "removed": True}, dumps=dumps)


async def _reload(request: web.Request) -> None:
    engine = request.app[ENGINE]
    await request.app[DB].read(engine.reload_lists)
