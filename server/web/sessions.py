"""Moderator sign-in for the web page: a key typed once becomes a session cookie.

The cookie holds a random session token, never the key. The database keeps only the token's
SHA-256, the key's hash and prefix, and an expiry (``moderator_sessions``), so a restart does
not sign moderators out, several server processes on one database agree, and a leaked
database holds no usable token. The key is looked up again on every request, so a revoked
key stops working at once; signing out deletes the session row. Forms carry a CSRF token, an
HMAC of the session token with a secret kept in ``meta`` (the same in every process), and the
cookie is ``HttpOnly; SameSite=Strict``. A request with ``Authorization: Bearer KEY`` works
too (scripts, tests), without cookie or CSRF.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

from aiohttp import web
from sqlite_utils import Database as SqliteDb

from server.api.auth import Principal
from server.api.state import AUTH, DB, SETTINGS
from server.keys import KeyRole, hash_key, key_prefix
from server.storage import queries
from server.storage.database import Database

COOKIE = "fw_mod"
SESSION_SECONDS = 8 * 3600
#: Longest token a cookie may carry before we bother hashing it (ours are 43 characters).
MAX_TOKEN = 128
_SECRET_META_KEY = "moderator_csrf_secret"  # noqa: S105 - the meta row name, not a secret


def _iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def csrf_secret(db: SqliteDb) -> bytes:
    """The CSRF secret every process shares (made on first use, kept in ``meta``)."""
    row = db.execute("SELECT value FROM meta WHERE key = ?", [_SECRET_META_KEY]).fetchone()
    if row is None:
        db.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)",
            [_SECRET_META_KEY, secrets.token_hex(32)],
        )
        row = db.execute("SELECT value FROM meta WHERE key = ?", [_SECRET_META_KEY]).fetchone()
    return bytes.fromhex(str(row[0]))


class Sessions:
    def __init__(self, db: Database, secret: bytes) -> None:
        self._db = db
        self._secret = secret

    async def open(self, key: str) -> str:
        token = secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        row = [
            _token_hash(token),
            hash_key(key),
            key_prefix(key),
            _iso(now),
            _iso(now + timedelta(seconds=SESSION_SECONDS)),
        ]

        def write(db: SqliteDb) -> None:
            # Expired sessions go as new ones come: the table never outgrows the live ones.
            db.execute("DELETE FROM moderator_sessions WHERE expires_at <= ?", [row[3]])
            db.execute(
                "INSERT INTO moderator_sessions (token_hash, key_hash, key_prefix, created_at,"
                " expires_at) VALUES (?, ?, ?, ?, ?)",
                row,
            )

        await self._db.write(write)
        return token

    async def close(self, token: str) -> None:
        if not token or len(token) > MAX_TOKEN:
            return
        digest = _token_hash(token)
        await self._db.write(
            lambda db: db.execute("DELETE FROM moderator_sessions WHERE token_hash = ?", [digest])
        )

    async def key_of(self, token: str) -> tuple[str, str] | None:
        """The key hash and prefix behind a live session token."""
        if not token or len(token) > MAX_TOKEN:
            return None
        digest, now = _token_hash(token), queries.now_iso()
        row = await self._db.read(
            lambda db: db.execute(
                "SELECT key_hash, key_prefix FROM moderator_sessions"
                " WHERE token_hash = ? AND expires_at > ?",
                [digest, now],
            ).fetchone()
        )
        return (str(row[0]), str(row[1])) if row else None

    def csrf(self, token: str) -> str:
        return hmac.new(
            self._secret, token.encode("utf-8", "surrogatepass"), hashlib.sha256
        ).hexdigest()[:32]


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
    found = await sessions.key_of(token) if token else None
    if found is None:
        return None
    moderator = await moderator_for_key_hash(request, *found)
    if moderator is None:
        await sessions.close(token)
        return None
    return moderator, sessions.csrf(token)
