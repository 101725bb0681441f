"""Official channels: is this link or account one where the person really speaks?

Operators register a person's ``official_domains`` (``fudan.edu.cn``) and
``official_accounts`` in any of the forms people write them: ``@elonmusk``,
``weibo:张文宏``, ``wechat:zwh_official`` or a profile URL ``https://x.com/elonmusk``.
A destination in a message is then one of:

- ``official``: on an official domain (or a subdomain of one), or an official account;
- ``neutral``: a well-known site that is not a social or messaging platform (a news story
  linking to reuters.com is not a scam destination), or an operator-allowlisted host;
- ``unofficial``: anything else — an unknown shop, an account on a platform that is not
  theirs, a wallet. That is where impersonation scams send people.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import unquote

from server.links.url import InvalidUrl, Link, LinkParser
from server.lists import Action, ListIndex
from server.persons.registry import Person, PersonInvalid

#: Hosts where the first path segment is an account (``x.com/elonmusk``), with the name we
#: compare them under. A link here says *which account*, so the site being famous proves
#: nothing: ``t.me/elon_giveaway`` is as unofficial as an unknown shop.
PROFILE_HOSTS: dict[str, str] = {
    "x.com": "x.com",
    "twitter.com": "x.com",
    "t.me": "t.me",
    "telegram.me": "t.me",
    "facebook.com": "facebook.com",
    "fb.com": "facebook.com",
    "instagram.com": "instagram.com",
    "youtube.com": "youtube.com",
    "tiktok.com": "tiktok.com",
    "douyin.com": "douyin.com",
    "weibo.com": "weibo.com",
    "bilibili.com": "bilibili.com",
    "space.bilibili.com": "bilibili.com",
    "xiaohongshu.com": "xiaohongshu.com",
    "kuaishou.com": "kuaishou.com",
    "linkedin.com": "linkedin.com",
    "threads.net": "threads.net",
    "wa.me": "wa.me",
    "line.me": "line.me",
    "discord.gg": "discord.gg",
    "discord.com": "discord.gg",
}

#: Platform words operators write before a handle (``telegram:@x``), mapped like hosts.
PLATFORM_WORDS: dict[str, str] = {
    "x": "x.com",
    "twitter": "x.com",
    "telegram": "t.me",
    "tg": "t.me",
    "facebook": "facebook.com",
    "instagram": "instagram.com",
    "youtube": "youtube.com",
    "tiktok": "tiktok.com",
    "douyin": "douyin.com",
    "抖音": "douyin.com",
    "weibo": "weibo.com",
    "微博": "weibo.com",
    "bilibili": "bilibili.com",
    "b站": "bilibili.com",
    "xiaohongshu": "xiaohongshu.com",
    "小红书": "xiaohongshu.com",
    "kuaishou": "kuaishou.com",
    "快手": "kuaishou.com",
    "wechat": "wechat",
    "weixin": "wechat",
    "微信": "wechat",
    "公众号": "wechat",
    "whatsapp": "wa.me",
    "line": "line.me",
    "discord": "discord.gg",
    "linkedin": "linkedin.com",
    "threads": "threads.net",
}

_STRIP_SUBDOMAINS = ("www.", "m.", "mobile.")
_HANDLE = re.compile(r"[^\s/:@]{1,100}")


class Standing(StrEnum):
    OFFICIAL = "official"
    NEUTRAL = "neutral"
    UNOFFICIAL = "unofficial"


@dataclass(frozen=True, slots=True)
class Account:
    """An account on a platform; ``platform`` None means "this handle on any platform"."""

    platform: str | None
    handle: str

    def shown(self) -> str:
        if self.platform in (None, "wechat"):
            prefix = "WeChat " if self.platform == "wechat" else ""
            return f"{prefix}@{self.handle}" if self.platform is None else prefix + self.handle
        return f"{self.platform}/{self.handle}"


@dataclass(frozen=True, slots=True)
class Destination:
    """Where a message sends people, and how that stands against one person's channels."""

    kind: str  # "link" or "account"
    value: str
    standing: Standing
    why: str  # "official_domain", "official_account", "well_known_site", "allowlisted",
    # "blocklisted", "unknown_site", "other_account"

    def describe(self) -> dict[str, str]:
        return {"kind": self.kind, "value": self.value, "standing": str(self.standing)}


def _platform_host(host: str) -> str:
    for prefix in _STRIP_SUBDOMAINS:
        if host.startswith(prefix):
            host = host[len(prefix) :]
            break
    return PROFILE_HOSTS.get(host, host)


def _first_segment(path: str) -> str:
    segment = unquote(path.strip("/").split("/", 1)[0])
    return segment.lstrip("@").lower()


