"""Signed webhook bodies, and the receiver's check (including replay protection).

Each delivery carries ``X-FakeWatch-Delivery: <id>`` (unique per webhook and alert) and
``X-FakeWatch-Signature: t=<unix seconds>,v1=<hex>``, where ``v1`` is
``HMAC-SHA256(secret, "<t>.<delivery id>.<body>")``. A receiver accepts a delivery only when
the signature matches, ``t`` is within ``TOLERANCE_S`` of its clock, and it has not seen the
delivery id within that window — so a captured request replayed later, or replayed at once,
is refused. ``ReplayGuard`` + ``verify`` are that receiver, usable as-is in Python consumers.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping

SIGNATURE_HEADER = "X-FakeWatch-Signature"
DELIVERY_HEADER = "X-FakeWatch-Delivery"
#: Five minutes either way: clock drift between hosts, plus a slow retry.
TOLERANCE_S = 300
MAX_REMEMBERED = 100_000


class WebhookRejected(ValueError):
    """A delivery the receiver must refuse; ``reason`` is stable: ``malformed``,
    ``bad_signature``, ``stale`` or ``replayed``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def sign(secret: str, delivery_id: str, body: bytes, now: float | None = None) -> str:
    stamp = int(time.time() if now is None else now)
    mac = hmac.new(secret.encode(), f"{stamp}.{delivery_id}.".encode() + body, hashlib.sha256)
    return f"t={stamp},v1={mac.hexdigest()}"


class ReplayGuard:
    """Delivery ids seen within the tolerance window (bounded memory)."""

    def __init__(self) -> None:
        self._seen: dict[str, float] = {}

    def first_time(self, delivery_id: str, now: float) -> bool:
        if len(self._seen) >= MAX_REMEMBERED:
            self._seen = {k: t for k, t in self._seen.items() if now - t <= 2 * TOLERANCE_S}
        if delivery_id in self._seen:
            return False
        self._seen[delivery_id] = now
        return True


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    guard: ReplayGuard,
    now: float | None = None,
) -> str:
    """The delivery id when the request is genuine and new; raise ``WebhookRejected`` if not."""
    now = time.time() if now is None else now
    lowered = {k.lower(): v for k, v in headers.items()}  # header names are case-insensitive
    delivery_id = lowered.get(DELIVERY_HEADER.lower(), "")
    signature = lowered.get(SIGNATURE_HEADER.lower(), "")
    parts = dict(p.split("=", 1) for p in signature.split(",") if "=" in p)
    if not delivery_id or "t" not in parts or "v1" not in parts or not parts["t"].isdigit():
        raise WebhookRejected("malformed")
    stamp = int(parts["t"])
    expected = sign(secret, delivery_id, body, now=stamp).split("v1=", 1)[1]
    if not hmac.compare_digest(expected, parts["v1"]):
        raise WebhookRejected("bad_signature")
    if abs(now - stamp) > TOLERANCE_S:
        raise WebhookRejected("stale")
    if not guard.first_time(delivery_id, now):
        raise WebhookRejected("replayed")
    return delivery_id
