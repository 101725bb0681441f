"""Addresses of shareable verdict pages (``GET /r/{id}``), for check responses and alerts.

``{id}`` says what the page shows, and no page id is a database row of a check, so checks stay
unstored:

- ``c<case id>`` — a community case;
- ``l<base64url of the URL>`` — a link check, judged again when the page is opened;
- ``i<sha256 of the item's merge key>`` — a text, media, phone or wallet item: a *moderation
  status* page, which shows the community case for it once a moderator decided it, and says
  that it is not the automatic check (the item itself is not in the address, and a text is
  never stored, so it cannot be judged again there);
- ``k<id>-<mac>`` — a known-fakes entry, for a picture or video that matched it.

Helpers for other check kinds: ``text_verdict_url``, ``media_verdict_url``, ``item_verdict_url``.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from server.api.state import SETTINGS
from server.community.items import ItemKind, item_hash, media_key, text_key
from server.errors import ValidationFailed
from server.web.case_links import CASE_LINKS

#: A page id longer than this is refused (a URL of FAKEWATCH_MAX_URL_LENGTH encodes to ~5.5k).
MAX_PAGE_ID = 8000
_PAGE_PATH = re.compile(r"/r/[A-Za-z0-9_\-]{1,8000}")  # MAX_PAGE_ID


def case_path(case_id: int) -> str:
    return f"/r/c{case_id}"


def link_path(url: str) -> str:
    # base64url without padding: ``base64.urlsafe_b64encode``'s two steps, called directly (a
    # check answer builds one for every new link).
    encoded = binascii.b2a_base64(url.encode(), newline=False).translate(_URLSAFE)
    return "/r/l" + encoded.rstrip(b"=").decode("ascii")


_URLSAFE = bytes.maketrans(b"+/", b"-_")


def item_path(kind: ItemKind, key: str) -> str:
    return "/r/i" + item_hash(kind, key)


def decode_link(token: str) -> str | None:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        return raw.decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def absolute(request: web.Request, path: str) -> str:
    """``public_url`` + path when the operator set it, else the request's own origin."""
    base = request.app[SETTINGS].public_url.rstrip("/")
    if not base:
        base = f"{request.scheme}://{request.host}"
    return base + path


def own_absolute(request: web.Request, path: str) -> str:
    """``public_url`` + path, else the address this connection reached (never the Host
    header): for addresses sent on to someone else, such as a relay item delivered to a chat,
    where a forged ``Host: evil.example`` must not become a link. Behind a reverse proxy, set
    FAKEWATCH_PUBLIC_URL or these links name the proxy's upstream address."""
    base = request.app[SETTINGS].public_url.rstrip("/")
    if base:
        return base + path
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    if isinstance(sockname, tuple) and len(sockname) >= 2:
        host, port = str(sockname[0]), int(sockname[1])
    else:  # a closed connection or a Unix socket: the configured listening address
        settings = request.app[SETTINGS]
        host, port = settings.host, settings.port
    shown = f"[{host}]" if ":" in host else host
    return f"{request.scheme}://{shown}:{port}{path}"


def page_path(url: str) -> str | None:
    """The verdict page path (``/r/<id>``) a URL points at, whatever its host; None if it is
    not one."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if not _PAGE_PATH.fullmatch(parts.path):
        return None
    return parts.path


def link_verdict_url(request: web.Request, url: str) -> str:
    return absolute(request, link_path(url))


def text_verdict_url(request: web.Request, text: str) -> str | None:
    """For ``/v1/check/text``: the page of this message's template (None if too short)."""
    try:
        key = text_key(text)
    except ValidationFailed:
        return None
    return absolute(request, item_path(key.kind, key.key))


def media_verdict_url(
    request: web.Request, hashes: dict[str, str], matches: Sequence[Mapping[str, Any]] = ()
) -> str | None:
    """For ``/v1/check/media``: a picture that matched a known fake links to that bank entry's
    page (what the reason names); any other picture to the page of its perceptual hash (pdq
    or phash hex), which shows only the moderators' decision on it."""
    if matches and isinstance(matches[0].get("id"), int):
        return absolute(request, request.app[CASE_LINKS].known_fake_path(matches[0]["id"]))
    try:
        key = media_key(hashes)
    except ValidationFailed:
        return None
    return absolute(request, item_path(key.kind, key.key))
