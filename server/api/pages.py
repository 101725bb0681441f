"""``GET /r/{id}``: the shareable verdict page (see ``server/web/urls.py`` for the id forms)."""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping
from typing import Any

from aiohttp import web
from sqlite_utils import Database as SqliteDb

from server.api import appeals as appeals_api
from server.api.auth import Principal, client_ip, forwarded_https
from server.api.body import query_params
from server.api.cases import act, case_id_of
from server.api.checks import MAX_LANG_LENGTH
from server.api.middleware import BODY_LANG
from server.api.state import AUTH, CPU, DB, ENGINE, SETTINGS
from server.community import appeals, store
from server.community.items import link_key
from server.community.kept_media import folder_for
from server.community.runtime import COMMUNITY
from server.errors import (
    RECORD,
    Forbidden,
    NotFound,
    RateLimited,
    Unauthorized,
    UnsupportedMediaType,
    ValidationFailed,
    said,
)
from server.i18n import chinese_script, negotiate
from server.keys import hash_key, key_prefix
from server.web import moderator_page, verdict_page
from server.web.case_links import (
    CASE_LINKS,
    CASE_PAGE_ID,
    KNOWN_FAKE_PAGE_ID,
    LEGACY_STATUSES,
    PUBLIC_STATUSES,
)
from server.web.script import lang_tag
from server.web.sessions import COOKIE, SESSION_SECONDS, moderator_for_key_hash, page_moderator
from server.web.urls import MAX_PAGE_ID, decode_link

routes = web.RouteTableDef()

_ITEM = re.compile(r"i([0-9a-f]{64})")
_LINK = re.compile(r"l([A-Za-z0-9_\-]{1,8000})")

#: Pages change when a case is decided; a short cache keeps a viral link cheap to serve.
CACHE_CONTROL = "public, max-age=60"


def _html(text: str, status: int = 200) -> web.Response:
    response = web.Response(text=text, status=status, content_type="text/html", charset="utf-8")
    response.headers["Cache-Control"] = CACHE_CONTROL
    # The same page comes in English, Simplified, and Taiwan's or Hong Kong's Traditional.
    response.headers["Vary"] = "Accept-Language"
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@routes.get("/r/{id}")
async def verdict(request: web.Request) -> web.Response:
    query_params(request, ("lang",))
    lang = _lang(request)
    # zh-TW / zh-HK readers get the page in Traditional characters with their own hotlines.
    accept = request.headers.get("Accept-Language")
    region = chinese_script(request.query.get("lang"), accept)
    if lang == "en":  # an English page links back to the reader's own Chinese script
        region = chinese_script(None, accept)
    page_id = request.match_info["id"]
    path = f"/r/{page_id}"
    db = request.app[DB]
    if len(page_id) > MAX_PAGE_ID:
        return _html(verdict_page.not_found(lang, "/r/", region), 404)
    if found := CASE_PAGE_ID.fullmatch(page_id):
        return await _case_page(request, int(found.group(1)), found.group(2), lang, region)
    if found := _ITEM.fullmatch(page_id):
        key_hash = found.group(1)
        case = await db.read(lambda conn: store.case_by_hash(conn, key_hash))
        return _html(verdict_page.moderation_status(lang, path, case=case, region=region))
    if found := KNOWN_FAKE_PAGE_ID.fullmatch(page_id):
        return _known_fake_page(request, int(found.group(1)), found.group(2), lang, region)
    if (found := _LINK.fullmatch(page_id)) and (url := decode_link(found.group(1))):
        if limited := _page_check_limit(request, lang, path, region):
            return limited
        return await _link_page(request, url, lang, path, region)
    return _html(verdict_page.not_found(lang, path, region), 404)


async def _case_page(
    request: web.Request, case_id: int, mac: str | None, lang: str, region: str | None
) -> web.Response:
    """``c<id>-<mac>``: any case (an undecided one as a neutral page); ``c<id>``: only a case
    alerts could have linked to. Every refusal is the same 404 as a missing case, so the
    answer tells nothing about which ids exist."""
    path = f"/r/{request.match_info['id']}"
    links = request.app[CASE_LINKS]
    missing = _html(verdict_page.not_found(lang, path, region), 404)
    if mac is not None and not links.valid(case_id, mac):
        return missing
    case = await request.app[DB].read(lambda conn: store.case_row(conn, case_id))
    if case is None:
        return missing
    if case["merged_into"] is not None:
        into = int(case["merged_into"])
        if mac is None:
            target = await request.app[DB].read(lambda conn: store.case_row(conn, into))
            if target is None or target["status"] not in LEGACY_STATUSES:
                return missing
        shown_lang = lang_tag(lang, region)
        return _see_other(links.path(into) + f"?lang={shown_lang}", 302)
    if mac is None and case["status"] not in LEGACY_STATUSES:
        return missing
    if case["status"] not in PUBLIC_STATUSES:
        return _html(verdict_page.not_reviewed(lang, path, region))
    auto = None
    if case["kind"] == "link":  # a fresh check: the same per-IP budget as an open check
        if limited := _page_check_limit(request, lang, path, region):
            return limited
        auto = await _link_verdict(request, case, lang)
    return _html(verdict_page.page(lang, path, case=case, verdict=auto, region=region))


