"""Small cues in the address itself, each its own named evidence with a modest weight.

None of these is damning alone (honest sites use .xyz, hyphens and ports); together, or
beside a lookalike, they tip the verdict. Weights are deliberately low and measured by the
Tranco false-positive figure in ``bench/links_quality.py``.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import pairwise
from pathlib import Path
from typing import ClassVar
from urllib.parse import unquote

from server.links.redirectors import SHORTENERS, Redirectors
from server.links.url import CARRIER_SCHEMES, MAX_UNWRAP_DEPTH, Host, Link
from server.scoring.detector import ContentKind, Example, Messages, example
from server.scoring.evidence import SITE_NAME, Evidence, Role
from server.scoring.resources import Resources, read_lines

LURE_WEIGHT = 0.2
LURE_EXTRA_WEIGHT = 0.1
LURE_MAX_WEIGHT = 0.4
CELEBRITY_WEIGHT = 0.25
RISKY_TLD_WEIGHT = 0.15
HYPHENS_WEIGHT = 0.15
#: Hyphens in the host before it counts as "many" (``secure-login-paypal-verify``).
MANY_HYPHENS = 3
RANDOM_LABEL_WEIGHT = 0.15
#: Shorter labels are too often honest abbreviations (``bbc``, ``mkt``) to call random.
RANDOM_MIN_LENGTH = 10
USERINFO_WEIGHT = 0.3
USERINFO_HOST_WEIGHT = 0.5
PORT_WEIGHT = 0.1
IP_WEIGHT = 0.3
IP_OBFUSCATED_WEIGHT = 0.45
IP_PRIVATE_WEIGHT = 0.1
#: A ``javascript:`` or ``data:`` link that leads to a web address: honest sites link with
#: http(s); a link that runs code or carries its own page to get there hides where it goes,
#: so this alone is ``suspicious`` (the combiner's SUSPICIOUS_AT), and the address inside is
#: judged by every detector as well.
SCRIPT_URL_WEIGHT = 0.5
#: Still wrapped after ``MAX_UNWRAP_DEPTH`` redirector layers: no honest share nests a link
#: that deep, so this alone is ``suspicious``; the innermost layer reached is judged too.
DEEPLY_WRAPPED_WEIGHT = 0.5
#: ``Wrapper.host`` of a carrier (``server.links.url.CARRIER_SCHEMES``), by scheme.
_CARRIER_HOSTS = {f"{scheme}:": scheme for scheme in CARRIER_SCHEMES}
HOST_CACHE_SIZE = 65_536
_NONE: tuple[Evidence, ...] = ()
# Globals: ``Role.SUPPORTING`` is an enum class attribute lookup, several times slower.
_SUPPORTING = Role.SUPPORTING
_INFO = Role.INFO

_TOKEN_SPLIT = re.compile(r"[^a-z]+")
#: Sites where the first part of the path is an account anyone can register (``t.me/NAME``,
#: ``x.com/NAME``, ``youtube.com/@NAME``). Impostors cannot take a person's own handle there,
#: so they take it with words added ("elonmusk_giveaway_official", "@Tesla-Live-2x"): the
#: account-name version of a domain with a brand and extra words.
ACCOUNT_SITES = frozenset(
    {
        "t.me", "telegram.me", "x.com", "twitter.com", "youtube.com", "instagram.com",
        "facebook.com", "tiktok.com", "threads.net", "weibo.com", "douyin.com", "linktr.ee",
        "medium.com", "twitch.tv", "snapchat.com", "kuaishou.com",
    }
)  # fmt: skip
#: An account named after a famous person with words added: enough to look closer ...
HANDLE_WEIGHT = 0.35
#: ... and with a lure among those words ("_giveaway", "-airdrop"), alone ``suspicious``.
HANDLE_LURE_WEIGHT = 0.5
#: Path parts before the account name on some sites (``youtube.com/c/NAME``).
_ACCOUNT_PREFIXES = frozenset({"c", "user", "s", "channel"})
#: What separates the words of a handle, in any script ("马斯克_官方", "elon.musk").
_NOT_WORD = re.compile(r"[\W_]+")
_HAN = re.compile(r"[\u4e00-\u9fff]")


class TermMatcher:
    """Words matched as whole tokens, inside longer labels (5+ letters), or anywhere (Chinese)."""

    def __init__(self, terms: Iterable[str]) -> None:
        self.tokens: frozenset[str] = frozenset()
        latin: set[str] = set()
        han: set[str] = set()
        for term in terms:
            (han if _HAN.search(term) else latin).add(term.lower())
        self.tokens = frozenset(latin)
        # Longest first, then alphabetical: a set's order changes with the hash seed, and the
        # same address must name its words in the same order in every process.
        self.infix = tuple(sorted((t for t in latin if len(t) >= 5), key=lambda t: (-len(t), t)))
        self.han = tuple(sorted(han))
        # One pass that says whether any term is inside the text at all (most texts hold
        # none): only then are the terms tried one by one, in their order.
        self._any_infix = re.compile(_anchored_pattern(_minimal(self.infix)))
        self._any_han = re.compile(_anchored_pattern(_minimal(self.han)))

    def find(
        self, latin_text: str, any_text: str, tokens: Sequence[str] | None = None
    ) -> list[str]:
        """Terms in the text, in order of discovery; ``tokens`` is ``latin_text`` already
        split (callers asking several matchers split it once).

        One word is one term: a term found only inside a longer term already found (``reward``
        in ``rewards``, both listed) is not found again; written apart it is."""
        found: list[str] = []
        for token in _TOKEN_SPLIT.split(latin_text) if tokens is None else tokens:
            if token in self.tokens and token not in found:
                found.append(token)
        if self._any_infix.search(latin_text):
            for term in self.infix:  # longest first
                if (
                    term in latin_text
                    and term not in found
                    and not _only_inside(term, found, latin_text)
                ):
                    found.append(term)
        if not any_text.isascii() and self._any_han.search(any_text):
            for term in self.han:
                if (
                    term in any_text
                    and term not in found
                    and not _only_inside(term, found, any_text)
                ):
                    found.append(term)
        return found


def _only_inside(term: str, found: Sequence[str], text: str) -> bool:
    """Whether every occurrence of ``term`` in ``text`` lies inside an occurrence of a longer
    word already ``found``: the same word in another listed form, not another word."""
    longer = [word for word in found if len(word) > len(term) and term in word]
    if not longer:  # the usual case
        return False
    spans = [(at, at + len(word)) for word in longer for at in _occurrences(word, text)]
    return all(
        any(start <= at and at + len(term) <= end for start, end in spans)
        for at in _occurrences(term, text)
    )


def _occurrences(word: str, text: str) -> list[int]:
    """Where ``word`` starts in ``text``, overlapping occurrences included."""
    found = []
    at = text.find(word)
    while at >= 0:
        found.append(at)
        at = text.find(word, at + 1)
    return found


class WordGate:
    """Says in one regex pass whether a text may hold a term of any of some matchers.

    Most addresses hold no lure word and no famous name: the gate turns them away at the
    cost of one search, and only the others are split into tokens and matched term by term
    (``TermMatcher.find``, whose answers and their order are unchanged). A term a matcher
    finds is always a substring of the text it searched, so a text in which no term occurs
    at all holds none: the gate only ever lets more texts through, never fewer.
    """

    def __init__(self, *matchers: TermMatcher) -> None:
        latin = set().union(*(m.tokens for m in matchers))
        han = set().union(*(m.han for m in matchers))
        #: Matches in a text holding a Latin term (a Chinese one, for ``han``).
        self.latin = re.compile(_anchored_pattern(_minimal(latin)))
        self.han = re.compile(_anchored_pattern(_minimal(han)))

    def may_hold(self, latin_text: str, any_text: str) -> bool:
        """False only when no term occurs in ``latin_text`` (Latin terms) or ``any_text``
        (Chinese terms, searched only when it is not plain ASCII, as ``find`` does)."""
        if self.latin.search(latin_text) is not None:
            return True
        return not any_text.isascii() and self.han.search(any_text) is not None


#: Characters of host names and paths, most frequent first (counted over the Tranco and
#: scam-list domains); any other character is rarer than all of these.
_COMMON_FIRST = "eo.aitncrspmldw-gubyfvkhxzjq"


def _minimal(terms: Iterable[str]) -> list[str]:
    """The terms that hold no other term: ``rewards`` is in a text only if ``reward`` is."""
    unique = sorted(set(terms), key=lambda t: (len(t), t))
    kept: list[str] = []
    for term in unique:
        if not any(shorter in term for shorter in kept):
            kept.append(term)
    return kept


def _anchored_pattern(terms: Sequence[str]) -> str:
    """A regex matching wherever one of ``terms`` occurs, each found from its rarest
    character: ``giveaway`` as ``v(?<=giv)eaway``. The regex engine skips, in C, every
    position whose character starts no branch, so a text is mostly read at that speed and
    only rare letters cost a closer look (a trie from first letters would look closely at
    nearly every position)."""
    if not terms:
        return "(?!)"  # nothing to find
    if "" in terms:
        return ""  # an empty term is in every text
    groups: dict[str, list[str]] = {}
    for term in terms:
        at = max(range(len(term)), key=lambda i: (_rarity(term[i]), -i))
        before, anchor, after = term[:at], term[at], term[at + 1 :]
        behind = f"(?<={re.escape(before + anchor)})" if before else ""
        groups.setdefault(anchor, []).append(behind + re.escape(after))
    branches = []
    for anchor in sorted(groups):
        rests = sorted(groups[anchor])
        rest = rests[0] if len(rests) == 1 else "(?:" + "|".join(rests) + ")"
        branches.append(re.escape(anchor) + rest)
    return "|".join(branches)


def _rarity(char: str) -> int:
    found = _COMMON_FIRST.find(char)
    return len(_COMMON_FIRST) if found < 0 else found


class UrlCuesDetector:
    name: ClassVar[str] = "url_cues"
    #: 1.1: one word in an address is one lure (``/rewards`` was ``rewards, reward``).
    #: 1.2: account names on social and messaging sites (``handle_borrows_name``).
    version: ClassVar[str] = "1.2"
    kinds: ClassVar[frozenset[ContentKind]] = frozenset({ContentKind.LINK})
    messages: ClassVar[Messages] = {
        "url_cues.lure_words": {
            "en": "The address uses words scams lure with: {words}.",
            "zh": "网址中含有诈骗常用的诱导词：{words}。",
        },
        "url_cues.path_lure_words": {
            "en": "The page address after the site name uses words scams lure with: {words}.",
            "zh": "网址中网站名之后的部分含有诈骗常用的诱导词：{words}。",
        },
        "url_cues.path_celebrity_name": {
            "en": "The page address after the site name uses a famous name ({names}); scams borrow celebrities' names.",
            "zh": "网址中网站名之后的部分使用了名人的名字（{names}），诈骗常借用名人名义。",
        },
        "url_cues.handle_borrows_name": {
            "en": "The account name '{handle}' on {site} is a famous name ({names}) with words added{lures}; impostor accounts are named this way.",
            "zh": "{site} 上的账号名“{handle}”是名人的名字（{names}）加上其他词{lures}，冒充账号常这样起名。",
        },
        "url_cues.celebrity_name": {
            "en": "The address uses a famous name ({names}); scams borrow celebrities' names.",
            "zh": "网址中使用了名人的名字（{names}），诈骗常借用名人名义。",
        },
        "url_cues.risky_tld": {
            "en": "The address ends in .{tld}, a domain ending often used in scams.",
            "zh": "网址以 .{tld} 结尾，这类后缀常被用于诈骗。",
        },
        "url_cues.many_hyphens": {
            "en": "The address strings words together with {count} hyphens.",
            "zh": "网址用 {count} 个连字符拼接了多个词。",
        },
        "url_cues.random_label": {
            "en": "The site name '{label}' looks randomly generated.",
            "zh": "网站名“{label}”看起来是随机生成的。",
        },
        "url_cues.userinfo_trick": {
            "en": "The address hides its real destination after an '@': it goes to {host}, not {shown}.",
            "zh": "网址用“@”隐藏了真实去向：实际打开的是 {host}，而不是 {shown}。",
        },
        "url_cues.backslash_trick": {
            "en": "The address uses a '\\' to show another site: browsers open {host}, not {shown}.",
            "zh": "网址用“\\”伪装成另一个网站：浏览器实际打开的是 {host}，而不是 {shown}。",
        },
        "url_cues.credentials": {
            "en": "The address carries a user name or password before '@', a trick to confuse readers.",
            "zh": "网址在“@”前带有用户名或密码，这是迷惑人的手法。",
        },
        "url_cues.nonstandard_port": {
            "en": "The address uses an unusual port ({port}).",
            "zh": "网址使用了不常见的端口（{port}）。",
        },
        "url_cues.ip_host": {
            "en": "The address is a bare IP address ({ip}) instead of a name.",
            "zh": "网址是一个裸 IP 地址（{ip}），而不是网站名称。",
        },
        "url_cues.ip_obfuscated": {
            "en": "The address hides an IP address ({ip}) in an unusual form ({notation}).",
            "zh": "网址用不常见的写法（{notation}）隐藏了一个 IP 地址（{ip}）。",
        },
        "url_cues.shortener": {
            "en": "The link goes through the shortener {shortener}; its destination is hidden and we do not follow links.",
            "zh": "该链接经过短链接服务 {shortener}，真实去向被隐藏，我们不会代为打开链接。",
        },
        "url_cues.script_url": {
            "en": "This is a {scheme}: link: instead of naming a site it {what}, which hides where it leads. It leads to {host}, judged here.",
            "zh": "这是一个 {scheme}: 链接：它不直接写明网站，而是{what_zh}，以此隐藏真实去向。它实际通往 {host}，这里判断的就是该网站。",
        },
        "url_cues.deeply_wrapped": {
            "en": "The link is hidden inside more than {depth} redirectors, a way to get past checks; we judged the innermost one we reached: {host}.",
            "zh": "该链接被藏在超过 {depth} 层跳转之中，这是逃避检查的手法；我们判断的是已拆到的最内层：{host}。",
        },
        "url_cues.unwrapped": {
            "en": "The link was wrapped by {wrapper}; we judged where it leads: {host}.",
            "zh": "该链接被 {wrapper} 包装过，我们判断的是它的真实去向：{host}。",
        },
    }

    def __init__(self, resources: Resources) -> None:
        data = resources.data_dir
        celebrities_file = resources.settings.celebrity_names_file
        celebrities = Path(celebrities_file) if celebrities_file else data / "celebrities.txt"
        self._lures = TermMatcher(read_lines(data / "lure_words.txt"))
        self._celebrities = TermMatcher(read_lines(celebrities))
        self._risky_tlds = frozenset(read_lines(data / "risky_tlds.txt"))
        self._gate = WordGate(self._lures, self._celebrities)
        # The name of a site that is ours to protect (a top site, a curated brand's domain,
        # a known-legit host) is not a cue: "wallet" in walletconnect.com says nothing, and
        # any weighted cue would corroborate another detector's signal.
        self._protected = resources.protected.covers
        self._split = resources.parser.suffixes.split
        self._redirectors = Redirectors(shorteners=SHORTENERS)
        #: Every name ``Redirectors.shortener`` can answer for (a host or its registrable).
        self._shortener_names = frozenset(SHORTENERS)
        # Name cues read only the host, and hosts repeat (many pages, one site). Keyed by the
        # ASCII name, which every other part of a ``Host`` that is not an IP derives from
        # (hashing the whole frozen ``Host`` cost more than the lookup saves).
        self._host_cues: dict[str, tuple[Evidence, ...]] = {}
        # Cues that depend on one small fact, made once and shared by every host with it
        # (evidence is immutable): the risky-ending cue by public suffix (none or one),
        # the many-hyphens cue by count.
        self._risky_by_suffix: dict[str, tuple[Evidence, ...]] = {}
        self._hyphens_by_count: dict[tuple[int, bool], Evidence] = {}
        self._latin_gate = self._gate.latin.search
        self._han_gate = self._gate.han.search

    def _words(self, latin_text: str, any_text: str) -> tuple[list[str], list[str]]:
        tokens = _TOKEN_SPLIT.split(latin_text)
        return (
            self._lures.find(latin_text, any_text, tokens),
            self._celebrities.find(latin_text, any_text, tokens),
        )

    def _path_words(self, host: Host, path_text: str) -> list[Evidence]:
        """Lure words and names the path adds. Weighed so that host and path together score
        exactly what all the words would in one place (the noisy-OR of the two equals the
        weight of the whole count), so splitting the address never inflates a verdict."""
        path_lures, path_names = self._words(path_text, path_text)
        if not path_lures and not path_names:
            return []
        host_lures, host_names = self._words(host.ascii, host.unicode)
        found: list[Evidence] = []
        if path_names and host.parts.registrable in ACCOUNT_SITES:
            handle = self._handle(host, path_text, path_names)
            if handle is not None:
                evidence, names, lures = handle
                found.append(evidence)
                path_names = [name for name in path_names if name not in names]
                path_lures = [word for word in path_lures if word not in lures]
        new = [word for word in path_lures if word not in host_lures]
        if new:
            before = _lure_weight(len(host_lures))
            total = _lure_weight(len(host_lures) + len(new))
            weight = round(1 - (1 - total) / (1 - before), 4)
            found.append(
                self._ev(
                    "url_cues.path_lure_words",
                    weight,
                    {"words": ", ".join(new)},
                    {"words": new, "words_in_host": host_lures},
                )
            )
        new_names = [name for name in path_names if name not in host_names]
        if new_names:
            found.append(
                self._ev(
                    "url_cues.path_celebrity_name",
                    0.0 if host_names else CELEBRITY_WEIGHT,
                    {"names": ", ".join(new_names)},
                    {"names": new_names, "names_in_host": host_names},
                )
            )
        return found

    def _handle(
        self, host: Host, path_text: str, path_names: list[str]
    ) -> tuple[Evidence, list[str], list[str]] | None:
        """The account-name cue of ``path_text`` on an account site, with the names and lures
        it accounts for; ``None`` when no famous name is in the account name itself, or the
        name *is* the handle (``x.com/elonmusk``, ``t.me/elonmusk``): whether that is the
        person's own account depends on the site, which this table does not know, so such a
        path keeps the plain famous-name cue."""
        parts = [part for part in path_text.split(" ", 1)[0].split("/") if part]
        if parts and parts[0] in _ACCOUNT_PREFIXES and len(parts) > 1:
            parts = parts[1:]
        if not parts:
            return None
        handle = parts[0].lstrip("@")
        lures, names = self._words(handle, handle)
        names = [name for name in names if name in path_names]
        if not names:
            return None
        if _NOT_WORD.sub("", handle) in {_NOT_WORD.sub("", name) for name in names}:
            return None
        weight = HANDLE_LURE_WEIGHT if lures else HANDLE_WEIGHT
        evidence = self._ev(
            "url_cues.handle_borrows_name",
            weight,
            {
                "handle": handle,
                "site": host.parts.registrable,
                "names": ", ".join(names),
                "lures": f" ({', '.join(lures)})" if lures else "",
            },
            {"handle": handle, "site": host.parts.registrable, "names": names, "lures": lures},
        )
        return evidence, names, lures

    def score(self, content: Link) -> Sequence[Evidence]:
        return (*self.score_host(content.host), *self.score_path(content))

    def score_host(self, host: Host) -> Sequence[Evidence]:
        """Cues in the name alone: lure words and famous names in it, risky ending, hyphens,
        random label, IP literals (the pipeline caches this per host)."""
        if host.ip is not None:
            return (self._ip_evidence(host.ascii, host.ip_notation or "dotted"),)
        cache = self._host_cues
        found = cache.get(host.ascii)
        if found is None:
            found = self._name_cues(host)
            if len(cache) >= HOST_CACHE_SIZE:
                cache.clear()  # cheaper than LRU bookkeeping on every call; refills quickly
            cache[host.ascii] = found
        return found

    def score_path(self, content: Link) -> Sequence[Evidence]:
        """Cues that need the rest of the address: words the path adds to the host's,
        credentials, ports, shorteners and unwrapped redirectors."""
        host = content.host
        path, query = content.path, content.query
        words: list[Evidence] = []
        if query or path != "/":
            text = path + " " + query
            if "%" in text:  # ``unquote`` returns any other text as it is
                text = unquote(text)
            text = text.lower()
            if self._latin_gate(text) is not None or (
                not text.isascii() and self._han_gate(text) is not None
            ):
                words = self._path_words(host, text)
        if (
            not (words or content.had_userinfo or content.wrappers or content.wrapped_deeper)
            and content.port is None
            and content.backslash_host is None
        ):
            # The common case: at most the shortener's note.
            names = self._shortener_names
            if host.ascii not in names and host.parts.registrable not in names:
                return _NONE
            return self._shortener_cues(content)
        found = words
        if content.had_userinfo:
            if content.userinfo_host:
                found.append(
                    self._ev(
                        "url_cues.userinfo_trick",
                        USERINFO_HOST_WEIGHT,
                        {"host": host.unicode, "shown": content.userinfo_host},
                        {"shown_host": content.userinfo_host, "real_host": host.ascii},
                    )
                )
            else:
                found.append(self._ev("url_cues.credentials", USERINFO_WEIGHT, {}, {}))
        if self._backslash_shows_another(content):
            found.append(
                self._ev(
                    "url_cues.backslash_trick",
                    USERINFO_HOST_WEIGHT,
                    {"host": host.unicode, "shown": content.backslash_host},
                    {"shown_host": content.backslash_host, "real_host": host.ascii},
                )
            )
        if content.port is not None:
            found.append(
                self._ev(
                    "url_cues.nonstandard_port",
                    PORT_WEIGHT,
                    {"port": content.port},
                    {"port": content.port},
                )
            )
        found.extend(self._shortener_cues(content))
        if content.wrapped_deeper:
            found.append(
                self._ev(
                    "url_cues.deeply_wrapped",
                    DEEPLY_WRAPPED_WEIGHT,
                    {"depth": MAX_UNWRAP_DEPTH, "host": host.unicode},
                    {
                        "depth_limit": MAX_UNWRAP_DEPTH,
                        "wrappers": [wrapper.host for wrapper in content.wrappers],
                        "judged": content.url,
                    },
                )
            )
        for wrapper in content.wrappers:
            scheme = _CARRIER_HOSTS.get(wrapper.host)
            if scheme is not None:
                found.append(self._script_url(scheme, content))
                continue
            found.append(
                self._info(
                    "url_cues.unwrapped",
                    {"wrapper": wrapper.name, "host": host.unicode},
                    {"wrapper_host": wrapper.host},
                )
            )
        return found

    def _backslash_shows_another(self, content: Link) -> bool:
        r"""A ``\`` that changes which host a reader sees from the one a browser opens:
        ``evil.top\@bank.com`` or ``evil.top\.bank.com`` (``backslash_marked``), or a bare
        ``evil.top\www.paypal.com`` naming a protected site. Never when the browser opens a
        protected site (``www.paypal.com\@x.top`` goes to PayPal); ``\report.pdf`` never
        gets here (no real ending)."""
        shown = content.backslash_host
        if shown is None:
            return False
        host = content.host
        if host.ip is None and self._protected(host.ascii, host.parts):
            return False
        return content.backslash_marked or self._protected(shown, self._split(shown))

    def _script_url(self, scheme: str, content: Link) -> Evidence:
        code = scheme == "javascript"
        return self._ev(
            "url_cues.script_url",
            SCRIPT_URL_WEIGHT,
            {
                "scheme": scheme,
                "host": content.host.unicode,
                "what": "runs code in the page" if code else "carries a whole page inside it",
                "what_zh": "在页面中运行代码" if code else "把整个网页装在链接里",
            },
            # Several addresses inside: ``leads_to`` is the worst of them, judged here.
            {"scheme": scheme, "leads_to": content.url, "addresses": list(content.carried_urls)}
            if content.carried_urls
            else {"scheme": scheme, "leads_to": content.url},
        )

    def _shortener_cues(self, content: Link) -> tuple[Evidence, ...]:
        host = content.host
        names = self._shortener_names
        # Two set lookups turn away all but shorteners' own hosts; the redirector table
        # then says which shortener it is, as it always has.
        if host.ascii not in names and host.parts.registrable not in names:
            return _NONE
        shortener = self._redirectors.shortener(content)
        if not shortener:
            return _NONE
        return (self._info("url_cues.shortener", {"shortener": shortener}),)

    def _name_cues(self, host: Host) -> tuple[Evidence, ...]:
        found = []
        ascii_name = host.ascii
        if self._latin_gate(ascii_name) is not None or (
            not host.unicode.isascii() and self._han_gate(host.unicode) is not None
        ):
            found.extend(self._host_words(host))
        suffix = host.parts.suffix
        risky = self._risky_by_suffix.get(suffix)
        if risky is None:
            risky = self._risky_tld(suffix)
        found.extend(risky)
        # Dropping "xn--" only removes hyphens: under the threshold before, under it after.
        hyphens = ascii_name.count("-")
        if hyphens >= MANY_HYPHENS:
            hyphens = ascii_name.replace("xn--", "").count("-")
            if hyphens >= MANY_HYPHENS:
                in_name = host.parts.label.replace("xn--", "").count("-") >= MANY_HYPHENS
                found.append(self._many_hyphens(hyphens, in_name))
        label = host.parts.label
        if len(label) >= RANDOM_MIN_LENGTH and not label.startswith("xn--") and looks_random(label):
            found.append(
                self._ev(
                    "url_cues.random_label",
                    RANDOM_LABEL_WEIGHT,
                    {"label": label},
                    {"label": label, "entropy_bits": round(_entropy(label), 2)},
                    reads=SITE_NAME,
                )
            )
        # Asked last: most names hold no cue at all.
        if not found or self._protected(ascii_name, host.parts):
            return _NONE
        return tuple(found)

    def _host_words(self, host: Host) -> list[Evidence]:
        """Lure words and famous names in the host. The domain model reads the lure words of
        the registrable name too (they are among its features), but unlike the ending and the
        shape they still complete its weak reason: counting them as the model's own reading
        cost 0.9-3.3 points of heuristic scam-list catch (CryptoScamDB giveaway 44.2 -> 40.9 %)
        and spared no legitimate domain of any set in ``bench/links_quality.py``."""
        found = []
        lures, names = self._words(host.ascii, host.unicode)
        if lures:
            found.append(
                self._ev(
                    "url_cues.lure_words",
                    _lure_weight(len(lures)),
                    {"words": ", ".join(lures)},
                    {"words": lures},
                )
            )
        if names:
            found.append(
                self._ev(
                    "url_cues.celebrity_name",
                    CELEBRITY_WEIGHT,
                    {"names": ", ".join(names)},
                    {"names": names},
                )
            )
        return found

    def _risky_tld(self, suffix: str) -> tuple[Evidence, ...]:
        """The risky-ending cue of a public suffix, once per suffix (hosts share them)."""
        tld = suffix.rsplit(".", 1)[-1]
        found = _NONE
        if tld in self._risky_tlds:
            found = (
                self._ev(
                    "url_cues.risky_tld",
                    RISKY_TLD_WEIGHT,
                    {"tld": tld},
                    {"tld": tld},
                    reads=SITE_NAME,
                ),
            )
        if len(self._risky_by_suffix) >= HOST_CACHE_SIZE:  # made-up endings never end
            self._risky_by_suffix.clear()
        self._risky_by_suffix[suffix] = found
        return found

    def _many_hyphens(self, count: int, in_name: bool) -> Evidence:
        """``in_name``: the registrable name has enough hyphens by itself (the domain model
        read them); otherwise a subdomain adds some, which the model never sees."""
        found = self._hyphens_by_count.get((count, in_name))
        if found is None:
            found = self._hyphens_by_count[count, in_name] = self._ev(
                "url_cues.many_hyphens",
                HYPHENS_WEIGHT,
                {"count": count},
                {"count": count, "threshold": MANY_HYPHENS},
                reads=SITE_NAME if in_name else "",
            )
        return found

    def _ip_evidence(self, ip: str, notation: str) -> Evidence:
        address = ipaddress.ip_address(ip)
        details = {"ip": ip, "notation": notation, "private": address.is_private}
        if notation not in ("dotted", "ipv6"):
            return self._ev(
                "url_cues.ip_obfuscated",
                IP_OBFUSCATED_WEIGHT,
                {"ip": ip, "notation": notation},
                details,
            )
        weight = IP_PRIVATE_WEIGHT if address.is_private else IP_WEIGHT
        return self._ev("url_cues.ip_host", weight, {"ip": ip}, details)

    def _ev(
        self,
        code: str,
        weight: float,
        params: dict[str, object],
        details: dict[str, object],
        reads: str = "",
    ) -> Evidence:
        """A cue; ``reads=SITE_NAME`` when it reads only the ending or the shape of the
        registrable name (hyphens, random look), which the domain model reads too: its weak
        reason needs a cue about something else. Words in the name keep their own reader
        (measured in ``_host_words``)."""
        return Evidence(self.name, code, weight, _SUPPORTING, params, details, reads)

    def _info(
        self, code: str, params: dict[str, object], details: dict[str, object] | None = None
    ) -> Evidence:
        return Evidence(self.name, code, 0.0, _INFO, params, details or dict(params))

    @classmethod
    def examples(cls) -> Sequence[Example]:
        return (
            example(
                "https://eth-giveaway-claim.top/", ["url_cues.lure_words", "url_cues.risky_tld"]
            ),
            example(
                "https://elonmusk-x2.com/double",
                ["url_cues.celebrity_name", "url_cues.path_lure_words"],
            ),
            example(
                "https://example.com/领取红包",
                ["url_cues.path_lure_words"],
                why="Chinese lure words in the path",
            ),
            example(
                "https://giveaway-claim.example/claim",
                ["url_cues.lure_words"],
                forbid=["url_cues.path_lure_words"],
                why="the path repeats the host's words: nothing new",
            ),
            example(
                "https://t.me/elonmusk_giveaway_official",
                ["url_cues.handle_borrows_name"],
                forbid=["url_cues.path_celebrity_name", "url_cues.path_lure_words"],
                why="a Telegram account named after a famous person, with a lure added",
            ),
            example(
                "https://x.com/elonmusk/status/1",
                ["url_cues.path_celebrity_name"],
                forbid=["url_cues.handle_borrows_name"],
                why="exactly the name: maybe the person's own account, so only the plain name cue",
            ),
            example(
                "https://weibo.com/马斯克官方",
                ["url_cues.handle_borrows_name"],
                why="a Chinese handle: the famous name with a word added",
            ),
            example("https://secure-login-account-verify.com/", ["url_cues.many_hyphens"]),
            example("https://xkqzvbwplmtr.com/", ["url_cues.random_label"]),
            example("http://paypal.com@evil.example/", ["url_cues.userinfo_trick"]),
            example(
                "https://evil.example\\@www.paypal.com/",
                ["url_cues.backslash_trick"],
                forbid=["url_cues.userinfo_trick", "url_cues.credentials"],
                why="browsers read '\\' as '/': the host is evil.example",
            ),
            example(
                "https://www.gov.uk\\guidance.html",
                forbid=["url_cues.backslash_trick"],
                why="a Windows-style path: the reader sees the host the browser opens",
            ),
            example("http://3232235777/", ["url_cues.ip_obfuscated"]),
            example("http://8.8.8.8/login", ["url_cues.ip_host"]),
            example("https://example.com:8443/", ["url_cues.nonstandard_port"]),
            example("https://bit.ly/3xYz", ["url_cues.shortener"]),
            example("https://reurl.cc/a1B2c3", ["url_cues.shortener"], why="Taiwan's shortener"),
            example("https://www.google.com/url?q=https://example.org/", ["url_cues.unwrapped"]),
            example(
                "javascript:location='https://example.org/claim'",
                ["url_cues.script_url"],
                forbid=["url_cues.unwrapped"],
                why="a link that runs code to go somewhere",
            ),
            example(
                "data:text/html;base64,"
                "PGZvcm0gYWN0aW9uPSJodHRwczovL2V4YW1wbGUub3JnL3Bvc3QiPjwvZm9ybT4=",
                ["url_cues.script_url"],
                why="a page inside the link whose form posts to a site",
            ),
            example(
                "https://www.wikipedia.org/wiki/Giraffe",
                forbid=["url_cues.lure_words", "url_cues.random_label", "url_cues.risky_tld"],
                why="an ordinary page",
            ),
            example("https://doubleclick.net/", forbid=["url_cues.random_label"]),
            example(
                "https://walletconnect.com/",
                forbid=["url_cues.lure_words"],
                why="a protected brand's own name is no lure",
            ),
        )


def _lure_weight(count: int) -> float:
    """The weight of ``count`` different lure words in one address (0 for none)."""
    if count <= 0:
        return 0.0
    return min(LURE_WEIGHT + LURE_EXTRA_WEIGHT * (count - 1), LURE_MAX_WEIGHT)


_VOWELS = frozenset("aeiouy")
#: Six consonants in a row (``y`` counts as a vowel here, as in ``_VOWELS``).
_CONSONANT_RUN = re.compile(r"[b-df-hj-np-tv-xz]{6}")
#: The letters of ``_CONSONANT_RUN``'s class.
_CONSONANTS = frozenset("bcdfghjklmnpqrstvwxz")
_DIGIT = re.compile(r"\d")


def _ascii_class(char: str) -> str:
    if char in _VOWELS:
        return "v"
    if char in _CONSONANTS:
        return "c"
    if char.isalpha():
        return "L"  # a letter neither class counts (upper case)
    return "d" if char.isdigit() else "-"


#: Each ASCII character as its class, one for one: ``v`` a vowel, ``c`` a consonant of
#: ``_CONSONANT_RUN``, ``L`` another letter, ``d`` a digit, ``-`` anything else. A one-for-one
#: ASCII table is ``str.translate``'s fast path in C (deleting characters falls off it), and
#: on the class string counting and finding runs are plain ``str`` methods.
_CLASSES = {i: _ascii_class(chr(i)) for i in range(128)}


def looks_random(label: str) -> bool:
    """A registrable label that reads like a machine made it (``xkqzvbwplmtr``, ``a8f3k2j9x1``).

    Long labels only: short ones are too often honest abbreviations (``bbc``, ``mkt``).
    """
    if len(label) < RANDOM_MIN_LENGTH:
        return False
    if label.isascii():  # every registrable label (punycode)
        classes = label.translate(_CLASSES)
        letters = classes if label.isalpha() else classes.replace("d", "").replace("-", "")
        if not letters:
            return False
        if classes.count("v") / len(letters) < 0.15 or "cccccc" in letters:
            return True
        if "d" not in classes:
            return False  # no letter/digit switch at all
    else:
        letters = "".join(ch for ch in label if ch.isalpha())
        vowels = sum(ch in _VOWELS for ch in letters)
        if not letters:
            return False
        if vowels / len(letters) < 0.15 or _CONSONANT_RUN.search(letters):
            return True
        if not _DIGIT.search(label):
            return False  # no letter/digit switch at all
    switches = sum(1 for a, b in pairwise(label) if a.isdigit() != b.isdigit())
    return switches >= 5 and _entropy(label) > 3.2


def _entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(c / len(text) * math.log2(c / len(text)) for c in counts.values())
