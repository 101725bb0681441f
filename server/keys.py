"""API keys: made once, shown once, stored only as a hash.

Keys are 32 random bytes, so a plain SHA-256 is the right hash (no salt or slow KDF needed:
there is nothing to brute-force). The first characters are kept as a ``prefix`` so an
operator can tell keys apart in listings and logs without the key itself.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from enum import StrEnum

KEY_PREFIX = "fw_"
PREFIX_CHARS = 10


class KeyRole(StrEnum):
    """What a key may do; each role includes the ones before it."""

    CLIENT = "client"
    MODERATOR = "moderator"
    ADMIN = "admin"

    def allows(self, needed: KeyRole) -> bool:
        return _RANK[self] >= _RANK[needed]


#: Checked on every keyed request: a dict lookup, not a walk over the enum.
_RANK = {role: rank for rank, role in enumerate(KeyRole)}


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    # ``surrogatepass``: aiohttp decodes header bytes that are not UTF-8 (``Bearer fw_\xff``)
    # into lone surrogates; such a key must hash (and be refused as wrong), not raise.
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def key_prefix(key: str) -> str:
    return key[:PREFIX_CHARS]


#: ``key:ID:PREFIX`` as principals name themselves (``Principal.actor``).
_ACTOR_PREFIX = re.compile(r"\b(key:\d+):[A-Za-z0-9_\-]+")


def without_key_prefixes(text: str) -> str:
    """``text`` with every ``key:ID:fw_XXXXXXX`` cut to ``key:ID``.

    The prefix is fine for an operator telling keys apart (listings, the audit log), but it is
    7 characters of the secret: text an anonymous checker can read (a list entry's ``source``,
    quoted in verdicts and ``/r/`` pages) names a key by its id only. Older entries stored the
    whole actor, so it is applied where a source is shown as well as where one is written.
    """
    return _ACTOR_PREFIX.sub(r"\1", text)
