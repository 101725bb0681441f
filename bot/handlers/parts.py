"""What a message holds: its links (entities, buttons and bare ones), its text and its picture
or video, cut to what the server takes; and who sent it.

Pure reading of a Telegram ``Message``, no server and no state: the checks, the /report
flow and the group guard all read messages the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
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


def _bare_links(text: str) -> list[str]:
    """Links written without a Telegram entity, each naming a site."""
    return [
        m.group(0) for m in _BARE_URL.finditer(text) if _NAMED_HOST.match(m.group(0)) is not None
    ]


@dataclass
class Media:
    file_id: str
    size: int | None
    filename: str
    content_type: str


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


def _button_links(message: Message) -> list[str]:
    """Links behind the message's inline-keyboard buttons: scam posts made through an inline
    bot put the link in a "Claim" button under harmless text."""
    markup = message.reply_markup
    if markup is None:
        return []
    found: list[str] = []
    for row in markup.inline_keyboard:
        for button in row:
            if button.url:
                found.append(button.url)
            if button.login_url is not None and button.login_url.url:
                found.append(button.login_url.url)
    return found


def _links(message: Message) -> list[str]:
    # Buttons first: their links are the ones a scammer wants pressed.
    found: list[str] = _button_links(message)
    for entities in (
        message.parse_entities([MessageEntity.URL, MessageEntity.TEXT_LINK]),
        message.parse_caption_entities([MessageEntity.URL, MessageEntity.TEXT_LINK]),
    ):
        for entity, text in entities.items():
            url = entity.url if entity.type == MessageEntity.TEXT_LINK and entity.url else text
            found.append(url)
    body = message.text or message.caption or ""
    found.extend(_bare_links(body))
    links: list[str] = []
    for url in found:
        url = url.rstrip(").,;!?。，）")
        if not url.lower().startswith(("http://", "https://")):
            url = "http://" + url
        if url not in links:
            links.append(url)
    return links


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
        )
    return None


def parts_of(message: Message, max_text: int = MAX_TEXT) -> Parts:
    links, skipped, site_only = _capped(_links(message))
    body = message.text or message.caption or ""
    media = _media(message)
    unsupported = media is None and not body and not links and not skipped
    text, cut = _fit_text(body, max_text)
    return Parts(links, text, media, unsupported, skipped, site_only, cut)


def _user_id(message: Message) -> int:
    return message.from_user.id if message.from_user else 0
