"""Lookalike domains: a host that imitates a protected site, named with exactly what changed.

A lookalike is a reason to look closer, not proof (MetaMask's tracker is full of honest sites
blocked on edit distance alone), so strong techniques are ``PRIMARY``: alone they make a link
``suspicious``, and only a second detector's signal makes it ``likely_scam``. Weaker ones
(a brand's name with a country ending, a bare brand word in a subdomain) are ``SUPPORTING``.

Matching lives in ``server.links.lookalikes``; this module decides what each finding weighs
and how it is said. Results are cached per host: the same host arrives again and again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any, ClassVar

from server.links.confusables import script_name
from server.links.lookalikes import (
    PATH_SITES,
    Edit,
    Finding,
    LookalikeFinder,
    Technique,
    read_brand_rows,
)
from server.links.url import Host, Link
from server.scoring.detector import ContentKind, Example, Messages, example
from server.scoring.evidence import Evidence, Role
from server.scoring.resources import Resources, read_lines

#: A curated brand one edit away, in look-alike letters, with lure words, on a hosting or new
#: generic ending, split by a dot, or any protected domain inside a subdomain. "A lookalike
#: alone is a reason to look closer": PRIMARY makes ``suspicious`` alone and ``likely_scam``
#: with another detector's signal; the weight only orders reasons and scores.
STRONG_WEIGHT = 0.6
#: One edit from a short or common curated name on the brand's own ending (``dhk.com``,
#: ``got.sg``), or the brand's address run together (``zoom-us.com``): still a reason to look
#: closer (PRIMARY), ranked below a long brand's typo, since short names have more honest
#: neighbours (see ``ShortNames`` and the held-out Tranco figure).
SHORT_NAME_WEIGHT = 0.5
#: Look-alike letters from another alphabet: no honest site spells a brand in Cyrillic.
HOMOGLYPH_SCRIPT_WEIGHT = 0.7
#: Two edits from a long curated name (``steamcommunlty``): still primary, ranked lower.
TWO_EDITS_WEIGHT = 0.5
#: A label mixing Latin with another alphabet, with no brand found: browsers show such names
#: as punycode for this reason (Chrome's IDN policy); none in the Tranco top 20k.
MIXED_SCRIPT_WEIGHT = 0.45
#: The cues below are SUPPORTING: on the held-out Tranco ranks (15,001-20,000, against the
#: first 15,000) they were mostly the brands' own sites: country endings (ebay.be,
#: santander.co.uk: 17 of 5,000), brand plus other words (vodafonedsl, ebay-kleinanzeigen: 7)
#: and neighbours of top sites that are not curated (colombia.com, bloomberga.com: 7).
COUNTRY_ENDING_WEIGHT = 0.25
#: A curated name as a bare word of a subdomain (``paypal.x.top``, ``icbc.news-site.com``):
#: news and fan sites name sections after brands, so alone it is a cue, not a reason. Beside
#: a lure word or the brand's own ending (``paypal-login.x.com``, ``icbc-com-cn.x.com``) it is
#: ``STRONG_WEIGHT`` PRIMARY like any other brand in a subdomain.
SUBDOMAIN_WORD_WEIGHT = 0.3
#: A curated brand with words that are no lure (``alibaba-inc``), or only the words brands
#: name their own services with, after the name, on an ending where brands live
#: (``huaweicloud.com``, ``rakuten-card.co.jp``: ``product_words.txt``): supporting.
OTHER_WORDS_WEIGHT = 0.3
TOP_SITE_WEIGHT = 0.3

#: Hosts whose findings are remembered (~200 bytes each).
HOST_CACHE_SIZE = 65_536

_CHANGE_CODES = {
    "replaced": "lookalike.replaced",
    "swapped": "lookalike.swapped",
    "added": "lookalike.added",
    "missing": "lookalike.missing",
    "changed": "lookalike.changed",
}


class LookalikeDetector:
    """Names the protected site a link's host imitates and the exact change made to it."""

    name: ClassVar[str] = "lookalike"
    #: 1.4: short names ("token" in protected_brands.tsv) as a whole word beside lure words.
    #: 1.5: Chinese bank and shopping lure words (ebank, etoken, tuikuan, lipei, jiedong...) and
    #: banks' service numbers (95588 beside icbc).
    version: ClassVar[str] = "1.5"
    kinds: ClassVar[frozenset[ContentKind]] = frozenset({ContentKind.LINK})
    messages: ClassVar[Messages] = {
        "lookalike.replaced": {
            "en": "Looks like {brand}: '{old}' replaced by '{new}'.",
            "zh": "仿冒 {brand}：把“{old}”换成了“{new}”。",
        },
        "lookalike.swapped": {
            "en": "Looks like {brand}: letters '{first}' and '{second}' swapped.",
            "zh": "仿冒 {brand}：调换了字母“{first}”和“{second}”的顺序。",
        },
        "lookalike.added": {
            "en": "Looks like {brand}: one letter added ('{new}').",
            "zh": "仿冒 {brand}：多加了一个字母（“{new}”）。",
        },
        "lookalike.missing": {
            "en": "Looks like {brand}: one letter missing ('{old}').",
            "zh": "仿冒 {brand}：少了一个字母（“{old}”）。",
        },
        "lookalike.hyphen_added": {
            "en": "Looks like {brand}: a hyphen added to the name.",
            "zh": "仿冒 {brand}：在名称中加了一个连字符“-”。",
        },
        "lookalike.changed": {
            "en": "Looks like {brand}: '{old}' changed to '{new}'.",
            "zh": "仿冒 {brand}：把“{old}”改成了“{new}”。",
        },
        "lookalike.other_alphabet": {
            "en": "Looks like {brand}: uses look-alike letters from another alphabet ({script}).",
            "zh": "仿冒 {brand}：使用了其他文字中外形相似的字母（{script_zh}）。",
        },
        "lookalike.tld_swap": {
            "en": (
                "Looks like {brand}: same name with a different ending"
                " (.{suffix} instead of .{brand_suffix})."
            ),
            "zh": "仿冒 {brand}：名称相同但后缀不同（是 .{suffix} 而不是 .{brand_suffix}）。",
        },
        "lookalike.combosquat": {
            "en": "Looks like {brand}: the brand name with extra words ({words}).",
            "zh": "仿冒 {brand}：在品牌名称上加了其他词（{words}）。",
        },
        "lookalike.address_joined": {
            "en": "Looks like {brand}: its whole address run together into one name ({site}).",
            "zh": "仿冒 {brand}：把它的完整网址连写成了一个名称（{site}）。",
        },
        "lookalike.brand_in_subdomain": {
            "en": (
                "Looks like {brand}: the real brand's name is in the subdomain;"
                " the site is really {site}."
            ),
            "zh": "仿冒 {brand}：真品牌的名称只出现在子域名中，这个网站实际上是 {site}。",
        },
        "lookalike.brand_word_in_subdomain": {
            "en": (
                "Looks like {brand}: its name is only in the subdomain ({subdomain});"
                " the site is really {site}."
            ),
            "zh": "仿冒 {brand}：品牌名称只出现在子域名（{subdomain}）中，这个网站实际上是 {site}。",
        },
        "lookalike.page_on_shared_host": {
            "en": (
                "Looks like {brand}: a page named '{page}' on {host}, a shared host where"
                " anyone can publish."
            ),
            "zh": "仿冒 {brand}：页面名为“{page}”，放在任何人都能发布内容的共享网站 {host} 上。",
        },
        "lookalike.chinese_name": {
            "en": (
                "Looks like {brand}: the brand's Chinese name '{han}' is the name of another"
                " site ({site})."
            ),
            "zh": "仿冒 {brand}：用品牌的中文名称“{han}”作为另一个网站（{site}）的名称。",
        },
        "lookalike.split_name": {
            "en": "Looks like {brand}: the name is split by a dot; the site is really {site}.",
            "zh": "仿冒 {brand}：用“.”把名称拆开了，这个网站实际上是 {site}。",
        },
        "lookalike.mixed_script": {
            "en": (
                "The site name {site} mixes alphabets ({script}), a trick to imitate another name."
            ),
            "zh": "网站名称 {site} 混用了多种文字（{script_zh}），这是仿冒其他名称的手法。",
        },
    }

    def __init__(self, resources: Resources) -> None:
        data = resources.data_dir
        self._finder = LookalikeFinder(
            resources.suffixes,
            resources.top_sites,
            read_brand_rows(data / "protected_brands.tsv"),
            read_lines(data / "known_legit.txt"),
            read_lines(data / "lookalike_words.txt"),
            read_lines(data / "risky_tlds.txt"),
            read_lines(data / "product_words.txt"),
        )
        self._suffixes = resources.suffixes
        self._judge = lru_cache(maxsize=HOST_CACHE_SIZE)(self._judge_host)

    def score(self, content: Link) -> Sequence[Evidence]:
        on_host = self.score_host(content.host)
        on_path = self.score_path(content)
        return (*on_host, *on_path) if on_path else on_host  # the host's cached tuple itself

    def score_path(self, content: Link) -> Sequence[Evidence]:
        """A page named in the path of a shared host (``sites.google.com/view/paypal-login``,
        ``ipfs.io/ipfs/<CID>/metamask.html``): its name read like a tenant's host name. Most
        hosts are turned away by one dict lookup and one ``startswith``."""
        host = content.host
        name = host.ascii
        path = content.path
        if (
            name not in PATH_SITES
            and not path.startswith("/ipfs/")
            and (not name.endswith("amazonaws.com") or host.ip is not None)
        ):
            return ()
        found = self._finder.find_in_path(name, path)
        if found is None:
            return ()
        role, weight = self._strength(found.finding)
        params = {
            "brand": found.finding.brand.domain if found.finding.brand else "",
            "page": found.page,
            "host": found.shared_host,
        }
        details = dict(_details(found.finding))
        details.update(shared_host=found.shared_host, page=found.page)
        return (
            Evidence(self.name, "lookalike.page_on_shared_host", weight, role, params, details),
        )

    def score_host(self, host: Host) -> Sequence[Evidence]:
        """All of this detector's evidence reads the host alone (the pipeline caches it)."""
        if host.is_ip:
            return ()
        return self._judge(host.ascii, host.unicode)

    def _judge_host(self, ascii_host: str, unicode_host: str) -> tuple[Evidence, ...]:
        parts = self._suffixes.split(ascii_host)
        findings = self._finder.find(ascii_host, unicode_host, parts)
        if not findings:
            return ()
        return tuple(self._evidence(f, unicode_host) for f in findings)

    def _evidence(self, finding: Finding, unicode_host: str) -> Evidence:
        # People read the site as their browser shows it, not as punycode.
        shown = ".".join(unicode_host.split(".")[-(finding.site.count(".") + 1) :])
        code, params = _wording(finding, shown)
        role, weight = self._strength(finding)
        return Evidence(self.name, code, weight, role, params, _details(finding))

    def _strength(self, finding: Finding) -> tuple[Role, float]:
        technique = finding.technique
        if technique is Technique.MIXED_SCRIPT:
            return Role.PRIMARY, MIXED_SCRIPT_WEIGHT
        if finding.scripts:
            return Role.PRIMARY, HOMOGLYPH_SCRIPT_WEIGHT
        if technique is Technique.BRAND_IN_SUBDOMAIN:
            if finding.in_word and not finding.lure:
                return Role.SUPPORTING, SUBDOMAIN_WORD_WEIGHT
            return Role.PRIMARY, STRONG_WEIGHT
        if finding.short:
            return Role.PRIMARY, SHORT_NAME_WEIGHT
        if finding.brand is None or not finding.brand.curated:
            return Role.SUPPORTING, TOP_SITE_WEIGHT
        if technique is Technique.TLD_SWAP and not finding.unusual_ending:
            return Role.SUPPORTING, COUNTRY_ENDING_WEIGHT
        if technique is Technique.COMBOSQUAT and (
            not finding.lure or (finding.product and not finding.unusual_ending)
        ):
            return Role.SUPPORTING, OTHER_WORDS_WEIGHT
        if finding.threshold > 1:
            return Role.PRIMARY, TWO_EDITS_WEIGHT
        return Role.PRIMARY, STRONG_WEIGHT

    @classmethod
    def examples(cls) -> Sequence[Example]:
        return (
            example("https://paypa1.com/signin", ["lookalike.replaced"], why="'l' replaced by '1'"),
            example("http://xn--pypal-4ve.com/", ["lookalike.other_alphabet"], why="Cyrillic 'а'"),
            example(
                "https://раураl.com/", ["lookalike.other_alphabet"], why="all-Cyrillic look-alike"
            ),
            example("https://pyapal.com/", ["lookalike.swapped"]),
            example("https://binancce.com/", ["lookalike.added"]),
            example("https://metamsk.io/", ["lookalike.missing"]),
            example("https://rnicrosoft.com/", ["lookalike.replaced"], why="'m' written as 'rn'"),
            example("https://paypal.top/", ["lookalike.tld_swap"]),
            example("https://paypal-secure-login.com/", ["lookalike.combosquat"]),
            example("https://binance-airdrop.xyz/claim", ["lookalike.combosquat"]),
            example("https://metamask-io.pages.dev/", ["lookalike.combosquat"]),
            example("https://paypal.com.account-verify.top/", ["lookalike.brand_in_subdomain"]),
            example("http://www.icbc.com.cn.xyz-bank.cn/", ["lookalike.brand_in_subdomain"]),
            example("http://www.gov.cn.tax-refund.top/", ["lookalike.brand_in_subdomain"]),
            example(
                "https://paypal-login.evil-site.com/",
                ["lookalike.brand_word_in_subdomain"],
                why="wildcard-DNS phishing host: brand and lure word in a subdomain label",
            ),
            example("https://www-paypal-com.evil-site.com/", ["lookalike.brand_word_in_subdomain"]),
            example("https://icbc-com-cn.evil-site.com/", ["lookalike.brand_word_in_subdomain"]),
            example("https://login.paypal.evil-site.top/", ["lookalike.brand_word_in_subdomain"]),
            example(
                "https://paypal.okta.com/",
                forbid=["lookalike.brand_word_in_subdomain"],
                why="a brand's tenant on a popular service",
            ),
            example(
                "https://paypalobjects.cdn-example.com/",
                forbid=["lookalike.brand_word_in_subdomain"],
                why="the name run into another word is no word of its own",
            ),
            example(
                "https://www.google.co.uk/url?q=https://paypal-login-verify.top/",
                ["lookalike.combosquat"],
                why="a Google redirect on a country ending, unwrapped",
            ),
            example(
                "https://www.google.com/amp/s/paypal-login-verify.top/", ["lookalike.combosquat"]
            ),
            example(
                "https://translate.google.com/translate?u=https://paypal-login-verify.top/",
                ["lookalike.combosquat"],
            ),
            example("https://paypal--login--verify-top.translate.goog/", ["lookalike.combosquat"]),
            example(
                "https://www.bing.com/ck/a?!&&p=1&u=a1aHR0cHM6Ly9wYXlwYWwtbG9naW4tdmVyaWZ5LnRvcC8",
                ["lookalike.combosquat"],
                why="Bing's click tracker: the target in base64",
            ),
            example(
                "https://sites.google.com/view/paypal-login", ["lookalike.page_on_shared_host"]
            ),
            example(
                "https://storage.googleapis.com/paypal-verify/index.html",
                ["lookalike.page_on_shared_host"],
            ),
            example(
                "https://ipfs.io/ipfs/QmXoypizjW3WknFiJnKLwHCnL72vedxjQkDDP1mXWo6uco/metamask.html",
                ["lookalike.page_on_shared_host"],
            ),
            example(
                "https://sites.google.com/view/lincoln-elementary-pta/home",
                forbid=["lookalike.page_on_shared_host"],
            ),
            example(
                "https://www.google.de/url?q=https://www.paypal.com/",
                forbid=["lookalike.tld_swap", "lookalike.combosquat"],
                why="a redirect to the real site",
            ),
            example("https://支付宝.com/", ["lookalike.chinese_name"], why="Alipay in Chinese"),
            example("https://工商银行.top/", ["lookalike.chinese_name"], why="ICBC's short name"),
            example("https://支付宝-alipay.com/", ["lookalike.combosquat"]),
            example("https://淘宝退款.com/", ["lookalike.combosquat"], why="Taobao + 'refund'"),
            example("https://paypal支付.com/", ["lookalike.combosquat"]),
            example(
                "https://小米粥食谱.com/",
                forbid=["lookalike.combosquat", "lookalike.chinese_name"],
                why="millet-porridge recipes: 小米 beside words that are no lure",
            ),
            example("https://京东方.com/", forbid=["lookalike.combosquat"], why="BOE, not JD"),
            example("https://pay.pal.co/", ["lookalike.split_name"]),
            example("https://dhk.com/track", ["lookalike.replaced"], why="dhl.com, short name"),
            example("https://liev.com/", ["lookalike.swapped"], why="live.com, a common word"),
            example("https://10010y.com/", ["lookalike.added"], why="a number brand plus a letter"),
            example(
                "https://zoom-us.com/", ["lookalike.address_joined"], why="zoom.us run together"
            ),
            example("https://dhk.net/", forbid=["lookalike.replaced"], why="not DHL's ending"),
            example("https://10100.com/", forbid=["lookalike.swapped"], why="another number"),
            example("https://usda.gov/", why="a government-only ending"),
            example(
                "https://paypal.google/",
                forbid=["lookalike.tld_swap"],
                why="under Google's own TLD only Google registers",
            ),
            example("https://www.paypal.com/", forbid=["lookalike.tld_swap"], why="the real site"),
            example("https://www.gov.cn/", forbid=["lookalike.brand_in_subdomain"]),
            example("https://google.de/", forbid=["lookalike.tld_swap"], why="Google's own"),
            example("https://tamask.hu/", forbid=["lookalike.missing"], why="MetaMask's allowlist"),
            example("https://applepie-recipes.com/", forbid=["lookalike.combosquat"]),
            example("https://en.wikipedia.org/wiki/PayPal", why="a real site about a brand"),
        )


