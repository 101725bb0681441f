"""Alerts: polled (``GET /v1/alerts?since=CURSOR``), pushed to webhooks (admin-registered,
signed), and retroactive (``POST /v1/alerts/subscriptions``: "tell me if this item I checked
is confirmed later" — only the item's hash, the subscriber id and an expiry are kept)."""

from __future__ import annotations

import secrets
from typing import Any

from aiohttp import web

from server.alerts import store as alert_store
from server.alerts.links import with_base
from server.alerts.targets import PrivateTarget, check_literal
from server.api.body import dumps, int_param, json_object, query_params, string_field
from server.api.reports import item_of
from server.api.state import AUTH, DB, SETTINGS
from server.community import store
from server.community.items import ItemKind
from server.errors import RECORD, AlertSubscriptionsFull, NotFound, ValidationFailed, said
from server.keys import KeyRole
from server.web.urls import absolute

routes = web.RouteTableDef()


def _cursor(raw: str | None) -> int:
    if raw is None or raw == "":
        return 0
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise ValidationFailed(said("since_cursor"), field="since")
    return int(raw)


@routes.get("/v1/alerts")
async def list_alerts(request: web.Request) -> web.Response:
    """Alerts after ``since`` (oldest first), and the cursor to send next time."""
    principal = await request.app[AUTH].require(request, KeyRole.CLIENT, open_check=True)
    params = query_params(request, ("since", "limit"))
    since = _cursor(params.get("since"))
    limit = int_param(params.get("limit"), "limit", default=100, low=1, high=500)
    rows = await request.app[DB].read(
        lambda db: store.alerts_since(db, since, principal.key_id, limit)
    )
    base = absolute(request, "")  # FAKEWATCH_PUBLIC_URL, else this request's origin
    alerts: list[dict[str, Any]] = [
        {"id": alert_id, **with_base(payload, base)} for alert_id, payload in rows
    ]
    cursor = rows[-1][0] if rows else since
    return web.json_response({"alerts": alerts, "cursor": str(cursor)}, dumps=dumps)


@routes.post("/v1/alerts/subscriptions")
async def subscribe(request: web.Request) -> web.Response:
    """Retroactive alert: ``{"kind", "value"|"hashes", "subscriber"}`` → a targeted alert in
    this key's ``GET /v1/alerts`` if the item is confirmed before ``expires_at``."""
    principal = await request.app[AUTH].require(request, KeyRole.CLIENT)
    body = await json_object(
        request, allowed=("kind", "value", "hashes", "subscriber"), required=("kind", "subscriber")
    )
    kind = body["kind"]
    if not isinstance(kind, str) or kind not in {k.value for k in ItemKind}:
        raise ValidationFailed(
            said("field_one_of", field="kind", choices=", ".join(k.value for k in ItemKind)),
            field="kind",
        )
    subscriber = string_field(body["subscriber"], "subscriber", max_length=200)
    try:
        subscriber.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationFailed(
            said("field_not_unicode", field="subscriber"), field="subscriber"
        ) from None
    item = item_of(request, body, ItemKind(kind))
    days = request.app[SETTINGS].alert_subscription_days
    limit = request.app[SETTINGS].alert_subscriptions_per_key
    assert principal.key_id is not None
    key_id = principal.key_id
    try:
        result = await request.app[DB].write(
            lambda db: store.subscribe(db, item.hash, subscriber, key_id, days, limit)
        )
    except store.SubscriptionsFull as full:
        raise AlertSubscriptionsFull(
            said("alert_subscriptions_full", live=full.live, wait=full.retry_after_s),
            retry_after=full.retry_after_s,
        ) from None
    return web.json_response({"item_hash": item.hash, **result}, status=201, dumps=dumps)


@routes.post("/v1/webhooks")
async def add_webhook(request: web.Request) -> web.Response:
    """A webhook subscriber (admin): the signing secret is in this response only."""
    await request.app[AUTH].require(request, KeyRole.ADMIN)
    body = await json_object(request, allowed=("url",), required=("url",))
    url = string_field(body["url"], "url", max_length=2000)
    if not url.startswith(("http://", "https://")):
        raise ValidationFailed(said("field_http_url", field="url"), field="url")
    if not request.app[SETTINGS].webhook_allow_private:
        try:
            check_literal(url)
        except PrivateTarget as exc:
            raise ValidationFailed(
                said("webhook_private_target", reason=str(exc)),
                field="url",
                code="webhook_private_target",
            ) from None
    secret = "whsec_" + secrets.token_urlsafe(32)
    webhook_id = await request.app[DB].write(lambda db: alert_store.add_webhook(db, url, secret))
    return web.json_response(
        {"id": webhook_id, "url": url, "secret": secret}, status=201, dumps=dumps
    )


@routes.get("/v1/webhooks")
async def list_webhooks(request: web.Request) -> web.Response:
    await request.app[AUTH].require(request, KeyRole.ADMIN)
    query_params(request, ())
    rows = await request.app[DB].read(alert_store.webhook_rows)
    return web.json_response({"webhooks": rows}, dumps=dumps)


@routes.delete("/v1/webhooks/{id}")
async def remove_webhook(request: web.Request) -> web.Response:
    await request.app[AUTH].require(request, KeyRole.ADMIN)
    raw = request.match_info["id"]
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise NotFound(said("no_such", what=RECORD["webhook"]))
    webhook_id = int(raw)
    if not await request.app[DB].write(lambda db: alert_store.revoke_webhook(db, webhook_id)):
        raise NotFound(said("no_record", what=RECORD["active webhook"], id=webhook_id))
    return web.json_response({"ok": True, "id": webhook_id, "removed": True}, dumps=dumps)
