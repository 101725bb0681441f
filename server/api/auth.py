"""Who is calling: ``Authorization: Bearer KEY`` → a principal with a role.

Every write needs a key. Checks need a client key unless the operator opened them
(``FAKEWATCH_OPEN_CHECKS``); open checks are rate-limited per IP, keyed calls per key, and
wrong keys per IP (so guessing keys is slow). Keys are looked up by hash; a short cache keeps
the database out of the hot path (one SHA-256 and a dict lookup per request). A revoke through
the API clears this process's cache at once; a revoke anywhere else (the CLI, another server
process on the same database) is noticed within ``REVOCATION_CHECK_S``: that often, one
request reads the revocation count and a change empties the cache.
"""

from __future__ import annotations

import functools
import hmac
import ipaddress
import time
from dataclasses import dataclass

from aiohttp import web
from sqlite_utils import Database as SqliteDb

from server.api.ratelimit import RateLimiter
from server.errors import Forbidden, RateLimited, Unauthorized, said
from server.keys import KeyRole, hash_key, key_prefix
from server.settings import Settings, proxy_networks
from server.storage import queries
from server.storage.database import Database

CACHE_SECONDS = 30.0
CACHE_MAX = 10_000
REVOCATION_CHECK_S = 2.0
#: A client key may waste this many times the per-IP budget of wrong relay codes a minute.
RELAY_KEY_FAILURE_FACTOR = 10


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller: a key (by id and prefix, never the key) or an anonymous IP."""

    role: KeyRole | None
    key_id: int | None
    label: str

    @property
    def actor(self) -> str:
        return self.label


ANONYMOUS = Principal(None, None, "anonymous")


class KeyCache:
    """Principals by key hash for ``CACHE_SECONDS``, safe against a lookup that straddles a
    clear: a request that read a key before a revocation and finishes after the cache was
    emptied must not put the stale answer back. Every ``clear`` bumps ``generation``; a reader
    takes it before its database read and ``put``s with it, and a changed one is not stored."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, Principal | None]] = {}
        self.generation = 0

    def clear(self) -> None:
        self._entries.clear()
        self.generation += 1

    def get(self, digest: str, now: float) -> tuple[Principal | None] | None:
        """``(principal,)`` while fresh (the principal is None for an unknown key), else None."""
        cached = self._entries.get(digest)
        if cached is not None and now - cached[0] < CACHE_SECONDS:
            return (cached[1],)
        return None

    def put(self, digest: str, principal: Principal | None, now: float, generation: int) -> bool:
        """Store what a read begun at ``generation`` found; False (not stored) if a clear came
        in between."""
        if generation != self.generation:
            return False
        if len(self._entries) >= CACHE_MAX:
            self._entries.clear()  # size bound only: what was cached is still true
        self._entries[digest] = (now, principal)
        return True

    def __len__(self) -> int:
        return len(self._entries)


