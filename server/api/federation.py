"""``GET /v1/federation/feed?since=V``: this instance's confirmed items as a signed page of
changes; ``GET /v1/federation/key``: the public key peers pin. Both public: confirmed items
are already public through the verdict pages. ``POST /v1/federation/feedback``: a peer's
confirm/reject of one of our items, authenticated by its Ed25519 signature (no API key)."""

from __future__ import annotations

from collections import OrderedDict

from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from server.api.auth import client_ip
from server.api.body import dumps, int_param, query_params, read_capped
from server.api.ratelimit import RateLimiter
from server.api.state import AUTH, DB, SETTINGS
from server.errors import (
    TOO_MANY,
    Forbidden,
    NotFound,
    RateLimited,
    Unauthorized,
    UnsupportedMediaType,
    ValidationFailed,
    said,
)
from server.federation import feed, feedback

routes = web.RouteTableDef()


def _instance(request: web.Request) -> str:
    return request.app[SETTINGS].public_url or f"{request.scheme}://{request.host}"


#: Feed pages one address may fetch a minute (a peer's sync reads at most 20).
FEED_FETCHES_PER_MINUTE = 60
#: Signed pages kept, by (since, latest version, instance): peers polling an unchanged feed
#: get the page signed for the first of them.
FEED_PAGES_KEPT = 32


class FeedCache:
    """The signing key once created, signed pages, and the per-address fetch budget: the
    feed is public, so fetching it must cost neither the single writer nor a signature each
    time (16 clients fetching it had held a moderator's write 156 -> 909 ms)."""

    def __init__(self) -> None:
        self.key: Ed25519PrivateKey | None = None
        self.pages: OrderedDict[tuple[int, int, str], dict[str, str]] = OrderedDict()
        self.per_ip = RateLimiter(FEED_FETCHES_PER_MINUTE)


FEED_CACHE = web.AppKey("federation_feed_cache", FeedCache)


async def _signing_key(request: web.Request) -> Ed25519PrivateKey:
    cache = request.app[FEED_CACHE]
    if cache.key is None:
        # Created on first use, under the writer (two workers may race; the first wins).
        cache.key = await request.app[DB].write(feed.private_key)
    return cache.key


@routes.get("/v1/federation/feed")
async def federation_feed(request: web.Request) -> web.Response:
    params = query_params(request, ("since",))
    since = int_param(params.get("since"), "since", default=0, low=0, high=2**62)
    cache = request.app[FEED_CACHE]
    wait = cache.per_ip.take("feed:" + client_ip(request, request.app[SETTINGS]))
    if wait:
        raise RateLimited(
            said("too_many_wait", what=TOO_MANY["feed requests"], wait=wait), retry_after=wait
        )
    instance = _instance(request)
    key = await _signing_key(request)
    db = request.app[DB]
    latest = await db.read(feed.latest_version)
    page_key = (since, latest, instance)
    signed = cache.pages.get(page_key)
    if signed is None:
        rows, latest = await db.read(lambda conn: feed.changes(conn, since))
        signed = feed.sign_page(key, rows, latest, since, instance)
        cache.pages[(since, latest, instance)] = signed
        if len(cache.pages) > FEED_PAGES_KEPT:
            cache.pages.popitem(last=False)
    return web.json_response(signed, dumps=dumps)


@routes.get("/v1/federation/key")
async def federation_key(request: web.Request) -> web.Response:
    query_params(request, ())
    key = feed.public_key_b64(await _signing_key(request))
    return web.json_response({"public_key": key, "format": feed.FORMAT}, dumps=dumps)


@routes.post("/v1/federation/feedback")
async def federation_feedback(request: web.Request) -> web.Response:
    """A peer confirmed or rejected an item it pulled from us: record it on our case, once.

    Unauthenticated until the signature checks out, so the cheap things go first: an IP over
    its failure budget is turned away before anything is read; parsing and the signature (a
    few hundred bytes, one Ed25519 verify) run inline; the single writer is taken only for the
    insert of a message a configured peer signed."""
    ip = client_ip(request, request.app[SETTINGS])
    failures = request.app[AUTH].failures
    wait = failures.blocked("fail:" + ip)
    if wait:
        raise RateLimited(
            said("too_many_wait", what=TOO_MANY["refused messages"], wait=wait), retry_after=wait
        )
    if request.content_type != "application/json":
        raise UnsupportedMediaType(said("federation_json"))
    raw = await read_capped(
        request,
        feedback.MAX_BYTES,
        said("feedback_too_large", limit=feedback.MAX_BYTES),
    )
    db = request.app[DB]
    try:
        key, payload = feedback.open_signed(raw)
        peer = await db.read(lambda conn: feedback.peer_for_key(conn, key))
    except (feed.FeedSignatureError, feedback.UnknownPeer) as exc:
        # Wrong signatures and unknown keys count like wrong API keys: guessing is throttled.
        wait = failures.take("fail:" + ip)
        if wait:
            raise RateLimited(
                said("too_many_wait", what=TOO_MANY["refused messages"], wait=wait),
                retry_after=wait,
            ) from None
        if isinstance(exc, feedback.UnknownPeer):
            raise Forbidden(
                said("federation_unknown_peer"),
                code="federation_unknown_peer",
            ) from None
        raise Unauthorized(
            said("feedback_refused", reason=str(exc)), code="federation_signature"
        ) from None
    try:
        message = feedback.fields(key, payload)
        result = await db.write(lambda conn: feedback.record(conn, peer, message))
    except feedback.FeedbackInvalid as exc:
        raise ValidationFailed(said("feedback_unusable", reason=str(exc))) from None
    except LookupError:
        raise NotFound(said("feedback_no_case")) from None
    return web.json_response(result, dumps=dumps)
