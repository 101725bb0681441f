"""Where webhooks may point: public addresses only, unless the operator allows private ones.

A webhook URL is chosen by whoever holds an admin key, but the request is made by the server,
from inside its network: without a guard, ``http://127.0.0.1:…``, ``http://169.254.169.254/``
(cloud metadata) or a LAN address would turn alerts into a way to reach what only the server
can reach (SSRF). So a URL whose host is a non-public IP (in any spelling the C resolver
accepts: ``0x7f000001``, ``2130706433``, ``[::ffff:127.0.0.1]``) or a ``localhost`` name is
refused when it is registered (``webhook_private_target``); a name is resolved at every
delivery, and the resolver the deliverer connects through drops non-public addresses, so a
name pointing at 10.0.0.1 — at registration or only later (DNS rebinding) — is never
reached. Registration does not resolve names itself: the server makes no DNS query on an
admin's say-so, only when it delivers. ``FAKEWATCH_WEBHOOK_ALLOW_PRIVATE`` turns the guard
off (tests, closed networks).
"""

from __future__ import annotations

import ipaddress
import re
import socket

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver
from yarl import URL

#: Hosts the C resolver would read as an IPv4 address (``inet_aton``: hex, octal, short forms).
_NUMERIC_HOST = re.compile(r"[0-9a-fx.]+")

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class PrivateTarget(ValueError):
    """The URL's host is, or resolves to, an address only the server's own network reaches."""


def is_public(address: IpAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        # 6to4 (2002::/16) carries an IPv4 address a relay delivers to: judge that one too.
        elif address.sixtofour is not None and not is_public(address.sixtofour):
            return False
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or (isinstance(address, ipaddress.IPv6Address) and address.is_site_local)
        or not address.is_global
    )


def _literal(host: str) -> IpAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        pass
    if _NUMERIC_HOST.fullmatch(host) and any(c.isdigit() for c in host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def host_of(url: str) -> str:
    """The host the HTTP client will connect to: yarl's IDNA/NFKC form, so circled or
    full-width digits (``①②⑦.0.0.1``, ``１２７。0。0。1``) are judged as the ``127.0.0.1`` they
    become, not as the text they were written as."""
    try:
        host = URL(url).raw_host
    except (ValueError, TypeError, UnicodeError):
        host = None
    if not host:
        raise PrivateTarget("the URL has no host")
    return host


def check_literal(url: str) -> None:
    """Refuse a URL whose host is a private IP literal or a loopback name (no DNS needed).
    aiohttp connects to IP literals without asking the resolver, so this runs at delivery too."""
    host = host_of(url).lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        raise PrivateTarget(f"{host} is this machine")
    address = _literal(host)
    if address is not None and not is_public(address):
        raise PrivateTarget(f"{address} is a private, loopback or link-local address")


class NonPublicAddress(OSError):
    """What ``GuardedResolver`` raises: the name resolves only to non-public addresses (an
    ``OSError``, as resolvers fail, but one a caller can tell from a DNS failure)."""


class GuardedResolver(AbstractResolver):
    """aiohttp's resolver minus non-public addresses: the connection is made to what was
    checked, so there is no gap between the check and the connect."""

    def __init__(self) -> None:
        self._inner = DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        public = [r for r in results if (a := _literal(r["host"])) is not None and is_public(a)]
        if not public:
            raise NonPublicAddress(f"{host} resolves only to non-public addresses; refused")
        return public

    async def close(self) -> None:
        await self._inner.close()
