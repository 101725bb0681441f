"""Moderation: the case queue and confirm / reject / retire / merge, each with a note and an
audit-log row. Every route here needs a moderator key.

A confirmed link case becomes an entry of the ``community`` blocklist (reference ``case:ID``),
the lists version moves and this server reloads at once (others within ``lists_refresh_s``),
so the next check of that domain says ``likely_scam`` and names the case.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from sqlite_utils import Database as SqliteDb

from server.api.auth import Principal
from server.api.body import dumps, int_param, json_object, query_params, string_field
from server.api.checks import MAX_LANG_LENGTH
from server.api.middleware import error_language
from server.api.state import AUTH, CPU, DB, ENGINE
from server.community import appeals, confirmed, store
from server.community.runtime import COMMUNITY
from server.community.words import UNCHECKED_HASH, alert_payload
from server.errors import RECORD, Conflict, NotFound, ValidationFailed, Words, said
from server.federation import feedback
from server.keys import KeyRole
from server.web.case_links import CASE_LINKS
from server.web.urls import case_path

routes = web.RouteTableDef()

MAX_NOTE = 1000


def words_in(words: Words, lang: str, region: str | None) -> str:
    """``words`` in the request's language (Traditional characters for ``region``)."""
    text = words.get(lang) or words["en"]
    if region is not None and lang == "zh":
        from server.traditional import to_traditional  # OpenCC's tables load on first use

        text = to_traditional(text, region)
    return text


def case_id_of(request: web.Request) -> int:
    raw = request.match_info["id"]
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise NotFound(said("no_such", what=RECORD["case"]))
    return int(raw)


async def automatic_verdict(request: web.Request, case: dict[str, Any]) -> dict[str, Any] | None:
    """What the detectors say about a link case right now (None for other kinds)."""
    if case["kind"] != "link":
        return None
    engine = request.app[ENGINE]
    key = case["key"]
    url = ("http://" if "/" in key else "https://") + key
    results = await engine.check_links([url], request.app[CPU])
    return engine.render_links(results, "en")[0]


async def act(
    request: web.Request,
    principal: Principal,
    case_id: int,
    action: str,
    note: str,
    *,
    allow: bool = False,
    into: int | None = None,
    expect_status: str | None = None,
) -> dict[str, Any]:
    """Apply one moderator action with all its consequences; shared by the API and the page."""
    db = request.app[DB]
    case = await db.read(lambda conn: store.case_row(conn, case_id))
    if case is None:
        raise NotFound(said("no_record", what=RECORD["case"], id=case_id))
    contested = True
    if action == "confirm":
        verdict = await automatic_verdict(request, case)
        contested = verdict is None or verdict["verdict"] != "likely_scam"
    payload = alert_payload(case, case_path(case_id))

    def write(conn: SqliteDb) -> dict[str, Any]:
        if action == "merge":
            assert into is not None
            done = store.merge(conn, case_id, into, actor=principal.actor, note=note)
        else:
            done = store.decide(
                conn,
                case_id,
                action,
                actor=principal.actor,
                note=note,
                contested=contested,
                allow=allow,
                alert=payload,
                expect_status=expect_status,
            )
        # In the same write: a case that leaves the states an appeal is about closes its open
        # appeals (retired, rejected, merged), for the API as for the page.
        appeals.close_for_case(conn, case_id, actor=principal.actor)
        return done

    try:
        result = await db.write(write)
    except store.CaseStateError as exc:
        raise Conflict(exc.said, code="case_state", case_status=exc.status or None) from None
    except LookupError:
        raise NotFound(said("no_record", what=RECORD["case"], id=into)) from None
    reason = result.get("not_banked")
    if reason is not None:  # the reason's code, said in the moderator's language
        lang, region = error_language(request)
        result["not_banked_reason"] = reason
        result["not_banked"] = words_in(store.NOT_BANKED[reason], lang, region)
    if action == "confirm":  # subscribers first: the list reload below takes a second
        request.app[COMMUNITY].alerted.set()
    changed = (
        result.get("list_entry_id") is not None
        or case["status"] == "confirmed"
        # A confirmed message, phone or wallet: the confirmed-items index reloads with the lists.
        or (action == "confirm" and case["kind"] in confirmed.KINDS)
    )
    if changed and case["kind"] == "media":  # the known-fakes bank (hashes only)
        await db.read(request.app[ENGINE].reload_known_fakes)
    elif changed:
        await db.read(request.app[ENGINE].reload_lists)
    return result


def _note(body: dict[str, Any]) -> str:
    note = string_field(body.get("note", ""), "note", max_length=MAX_NOTE, min_length=0)
    try:
        note.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate (JSON \udXXX): SQLite cannot store it
        raise ValidationFailed(said("field_not_unicode", field="note"), field="note") from None
    return note


