"""Well-known redirectors and link shorteners.

A scam link is often wrapped: ``google.com/url?q=``, ``l.facebook.com/l.php?u=``, WeChat's
``weixin110.qq.com`` warning page, mail "safe links", Google's AMP viewer
(``google.co.uk/amp/s/host/path``), translate proxies (``translate.google.com/translate?u=``,
``host-name-top.translate.goog``), Bing's click tracker (``bing.com/ck/a?u=a1<base64url>``).
We judge the destination and say that it was wrapped, and by what. Shorteners are different:
the destination is not in the URL and we never follow links, so a shortener is named as such
and nothing more.

Rules match a host exactly, by its registrable domain, or by a brand's label across its
country endings (``google.co.uk``, ``google.com.hk``: ``labels``), since a redirector is
served from every one of them.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote

if TYPE_CHECKING:
    from server.links.domains import DomainParts
    from server.links.url import Link

#: Longest base64 text decoded (Bing's ``u=a1...``): ~4,600 characters decode to more than
#: the parser's default 4,096-character limit, so nothing larger is worth decoding, whatever
#: limit a server sets.
MAX_ENCODED_TARGET = 6_000
_BASE64URL = re.compile(r"[A-Za-z0-9_\-]+={0,2}")
#: ``http:``/``https:`` and the slashes after it (WHATWG reads ``\\`` as ``/``).
_WEB_SCHEME = re.compile(r"https?:[/\\]*", re.IGNORECASE)
#: A carried URL whose host part (up to its path, query or fragment) holds a ``%``.
_ENCODED_HOST = re.compile(r"[^/\\?#%]*%")
#: A target encoded more times than this is judged as the wrapper itself.
_MAX_DECODINGS = 3


@dataclass(frozen=True, slots=True)
class Wrapper:
    """One redirector layer we removed: its name and the host it was served from."""

    name: str
    host: str


@dataclass(frozen=True, slots=True)
class RedirectRule:
    name: str
    #: Registrable domains or exact hosts this rule applies to.
    hosts: frozenset[str]
    #: Path prefixes that carry the target ("" for any path).
    paths: tuple[str, ...]
    #: Query parameters that may hold the target, in order of preference.
    params: tuple[str, ...]
    #: Registrable labels matched on any of the brand's endings (``google`` for google.de,
    #: google.co.uk, google.com.hk), with the host's subdomain one of ``subdomains``.
    labels: frozenset[str] = frozenset()
    subdomains: frozenset[str] = frozenset({"", "www"})
    #: Path prefixes followed by the target's host and path (AMP: ``/amp/s/host/path``),
    #: each with the scheme it stands for.
    path_targets: tuple[tuple[str, str], ...] = ()
    #: Query values written ``a1`` + base64url (Bing's click tracker).
    base64_prefix: str = ""


_GOOGLE = frozenset({"google"})

RULES: tuple[RedirectRule, ...] = (
    RedirectRule(
        "Google redirect",
        frozenset({"google.com", "www.google.com"}),
        ("/url",),
        ("q", "url"),
        labels=_GOOGLE,
    ),
    RedirectRule(
        "Google AMP viewer",
        frozenset({"google.com", "www.google.com"}),
        ("/amp/",),
        (),
        labels=_GOOGLE,
        path_targets=(("/amp/s/", "https"), ("/amp/", "http")),
    ),
    RedirectRule(
        "AMP cache",
        frozenset({"ampproject.org"}),
        ("/c/", "/v/", "/i/"),
        (),
        path_targets=(
            ("/c/s/", "https"),
            ("/v/s/", "https"),
            ("/i/s/", "https"),
            ("/c/", "http"),
            ("/v/", "http"),
            ("/i/", "http"),
        ),
    ),
    RedirectRule(
        "Google Translate proxy",
        frozenset({"translate.google.com", "translate.googleusercontent.com"}),
        ("/translate", "/website", "/translate_c"),
        ("u",),
        labels=_GOOGLE,
        subdomains=frozenset({"translate"}),
    ),
    RedirectRule(
        "Bing click tracking",
        frozenset({"www.bing.com", "bing.com", "cn.bing.com"}),
        ("/ck/a",),
        ("u",),
        base64_prefix="a1",
    ),
    RedirectRule(
        "Facebook link shim",
        frozenset({"l.facebook.com", "lm.facebook.com", "l.messenger.com"}),
        ("/l.php", "/"),
        ("u",),
    ),
    RedirectRule("Instagram link shim", frozenset({"l.instagram.com"}), ("/",), ("u",)),
    RedirectRule(
        "WeChat link warning",
        frozenset({"weixin110.qq.com"}),
        ("/cgi-bin/mmspamsupport-bin/newredirectconfirmcgi", "/"),
        ("url",),
    ),
    RedirectRule(
        "QQ link warning", frozenset({"c.pc.qq.com"}), ("/middlem.html", "/"), ("pfurl", "url")
    ),
    RedirectRule("Zhihu link", frozenset({"link.zhihu.com"}), ("/",), ("target",)),
    RedirectRule(
        "YouTube redirect", frozenset({"www.youtube.com", "youtube.com"}), ("/redirect",), ("q",)
    ),
    RedirectRule("VK away", frozenset({"vk.com", "m.vk.com"}), ("/away.php",), ("to",)),
    RedirectRule(
        "Steam link filter", frozenset({"steamcommunity.com"}), ("/linkfilter",), ("url", "u")
    ),
    RedirectRule("Slack redirect", frozenset({"slack-redir.net"}), ("/link",), ("url",)),
    RedirectRule(
        "Outlook Safe Links", frozenset({"safelinks.protection.outlook.com"}), ("/",), ("url",)
    ),
    RedirectRule("Telegram instant view", frozenset({"t.me"}), ("/iv",), ("url",)),
    RedirectRule("Baidu link", frozenset({"www.baidu.com"}), ("/link",), ("url",)),
)

SHORTENERS: frozenset[str] = frozenset(
    {
        "bit.ly",
        "bitly.com",
        "t.co",
        "tinyurl.com",
        "goo.gl",
        "ow.ly",
        "is.gd",
        "buff.ly",
        "rebrand.ly",
        "cutt.ly",
        "t.cn",
        "url.cn",
        "dwz.cn",
        "suo.im",
        "s.id",
        "rb.gy",
        "shorturl.at",
        "tiny.cc",
        "bit.do",
        "lnkd.in",
        "qrco.de",
        "t.ly",
        "v.gd",
        "shorte.st",
        "adf.ly",
        "x.co",
        "soo.gd",
        "clck.ru",
        "u.to",
        "tinyurl.cn",
        "sohu.gg",
        "mrw.so",
        "w.url.cn",
        "0x0.st",
        "urlz.fr",
        "surl.li",
        "bl.ink",
        "short.io",
        "lnk.bio",
        "reurl.cc",  # widely used in Taiwan
    }
)


#: Google Translate's proxy host for a site: ``www-example-com.translate.goog`` is
#: ``www.example.com`` (``--`` stands for a hyphen of the name).
TRANSLATE_GOOG = ".translate.goog"


class Redirectors:
    """Lookup of redirector rules and shortener domains."""

    def __init__(
        self, rules: Iterable[RedirectRule] = RULES, shorteners: Iterable[str] = SHORTENERS
    ) -> None:
        self._by_host: dict[str, list[RedirectRule]] = {}
        self._by_label: dict[str, list[RedirectRule]] = {}
        for rule in rules:
            for host in rule.hosts:
                self._by_host.setdefault(host, []).append(rule)
            for label in rule.labels:
                self._by_label.setdefault(label, []).append(rule)
        self._shorteners = frozenset(shorteners)

    def shortener(self, link: Link) -> str | None:
        """The shortener's domain when ``link`` points at one."""
        host = link.host
        for candidate in (host.ascii, host.registrable):
            if candidate in self._shorteners:
                return candidate
        return None

    def rules_for(self, host_ascii: str, parts: DomainParts) -> list[RedirectRule]:
        """The rules served from this host: exact host, registrable domain, or a brand's
        label on one of its country endings (``www.google.co.uk``)."""
        by_host = self._by_host
        found = by_host.get(host_ascii) or by_host.get(parts.registrable)
        if found:
            return found
        by_label = self._by_label.get(parts.label)
        if not by_label or not _brand_ending(parts):
            return []
        return [rule for rule in by_label if parts.subdomain in rule.subdomains]

    def unwrap(self, link: Link) -> tuple[Wrapper, str] | None:
        """The redirector layer and the target URL it carries, or ``None``."""
        host = link.host
        parts = host.parts
        # Asked for every link: two dict lookups turn away nearly all of them.
        if parts.label not in self._by_label and (
            parts.registrable not in self._by_host and host.ascii not in self._by_host
        ):
            if host.ascii.endswith(TRANSLATE_GOOG) and host.ip is None:
                return _translate_goog(link)
            return None
        rules = self.rules_for(host.ascii, parts)
        if not rules:
            return None
        path = link.path
        query = parse_qs(link.query, keep_blank_values=False) if link.query else {}
        for rule in rules:
            if rule.paths and not any(path.startswith(p) for p in rule.paths):
                continue
            for prefix, scheme in rule.path_targets:
                if path.startswith(prefix) and len(path) > len(prefix):
                    target = _as_url(path[len(prefix) :], scheme)
                    if link.query:
                        target += "?" + link.query
                    return Wrapper(rule.name, host.ascii), target
            for param in rule.params:
                values = query.get(param)
                if values and values[0].strip():
                    target = values[0].strip()
                    if rule.base64_prefix:
                        decoded = _decode_base64(target, rule.base64_prefix)
                        if decoded is None:
                            continue
                        target = decoded
                    return Wrapper(rule.name, host.ascii), _as_url(target, None)
        return None


