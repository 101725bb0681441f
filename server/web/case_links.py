"""Addresses of public case pages that cannot be guessed: ``/r/c<id>-<mac>`` (and
``/r/k<id>-<mac>`` for a known-fakes entry, with a MAC of its own).

Case ids count up, so ``/r/c1``, ``/r/c2``… would list every item anyone ever reported. A case
page's address carries an HMAC of the case id with a secret kept in ``meta`` (made on first use,
the same in every process of ``serve --workers N``); only the server and those it gave the
address to (moderators, alert subscribers) can open it. The old ``/r/c<id>`` form stays open
only for cases that were confirmed (confirmed or retired): the only ones alerts ever linked to,
and already published through ``GET /v1/alerts``.

What a page shows also depends on the case's status (see ``PUBLIC_STATUSES``): until a moderator
decided, nothing about the accusation is shown, whoever asks.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass

from aiohttp import web
from sqlite_utils import Database as SqliteDb

from server.api.state import DB

_SECRET_META_KEY = "case_page_secret"  # noqa: S105 - the meta row name, not a secret
#: 96 bits of HMAC, 16 base64url characters: not worth guessing at any request rate.
MAC_BYTES = 12
#: Statuses a moderator decided: only these cases show their details (item, category, counts).
PUBLIC_STATUSES = frozenset({"confirmed", "rejected", "retired"})
#: Statuses the old sequential ``/r/c<id>`` address still opens: alerts linked only to these.
LEGACY_STATUSES = frozenset({"confirmed", "retired"})
#: ``c<id>`` (legacy) or ``c<id>-<mac>``.
CASE_PAGE_ID = re.compile(r"c([0-9]{1,18})(?:-([A-Za-z0-9_\-]{16}))?")
#: ``k<id>-<mac>``: a known-fakes entry (only ever handed out with its MAC).
KNOWN_FAKE_PAGE_ID = re.compile(r"k([0-9]{1,18})-([A-Za-z0-9_\-]{16})")


def page_secret(db: SqliteDb) -> bytes:
    """The secret every process shares (made on first use, kept in ``meta``)."""
    query = "SELECT value FROM meta WHERE key = ?"
    row = db.execute(query, [_SECRET_META_KEY]).fetchone()
    if row is None:
        db.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)",
            [_SECRET_META_KEY, secrets.token_hex(32)],
        )
        row = db.execute(query, [_SECRET_META_KEY]).fetchone()
    return bytes.fromhex(str(row[0]))


@dataclass(frozen=True)
class CaseLinks:
    secret: bytes

    def mac(self, case_id: int) -> str:
        digest = hmac.new(self.secret, f"case-page:{case_id}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:MAC_BYTES]).decode()

    def path(self, case_id: int) -> str:
        """The page of a case, as moderators and the API hand it out."""
        return f"/r/c{case_id}-{self.mac(case_id)}"

    def valid(self, case_id: int, mac: str) -> bool:
        return hmac.compare_digest(mac.encode(), self.mac(case_id).encode())

    def known_fake_mac(self, fake_id: int) -> str:
        message = f"known-fake-page:{fake_id}".encode()
        digest = hmac.new(self.secret, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:MAC_BYTES]).decode()

    def known_fake_path(self, fake_id: int) -> str:
        """The page of a known-fakes entry, as a media check that matched it hands it out:
        bank ids count up too, and the bank's labels are for those who met a copy."""
        return f"/r/k{fake_id}-{self.known_fake_mac(fake_id)}"

    def known_fake_valid(self, fake_id: int, mac: str) -> bool:
        return hmac.compare_digest(mac.encode(), self.known_fake_mac(fake_id).encode())


CASE_LINKS = web.AppKey("case_links", CaseLinks)


async def case_links_lifecycle(app: web.Application) -> AsyncIterator[None]:
    """Reads (or makes) the secret once at start-up; needs the database."""
    app[CASE_LINKS] = CaseLinks(await app[DB].write(page_secret))
    yield