def _wording(finding: Finding, site: str) -> tuple[str, dict[str, Any]]:
    """The message code and its parameters, in words a person checks against the address."""
    brand = finding.brand
    params: dict[str, Any] = {"brand": brand.domain if brand else "", "site": site}
    technique = finding.technique
    if finding.scripts:
        foreign = finding.scripts
        params["script"] = ", ".join(script_name(s, "en") for s in foreign)
        params["script_zh"] = "、".join(script_name(s, "zh") for s in foreign)
        code = (
            "lookalike.mixed_script"
            if technique is Technique.MIXED_SCRIPT
            else "lookalike.other_alphabet"
        )
        return code, params
    if technique in (Technique.TYPO, Technique.HOMOGLYPH) and finding.edit is not None:
        return _change_wording(finding.edit, params)
    if technique is Technique.TLD_SWAP and finding.han_name:
        params["han"] = finding.han_name
        return "lookalike.chinese_name", params
    if technique is Technique.TLD_SWAP and brand is not None:
        params["suffix"] = finding.suffix
        params["brand_suffix"] = brand.domain.partition(".")[2]
        return "lookalike.tld_swap", params
    if technique is Technique.BRAND_IN_SUBDOMAIN and finding.in_word:
        params["subdomain"] = finding.subdomain
        return "lookalike.brand_word_in_subdomain", params
    if technique is Technique.COMBOSQUAT and finding.short:
        return "lookalike.address_joined", params
    if technique is Technique.COMBOSQUAT:
        params["words"] = ", ".join(finding.words)
        return "lookalike.combosquat", params
    return f"lookalike.{technique.value}", params


