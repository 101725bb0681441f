"""What a message points to: links, phone numbers and crypto wallet addresses.

Extraction is conservative: a wallet must pass its checksum (Base58Check for Bitcoin legacy
and TRON addresses, bech32/bech32m for ``bc1…``), an EVM address must be exactly 40 hex digits,
a phone number must look like one (a leading ``+``, a trunk ``0``, a Chinese mobile
``1[3-9]…`` or separators between digit groups) and not like a date. A bare domain
("claim-eth.top/x") counts as a link only when it ends in a real top-level domain; the link
pipeline decides whether it is readable.

Links written to slip past filters are read as the browser link a person would retype
("refanged", review 34 #10): an ideographic full stop or a bracketed dot between two address
characters (``etc-gov-cn。top``, ``evil[.]top``, ``(.)``, ``{.}``, ``[dot]``, ``点``) when what
follows is a top-level domain or another label, spaces around a dot before a real top-level
domain (``etc-gov-cn .top``, when the name holds a hyphen or digit or a path follows; not a
number ending a sentence, "$1.99. Pay"), and
``hxxp://`` / ``http[:]//``. Such links are listed with the form written under ``refanged``.
A link ends at an emoji or pictograph ("https://x.top🔗"), and a phone number may follow a
Han character ("请致电13812345678").

Shared with the celebrity-impersonation check (claims in a post) and OCR'd text.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass

from server.text.normalise import clean, origins

#: Links, phones and wallets kept per message; a message listing more is itself odd, and
#: the link pipeline's batch has a size limit.
MAX_ITEMS = 20

#: URL characters: anything but spaces, quotes, brackets and CJK (Chinese text runs on
#: straight after a link: "点击https://u.example.cn/qAE9U立即参与").
_URL_CHARS = (
    r"[^\s<>\"'“”‘’()\[\]{}\u3000-\u9fff\uff00-\uffef"
    # Arrows, technical and miscellaneous symbols, dingbats, emoji: "链接：https://x.top🔗".
    r"\u2190-\u2bff\U0001f000-\U0001faff]"
)
#: Kana and Han: text that runs on after an ASCII host ("https://evil.info领取"), or a host
#: of its own ("https://支付宝-登录.top/x").
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
#: What ends a scheme link's host part besides ``/?#``: as ``_URL_CHARS``, but CJK letters
#: may be the host itself (CJK punctuation, full-width forms and symbols still end it).
_HOST_STOPS = r"\s<>\"'“”‘’()\[\]{}\u3000-\u303f\uff00-\uffef\u2190-\u2bff\U0001f000-\U0001faff"
#: An ASCII label (and port) right before CJK text, perhaps after punctuation: the host's last
#: label, the text after it the message ("https://evil.info领取", "x.com:8443，快").
_ASCII_END = rf"[a-z0-9-]*[a-z0-9](?::\d+)?(?=[.,;:!?'\"]*[{_CJK}])"
#: A link with a scheme or ``www.``. Its host may hold CJK (IDN) where a label may start or
#: go on with it (after ``/``, ``.``, ``-`` or CJK: "https://evil领取" stays ``https://evil``),
#: and ends at ``_ASCII_END`` (each dot looks one label ahead: linear); its path never holds
#: CJK ("点击https://u.example.cn/qAE9U立即参与").
_SCHEME_URL = re.compile(
    r"(?<![a-z0-9.-])(?:https?://|www\.)"
    rf"(?:[^{_HOST_STOPS}{_CJK}./?#]|(?<=[./\-{_CJK}])[{_CJK}]|\.(?!{_ASCII_END}))*+"
    rf"(?:\.{_ASCII_END})?"
    r"(?:[/?#]" + _URL_CHARS + "*)?",
    re.I,
)
_SCHEME_PREFIX = re.compile(r"(?:https?://|www\.)", re.I)
_NO_HOST = re.compile(r"(?:https?://)?(?:www)?", re.I)
_CJK_CHAR = re.compile(f"[{_CJK}]")
_BARE_DOMAIN = re.compile(
    r"(?<![a-z0-9@.-])((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+([a-z]{2,18}))"
    r"(/" + _URL_CHARS + r"*)?(?![a-z0-9@-])",
    re.I,
)
_TRAILING = ".,;:!?)]}'\"。，！？；：）】"
#: A bare host written in another script (IDN): ``支付宝-安全.com``, ``аpple.com`` (Cyrillic
#: ``а``). Labels are runs of CJK or of other letters and digits, joined by hyphens; a CJK
#: run never touches a Latin one ("请登录evil.info领取" is text then the ASCII host
#: ``evil.info``, which ``_BARE_DOMAIN`` finds). It starts only after a character that is
#: no part of a word, a host or an address (so each stretch of text is tried once: linear),
#: and its top-level label is ASCII (``com``) or punycode, never a CJK word after a dot.
_RUN = rf"(?:[{_CJK}]++|[^\W_{_CJK}]++)"
_BARE_IDN = re.compile(
    rf"(?<![\w@.-])((?:{_RUN}(?:-++{_RUN})*+\.)+(xn--[a-z0-9-]{{1,59}}|[a-z]{{2,18}}))"
    r"(?![a-z0-9@-])(/" + _URL_CHARS + r"*)?",
    re.I,
)
#: A name of CJK words and one dot ("我到家了.love", "谢谢你.me") reads as a sentence unless
#: its ending is one that Chinese scam hosts use; with a hyphen, a digit, a second dot or a
#: path it is an address.
_CJK_NAME_ENDINGS = frozenset(
    {"com", "net", "org", "cn", "top", "vip", "xyz", "shop", "info", "cc", "hk", "tw", "mo"}
)
_PLAIN_CJK_NAME = re.compile(rf"[{_CJK}]+\.[a-z]+", re.I)

_EVM = re.compile(r"(?<![0-9a-zA-Z])0x[0-9a-fA-F]{40}(?![0-9a-zA-Z])")
_BASE58 = re.compile(r"(?<![0-9a-zA-Z])[13T][1-9A-HJ-NP-Za-km-z]{25,34}(?![0-9a-zA-Z])")
_BECH32 = re.compile(r"(?<![0-9a-zA-Z])bc1[02-9ac-hj-np-z]{11,71}(?![0-9a-zA-Z])", re.I)

# Not inside a Latin word or a longer number; Han characters may touch it ("致电138…咨询").
_PHONE = re.compile(r"(?<![0-9A-Za-z+])(\+?\d[\d\s().-]{5,20}\d)(?![0-9A-Za-z])")
_DATE = re.compile(r"^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}$|^\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}$")

#: Defanged forms (see the module doc), one alternation so one pass records every edit: a
#: rewritten scheme; a bracketed or ideographic dot between two address characters, with the
#: label after it; spaces around a dot, with the word after it.
_DEFANGED = re.compile(
    r"(?<![a-z])(?:h(?:xx|\*\*)p(?P<s1>s?)(?:\[:\]|:)//|http(?P<s2>s?)(?:\[:\]//|\[://\]))"
    r"|(?<=[a-z0-9-])(?P<dot>。|点|\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)|\{dot\})"
    r"(?=(?P<label>[a-z0-9-]{1,63})(?P<after>.?))"
    r"|(?<=[a-z0-9])(?P<spaced> +\.|\. +)(?=(?P<word>[a-z]{2,18})(?P<end>[^a-z0-9-]|$))",
    re.I | re.S,
)
#: What may follow a label that is not the last one: another (possibly defanged) dot.
_NEXT_DOT = frozenset(".。点[({")
_PATH_START = re.compile(r"[/?#]")
_TLD_SHAPE = re.compile(r"[a-z]{2,18}", re.I)
_LABEL_BEFORE = re.compile(r"[a-z0-9-]+$", re.I)

_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


@dataclass(frozen=True, slots=True)
class Wallet:
    chain: str
    address: str


@dataclass(frozen=True, slots=True)
class Extracted:
    """Links (as written), phone numbers (as written, with their digits) and wallets."""

    links: tuple[str, ...] = ()
    phones: tuple[tuple[str, str], ...] = ()
    wallets: tuple[Wallet, ...] = ()
    #: Links that were written defanged: (the link as read, the form written).
    refanged: tuple[tuple[str, str], ...] = ()

    def as_details(self) -> dict[str, list[object]]:
        """The ``extracted`` field of a text verdict."""
        return {
            "links": list(self.links),
            "phones": [{"text": text, "digits": digits} for text, digits in self.phones],
            "wallets": [{"chain": w.chain, "address": w.address} for w in self.wallets],
            "refanged": [{"link": link, "written": written} for link, written in self.refanged],
        }


def extract(text: str, is_tld: Callable[[str], bool] | None = None) -> Extracted:
    """Links, phones and wallets in ``text`` (``normalise.clean``: invisible characters
    dropped, as a browser drops them from a host, and full-width ``ｈｔｔｐ`` counts).

    ``is_tld`` (``SuffixList.is_suffix``) lets bare domains count; without it only links with
    a scheme or ``www.`` are taken.
    """
    original, text = text, clean(text)
    wallets = _wallets(text)
    wallet_spans = {w.address for w in wallets}
    refanged, edits = _refang(text, is_tld)
    spans = _links(refanged, is_tld, wallet_spans)
    links = tuple(_unique([link for link, _, _ in spans]))
    written = _written(original, text, edits, spans, frozenset(links))
    without_urls = _blanked(refanged, _scheme_links(refanged))
    phones = _phones(without_urls, wallet_spans)
    return Extracted(links, phones, wallets, tuple(written.items()))


def _written(
    original: str,
    text: str,
    edits: list[_Edit],
    spans: list[tuple[str, int, int]],
    links: frozenset[str],
) -> dict[str, str]:
    """Each refanged link and how it was written in ``original``. A link is looked up once
    and edits by binary search (review 35 #7: one defanged name repeated 1,500 times made
    this spans x edits)."""
    written: dict[str, tuple[int, int]] = {}
    if edits:
        starts = [a for a, _, _, _ in edits]
        ends = [b for _, b, _, _ in edits]
        for link, start, end in spans:
            if link in links and link not in written and _edited(starts, ends, start, end):
                written[link] = (_written_at(edits, starts, start), _written_at(edits, starts, end))
    if not written:
        return {}
    # Positions are in the cleaned text; show what the sender typed (full-width letters,
    # invisible characters) when the two line up (review 35 #11).
    at = origins(original, text) if original != text else None
    if at is None:
        return {link: text[a:b] for link, (a, b) in written.items()}
    return {link: original[at[a] : at[b - 1] + 1] for link, (a, b) in written.items() if b > a}


#: An edit ``_refang`` made: (start, end) in the text as read, (start, end) as written.
_Edit = tuple[int, int, int, int]


def _refang(text: str, is_tld: Callable[[str], bool] | None) -> tuple[str, list[_Edit]]:
    """``text`` with defanged links written as links (``_DEFANGED``), and the edits made."""
    if _DEFANGED.search(text) is None:
        return text, []
    edits: list[_Edit] = []
    shift = 0

    def refang(match: re.Match[str]) -> str:
        nonlocal shift
        old = match.group(0)
        new = _refanged(match, is_tld)
        if new != old:
            start = match.start() + shift
            edits.append((start, start + len(new), match.start(), match.end()))
            shift += len(new) - len(old)
        return new

    return _DEFANGED.sub(refang, text), edits


def _refanged(match: re.Match[str], is_tld: Callable[[str], bool] | None) -> str:
    if match.group("dot") is not None:
        label, after = match.group("label"), match.group("after")
        last = after not in _NEXT_DOT
        if not last or (
            is_tld(label.lower()) if is_tld is not None else _TLD_SHAPE.fullmatch(label)
        ):
            return "."
        return match.group(0)
    if match.group("spaced") is not None:
        # Prose has ". Top" and " .NET": only a name with a hyphen or digit, or a path after
        # the ending, reads as an address.
        if is_tld is None or not is_tld(match.group("word").lower()):
            return match.group(0)
        name = _LABEL_BEFORE.search(match.string, max(0, match.start() - 63), match.start())
        if name is None:
            return match.group(0)
        if match.group("spaced").startswith(".") and name.group(0).isdigit():
            # A number ends the sentence: "$1.99. Pay within 24 hours", "your code is
            # 482913. Do not share it" (an all-digit name before ". " is a price or a code).
            return match.group(0)
        if re.search(r"[-\d]", name.group(0)) or match.group("end") == "/":
            return "."
        return match.group(0)
    secure = match.group("s1") or match.group("s2") or ""
    return f"http{secure}://"


def _edited(starts: list[int], ends: list[int], start: int, end: int) -> bool:
    """Whether an edit overlaps ``start:end`` (edits are in order and do not overlap)."""
    i = bisect.bisect_right(ends, start)
    return i < len(starts) and starts[i] < end


def _written_at(edits: list[_Edit], starts: list[int], position: int) -> int:
    """Where ``position`` of the refanged text was in the text as written."""
    i = bisect.bisect_right(starts, position) - 1
    if i < 0:
        return position
    start, end, old_start, old_end = edits[i]
    if position < end:  # inside an edit
        return old_start + min(position - start, old_end - old_start)
    return position - end + old_end


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))[:MAX_ITEMS]


def _links(
    text: str, is_tld: Callable[[str], bool] | None, wallets: set[str]
) -> list[tuple[str, int, int]]:
    """Every link in ``text`` with its span: scheme / ``www.`` links first, then bare domains."""
    schemes = _scheme_links(text)
    found = [(link, start, start + len(link)) for link, start, _ in schemes if link]
    if is_tld is not None:
        rest = _blanked(text, schemes)
        if not rest.isascii():
            idn = _bare_idn(rest, is_tld)
            found.extend(idn)
            rest = _blanked(rest, idn)
        for match in _BARE_DOMAIN.finditer(rest):
            if is_tld(match.group(2).lower()) and match.group(0) not in wallets:
                link = match.group(0).rstrip(_TRAILING)
                found.append((link, match.start(), match.start() + len(link)))
    return found


def _scheme_links(text: str) -> list[tuple[str, int, int]]:
    """Each ``_SCHEME_URL`` link (trailing punctuation dropped), where it starts and how much
    of the text it takes; a link is ``""`` when no host is left ("https://领取")."""
    found = []
    for match in _SCHEME_URL.finditer(text):
        written = match.group(0)
        if not written.isascii() and _CJK_CHAR.search(written) is not None:
            written = _named_host(written)
        link = written.rstrip(_TRAILING)
        if len(link) <= len("https://www") and _NO_HOST.fullmatch(link) is not None:
            continue  # "https://", "www." or "http://www." alone: no site named
        found.append((link, match.start(), match.start() + len(written)))
    return found


def _named_host(written: str) -> str:
    """A scheme match whose host holds CJK but no dot names no site: the CJK is the
    message ("https://领取", "https://a-领取" is ``https://a-``)."""
    start = _SCHEME_PREFIX.match(written)
    begin = start.end() if start is not None else 0
    end = _PATH_START.search(written, begin)
    host = written[begin : end.start() if end is not None else len(written)]
    first = _CJK_CHAR.search(host)
    if first is None or "." in host.strip("."):
        return written
    return written[: begin + first.start()] if first.start() > 0 else ""


def _blanked(text: str, spans: list[tuple[str, int, int]]) -> str:
    """``text`` with each span's characters turned to spaces (positions keep)."""
    if not spans:
        return text
    pieces: list[str] = []
    at = 0
    for _, start, end in spans:
        if end > start:
            pieces += (text[at:start], " " * (end - start))
            at = end
    pieces.append(text[at:])
    return "".join(pieces)


def _bare_idn(text: str, is_tld: Callable[[str], bool]) -> list[tuple[str, int, int]]:
    """Bare hosts with a label in another script (``_BARE_IDN``) and their spans."""
    found = []
    for match in _BARE_IDN.finditer(text):
        host, tld = match.group(1, 2)
        if host.isascii() or not is_tld(tld.lower()) or (tld.istitle() and len(tld) > 1):
            continue  # ASCII: ``_BARE_DOMAIN``'s; ".Love" starts a sentence
        path = match.group(3)
        if (
            not path
            and _PLAIN_CJK_NAME.fullmatch(host) is not None
            and tld.lower() not in _CJK_NAME_ENDINGS
        ):
            continue
        link = match.group(0).rstrip(_TRAILING)
        found.append((link, match.start(), match.start() + len(link)))
    return found


def _phones(text: str, wallets: set[str]) -> tuple[tuple[str, str], ...]:
    found: dict[str, tuple[str, str]] = {}
    for match in _PHONE.finditer(text):
        raw = match.group(1).strip()
        digits = re.sub(r"\D", "", raw)
        if not 7 <= len(digits) <= 15 or _DATE.match(raw) or raw in wallets:
            continue
        separated = bool(re.search(r"\d[\s().-]+\d", raw))
        looks_like_phone = (
            raw.startswith("+")
            or digits.startswith("0")
            or re.fullmatch(r"1[3-9]\d{9}", digits) is not None
            or re.fullmatch(r"[48]00\d{7}", digits) is not None
            or (separated and len(digits) >= 8)
        )
        if looks_like_phone and digits not in found:
            found[digits] = (raw, ("+" if raw.startswith("+") else "") + digits)
    return tuple(list(found.values())[:MAX_ITEMS])


def _wallets(text: str) -> tuple[Wallet, ...]:
    found: list[Wallet] = [Wallet("evm", m.group(0)) for m in _EVM.finditer(text)]
    for match in _BASE58.finditer(text):
        address = match.group(0)
        payload = _base58check(address)
        if payload is None:
            continue
        if address[0] == "T" and payload[0] == 0x41 and len(payload) == 21:
            found.append(Wallet("tron", address))
        elif address[0] in "13" and payload[0] in (0x00, 0x05) and len(payload) == 21:
            found.append(Wallet("bitcoin", address))
    for match in _BECH32.finditer(text):
        if _bech32_valid(match.group(0).lower()):
            found.append(Wallet("bitcoin", match.group(0)))
    unique = {w.address: w for w in found}
    return tuple(list(unique.values())[:MAX_ITEMS])


def _base58check(address: str) -> bytes | None:
    number = 0
    for char in address:
        number = number * 58 + _B58_ALPHABET.index(char)
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    raw = b"\0" * (len(address) - len(address.lstrip("1"))) + raw
    if len(raw) < 5:
        return None
    payload, checksum = raw[:-4], raw[-4:]
    digest = hashlib.sha256(hashlib.sha256(payload).digest()).digest()
    return payload if digest[:4] == checksum else None


def _bech32_polymod(values: list[int]) -> int:
    generator = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    check = 1
    for value in values:
        top = check >> 25
        check = (check & 0x1FFFFFF) << 5 ^ value
        for i in range(5):
            check ^= generator[i] if (top >> i) & 1 else 0
    return check


def _bech32_valid(address: str) -> bool:
    hrp, _, data = address.rpartition("1")
    values = [_BECH32_CHARSET.index(c) for c in data]
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    # 1: bech32 (segwit v0), 0x2BC830A3: bech32m (taproot and later).
    return _bech32_polymod(expanded + values) in (1, 0x2BC830A3)
