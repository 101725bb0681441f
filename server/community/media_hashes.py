"""Perceptual hashes of a reported picture, with the media checks' own decoder and hasher
(``server/media``): one decoding module with its limits, one definition of PDQ and pHash.
CPU work: call it in the app's CPU executor."""

from __future__ import annotations

from server.media.decode import DecodeLimits, decode_media
from server.media.hashing import HashKind, frame_hasher
from server.media.item import MediaItem
from server.settings import Settings


def item_hashes(item: MediaItem) -> dict[str, str]:
    """``{"pdq": hex, "phash": hex}`` of the first frame, or the client's own hashes; empty
    when the picture is too small or flat to hash (the quality gate)."""
    if not item.has_pixels:
        return {k: v[0] for k, v in item.client_hashes.items() if v and k in ("pdq", "phash")}
    # The media check has usually hashed the whole picture already (its ``full`` or ``raw``
    # region): the frame's hasher hands that back instead of hashing it again.
    hashed = frame_hasher(item, 0).whole()
    if hashed is None:
        return {}
    hashes, _quality = hashed
    return {kind.value: hashes[kind].hex() for kind in (HashKind.PDQ, HashKind.PHASH)}


def file_hashes(data: bytes, settings: Settings) -> dict[str, str]:
    """Decode under the media limits (``MediaError`` on a bad file) and hash."""
    return item_hashes(decode_media(data, DecodeLimits.from_settings(settings)))
