"""What a message holds: its links (entities, buttons and bare ones), its text and its picture
or video, cut to what the server takes; and who sent it.

Pure reading of a Telegram ``Message``, no server and no state: the checks, the /report
flow and the group guard all read messages the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from telegram import Message, MessageEntity

from bot.handlers.limits import MAX_LINKS, MAX_TEXT, MAX_URL_LENGTH

#: A bare link ends at white space, quotes, CJK punctuation and full-width characters. Han
#: characters may be the host itself ("https://支付宝-登录.top/x", "www.支付宝.com"), but right
#: after an ASCII top-level label (".info领取") they are the text written flush against the
#: link ("请登录https://evil.info领取"); in the path they always end it.
_STOP = "\\s<>\"'\u3000-\u303f\uff00-\uffef"
_HAN = "\u3400-\u9fff\uf900-\ufaff"
_BARE_URL = re.compile(
    rf"(?:https?://|www\.)"
    rf"(?=[^{_STOP}./?#])"  # a host, not "https://" alone
    rf"(?:\.(?![A-Za-z]+[{_HAN}])|[^{_STOP}{_HAN}./?#]|[{_HAN}])*"
    rf"(?:\.[A-Za-z]+(?=[{_HAN}]))?"
    rf"(?:[/?#][^{_STOP}{_HAN}]*)?",
    re.IGNORECASE,
)
#: A host with at least one dot between two labels ("http://www." names no site).
_NAMED_HOST = re.compile(r"^(?:https?://)?[^/?#]*[^./?#]\.[^./?#]", re.IGNORECASE)


#: The words of a text link that read as an address on their own ("icbc.com.cn",
#: "www.icbc.com.cn/login"): a host whose last label is letters, nothing else around it.
_ADDRESS_WORDS = re.compile(
    r"(?:https?://)?(?:[\w-]+\.)+[A-Za-z]{2,24}\.?(?:[/?#]\S*)?", re.IGNORECASE
)


def _bare_spans(text: str) -> list[tuple[int, int, str]]:
    """Links written without a Telegram entity, each naming a site, with where they are."""
    return [
        (m.start(), m.end(), m.group(0))
        for m in _BARE_URL.finditer(text)
        if _NAMED_HOST.match(m.group(0)) is not None
    ]


def _bare_links(text: str) -> list[str]:
    """Links written without a Telegram entity, each naming a site."""
    return [url for _, _, url in _bare_spans(text)]


@dataclass
class Media:
    file_id: str
    size: int | None
    filename: str
    content_type: str
    #: Sent as a file (a document): its format is the sender's, not Telegram's JPEG or MP4.
    as_file: bool = False


@dataclass
class Parts:
    links: list[str]
    text: str
    media: Media | None
    unsupported: bool
    #: Links found but not sent: past ``MAX_LINKS`` or longer than ``MAX_URL_LENGTH``.
    skipped_links: int = 0
    #: Links longer than ``MAX_URL_LENGTH`` sent as ``scheme://host/`` (judged by their site).
    site_only_links: int = 0
    #: The text was longer than the server takes: its first and last halves were sent.
    text_cut: int = 0
    #: Text links (and buttons) whose words show an address: ``(shown, target)``, both as
    #: sent. The server
    #: reads both; a different site is said out loud (``checks``), and the shown address is
    #: never listed as a link of its own (clicking it goes to the target).
    shown: list[tuple[str, str]] = field(default_factory=list)
    #: Shown addresses sent only to be read beside their target (no link of the message).
    shown_only: list[str] = field(default_factory=list)


def _fit_text(body: str, limit: int) -> tuple[str, int]:
    """``body`` as the text check takes it, and the length of each half kept when it was too
    long (0 when whole): the head and the tail, where a scam's ask usually sits."""
    if len(body) <= limit:
        return body, 0
    half = (limit - 3) // 2
    return body[:half] + "\n…\n" + body[-half:], half


