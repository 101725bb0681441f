"""Text inside pictures (ad screenshots, video keyframes), read with RapidOCR.

RapidOCR (PyPI ``rapidocr-onnxruntime``, PP-OCRv4 Chinese + English models, Apache-2.0)
ships its own ONNX weights, so nothing is downloaded. It is the most expensive thing the
media check can do (seconds per picture on one core), so it is made cheap on purpose:

- **only when needed**: ``wanted(...)`` says yes when the client asked, or when the picture
  shows a face (a celebrity ad) or looks like it carries text (``has_text_region``: the
  detection half of the OCR alone, at a small size, ~10x cheaper than reading);
- **at a reduced size**: the long side is scaled to at most ``max_side`` (960 px reads the
  caption of a 1080p screenshot; PP-OCR's default would scale small pictures *up*);
- **cached by sha256** of the file (and frame), so a forwarded ad is read once;
- **bounded**: at most ``max_lines`` text boxes are recognised, and the caller waits at most
  the OCR timeout (the work runs in the CPU executor, never on the event loop).

Errors: ``OcrUnavailable`` when the package is not installed (the check then skips OCR and
says so; the verdict is ``partial`` only if the client asked for OCR).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

#: Long side, in pixels, of the picture handed to OCR.
DEFAULT_MAX_SIDE = 960
#: Long side for the cheap "is there text at all" pass (detection only).
PROBE_SIDE = 480
#: Text boxes recognised per picture; an ad has a handful of lines, a document has pages.
DEFAULT_MAX_LINES = 40
#: Recognised lines below this confidence are dropped (RapidOCR's own default is 0.5).
MIN_CONFIDENCE = 0.6
#: Cached results (one per file and frame); each is a few hundred bytes of text.
CACHE_SIZE = 512


class OcrUnavailable(RuntimeError):
    """``rapidocr-onnxruntime`` is not installed: ``pip install rapidocr-onnxruntime``."""


@dataclass(frozen=True, slots=True)
class OcrLine:
    text: str
    confidence: float
    #: ``(left, top, right, bottom)`` in the coordinates of the picture given to ``read``.
    box: tuple[int, int, int, int]


@dataclass(frozen=True, slots=True)
class OcrResult:
    lines: tuple[OcrLine, ...]
    seconds: float
    #: Size the picture was read at (after the reduction).
    size: tuple[int, int]
    cached: bool = False

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    @property
    def blocks(self) -> str:
        """The lines as the picture groups them: joined with a space where the layout wrapped
        one block of text (the next line starts less than ``WRAP_GAP`` line heights below the
        last, at about the same left edge or centre: "转入0.1 BTC" over "立即返还双倍！" is one
        claim), with a line break between blocks (two chat bubbles, a caption and a price)."""
        parts: list[str] = []
        last: OcrLine | None = None
        for line in self.lines:
            if last is not None:
                parts.append(" " if _wraps(last, line) else "\n")
            parts.append(line.text)
            last = line
        return "".join(parts)


#: Gap between two lines of one block, in line heights (paragraph and ad line spacing is
#: 0.2-0.7; chat bubbles and separate captions sit a line height or more apart).
WRAP_GAP = 0.8


def _wraps(above: OcrLine, below: OcrLine) -> bool:
    left, top, right, bottom = above.box
    height = max(bottom - top, 1)
    gap = below.box[1] - bottom
    if not -height / 2 <= gap <= WRAP_GAP * height:
        return False
    same_left = abs(below.box[0] - left) <= height
    same_centre = abs((below.box[0] + below.box[2]) - (left + right)) / 2 <= height
    return same_left or same_centre


class OcrEngine:
    """One RapidOCR instance per process, created on first use, with a result cache.

    RapidOCR's sessions are not documented as thread-safe, so one lock serialises reads;
    that also caps OCR at one core, leaving the other to the rest of the server.
    """

    def __init__(
        self,
        max_side: int = DEFAULT_MAX_SIDE,
        max_lines: int = DEFAULT_MAX_LINES,
        threads: int = 1,
    ) -> None:
        self.max_side = max_side
        self.max_lines = max_lines
        self.threads = threads
        self._engine: Any = None
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, OcrResult] = OrderedDict()
        self._cache_lock = threading.Lock()

    def _rapid(self) -> Any:
        if self._engine is None:
            try:
                from rapidocr_onnxruntime import RapidOCR  # type: ignore[import-untyped]
            except ImportError as exc:
                # Installed but unloadable is the usual case on a server: opencv-python (pulled
                # in by rapidocr) links libGL.so.1. Say what failed, not "not installed".
                raise OcrUnavailable(
                    f"rapidocr-onnxruntime cannot be loaded ({exc}): pip install "
                    "rapidocr-onnxruntime, and on a server apt-get install libgl1 libglib2.0-0"
                ) from exc
            self._engine = RapidOCR(
                intra_op_num_threads=self.threads,
                inter_op_num_threads=1,
                det_limit_type="max",
                det_limit_side_len=self.max_side,
                print_verbose=False,
            )
        return self._engine

    def warm(self) -> None:
        """Load the models (a second of CPU): call it off the event loop."""
        with self._lock:
            self._rapid()

    def cached(self, key: str) -> OcrResult | None:
        with self._cache_lock:
            result = self._cache.get(key)
            if result is not None:
                self._cache.move_to_end(key)
            return result

    def read(self, image: Image.Image, key: str = "") -> OcrResult:
        """Text lines in ``image`` (RGB PIL), top to bottom; synchronous CPU work."""
        if key:
            hit = self.cached(key)
            if hit is not None:
                return OcrResult(hit.lines, hit.seconds, hit.size, cached=True)
        started = time.perf_counter()
        small = reduce(image, self.max_side)
        bgr = np.ascontiguousarray(np.asarray(small.convert("RGB"))[:, :, ::-1])
        with self._lock:
            engine = self._rapid()
            # A caption strip (very wide, very short) is padded as RapidOCR itself does.
            bgr, record = engine.maybe_add_letterbox(bgr, {})
            pad_top = int(record.get("padding_1", {}).get("top", 0))
            boxes, _ = engine.text_det(bgr)
            lines: list[OcrLine] = []
            if boxes is not None and len(boxes):
                boxes = engine.sorted_boxes(boxes)[: self.max_lines]
                crops = engine.get_crop_img_list(bgr, boxes)
                crops, _, _ = engine.text_cls(crops)
                recognised, _ = engine.text_rec(crops)
                for box, (text, confidence) in zip(boxes, recognised, strict=False):
                    text = str(text).strip()
                    if text and float(confidence) >= MIN_CONFIDENCE:
                        lines.append(
                            OcrLine(text, round(float(confidence), 3), _bounds(box, pad_top))
                        )
        result = OcrResult(tuple(lines), round(time.perf_counter() - started, 3), small.size)
        if key:
            with self._cache_lock:
                self._cache[key] = result
                while len(self._cache) > CACHE_SIZE:
                    self._cache.popitem(last=False)
        return result

    def has_text_region(self, image: Image.Image, min_boxes: int = 1) -> bool:
        """The cheap probe: does text detection alone, at ``PROBE_SIDE``, find any line?"""
        small = reduce(image, PROBE_SIDE)
        bgr = np.ascontiguousarray(np.asarray(small.convert("RGB"))[:, :, ::-1])
        with self._lock:
            boxes, _ = self._rapid().text_det(bgr)
        return boxes is not None and len(boxes) >= min_boxes


def reduce(image: Image.Image, max_side: int) -> Image.Image:
    """``image`` with its long side at most ``max_side`` (never enlarged)."""
    scale = max_side / max(image.size)
    if scale >= 1.0:
        return image
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.BILINEAR)


def wanted(client_asked: bool, faces: int, text_probe: bool | None) -> bool:
    """Whether to read the text of a picture: asked for, a face in it, or text seen."""
    return client_asked or faces > 0 or bool(text_probe)


def _bounds(
    points: Sequence[Sequence[float]] | np.ndarray, pad_top: int = 0
) -> tuple[int, int, int, int]:
    array = np.asarray(points, dtype=np.float64).reshape(-1, 2) - (0.0, float(pad_top))
    left, top = array.min(axis=0)
    right, bottom = array.max(axis=0)
    return round(left), round(top), round(right), round(bottom)