class Authenticator:
    def __init__(self, settings: Settings, db: Database) -> None:
        self._settings = settings
        self._db = db
        self._admin_hash = hash_key(settings.admin_key) if settings.admin_key else None
        self._cache = KeyCache()
        self._revocations: tuple[int, str | None] | None = None
        self._revocations_checked = -REVOCATION_CHECK_S
        self.per_key = RateLimiter(settings.key_requests_per_minute)
        self.per_ip_open = RateLimiter(settings.open_checks_per_minute)
        self.failures = RateLimiter(settings.auth_failures_per_minute)
        #: Wrong relay codes per client key: a key is often shared by a household's or a
        #: newsroom's browsers, so one member guessing must not lock the others out of
        #: linking; the per-IP budget (``failures``) stays the tight one.
        self.relay_failures_per_key = RateLimiter(
            settings.auth_failures_per_minute * RELAY_KEY_FAILURE_FACTOR
        )

    def forget(self) -> None:
        """Drop cached keys (after a revoke through the API)."""
        self._cache.clear()

    async def require(
        self, request: web.Request, role: KeyRole, *, open_check: bool = False
    ) -> Principal:
        """The caller if it may act as ``role``; raise 401/403/429 otherwise."""
        ip = client_ip(request, self._settings)
        key = _bearer(request)
        if key is None:
            if open_check and self._settings.open_checks:
                _limit(self.per_ip_open, "ip:" + ip)
                return ANONYMOUS
            raise Unauthorized(said("key_needed"))
        # Refused before the lookup: past its budget, an IP learns nothing, not even that its
        # next guess was right.
        wait = self.failures.blocked("fail:" + ip)
        if wait:
            raise RateLimited(said("wrong_keys_wait", wait=wait), retry_after=wait)
        principal = await self._lookup(key)
        if principal is None:
            _limit(self.failures, "fail:" + ip)
            raise Unauthorized(said("key_not_valid"))
        _limit(self.per_key, f"key:{principal.key_id}")
        assert principal.role is not None
        if not principal.role.allows(role):
            raise Forbidden(said("key_role", needed=str(role), role=str(principal.role)))
        return principal

    async def _lookup(self, key: str) -> Principal | None:
        if len(key) > 200:
            return None
        digest = hash_key(key)
        if self._admin_hash is not None and hmac.compare_digest(digest, self._admin_hash):
            return Principal(KeyRole.ADMIN, 0, "admin-key(env)")
        now = time.monotonic()
        if now - self._revocations_checked >= REVOCATION_CHECK_S:
            self._revocations_checked = now
            state = await self._db.read(_revocation_state)
            if state != self._revocations:
                self._cache.clear()
                self._revocations = state
        cached = self._cache.get(digest, now)
        if cached is not None:
            return cached[0]
        generation = self._cache.generation  # before the read: see KeyCache
        row = await self._db.read(lambda db: queries.find_api_key(db, digest))
        principal = (
            Principal(KeyRole(row["role"]), int(row["id"]), f"key:{row['id']}:{key_prefix(key)}")
            if row
            else None
        )
        self._cache.put(digest, principal, now, generation)
        return principal


def _revocation_state(db: SqliteDb) -> tuple[int, str | None]:
    """Moves whenever a key is revoked (keys are never un-revoked or deleted)."""
    count, latest = db.execute("SELECT COUNT(revoked_at), MAX(revoked_at) FROM api_keys").fetchone()
    return int(count), latest


def _bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise Unauthorized(said("key_header_format"))
    return value.strip()


def _limit(limiter: RateLimiter, bucket: str) -> None:
    wait = limiter.take(bucket)
    if wait:
        raise RateLimited(said("requests_wait", wait=wait), retry_after=wait)


#: IPv6 clients are counted by /64: one home or phone gets a whole /64 and picks any address in it.
IPV6_CLIENT_PREFIX = 64


def client_ip(request: web.Request, settings: Settings) -> str:
    """The client's address as rate limits and reporter ids count it (an IPv6 client: its /64).

    ``X-Forwarded-For`` counts only on a connection from a configured proxy
    (``FAKEWATCH_TRUSTED_PROXIES``), and then only the entry the nearest trusted proxies
    appended: ``FAKEWATCH_FORWARDED_FOR_HOPS`` from the right. Entries to the left of it were
    written by the client and prove nothing."""
    peer = request.remote or "unknown"
    address = peer
    if settings.trust_forwarded_for and _is_proxy(peer, settings.trusted_proxies):
        entries = [
            e.strip() for e in ",".join(request.headers.getall("X-Forwarded-For", ())).split(",")
        ]
        entries = [e for e in entries if e]
        if entries:
            address = entries[-min(settings.forwarded_for_hops, len(entries))]
    return _grouped(address) or _grouped(peer) or "unknown"


def forwarded_https(request: web.Request, settings: Settings) -> bool:
    """Whether a configured proxy says the client came over https (``X-Forwarded-Proto``, the
    value the nearest proxy set: the last one)."""
    if not settings.trust_forwarded_for or not _is_proxy(
        request.remote or "", settings.trusted_proxies
    ):
        return False
    values = ",".join(request.headers.getall("X-Forwarded-Proto", ())).split(",")
    return values[-1].strip().lower() == "https"


@functools.lru_cache(maxsize=8)
def _proxies(text: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return proxy_networks(text)


def _is_proxy(peer: str, proxies: str) -> bool:
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:  # a Unix socket or unknown peer: no proxy we configured
        return False
    return any(address in network for network in _proxies(proxies))


def _grouped(text: str) -> str | None:
    """A valid address as its rate-limit bucket (IPv6 by /64), None for anything else."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        network = ipaddress.IPv6Network((address, IPV6_CLIENT_PREFIX), strict=False)
        return str(network)
    return str(address)
