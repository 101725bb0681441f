"""Links a message cites rather than sends you to (review 34 #6).

An anti-fraud advisory ends with "详情 https://www.mps.gov.cn/…", a news story quoting a scam
links the newspaper, a bank's notice its own site: such a link is a *reference*, not an action
asked of the reader, so it does not keep a warning's quoted script at full strength. A link is
a reference when its host is under a government-only ending (``gov.cn``, ``gov.uk``…), on the
operator's allowlist, or one of the sites FakeWatch protects (bundled top sites, curated brands,
known-legit hosts) where nobody else publishes or takes messages.

What a scammer can obtain is never a reference (review 35 #1): a name under a shared-hosting
or free-registration ending (the Public Suffix List's private section and
``hosting_suffixes.txt``: ``evil.int.eu.org``, ``evil.go.dyndns.org``), any subdomain of a
known site other than ``www.`` (tenants and content hosts: ``evil.sharepoint.com``,
``sway.office.com``, ``qr.alipay.com`` payment codes, ``*.aliyuncs.com`` buckets), and a link
carrying another address in its query (open redirects: ``amazon.com/gp/redirect.html?location=``).

Not references, though they are top sites or brands: shorteners (the destination is unknown),
and sites where anyone publishes a page or can be contacted (``t.me``, ``wa.me``, social
networks, form, file and page hosts): a scam sends you there as easily as to its own domain.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import unquote

from server.links.lookalikes import RESTRICTED_SUFFIX_HEADS, read_brand_rows
from server.links.redirectors import SHORTENERS
from server.links.url import InvalidUrl
from server.lists import Action
from server.scoring.resources import Resources, read_lines

#: Registrable domains where anyone publishes a page or a profile, or is messaged: a link there
#: is an action asked (join, message, fill in), whoever the site belongs to.
OPEN_SITES = frozenset(
    {
        "t.me", "telegram.me", "telegram.org", "telegra.ph", "wa.me", "whatsapp.com",
        "line.me", "lin.ee", "signal.org", "discord.gg", "discord.com", "messenger.com",
        "facebook.com", "fb.com", "instagram.com", "x.com", "twitter.com", "tiktok.com",
        "snapchat.com", "reddit.com", "linkedin.com", "youtube.com", "youtu.be", "vk.com",
        "kakao.com", "naver.com", "weibo.com", "douyin.com", "xiaohongshu.com", "kuaishou.com",
        "bilibili.com", "qq.com", "wechat.com", "linktr.ee", "forms.gle", "google.com",
        "googleusercontent.com", "googleapis.com", "blogspot.com", "github.com", "github.io",
        "dropbox.com", "medium.com", "notion.site", "telegram.dog", "wixsite.com", "weebly.com",
        "docusign.com", "zoom.us", "feishu.cn", "dingtalk.com", "jinshuju.net", "wjx.cn",
        "sharepoint.com", "1drv.ms", "wordpress.com", "tumblr.com", "typeform.com", "canva.com",
        "canva.site", "notion.so", "pastebin.com", "mega.nz", "ipfs.io", "aliyuncs.com",
        "myqcloud.com", "gitbook.io", "webflow.io", "weixin.qq.com",
    }
)  # fmt: skip


def reference_check(resources: Resources) -> Callable[[str], bool]:
    """``is_reference(raw_link)`` over ``resources`` (the allowlist is read when called: the
    operator may change it while the server runs)."""
    parser = resources.parser
    data = resources.data_dir
    known = set(resources.top_sites)
    known |= {row.domain for row in read_brand_rows(data / "protected_brands.tsv")}
    known |= set(read_lines(data / "known_legit.txt"))
    known -= OPEN_SITES | SHORTENERS

    def is_reference(raw: str) -> bool:
        try:
            host = parser.parse(raw).host
        except InvalidUrl:
            return False
        if host.is_ip:
            return False
        registrable = host.registrable
        if resources.lists.current.match_host(Action.ALLOW, host.ascii, registrable):
            return True
        if registrable in OPEN_SITES or host.ascii in SHORTENERS or host.parts.private_suffix:
            return False
        if _carries_address(raw):
            return False
        if host.parts.suffix.split(".", 1)[0] in RESTRICTED_SUFFIX_HEADS:
            return True
        # The site itself, never a subdomain: those are tenants, buckets, pay codes, forms.
        return host.ascii in (registrable, "www." + registrable) and registrable in known

    return is_reference


def _carries_address(raw: str) -> bool:
    """True when the link's query or fragment holds another web address (an open redirect
    sends the reader there, whatever site it starts on)."""
    _, sep, rest = raw.partition("?")
    if not sep:
        _, sep, rest = raw.partition("#")
    if not sep:
        return False
    rest = unquote(unquote(rest[:4096])).lower()
    return "http://" in rest or "https://" in rest or "www." in rest