@routes.get("/v1/cases")
async def list_cases(request: web.Request) -> web.Response:
    """The queue: ``?status=pending`` (default) ordered by urgency, then reach."""
    await request.app[AUTH].require(request, KeyRole.MODERATOR)
    params = query_params(request, ("status", "limit", "offset"))
    status = params.get("status", "pending")
    if status not in store.QUEUE_STATUSES:
        raise ValidationFailed(
            said("field_one_of", field="status", choices=", ".join(store.QUEUE_STATUSES)),
            field="status",
        )
    limit = int_param(params.get("limit"), "limit", default=50, low=1, high=500)
    offset = int_param(params.get("offset"), "offset", default=0, low=0, high=10_000_000)
    rows, counts = await request.app[DB].read(
        lambda db: (store.case_rows(db, status, limit, offset), store.case_counts(db))
    )
    return web.json_response(
        {"cases": rows, "counts": counts, "status": status, "limit": limit, "offset": offset},
        dumps=dumps,
    )


@routes.get("/v1/cases/{id}")
async def get_case(request: web.Request) -> web.Response:
    """One case: its reports (without reporter ids), audit log and the automatic verdict."""
    await request.app[AUTH].require(request, KeyRole.MODERATOR)
    params = query_params(request, ("lang",))
    if "lang" in params:  # it picks the language of hash_note, like any check's lang
        string_field(params["lang"], "lang", max_length=MAX_LANG_LENGTH, min_length=0)
    case_id = case_id_of(request)

    def read(db: SqliteDb) -> dict[str, Any] | None:
        case = store.case_row(db, case_id)
        if case is None:
            return None
        case["reports_shown"] = store.case_evidence(db, case_id)
        if case["kind"] == "media":
            case["hash_checked"] = store.hashes_checked(db, case_id)
        case["audit"] = store.audit_rows(db, f"case:{case_id}")
        case["peer_feedback"] = feedback.for_case(db, case_id)
        return case

    case = await request.app[DB].read(read)
    if case is None:
        raise NotFound(said("no_record", what=RECORD["case"], id=case_id))
    if case.get("hash_checked") is False:  # nothing to look at: say so before a confirm
        lang, region = error_language(request)
        case["hash_note"] = words_in(UNCHECKED_HASH, lang, region)
    case["automatic_verdict"] = await automatic_verdict(request, case)
    case["verdict_path"] = request.app[CASE_LINKS].path(case_id)  # unguessable: case_links.py
    return web.json_response(case, dumps=dumps)


async def _decide(request: web.Request, action: str) -> web.Response:
    principal = await request.app[AUTH].require(request, KeyRole.MODERATOR)
    case_id = case_id_of(request)
    allowed = (
        ("note", "expect_status", "allow") if action == "reject" else ("note", "expect_status")
    )
    body = await json_object(request, allowed=allowed)
    allow = body.get("allow", False)
    if not isinstance(allow, bool):
        raise ValidationFailed(said("field_boolean", field="allow"), field="allow")
    expect = body.get("expect_status")
    # Absent means "whatever it is now"; null is refused like any other non-status value.
    if "expect_status" in body and expect not in store.QUEUE_STATUSES:
        raise ValidationFailed(
            said("field_one_of", field="expect_status", choices=", ".join(store.QUEUE_STATUSES)),
            field="expect_status",
        )
    result = await act(
        request, principal, case_id, action, _note(body), allow=allow, expect_status=expect
    )
    return web.json_response({"ok": True, **result}, dumps=dumps)


@routes.post("/v1/cases/{id}/confirm")
async def confirm_case(request: web.Request) -> web.Response:
    return await _decide(request, "confirm")


@routes.post("/v1/cases/{id}/reject")
async def reject_case(request: web.Request) -> web.Response:
    """Reject as not a scam; ``allow: true`` also puts a link on the community allowlist."""
    return await _decide(request, "reject")


@routes.post("/v1/cases/{id}/retire")
async def retire_case(request: web.Request) -> web.Response:
    """Take a confirmed case off the blocklist (the scam is gone, or it was a mistake)."""
    return await _decide(request, "retire")


@routes.post("/v1/cases/{id}/merge")
async def merge_case(request: web.Request) -> web.Response:
    """Fold this case into ``into`` (the same scam reported under two items)."""
    principal = await request.app[AUTH].require(request, KeyRole.MODERATOR)
    case_id = case_id_of(request)
    body = await json_object(request, allowed=("into", "note"), required=("into",))
    into = body["into"]
    if isinstance(into, float) and into.is_integer():  # JSON Schema: 3.0 is an integer
        into = int(into)
    if not isinstance(into, int) or isinstance(into, bool) or not 0 < into < 2**62:
        raise ValidationFailed(said("field_case_id", field="into"), field="into")
    result = await act(request, principal, case_id, "merge", _note(body), into=into)
    return web.json_response({"ok": True, **result}, dumps=dumps)
