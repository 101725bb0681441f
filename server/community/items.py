"""What a report is about, reduced to the key that merges reports of the same item into one case.

- a link: its registrable domain (``login.evil.example/x`` and ``evil.example/y`` are one case),
  except on a popular site (Tranco top list) or an IP, where one page is the item: the case
  key is the exact URL, so confirming it never blocks a whole big host;
- text: its template — lowercase, digits, links, amounts and whitespace folded — so the same
  scam message with another victim's name-free numbers merges;
- a phone number: its digits (a leading ``00`` read as ``+``);
- a wallet address: as written (EVM addresses lowercased: they are case-insensitive);
- media: a perceptual hash in hex (PDQ 256-bit or pHash 64-bit); near-identical hashes merge
  (Hamming distance within ``MEDIA_MERGE_DISTANCE``); a picture too flat to hash is keyed by
  its file's SHA-256 (``file:<hex>``, exact copies only).

``item_hash(kind, key)`` is what retroactive-alert subscriptions and federation store instead of
the item itself.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from server.errors import ValidationFailed, said
from server.links.url import InvalidUrl, LinkParser
from server.lists import url_key


class ItemKind(StrEnum):
    LINK = "link"
    TEXT = "text"
    PHONE = "phone"
    WALLET = "wallet"
    MEDIA = "media"


class Category(StrEnum):
    INVESTMENT = "investment"
    GIVEAWAY = "giveaway"
    CELEBRITY = "celebrity"
    ROMANCE = "romance"
    OFFICIAL = "official"
    SHOPPING = "shopping"
    OTHER = "other"


#: Categories where victims lose money fast or are coerced: they go first in the queue.
URGENT_CATEGORIES = frozenset({Category.OFFICIAL, Category.INVESTMENT, Category.CELEBRITY})

#: Hash kinds accepted for media and their sizes in hex characters. PDQ is ThreatExchange's
#: 256-bit hash (exchangeable with HMA as hex); pHash is imagehash's 64-bit DCT hash.
MEDIA_HASHES = {"pdq": 64, "phash": 16}
#: Near-identical media merge within this share of differing bits (PDQ's own match
#: threshold is 31/256 ≈ 12%; merging is stricter than matching).
MEDIA_MERGE_FRACTION = 0.08

MAX_TEXT_LENGTH = 5000
_HEX = re.compile(r"[0-9a-f]+")
_PHONE = re.compile(r"\+?[0-9][0-9 ()\-.]{4,30}")
_EVM = re.compile(r"0x[0-9a-fA-F]{40}")
_WALLET = re.compile(r"[A-Za-z0-9]{20,120}")
_URLISH = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_NON_WORD = re.compile(r"[^\w]+")


@dataclass(frozen=True, slots=True)
class CaseKey:
    """The merge key of one item: ``kind``, ``key`` (normalised) and what moderators see."""

    kind: ItemKind
    key: str
    #: What moderators see: the item as it was sent (a text's first 200 characters).
    display: str
    #: For links: ``domain`` or ``url`` — what a confirmation puts on the blocklist.
    scope: str = ""
    #: For messages: the template the key hashes (``text_template``), kept with the case so a
    #: confirmed message can be found inside a longer one.
    template: str = ""

    @property
    def hash(self) -> str:
        return item_hash(self.kind, self.key)


def item_hash(kind: str, key: str) -> str:
    return hashlib.sha256(f"{kind}\x00{key}".encode()).hexdigest()


def link_key(parser: LinkParser, raw: str, popular: frozenset[str]) -> CaseKey:
    try:
        link = parser.parse(raw)
    except InvalidUrl as exc:
        raise ValidationFailed(
            said("report_link_unreadable", reason=str(exc)), field="value"
        ) from None
    host = link.host
    if host.is_ip or host.registrable in popular:
        key = url_key(host.ascii, link.port, link.path, link.query)
        return CaseKey(ItemKind.LINK, key, link.url[:300], scope="url")
    return CaseKey(ItemKind.LINK, host.registrable, host.registrable_unicode, scope="domain")


def text_key(raw: str) -> CaseKey:
    """The template of the NFKC form is the key (full-width "，１２３" merges with ",123");
    moderators read the text as it was sent: normalised, "，" would show as ",", a full-width
    digit as an ASCII one, and they judge what the scammer wrote, not our folding of it."""
    text = unicodedata.normalize("NFKC", raw).strip()
    if not 8 <= len(text) <= MAX_TEXT_LENGTH:
        raise ValidationFailed(said("report_text_length", high=MAX_TEXT_LENGTH), field="value")
    template = text_template(text)
    return CaseKey(ItemKind.TEXT, template_digest(template), raw.strip()[:200], template=template)


def text_template(raw: str) -> str:
    """A message's template, the text ``text_key`` hashes: NFKC, lowercase, each link
    ``link``, each number ``0``, every run of non-word characters one space, no space at
    either end (words are separated by exactly one space). The confirmed-items check
    (``server/detectors/confirmed_items.py``) reads a checked message the same way."""
    template = unicodedata.normalize("NFKC", raw).strip().lower()
    template = _URLISH.sub(" <link> ", template)
    template = _NUMBER.sub("0", template)
    return _NON_WORD.sub(" ", template).strip()


def template_digest(template: str) -> str:
    """The case key of a message template (``text_key``)."""
    return hashlib.sha256(template.encode()).hexdigest()


def phone_key(raw: str) -> CaseKey:
    if not _PHONE.fullmatch(raw.strip()):
        raise ValidationFailed(said("report_phone"), field="value")
    digits = re.sub(r"\D", "", raw)
    plus = raw.strip().startswith("+") or digits.startswith("00")
    digits = digits[2:] if digits.startswith("00") else digits
    if not 5 <= len(digits) <= 15:
        raise ValidationFailed(said("report_phone_digits"), field="value")
    key = ("+" if plus else "") + digits
    return CaseKey(ItemKind.PHONE, key, key)


def wallet_key(raw: str) -> CaseKey:
    value = raw.strip()
    if _EVM.fullmatch(value):
        value = value.lower()
    elif not _WALLET.fullmatch(value):
        raise ValidationFailed(said("report_wallet"), field="value")
    return CaseKey(ItemKind.WALLET, value, value)


def media_key(hashes: dict[str, str]) -> CaseKey:
    """The strongest hash given is the key (PDQ before pHash); all are kept on the report."""
    for name, size in MEDIA_HASHES.items():
        value = hashes.get(name)
        if value is not None:
            value = value.lower()
            if len(value) != size or not _HEX.fullmatch(value):
                raise ValidationFailed(
                    said("report_hash_size", name=name, size=size), field="hashes"
                )
            return CaseKey(ItemKind.MEDIA, f"{name}:{value}", f"{name}:{value[:16]}…")
    raise ValidationFailed(
        said("report_hash_missing", names=", ".join(MEDIA_HASHES)), field="hashes"
    )


def file_key(data: bytes) -> CaseKey:
    """A reported picture too flat or small to hash (no PDQ or pHash): the case is the file
    itself, by SHA-256. Never near anything, never banked, never a ``media_value``."""
    digest = hashlib.sha256(data).hexdigest()
    return CaseKey(ItemKind.MEDIA, f"file:{digest}", f"file:{digest[:16]}…")


def media_value(value: str) -> CaseKey | None:
    """A media item as instances exchange it (``pdq:<64 hex>``, ``phash:<16 hex>``: a case's
    key), or ``None`` when ``value`` is not one of those."""
    name, colon, digits = value.partition(":")
    if not colon or name not in MEDIA_HASHES:
        return None
    try:
        return media_key({name: digits})
    except ValidationFailed:
        return None


def hamming_hex(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def near_media(key: str, candidates: list[tuple[int, str]]) -> int | None:
    """The id of the first candidate case whose hash of the same kind is near ``key``. Keys
    that are not a well-formed hash of their kind are never near anything: a longer value
    would widen its own limit and join another case."""
    item = media_value(key)
    if item is None:
        return None
    name, value = item.key.split(":", 1)
    size = MEDIA_HASHES[name]
    limit = int(size * 4 * MEDIA_MERGE_FRACTION)
    prefix = name + ":"
    target = int(value, 16)
    for case_id, other in candidates:  # media_value's checks, inline: this runs per candidate
        digits = other[len(prefix) :] if other.startswith(prefix) else ""
        if len(digits) != size or not _HEX.fullmatch(digits):
            continue
        if (target ^ int(digits, 16)).bit_count() <= limit:
            return case_id
    return None
