"""Well-known redirectors and link shorteners.

A scam link is often wrapped: ``google.com/url?q=``, ``l.facebook.com/l.php?u=``, WeChat's
``weixin110.qq.com`` warning page, mail "safe links". We judge the destination and say that
it was wrapped. Shorteners are different: the destination is not in the URL and we never
follow links, so a shortener is named as such and nothing more.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote

if TYPE_CHECKING:
    from server.links.url import Link


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


RULES: tuple[RedirectRule, ...] = (
    RedirectRule(
        "Google redirect", frozenset({"google.com", "www.google.com"}), ("/url",), ("q", "url")
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
    }
)


class Redirectors:
    """Lookup of redirector rules and shortener domains."""

    def __init__(
        self, rules: Iterable[RedirectRule] = RULES, shorteners: Iterable[str] = SHORTENERS
    ) -> None:
        self._by_host: dict[str, list[RedirectRule]] = {}
        for rule in rules:
            for host in rule.hosts:
                self._by_host.setdefault(host, []).append(rule)
        self._shorteners = frozenset(shorteners)

    def shortener(self, link: Link) -> str | None:
        """The shortener's domain when ``link`` points at one."""
        host = link.host
        for candidate in (host.ascii, host.registrable):
            if candidate in self._shorteners:
                return candidate
        return None

    def unwrap(self, link: Link) -> tuple[Wrapper, str] | None:
        """The redirector layer and the target URL it carries, or ``None``."""
        host = link.host
        rules = self._by_host.get(host.ascii) or self._by_host.get(host.registrable)
        if not rules or not link.query:
            return None
        query = parse_qs(link.query, keep_blank_values=False)
        for rule in rules:
            if rule.paths and not any(link.path.startswith(p) for p in rule.paths):
                continue
            for param in rule.params:
                values = query.get(param)
                if values and values[0].strip():
                    target = values[0].strip()
                    if "%3a" in target[:12].lower():  # double-encoded by some shims
                        target = unquote(target)
                    return Wrapper(rule.name, host.ascii), target
        return None