def _as_url(value: str, scheme: str | None) -> str:
    """The URL a wrapper carries, whether written whole (``/amp/s/https://evil.top/x``),
    without its scheme (``/amp/s/evil.top/x``: ``scheme`` stands for it) or percent-encoded
    once or twice more than the wrapper's own layer (``https%3A%2F%2Fevil.top``,
    ``evil.top%2Fx``). Read as a browser would: a host cannot hold ``%``, so a ``%`` before
    the first ``/`` (after any ``http(s):``) means the whole value is encoded. A value
    without ``http(s):`` gets ``scheme://`` (AMP) or is left to the parser, which reads it
    as ``http:`` (query targets)."""
    value = value.strip()
    for _ in range(_MAX_DECODINGS):
        head = _WEB_SCHEME.match(value)
        rest = value[head.end() :] if head is not None else value.lstrip("/\\")
        if _ENCODED_HOST.match(rest) is None:
            break
        value = unquote(value).strip()
    if scheme is None or _WEB_SCHEME.match(value) is not None:
        return value
    return scheme + "://" + value.lstrip("/\\")


def _brand_ending(parts: DomainParts) -> bool:
    """``com`` or a country ending (``de``, ``co.uk``, ``com.hk``): where a brand serves its
    own redirector. Never a hosting suffix or a new generic ending anyone can register on."""
    suffix = parts.suffix
    if parts.private_suffix or not suffix:
        return False
    if suffix == "com":
        return True
    head, _, tld = suffix.rpartition(".")
    return len(tld) == 2 and head in ("", "com", "co")


def _decode_base64(value: str, prefix: str) -> str | None:
    """``a1aHR0cHM6...`` → ``https:...``, bounded; ``None`` unless it decodes to text."""
    if not value.startswith(prefix) or len(value) > MAX_ENCODED_TARGET:
        return None
    encoded = value[len(prefix) :]
    if not _BASE64URL.fullmatch(encoded):
        return None
    try:
        raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        return raw.decode("utf-8")
    except (binascii.Error, ValueError):
        return None


def _translate_goog(link: Link) -> tuple[Wrapper, str] | None:
    """``www-example-com.translate.goog/path`` → ``https://www.example.com/path``."""
    host = link.host.ascii
    name = host[: -len(TRANSLATE_GOOG)]
    if not name or "." in name:
        return None
    # "--" is a hyphen of the name, a single "-" a dot.
    site = ".".join(part.replace("\0", "-") for part in name.replace("--", "\0").split("-"))
    if "." not in site.strip("."):
        return None
    target = f"https://{site}{link.path}"
    query = "&".join(q for q in link.query.split("&") if q and not q.startswith("_x_tr_"))
    if query:
        target += "?" + query
    return Wrapper("Google Translate proxy", host), target