def _known_fake_page(
    request: web.Request, fake_id: int, mac: str, lang: str, region: str | None
) -> web.Response:
    """``k<id>-<mac>``: a known-fakes entry a moderator confirmed (or later retired); a
    pending entry, a wrong MAC and a missing id are the same 404."""
    path = f"/r/{request.match_info['id']}"
    entry = request.app[ENGINE].resources.known_fakes.current.entries.get(fake_id)
    if not request.app[CASE_LINKS].known_fake_valid(fake_id, mac) or entry is None:
        return _html(verdict_page.not_found(lang, path, region), 404)
    if str(entry.status) not in ("confirmed", "retired"):
        return _html(verdict_page.not_found(lang, path, region), 404)
    return _html(verdict_page.known_fake(lang, path, entry, region))


def _page_check_limit(
    request: web.Request, lang: str, path: str, region: str | None
) -> web.Response | None:
    """Pages that run a check spend the caller's open-check budget (per IP, whether or not
    open checks are on): a page must not be a free, unlimited check service."""
    ip = client_ip(request, request.app[SETTINGS])
    wait = request.app[AUTH].per_ip_open.take("ip:" + ip)
    if not wait:
        return None
    response = _html(verdict_page.too_many(lang, path, region, wait), 429)
    response.headers["Retry-After"] = str(wait)
    response.headers["Cache-Control"] = "no-store"
    return response


async def _link_verdict(
    request: web.Request, case: dict[str, Any], lang: str
) -> dict[str, Any] | None:
    if case["kind"] != "link":
        return None
    engine = request.app[ENGINE]
    url = ("http://" if "/" in case["key"] else "https://") + case["key"]
    results = await engine.check_links([url], request.app[CPU])
    return engine.render_links(results, lang)[0]


async def _link_page(
    request: web.Request, url: str, lang: str, path: str, region: str | None
) -> web.Response:
    engine = request.app[ENGINE]
    if len(url) > request.app[SETTINGS].max_url_length:
        return _html(verdict_page.not_found(lang, path, region), 404)
    results = await engine.check_links([url], request.app[CPU])
    if results[0].error is not None:
        return _html(verdict_page.not_found(lang, path, region), 404)
    rendered = engine.render_links(results, lang)[0]
    try:
        key = link_key(engine.resources.parser, url, request.app[COMMUNITY].popular)
    except ValidationFailed:
        key = None
    case = None
    if key is not None:
        key_hash = key.hash
        case = await request.app[DB].read(lambda conn: store.case_by_hash(conn, key_hash))
    shown = rendered.get("normalized", {}).get("url", url)
    return _html(
        verdict_page.page(lang, path, case=case, verdict=rendered, item=shown, region=region)
    )


# --- the moderator page ----------------------------------------------------------------------

QUEUE_PAGE_SIZE = 50
_ACTIONS = ("confirm", "reject", "retire", "merge")
#: The appeal forms' verbs (``/moderate/appeals/{id}/{verb}``) and the decision each records.
_APPEAL_VERBS = {"uphold": "upheld", "dismiss": "dismissed"}


def _lang(request: web.Request, given: str | None = None) -> str:
    """``lang`` (form or query, at most 35 characters), then Accept-Language."""
    return _page_lang(request, given)[0]


def _page_lang(request: web.Request, given: str | None = None) -> tuple[str, str | None]:
    """The moderator page's language and Chinese script (``"tw"``/``"hk"`` or ``None``)."""
    wanted = given or request.query.get("lang")
    if wanted is not None and len(wanted) > MAX_LANG_LENGTH:
        raise ValidationFailed(
            said("field_at_most_chars", field="lang", high=MAX_LANG_LENGTH), field="lang"
        )
    accept = request.headers.get("Accept-Language")
    return negotiate(wanted, accept), chinese_script(wanted, accept)