def _change_wording(edit: Edit, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    params["old"], params["new"] = edit.old, edit.new
    if edit.kind == "added" and edit.new == "-":
        return "lookalike.hyphen_added", params
    if edit.kind == "swapped":
        params["first"], params["second"] = edit.old[0], edit.old[1]
    return _CHANGE_CODES[edit.kind], params


def _details(finding: Finding) -> Mapping[str, Any]:
    """The machine-readable evidence: which brand, which technique, how far, what edit."""
    brand = finding.brand
    details: dict[str, Any] = {"technique": finding.technique.value, "site": finding.site}
    if brand is not None:
        details.update(
            brand_domain=brand.domain,
            brand_name=brand.name,
            brand_category=brand.category,
            curated=brand.curated,
        )
    if finding.threshold:
        details.update(distance=finding.distance, threshold=finding.threshold)
    if finding.edit is not None:
        details["edit"] = {
            "kind": finding.edit.kind,
            "old": finding.edit.old,
            "new": finding.edit.new,
        }
    if finding.scripts:
        details["scripts"] = list(finding.scripts)
    if finding.words:
        details["words"] = list(finding.words)
    if finding.product:
        details["product_words"] = True
    if finding.suffix:
        details["suffix"] = finding.suffix
    if finding.in_word:
        details.update(subdomain=finding.subdomain, lure=finding.lure)
    if finding.han_name:
        details["chinese_name"] = finding.han_name
    return details