def _site_of(url: str) -> str | None:
    """``scheme://host/`` of a link too long to send whole: the lists, look-alike and domain
    checks judge the host, so padding the path or query must not buy a scam domain silence."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    if not host or parts.scheme.lower() not in ("http", "https"):
        return None
    site = f"{parts.scheme.lower()}://{f'[{host}]' if ':' in host else host}/"
    return site if len(site) <= MAX_URL_LENGTH else None


def _capped(links: list[str]) -> tuple[list[str], int, int]:
    """The links to send, how many were left out, and how many of those sent stand for a link
    longer than ``MAX_URL_LENGTH``, sent as its site only."""
    sent_as = [url if len(url) <= MAX_URL_LENGTH else _site_of(url) for url in links]
    kept = list(dict.fromkeys(url for url in sent_as if url is not None))[:MAX_LINKS]
    chosen = set(kept)
    skipped = sum(1 for url in sent_as if url not in chosen)
    trimmed = sum(
        1 for url, sent in zip(links, sent_as, strict=True) if sent in chosen and url != sent
    )
    return kept, skipped, trimmed


def _button_links(message: Message) -> tuple[list[str], list[tuple[str, str]]]:
    """Links behind the message's inline-keyboard buttons (scam posts made through an inline
    bot put the link in a "Claim" button under harmless text), and each button whose label
    shows an address: ``(shown, target)``, as for a text link."""
    markup = message.reply_markup
    if markup is None:
        return [], []
    found: list[str] = []
    shown: list[tuple[str, str]] = []
    for row in markup.inline_keyboard:
        for button in row:
            targets = [button.url] if button.url else []
            if button.login_url is not None and button.login_url.url:
                targets.append(button.login_url.url)
            found.extend(targets)
            label = (button.text or "").strip()
            address = _bare_links(label)[:1] or ([label] if _ADDRESS_WORDS.fullmatch(label) else [])
            shown.extend((_as_url(address[0]), _as_url(url)) for url in targets if address)
    return found, shown


def _as_url(raw: str) -> str:
    url = raw.rstrip(").,;!?。，）")
    return url if url.lower().startswith(("http://", "https://")) else "http://" + url


def _span(text: str, entity: MessageEntity) -> tuple[int, int]:
    """Where ``entity`` is in ``text``, in characters (Telegram counts UTF-16 code units)."""
    units = text.encode("utf-16-le")
    start = len(units[: entity.offset * 2].decode("utf-16-le", "ignore"))
    inside = units[entity.offset * 2 : (entity.offset + entity.length) * 2]
    return start, start + len(inside.decode("utf-16-le", "ignore"))


def _shown_address(
    words: str, start: int, end: int, bare: list[tuple[int, int, str]]
) -> str | None:
    """The address a text link's words show: a bare address overlapping them in the message
    (a link written as "www.icbc.com.cn", however much of it the link covers), else the words
    themselves when they are an address and nothing else ("icbc.com.cn")."""
    for left, right, url in bare:
        if left < end and start < right:
            return url
    shown = words[start:end].strip()
    return shown if _ADDRESS_WORDS.fullmatch(shown) else None


def _links(message: Message) -> list[str]:
    return _links_and_shown(message)[0]


def _links_and_shown(message: Message) -> tuple[list[str], list[tuple[str, str]]]:
    """The message's links, and each text link whose words show an address: ``(shown,
    target)``. A bare address inside a text link's words is not a link of the message:
    clicking it opens the target."""
    # Buttons first: their links are the ones a scammer wants pressed.
    found, shown = _button_links(message)
    body = message.text or message.caption or ""
    entities = message.entities if message.text else message.caption_entities
    bare = _bare_spans(body)
    covered: list[tuple[int, int]] = []
    for entity in entities:
        if entity.type == MessageEntity.URL:
            start, end = _span(body, entity)
            found.append(body[start:end])
        elif entity.type == MessageEntity.TEXT_LINK and entity.url:
            found.append(entity.url)
            start, end = _span(body, entity)
            covered.append((start, end))
            address = _shown_address(body, start, end, bare)
            if address is not None:
                shown.append((_as_url(address), _as_url(entity.url)))
    found.extend(
        url for left, right, url in bare if not any(s < right and left < e for s, e in covered)
    )
    links: list[str] = []
    for url in map(_as_url, found):
        if url not in links:
            links.append(url)
    return links, list(dict.fromkeys(shown))


def _media(message: Message) -> Media | None:
    if message.photo:
        largest = message.photo[-1]
        return Media(largest.file_id, largest.file_size, "photo.jpg", "image/jpeg")
    for video in (message.video, message.animation, message.video_note):
        if video is not None:
            mime = getattr(video, "mime_type", None) or "video/mp4"
            return Media(video.file_id, video.file_size, "video.mp4", mime)
    document = message.document
    if document is not None and (document.mime_type or "").startswith(("image/", "video/")):
        return Media(
            document.file_id,
            document.file_size,
            (document.file_name or "file")[-100:],
            document.mime_type or "application/octet-stream",
            as_file=True,
        )
    return None


def _sent_as(url: str) -> str | None:
    """``url`` as ``_capped`` sends it."""
    return url if len(url) <= MAX_URL_LENGTH else _site_of(url)


def parts_of(message: Message, max_text: int = MAX_TEXT) -> Parts:
    found, shown_in_text = _links_and_shown(message)
    links, skipped, site_only = _capped(found)
    body = message.text or message.caption or ""
    media = _media(message)
    unsupported = media is None and not body and not links and not skipped
    text, cut = _fit_text(body, max_text)
    parts = Parts(links, text, media, unsupported, skipped, site_only, cut)
    # Each shown address goes with its target (the server reads both: same site or not), in
    # the room the message's own links left.
    for address, target in shown_in_text:
        shown, sent = _sent_as(address), _sent_as(target)
        if shown is None or sent not in links:
            continue
        if shown not in links and shown not in parts.shown_only:
            if len(links) + len(parts.shown_only) >= MAX_LINKS:
                continue
            parts.shown_only.append(shown)
        parts.shown.append((shown, sent))
    return parts


def _user_id(message: Message) -> int:
    return message.from_user.id if message.from_user else 0