#: Form fields the moderator pages accept, with their longest value.
FORM_FIELDS = {
    "key": 200,
    "lang": MAX_LANG_LENGTH,
    "csrf": 64,
    "note": 1000,
    "into": 12,
    "allow": 5,
}


async def _form(request: web.Request, allowed: tuple[str, ...]) -> dict[str, str]:
    if request.content_type != "application/x-www-form-urlencoded":
        raise UnsupportedMediaType(said("send_form"))
    try:
        form = await request.post()
    except ValueError:
        raise ValidationFailed(said("form_malformed")) from None
    values: dict[str, str] = {}
    for name in form:
        if name not in allowed:
            raise ValidationFailed(said("form_unknown_field", allowed=", ".join(allowed)))
        value = form.get(name)
        if not isinstance(value, str) or len(value) > FORM_FIELDS[name]:
            raise ValidationFailed(
                said("field_at_most_chars", field=name, high=FORM_FIELDS[name]), field=name
            )
        values[name] = value
    if values.get("allow", "false") not in ("true", "false"):
        raise ValidationFailed(said("field_boolean", field="allow"), field="allow")
    if "lang" in values:
        _lang(request, values["lang"])
        request[BODY_LANG] = values["lang"]  # an error about this form answers in its language
    return values


def _see_other(location: str, status: int = 303) -> web.Response:
    """A redirect returned, not raised: the error middleware renders raised HTTP errors."""
    response = web.Response(status=status, headers={"Location": location})
    response.headers["Cache-Control"] = "no-store"
    return response


@routes.get("/moderate")
async def moderate_queue(request: web.Request) -> web.Response:
    params = query_params(request, ("status", "lang"))
    lang, region = _page_lang(request)
    community = request.app[COMMUNITY]
    signed_in = await page_moderator(request, community.sessions)
    if signed_in is None:
        return _private_html(moderator_page.login(lang, region=region))
    _, csrf = signed_in
    status = params.get("status", "pending")
    if status not in store.QUEUE_STATUSES:
        raise ValidationFailed(said("unknown_status"), field="status")
    cases, counts, open_appeals = await request.app[DB].read(
        lambda db: (
            store.case_rows(db, status, QUEUE_PAGE_SIZE, 0),
            store.case_counts(db),
            appeals.open_count(db),
        )
    )
    verdicts = await _link_verdicts(request, cases, lang)
    return _private_html(
        moderator_page.queue(
            lang, status, cases, counts, verdicts, csrf, region=region, open_appeals=open_appeals
        )
    )


@routes.get("/moderate/appeals")
async def moderate_appeals(request: web.Request) -> web.Response:
    """Open appeals, most overdue first, each with its case; answered on the case's page."""
    query_params(request, ("lang",))
    lang, region = _page_lang(request)
    signed_in = await page_moderator(request, request.app[COMMUNITY].sessions)
    if signed_in is None:
        return _private_html(moderator_page.login(lang, region=region), 401)
    db = request.app[DB]
    # A case retired, rejected or merged through the API since: record its appeals as closed.
    await db.write(appeals.close_stale)
    rows = await db.read(lambda conn: appeals.open_with_cases(conn, appeals_api.OPEN_APPEALS_SHOWN))
    return _private_html(moderator_page.appeals_view(lang, rows, signed_in[1], region=region))


async def _link_verdicts(
    request: web.Request, cases: list[dict[str, Any]], lang: str
) -> dict[int, dict[str, Any]]:
    """The automatic verdict of every link case on the page, in one batch."""
    links = [c for c in cases if c["kind"] == "link"]
    if not links:
        return {}
    engine = request.app[ENGINE]
    urls = [("http://" if "/" in c["key"] else "https://") + c["key"] for c in links]
    results = await engine.check_links(urls, request.app[CPU])
    rendered = engine.render_links(results, lang)
    return {int(c["id"]): v for c, v in zip(links, rendered, strict=True)}


