"""Text inside checked media: OCR, then the TEXT and LINK detectors, merged into the verdict.

``read_media_text(app, item, asked)`` decides whether a picture is worth reading
(``FAKEWATCH_OCR``: ``auto`` reads when the client asked, a face was found — celebrity ads —
or a cheap detection pass sees text; ``asked`` only on request; ``off`` never), reads at most
``MAX_OCR_FRAMES`` frames in the CPU executor under ``ocr_timeout_s``, hands the text to the
impersonation detector (it judges a face together with the claim beside it) and scores the
text and its links like ``/v1/check/text`` does. The result merges into the media verdict,
so a scam link in the caption of a known fake corroborates it, and is reported under
``text`` (what was read, how long it took, or why nothing was read).

OCR text is never logged or stored; it is returned to the client who sent the picture.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from server.api.state import CPU, ENGINE, SETTINGS
from server.detectors.impersonation import attach_message_text
from server.engine import Engine
from server.links.url import InvalidUrl, Link
from server.media.faces import FaceDetector, detect_faces
from server.media.item import MediaItem
from server.media.ocr import OcrEngine, OcrResult, OcrUnavailable, wanted
from server.scoring.detector import ContentKind
from server.scoring.pipeline import Scored
from server.text.extract import extract

#: Frames of a video (or animation) read at most: the first and one from the middle.
MAX_OCR_FRAMES = 2
#: Text lines reported back (the verdict's ``text.lines``).
MAX_REPORTED_LINES = 20


@dataclass
class MediaText:
    """What the text of a picture added to its check."""

    scored: Scored = field(default_factory=Scored)
    kinds: tuple[ContentKind, ...] = ()
    report: dict[str, Any] = field(default_factory=dict)


def ocr_requested(value: str | None) -> bool:
    """The ``ocr`` form field: ``1``/``true`` asks for OCR, ``0``/``false`` or absent not."""
    if value is None:
        return False
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes"):
        return True
    if lowered in ("0", "false", "no", ""):
        return False
    from server.errors import ValidationFailed, said

    raise ValidationFailed(said("ocr_flag"), field="ocr")


async def read_media_text(app: web.Application, item: MediaItem, asked: bool) -> MediaText:
    settings = app[SETTINGS]
    engine: Engine = app[ENGINE]
    cpu = app[CPU]
    if settings.ocr == "off" or not item.has_pixels:
        return MediaText(
            report={"status": "skipped", "reason": "off" if item.has_pixels else "no pixels"}
        )
    if settings.ocr == "asked" and not asked:
        return MediaText(report={"status": "skipped", "reason": "not asked"})
    ocr = engine.resources.ocr
    loop = asyncio.get_running_loop()
    frames = _frames_to_read(item)
    try:
        reason = await loop.run_in_executor(cpu, _reason_to_read, engine, ocr, item, asked)
        if reason is None:
            return MediaText(report={"status": "skipped", "reason": "no face or text seen"})
        results = await asyncio.wait_for(
            loop.run_in_executor(cpu, _read_frames, ocr, item, frames),
            timeout=settings.ocr_timeout_s,
        )
    except OcrUnavailable as exc:
        return MediaText(report={"status": "unavailable", "reason": str(exc)})
    except TimeoutError:
        # The read goes on in its thread and lands in the cache: a retry is instant.
        return MediaText(report={"status": "timeout", "reason": f"over {settings.ocr_timeout_s} s"})
    # Lines the layout wrapped are read as one sentence (the patterns read one at a time),
    # blocks and frames apart (``OcrResult.blocks``).
    text = "\n".join(r.blocks for r in results if r.lines)
    text = text[: settings.max_text_chars]
    report: dict[str, Any] = {
        "status": "read",
        "reason": reason,
        "frames": len(results),
        "seconds": round(sum(r.seconds for r in results), 3),
        "cached": all(r.cached for r in results),
        "lines": [line.text for r in results for line in r.lines][:MAX_REPORTED_LINES],
    }
    if not text.strip():
        return MediaText(report=report)
    attach_message_text(item, text)
    links = await loop.run_in_executor(cpu, _links_in, engine, text)
    [text_scored] = await engine.pipeline.score(ContentKind.TEXT, [text], cpu)
    link_scored = await engine.pipeline.score(ContentKind.LINK, [link for _, link in links], cpu)
    report["links"] = [raw for raw, _ in links]
    kinds = (ContentKind.TEXT, ContentKind.LINK) if links else (ContentKind.TEXT,)
    return MediaText(text_scored.merge(*link_scored), kinds, report)


def _frames_to_read(item: MediaItem) -> list[int]:
    count = len(item.frames)
    return sorted({0, count // 2})[:MAX_OCR_FRAMES] if count else []


def _reason_to_read(engine: Engine, ocr: OcrEngine, item: MediaItem, asked: bool) -> str | None:
    """Why this picture is read (``None``: not worth it). Face detection is shared with
    the media detectors (memoised on the item), so asking costs nothing extra."""
    if asked:
        return "asked"
    faces = detect_faces(item, FaceDetector(engine.resources.models.get("yunet")))
    face_count = sum(len(f) for f in faces)
    if wanted(False, face_count, None):
        return "face"
    if wanted(False, 0, ocr.has_text_region(item.frames[0].image)):
        return "text seen"
    return None


def _read_frames(ocr: OcrEngine, item: MediaItem, frames: Sequence[int]) -> list[OcrResult]:
    return [ocr.read(item.frames[i].image, key=f"{item.sha256}:{i}:{ocr.max_side}") for i in frames]


def _links_in(engine: Engine, text: str) -> list[tuple[str, Link]]:
    extracted = extract(text, engine.resources.parser.suffixes.is_suffix)
    links = []
    for raw in extracted.links:
        try:
            links.append((raw, engine.resources.parser.parse(raw)))
        except InvalidUrl:
            continue
    return links
