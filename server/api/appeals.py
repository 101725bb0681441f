"""Appeals: ``POST /v1/appeals`` (anyone, rate-limited per IP), ``GET /v1/appeals/{id}?token=``
(the appellant), ``GET /v1/appeals`` and ``POST /v1/appeals/{id}/decide`` (moderators)."""

from __future__ import annotations

import secrets
from typing import Any

from aiohttp import web
from sqlite_utils import Database as SqliteDb

from server.api.auth import Principal, client_ip
from server.api.body import dumps, json_object, query_params, string_field
from server.api.state import AUTH, DB, ENGINE, SETTINGS
from server.community import appeals, store
from server.community.runtime import COMMUNITY
from server.errors import (
    RECORD,
    TOO_MANY,
    Conflict,
    NotFound,
    RateLimited,
    Unauthorized,
    ValidationFailed,
    said,
)
from server.keys import KeyRole

routes = web.RouteTableDef()

#: Open appeals listed at once; more than this and the instance needs more moderators.
OPEN_APPEALS_SHOWN = 500


def checked_text(value: Any, name: str, max_length: int, min_length: int = 1) -> str:
    text = string_field(value, name, max_length=max_length, min_length=min_length)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationFailed(said("field_not_unicode", field=name), field=name) from None
    return text


def appeal_id_of(request: web.Request) -> int:
    raw = request.match_info["id"]
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise NotFound(said("no_such", what=RECORD["appeal"]))
    return int(raw)


async def _moderator(request: web.Request) -> bool:
    """Whether the caller holds a moderator key. No key is an anonymous appellant; a client
    key (the extension's, which anyone can read) counts as none; a wrong key is refused."""
    if "Authorization" not in request.headers:
        return False
    principal = await request.app[AUTH].require(request, KeyRole.CLIENT)
    return principal.role is not None and principal.role.allows(KeyRole.MODERATOR)


@routes.post("/v1/appeals")
async def create_appeal(request: web.Request) -> web.Response:
    """``{"case_id", "role": "site_owner"|"named_person"|"visitor", "reason", "contact"}`` → the appeal
    with its ``token`` (shown once) and ``due_at``.

    Without a moderator key only a confirmed case (what the public sees) can be appealed;
    an unknown id and a case in any other status get the same 404, so appeals cannot be used
    to learn whether a case exists or how it stands. A moderator key hears which it was."""
    moderator = await _moderator(request)
    ip = client_ip(request, request.app[SETTINGS])
    wait = request.app[COMMUNITY].per_ip.take("appeal:" + ip)
    if wait:
        raise RateLimited(
            said("too_many_wait", what=TOO_MANY["appeals"], wait=wait), retry_after=wait
        )
    body = await json_object(
        request,
        allowed=("case_id", "role", "reason", "contact"),
        required=("case_id", "role", "reason"),
    )
    case_id = body["case_id"]
    if not isinstance(case_id, int) or isinstance(case_id, bool) or not 0 < case_id < 2**62:
        raise ValidationFailed(said("field_case_id", field="case_id"), field="case_id")
    role = body["role"]
    if not isinstance(role, str) or role not in appeals.ROLES:
        raise ValidationFailed(
            said("field_one_of", field="role", choices=", ".join(appeals.ROLES)), field="role"
        )
    reason = checked_text(body["reason"], "reason", 2000)
    contact = checked_text(body.get("contact", ""), "contact", 200, min_length=0) or None
    token = "ap_" + secrets.token_urlsafe(24)
    days = request.app[SETTINGS].appeal_due_days
    try:
        created = await request.app[DB].write(
            lambda db: appeals.create(
                db, case_id, role, contact, reason, token, days, moderator=moderator
            )
        )
    except appeals.NotAppealable:
        raise NotFound(said("no_appealable_case", id=case_id)) from None
    except LookupError:
        raise NotFound(said("no_record", what=RECORD["case"], id=case_id)) from None
    except store.CaseStateError as exc:
        raise Conflict(exc.said, code="case_state") from None
    return web.json_response({**created, "token": token}, status=201, dumps=dumps)


@routes.get("/v1/appeals/{id}")
async def get_appeal(request: web.Request) -> web.Response:
    """The appellant's view (``?token=``), or any appeal with a moderator key."""
    params = query_params(request, ("token",))
    appeal_id = appeal_id_of(request)
    token = params.get("token")
    if token is None:
        if "Authorization" not in request.headers:
            # The appellant has no key, only the token: say which one is missing.
            raise Unauthorized(said("appeal_needs_token"))
        await request.app[AUTH].require(request, KeyRole.MODERATOR)
    elif len(token) > 100:
        raise NotFound(said("appeal_token"))
    found = await request.app[DB].read(lambda db: appeals.public_row(db, appeal_id, token))
    if found is None:
        raise NotFound(said("appeal_token"))
    return web.json_response(found, dumps=dumps)


@routes.get("/v1/appeals")
async def list_appeals(request: web.Request) -> web.Response:
    """Open appeals (moderator), soonest due first; decided ones are read one by one."""
    await request.app[AUTH].require(request, KeyRole.MODERATOR)
    query_params(request, ())
    rows = await request.app[DB].read(lambda db: appeals.queue(db, "open", OPEN_APPEALS_SHOWN))
    return web.json_response({"appeals": rows, "status": "open"}, dumps=dumps)


@routes.post("/v1/appeals/{id}/decide")
async def decide_appeal(request: web.Request) -> web.Response:
    """``{"decision": "upheld"|"dismissed", "note"}``; upheld takes the case down."""
    principal = await request.app[AUTH].require(request, KeyRole.MODERATOR)
    appeal_id = appeal_id_of(request)
    body = await json_object(request, allowed=("decision", "note"), required=("decision",))
    decision = body["decision"]
    if not isinstance(decision, str) or decision not in appeals.DECISIONS:
        raise ValidationFailed(
            said("field_one_of", field="decision", choices="upheld, dismissed"), field="decision"
        )
    note = checked_text(body.get("note", ""), "note", 1000, min_length=0)
    result = await decide(request, principal, appeal_id, decision, note)
    return web.json_response({"ok": True, **result}, dumps=dumps)


async def decide(
    request: web.Request, principal: Principal, appeal_id: int, decision: str, note: str
) -> dict[str, Any]:
    """Answer an appeal with all its consequences (the case retired or rejected on
    ``upheld``, the case's other open appeals closed, the audit log, this server's lists and
    known-fakes bank reloaded); shared by the API and the moderator page."""

    def write(db: SqliteDb) -> dict[str, Any]:
        return appeals.decide(db, appeal_id, decision, actor=principal.actor, note=note)

    try:
        result = await request.app[DB].write(write)
    except LookupError:
        raise NotFound(said("no_record", what=RECORD["appeal"], id=appeal_id)) from None
    except store.CaseStateError as exc:
        raise Conflict(exc.said, code="case_state") from None
    if result["case"] is not None:
        engine = request.app[ENGINE]
        await request.app[DB].read(engine.reload_lists)
        await request.app[DB].read(engine.reload_known_fakes)
    return result