@routes.post("/moderate/login")
async def moderate_login(request: web.Request) -> web.Response:
    form = await _form(request, ("key", "lang"))
    lang, region = _page_lang(request, form.get("lang"))
    key = form.get("key", "").strip()
    failures, bucket = (
        request.app[AUTH].failures,
        "fail:" + client_ip(request, request.app[SETTINGS]),
    )
    # Checked before the key: past its budget an IP is refused even a right key, or a guesser
    # would learn which guess was right from the answer.
    if wait := failures.blocked(bucket):
        raise RateLimited(said("wrong_keys_wait", wait=wait), retry_after=wait)
    principal = None
    if key and len(key) <= 200:
        principal = await moderator_for_key_hash(request, hash_key(key), key_prefix(key))
    if principal is None:
        wait = failures.take(bucket)
        if wait:
            raise RateLimited(said("wrong_keys_wait", wait=wait), retry_after=wait)
        return _private_html(moderator_page.login(lang, failed=True, region=region), 401)
    token = await request.app[COMMUNITY].sessions.open(key)
    response = _see_other(f"/moderate?lang={lang_tag(lang, region)}")
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="Strict",
        path="/moderate",
        max_age=SESSION_SECONDS,
        secure=_https(request),
    )
    return response


def _https(request: web.Request) -> bool:
    """Whether people reach this server over https (the public URL, this connection, or a
    trusted proxy's X-Forwarded-Proto): the cookie then never travels in clear. Plain-http
    loopback development (no https public URL) keeps a cookie the browser sends."""
    settings = request.app[SETTINGS]
    public = settings.public_url.lower()
    return public.startswith("https://") or request.secure or forwarded_https(request, settings)


@routes.post("/moderate/logout")
async def moderate_logout(request: web.Request) -> web.Response:
    sessions = request.app[COMMUNITY].sessions
    form = await _form(request, ("csrf", "lang"))
    signed_in = await page_moderator(request, sessions)
    if signed_in is not None and hmac.compare_digest(
        form.get("csrf", "").encode(), signed_in[1].encode()
    ):
        await sessions.close(request.cookies.get(COOKIE, ""))
    response = _see_other("/moderate")
    response.del_cookie(COOKIE, path="/moderate", secure=_https(request))
    return response


@routes.get("/moderate/cases/{id}")
async def moderate_case(request: web.Request) -> web.Response:
    query_params(request, ("lang",))
    lang, region = _page_lang(request)
    signed_in = await page_moderator(request, request.app[COMMUNITY].sessions)
    if signed_in is None:
        return _private_html(moderator_page.login(lang, region=region), 401)
    case_id = case_id_of(request)

    def read(db: SqliteDb) -> tuple[Any, Any, Any, Any]:
        return (
            store.case_row(db, case_id),
            store.case_evidence(db, case_id),
            store.audit_rows(db, f"case:{case_id}"),
            appeals.for_case(db, case_id),
        )

    case, reports, audit, case_appeals = await request.app[DB].read(read)
    if case is None:
        raise NotFound(said("no_record", what=RECORD["case"], id=case_id))
    if case["kind"] == "media":
        checked = await request.app[DB].read(lambda db: store.hashes_checked(db, case_id))
        case = {**case, "hash_checked": checked}
    verdict = await _link_verdict(request, case, lang)
    pictures = await _kept_pictures(request, case_id) if case["kind"] == "media" else []
    return _private_html(
        moderator_page.detail(
            lang,
            case,
            reports,
            audit,
            verdict,
            signed_in[1],
            case_appeals,
            region=region,
            public_path=request.app[CASE_LINKS].path(case_id),
            pictures=pictures,
        ),
        images=bool(pictures),
    )


#: A kept copy's name: the SHA-256 of the copy (``kept_media``), nothing else reaches the disk.
_KEPT_NAME = re.compile(r"[0-9a-f]{64}")


async def _kept_pictures(request: web.Request, case_id: int) -> list[int]:
    """Ids of the case's reports whose picture a reporter let moderators keep (on disk)."""

    def read(db: SqliteDb) -> list[tuple[int, str]]:
        rows = db.execute(
            "SELECT id, media_path FROM reports WHERE case_id = ? AND media_path IS NOT NULL"
            " ORDER BY weight DESC, id LIMIT 20",
            [case_id],
        ).fetchall()
        return [(int(r[0]), str(r[1])) for r in rows]

    folder = folder_for(request.app[SETTINGS].db)
    return [
        report_id
        for report_id, name in await request.app[DB].read(read)
        if _KEPT_NAME.fullmatch(name) and (folder / name).is_file()
    ]


