"""``MediaItem``: what every MEDIA detector receives (``ContentKind.MEDIA``).

Built only by ``server.media.decode`` (from an upload) or ``MediaItem.from_hashes`` (a
privacy-minded client sent hashes, never the media). Detectors read it and never mutate it:
the PIL images inside are shared by every detector that scores the same item, so a detector
that needs to change pixels works on ``frame.image.copy()`` (or ``np.asarray(...)``, which
copies).

Which field a detector wants:

- pixels: ``frames`` — RGB ``PIL.Image`` in display orientation (EXIF rotation applied),
  downscaled so the long side is at most ``work_side`` (default 960 px; JPEGs are
  draft-decoded straight to about that size). One frame for a still image, up to 8 for an
  animated GIF/WebP, up to ``max_video_keyframes`` keyframes for a video, each with
  ``timestamp_s`` (seconds from the start; ``None`` for a still). An animation's frames
  are a sample of its first frames only, as many as ``max_animation_pixels`` lets us
  decode (``animation`` says how many were read). ``frames`` is empty when the client sent
  only hashes: check ``has_pixels``.
- labels and provenance: ``metadata`` keeps the bytes a label reader needs — EXIF, XMP,
  PNG text chunks, JPEG APPn segments (C2PA's JUMBF boxes are APP11), video container tags
  — and ``raw`` keeps the whole upload for readers that must see the file itself (C2PA
  validates a hash over it). Never log, store or forward ``raw``.
- identity of the file: ``sha256`` (of ``raw``), ``size_bytes``, ``format`` (``JPEG``,
  ``PNG``, ``WEBP``, ``GIF``, ``HEIF``, ``MP4``, ``MOV``, ``WEBM``), ``mime``,
  ``width``/``height`` (the original, before any downscaling), ``is_video``,
  ``duration_s`` for a video.
- ``client_hashes``: when a client sent ``{"hashes": {...}}`` instead of a file, the
  hashes it sent (validated hex strings by kind, see ``server.media.hashing``); empty for
  uploads.

Expensive shared analyses (face detection) are computed once per item and shared by every
detector through ``memo`` (thread-safe: detectors of one item may run in parallel).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from PIL import Image

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Frame:
    """One decoded picture: a still image, an animation frame or a video keyframe."""

    #: RGB, display orientation, long side <= the decode's ``work_side``. Do not mutate.
    image: Image.Image
    #: Seconds from the start of a video or animation; ``None`` for a still image.
    timestamp_s: float | None = None
    #: Position among the sampled frames (0 for a still image).
    index: int = 0


@dataclass(frozen=True, slots=True)
class MediaMetadata:
    """The metadata bytes of the original file, kept as found (nothing is interpreted here).

    Every field is empty when the file had none, or when the client sent only hashes.
    """

    #: The raw EXIF block (``Exif\\0\\0``-less TIFF bytes as Pillow gives them), or ``b""``.
    exif: bytes = b""
    #: The XMP packet (UTF-8 XML bytes), or ``b""``.
    xmp: bytes = b""
    #: PNG ``tEXt``/``zTXt``/``iTXt`` chunks (and GIF/WebP comments) as ``{keyword: text}``.
    text: Mapping[str, str] = field(default_factory=dict)
    #: JPEG APPn segments in file order as ``(marker, payload)``, e.g. ``("APP11", b"JP…")``
    #: for C2PA/JUMBF, ``("APP13", …)`` for IPTC/Photoshop. Empty for other formats.
    segments: tuple[tuple[str, bytes], ...] = ()
    #: Container-level tags of a video (``{"encoder": "Lavf…", "comment": …}``).
    container_tags: Mapping[str, str] = field(default_factory=dict)
    #: The ICC profile's description bytes are not needed by anyone: not kept.


@dataclass(frozen=True, eq=False)
class MediaItem:
    """A decoded upload (or a client's hashes), validated at the edge; see the module doc."""

    format: str
    mime: str
    size_bytes: int
    sha256: str
    width: int
    height: int
    frames: tuple[Frame, ...] = ()
    metadata: MediaMetadata = field(default_factory=MediaMetadata)
    is_video: bool = False
    duration_s: float | None = None
    #: For an animated GIF/WebP/APNG, what was read of it: ``frames_read`` (decoded, from the
    #: first), ``frames_kept`` (in ``frames``), ``frames_in_file`` (``None``: not known without
    #: reading on), ``read_limit``, ``limited_by`` (``max_animation_pixels`` /
    #: ``max_animation_frames``, ``None`` when every frame was read), ``canvas_pixels``.
    #: Empty for stills and videos.
    animation: Mapping[str, Any] = field(default_factory=dict)
    #: The whole original file; ``b""`` for a hashes-only check. Never log or store it.
    raw: bytes = field(default=b"", repr=False)
    #: ``{hash kind: [hex, ...]}`` sent by a client instead of the media; empty for uploads.
    client_hashes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    _memo: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    _key_locks: dict[str, threading.Lock] = field(default_factory=dict, repr=False, compare=False)

    @property
    def has_pixels(self) -> bool:
        """False for a hashes-only check: pixel detectors have nothing to say then."""
        return bool(self.frames)

    @classmethod
    def from_hashes(cls, hashes: Mapping[str, tuple[str, ...]]) -> MediaItem:
        """A check where the client sent only perceptual hashes (already validated)."""
        return cls(
            format="HASHES",
            mime="application/json",
            size_bytes=0,
            sha256="",
            width=0,
            height=0,
            client_hashes=dict(hashes),
        )

    def memo(self, key: str, compute: Callable[[], T]) -> T:
        """``compute()`` once per item under ``key``; later callers get the same value.

        Used for analyses several detectors need (``faces.detect_faces``). ``compute`` runs
        under a lock of its own key, so two detectors asking at once do not both pay for it,
        while analyses under other keys go on in parallel (YuNet on one thread while the
        regions are hashed on another), and ``compute`` may itself ask for another key.
        """
        with self._lock:
            if key in self._memo:
                value: T = self._memo[key]
                return value
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._memo:
                    value = self._memo[key]
                    return value
            computed = compute()
            with self._lock:
                self._memo[key] = computed
            return computed

    def memo_unless_busy(self, key: str, compute: Callable[[], object]) -> bool:
        """``memo(key, compute)`` unless another thread is computing ``key`` right now: then
        return ``False`` at once instead of waiting for it (the face thread serves every
        check; blocking on one check's lock would hold up the next check's faces)."""
        with self._lock:
            if key in self._memo:
                return True
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        if not key_lock.acquire(blocking=False):
            return False
        try:
            with self._lock:
                if key in self._memo:
                    return True
            computed = compute()
            with self._lock:
                self._memo[key] = computed
            return True
        finally:
            key_lock.release()

    def memoized(self, key: str) -> bool:
        """Whether ``key`` has been computed already."""
        with self._lock:
            return key in self._memo