def parse_account(raw: str, parser: LinkParser) -> Account:
    """An operator's way of writing an account → ``Account``; ``PersonInvalid`` if unreadable."""
    text = raw.strip()
    if "/" in text:
        try:
            link = parser.parse(text)
        except InvalidUrl as exc:
            raise PersonInvalid("official_accounts", f"'{raw}': {exc}") from None
        handle = _first_segment(link.path)
        if not handle:
            raise PersonInvalid(
                "official_accounts",
                f"'{raw}' has no account in its path; list whole sites in official_domains.",
            )
        return Account(_platform_host(link.host.ascii), handle)
    platform: str | None = None
    word, sep, rest = text.partition(":")
    if sep:
        key = word.strip().lower()
        if key not in PLATFORM_WORDS:
            known = ", ".join(sorted(k for k in PLATFORM_WORDS if k.isascii()))
            raise PersonInvalid(
                "official_accounts", f"'{raw}': unknown platform '{word}' (known: {known})."
            )
        platform, text = PLATFORM_WORDS[key], rest.strip()
    handle = text.lstrip("@").lower()
    if not _HANDLE.fullmatch(handle):
        raise PersonInvalid("official_accounts", f"'{raw}' is not an account handle.")
    return Account(platform, handle)


def normalize_domain(raw: str, parser: LinkParser) -> str:
    """An official domain as stored: ASCII host, no scheme, no ``www.``."""
    text = raw.strip()
    try:
        host = parser.parse(text).host if "/" in text else parser.parse_host(text)
    except InvalidUrl as exc:
        raise PersonInvalid("official_domains", f"'{raw}': {exc}") from None
    if host.is_ip or parser.suffixes.is_suffix(host.ascii):
        raise PersonInvalid(
            "official_domains", f"'{raw}' is an IP address or a public suffix, not a site."
        )
    ascii_host = host.ascii
    return ascii_host[4:] if ascii_host.startswith("www.") else ascii_host


class Channels:
    """One person's official channels, parsed once, answering "is this theirs?"."""

    def __init__(self, person: Person, parser: LinkParser) -> None:
        self.person = person
        self.domains = tuple(normalize_domain(d, parser) for d in person.official_domains)
        accounts = []
        for raw in person.official_accounts:
            try:
                accounts.append(parse_account(raw, parser))
            except PersonInvalid:
                continue  # validated on the way in; an old row must not break detection
        self.accounts = tuple(accounts)

    def owns_host(self, host: str) -> bool:
        return any(host == d or host.endswith("." + d) for d in self.domains)

    def owns_account(self, account: Account) -> bool:
        for mine in self.accounts:
            if mine.handle != account.handle:
                continue
            if mine.platform is None or account.platform is None:
                return True
            if mine.platform == account.platform:
                return True
        return False


def judge(
    channels: Channels,
    links: Sequence[Link],
    accounts: Iterable[Account],
    lists: ListIndex,
    well_known: Collection[str],
) -> list[Destination]:
    """Every destination in a message, judged against one person's channels."""
    found: list[Destination] = []
    for link in links:
        found.append(_judge_link(channels, link, lists, well_known))
    for account in accounts:
        standing = Standing.OFFICIAL if channels.owns_account(account) else Standing.UNOFFICIAL
        why = "official_account" if standing is Standing.OFFICIAL else "other_account"
        found.append(Destination("account", account.shown(), standing, why))
    return found


def _judge_link(
    channels: Channels, link: Link, lists: ListIndex, well_known: Collection[str]
) -> Destination:
    host = link.host.ascii
    registrable = link.host.registrable
    shown = link.host.unicode
    if channels.owns_host(host):
        return Destination("link", shown, Standing.OFFICIAL, "official_domain")
    platform = _platform_host(host)
    if platform in PROFILE_HOSTS.values():
        handle = _first_segment(link.path)
        if handle and channels.owns_account(Account(platform, handle)):
            return Destination(
                "link", f"{platform}/{handle}", Standing.OFFICIAL, "official_account"
            )
        value = f"{platform}/{handle}" if handle else platform
        return Destination("link", value, Standing.UNOFFICIAL, "other_account")
    if lists.match_host(Action.BLOCK, host, registrable):
        return Destination("link", shown, Standing.UNOFFICIAL, "blocklisted")
    if lists.match_host(Action.ALLOW, host, registrable):
        return Destination("link", shown, Standing.NEUTRAL, "allowlisted")
    if registrable in well_known:
        return Destination("link", shown, Standing.NEUTRAL, "well_known_site")
    return Destination("link", shown, Standing.UNOFFICIAL, "unknown_site")