@routes.get(r"/moderate/cases/{id}/pictures/{report:\d{1,12}}")
async def moderate_picture(request: web.Request) -> web.Response:
    """The copy of a reported picture its reporter let moderators keep: signed-in moderators
    only, never cached, never sniffed into anything but the image it is."""
    query_params(request, ())
    signed_in = await page_moderator(request, request.app[COMMUNITY].sessions)
    if signed_in is None:
        raise Unauthorized(said("moderator_sign_in"))
    case_id = case_id_of(request)
    report_id = int(request.match_info["report"])
    row = await request.app[DB].read(
        lambda db: db.execute(
            "SELECT media_path FROM reports WHERE id = ? AND case_id = ?", [report_id, case_id]
        ).fetchone()
    )
    name = str(row[0]) if row is not None and row[0] is not None else ""
    path = folder_for(request.app[SETTINGS].db) / name
    if not _KEPT_NAME.fullmatch(name) or not path.is_file():
        raise NotFound(said("no_record", what=RECORD["kept picture"], id=report_id))
    data = path.read_bytes()
    kind = "image/jpeg" if data[:2] == b"\xff\xd8" else "image/png"
    response = web.Response(body=data, content_type=kind)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


@routes.post("/moderate/cases/{id}/{action}")
async def moderate_action(request: web.Request) -> web.Response:
    action = request.match_info["action"]
    if action not in _ACTIONS:
        raise NotFound(said("no_such", what=RECORD["moderator action"]))
    signed_in = await page_moderator(request, request.app[COMMUNITY].sessions)
    if signed_in is None:
        raise Unauthorized(said("moderator_sign_in"))
    case_id = case_id_of(request)
    principal, form = await _action_form(
        request, signed_in, ("csrf", "note", "into", "allow", "lang")
    )
    note = form.get("note", "")
    into = None
    if action == "merge":
        if "into" not in form:
            raise ValidationFailed(said("field_case_id", field="into"), field="into")
        into = int(form["into"])
    await act(
        request, principal, case_id, action, note, allow=form.get("allow") == "true", into=into
    )
    # Retired, rejected or merged: ``act`` closed its open appeals in the same write.
    return _back_to_case(request, case_id, form)


@routes.post("/moderate/appeals/{id}/{verb}")
async def moderate_appeal(request: web.Request) -> web.Response:
    """Uphold or dismiss an appeal from its case's page: the API's decision path
    (``server/api/appeals.py: decide``), behind the same session and CSRF token as a case
    action."""
    verb = request.match_info["verb"]
    if verb not in _APPEAL_VERBS:
        raise NotFound(said("no_such", what=RECORD["moderator action"]))
    signed_in = await page_moderator(request, request.app[COMMUNITY].sessions)
    if signed_in is None:
        raise Unauthorized(said("moderator_sign_in"))
    appeal_id = appeals_api.appeal_id_of(request)
    principal, form = await _action_form(request, signed_in, ("csrf", "note", "lang"))
    note = appeals_api.checked_text(form.get("note", ""), "note", 1000, min_length=0)
    result = await appeals_api.decide(request, principal, appeal_id, _APPEAL_VERBS[verb], note)
    return _back_to_case(request, int(result["case_id"]), form)


async def _action_form(
    request: web.Request, signed_in: tuple[Principal, str], allowed: tuple[str, ...]
) -> tuple[Principal, dict[str, str]]:
    """A signed-in moderator's action form, read and checked: its fields, and its CSRF token
    against the session's ("" for a bearer key, which a browser never sends by itself)."""
    principal, csrf = signed_in
    form = await _form(request, allowed)
    _check_action_form(form)
    if csrf and not hmac.compare_digest(form.get("csrf", "").encode(), csrf.encode()):
        raise Forbidden(said("form_stale"))
    return principal, form


def _back_to_case(request: web.Request, case_id: int, form: Mapping[str, str]) -> web.Response:
    lang, region = _page_lang(request, form.get("lang"))
    return _see_other(f"/moderate/cases/{case_id}?lang={lang_tag(lang, region)}")


def _check_action_form(form: Mapping[str, str]) -> None:
    """``into`` is checked whenever it is sent, not only for a merge: a key holder may post
    directly, and a malformed field must never ride along with a confirm."""
    into = form.get("into")
    if into is not None and not (into.isascii() and into.isdigit() and len(into) <= 12):
        raise ValidationFailed(said("field_case_id", field="into"), field="into")


def _private_html(text: str, status: int = 200, *, images: bool = False) -> web.Response:
    response = _html(text, status)
    response.headers["Cache-Control"] = "no-store"
    # ``images``: the case's kept pictures, from this server only.
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'self';"
        " frame-ancestors 'none'" + ("; img-src 'self'" if images else "")
    )
    response.headers["X-Frame-Options"] = "DENY"
    return response
