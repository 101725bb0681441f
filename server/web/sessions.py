"""Moderator sign-in for the web page: a key typed once becomes a session cookie.

The cookie holds a random session token, never the key; the server keeps ``token → key hash``
in memory (a restart signs everyone out) and looks the key up again on every request, so a
revoked key stops working at once. Forms carry a CSRF token derived from the session, and the
cookie is ``HttpOnly; SameSite=Strict``. A request with ``Authorization: Bearer KEY`` works too
(scripts, tests), without cookie or CSRF.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass, field

from aiohttp import web

from server.api.auth import Principal
from server.api.state import AUTH, DB, SETTINGS
from server.keys import KeyRole, hash_key, key_prefix
from server.storage import queries

COOKIE = "fw_mod"
SESSION_SECONDS = 8 * 3600
MAX_SESSIONS = 10_000


@dataclass
class Sessions:
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    _live: dict[str, tuple[str, str, float]] = field(default_factory=dict)

    def open(self, key: str) -> str:
        if len(self._live) >= MAX_SESSIONS:
            now = time.monotonic()
            self._live = {t: v for t, v in self._live.items() if v[2] > now}
        token = secrets.token_urlsafe(32)
        self._live[token] = (hash_key(key), key_prefix(key), time.monotonic() + SESSION_SECONDS)
        return token

    def close(self, token: str) -> None:
        self._live.pop(token, None)

    def key_of(self, token: str) -> tuple[str, str] | None:
        found = self._live.get(token)
        if found is None or found[2] < time.monotonic():
            return None
        return found[0], found[1]

    def csrf(self, token: str) -> str:
        return hmac.new(self.secret, token.encode(), hashlib.sha256).hexdigest()[:32]


async def moderator_for_key_hash(
    request: web.Request, digest: str, prefix: str
) -> Principal | None:
    settings = request.app[SETTINGS]
    if settings.admin_key and hmac.compare_digest(digest, hash_key(settings.admin_key)):
        return Principal(KeyRole.ADMIN, 0, "admin-key(env)")
    row = await request.app[DB].read(lambda db: queries.find_api_key(db, digest))
    if row is None or not KeyRole(row["role"]).allows(KeyRole.MODERATOR):
        return None
    return Principal(KeyRole(row["role"]), int(row["id"]), f"key:{row['id']}:{prefix}")


async def page_moderator(request: web.Request, sessions: Sessions) -> tuple[Principal, str] | None:
    """The signed-in moderator and the CSRF token their forms must carry ("" for bearer)."""
    if "Authorization" in request.headers:
        return await request.app[AUTH].require(request, KeyRole.MODERATOR), ""
    token = request.cookies.get(COOKIE, "")
    found = sessions.key_of(token) if token else None
    if found is None:
        return None
    moderator = await moderator_for_key_hash(request, *found)
    if moderator is None:
        sessions.close(token)
        return None
    return moderator, sessions.csrf(token)
