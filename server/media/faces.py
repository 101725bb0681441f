"""Face detection with YuNet (``models/yunet``), shared by every MEDIA detector.

``FaceDetector(model).detect(image)`` -> ``Face``s (box, score, five landmarks) in the
image's own pixel coordinates, best first. ``detect_faces(item, detector)`` runs it once per
frame of a ``MediaItem`` and shares the result with every detector scoring that item
(``MediaItem.memo``), so the hash bank, the AI-face classifier and the impersonation check
pay for one detection.

The model is YuNet-n with a dynamic input from libfacedetection.train (Apache-2.0, see
``models/yunet/README.md``). It is loaded once through ``server.onnx_runtime`` (sha256
checked, one thread, non-spinning); onnxruntime sessions are safe to share between the CPU
executor's threads, and ``detect`` keeps no state of its own.

Decoding follows OpenCV's ``FaceDetectorYN`` (``face_detect.cpp``): for each stride
8/16/32 and grid cell (row r, column c), score = sqrt(cls x obj), centre =
(c + dx, r + dy) x stride, size = exp(dw, dh) x stride, landmarks = (c + lx, r + ly) x stride;
then non-maximum suppression.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageDraw

from server.media.shrink import resized

if TYPE_CHECKING:
    from server.media.item import MediaItem
    from server.onnx_runtime import OnnxModel

#: Name of the model folder under ``models/``.
MODEL_NAME = "yunet"
#: Long side the picture is scaled to before detection. 320 px finds faces down to ~12 px
#: of that (about 4 % of the picture's long side) in ~10 ms on one core; the 640 px input
#: finds smaller ones at four times the cost. A face that small is not worth hashing.
INPUT_SIDE = 320
#: OpenCV's FaceDetectorYN default is 0.9; 0.75 keeps profile and partly covered faces
#: (a caption bar over the chin) that we still want to hash; the box is only a crop hint.
SCORE_THRESHOLD = 0.75
NMS_IOU = 0.3
MAX_FACES = 10
_STRIDES = (8, 16, 32)


@dataclass(frozen=True, slots=True)
class Face:
    """One detected face, in the pixel coordinates of the image given to ``detect``."""

    #: Left, top, width, height (may extend past the image edge; clip before cropping).
    box: tuple[float, float, float, float]
    #: Detection confidence in [0, 1].
    score: float
    #: Right eye, left eye, nose tip, right and left mouth corners (subject's right/left,
    #: i.e. the first point is on the viewer's left), each ``(x, y)``.
    landmarks: tuple[tuple[float, float], ...]

    def crop_box(self, width: int, height: int, margin: float = 0.0) -> tuple[int, int, int, int]:
        """``(left, top, right, bottom)`` clipped to the image, grown by ``margin`` x size."""
        x, y, w, h = self.box
        grow_w, grow_h = w * margin, h * margin
        left = max(0, round(x - grow_w))
        top = max(0, round(y - grow_h))
        right = min(width, round(x + w + grow_w))
        bottom = min(height, round(y + h + grow_h))
        return left, top, right, bottom


class FaceDetector:
    """YuNet over one shared onnxruntime session; ``detect`` is thread-safe."""

    def __init__(self, model: OnnxModel, side: int = INPUT_SIDE) -> None:
        self.model = model
        self.version = model.version
        self._input = model.input_names[0]
        #: Long side of the model's input (benchmarks compare sizes; the product uses one).
        self.side = side

    def detect(self, image: Image.Image, side: int | None = None) -> tuple[Face, ...]:
        """Faces in ``image`` (RGB PIL), best first, at most ``MAX_FACES``; ``side`` the
        input's long side when not the detector's own."""
        width, height = image.size
        if width < 16 or height < 16:
            return ()
        blob, scale = detector_input(image, side or self.side)
        outputs = self.model.run({self._input: blob})
        faces = _decode(outputs, blob.shape[3], blob.shape[2])
        return tuple(
            Face(
                box=(x / scale, y / scale, w / scale, h / scale),
                score=s,
                landmarks=tuple((px / scale, py / scale) for px, py in marks),
            )
            for (x, y, w, h), s, marks in faces
        )


def detector_input(image: Image.Image, side: int = INPUT_SIDE) -> tuple[np.ndarray, float]:
    """YuNet's input for ``image``: long side scaled to ``side``, BGR 0-255 NCHW float32,
    zero-padded to multiples of 32; and the scale (input pixels per image pixel)."""
    width, height = image.size
    scale = side / max(width, height)
    in_w, in_h = max(1, round(width * scale)), max(1, round(height * scale))
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    # Box-reduce by the integer factor, bilinear for the rest: a 960 px frame to 320 px in
    # 0.7 ms instead of 4 ms for a bilinear filter over the whole footprint. The reduction
    # is shared with the hashes' base copy of the same frame (``server.media.shrink``).
    small = resized(rgb, (in_w, in_h))
    blob = np.zeros((1, 3, _ceil32(in_h), _ceil32(in_w)), dtype=np.float32)
    # YuNet was trained on OpenCV's BGR order, 0-255, no normalisation (one strided copy
    # converts the bytes: no float HWC array first).
    blob[0, :, :in_h, :in_w] = np.asarray(small).transpose(2, 0, 1)[::-1]
    return blob, scale


def synthetic_picture(seed: int, width: int, height: int) -> Image.Image:
    """A deterministic picture (smooth noise and an oval with two dark spots) for the golden
    outputs: the repository ships no one's face."""
    rng = np.random.default_rng(seed)
    low = rng.integers(0, 256, size=(height // 16 + 2, width // 16 + 2, 3), dtype=np.uint8)
    image = Image.fromarray(low).resize((width, height), Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(image)
    cx, cy, r = width // 2, height // 2, min(width, height) // 4
    draw.ellipse((cx - r, cy - int(r * 1.3), cx + r, cy + int(r * 1.3)), fill=(224, 172, 140))
    for dx in (-r // 2, r // 2):
        draw.ellipse(
            (cx + dx - r // 6, cy - r // 3 - r // 8, cx + dx + r // 6, cy - r // 3 + r // 8),
            fill=(40, 30, 30),
        )
    draw.rectangle(
        (cx - r // 3, cy + r // 2, cx + r // 3, cy + r // 2 + r // 8), fill=(150, 60, 60)
    )
    return image


def golden_feeds(case: dict[str, object]) -> dict[str, np.ndarray]:
    """The model input of one ``models/yunet/golden.json`` case: a synthetic picture through
    the serving preprocessing (``detector_input``), so a replay pins both."""
    width, height = (int(v) for v in case["size"])  # type: ignore[attr-defined]
    image = synthetic_picture(int(case["seed"]), width, height)  # type: ignore[call-overload]
    blob, _ = detector_input(image, int(case.get("side", INPUT_SIDE)))  # type: ignore[call-overload]
    return {"input": blob}


def detect_faces(item: MediaItem, detector: FaceDetector) -> tuple[tuple[Face, ...], ...]:
    """Faces of every frame of ``item`` (one tuple per frame), computed once per item."""
    return item.memo(
        _MEMO_KEY,
        lambda: tuple(detector.detect(frame.image) for frame in item.frames),
    )


def soon(item: MediaItem, key: str, compute: Callable[[], object]) -> None:
    """Start ``item.memo(key, compute)`` on the face thread and return at once.

    YuNet runs in onnxruntime, which releases the GIL: a detector that has other work to do
    first (hashing every region but the face) does it on this core while the faces, and
    what is made of them, are computed on the other. Its own ``item.memo(key, ...)`` call
    later waits for that result (the key's lock), or computes it itself if the thread had
    not started yet (a backlog), so nothing ever waits on the thread's queue; and a queued
    job whose owner is already computing the key is dropped, not waited for, so the thread
    moves on to the next check's faces. The thread is
    created by the first caller and inherits its niceness (the app's CPU threads run at +10,
    so the event loop keeps priority over it too).
    """
    if not item.memoized(key):
        _face_thread().submit(_memo_quietly, item, key, compute)


def start_face_work(item: MediaItem, work: Mapping[str, Callable[[MediaItem], object]]) -> None:
    """``soon`` for every analysis of ``item``'s faces in ``work`` (``Resources.face_work``:
    registered by the detectors that read faces, e.g. the AI-face classifier's scores), queued
    after what the caller started: they run on the face thread while the caller goes on."""
    for key, analysis in work.items():
        soon(item, key, functools.partial(analysis, item))


_MEMO_KEY = f"faces:{MODEL_NAME}"


@functools.cache
def _face_thread() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="faces")


def _memo_quietly(item: MediaItem, key: str, compute: Callable[[], object]) -> None:
    # A failure is not reported from here: the owner's own memo call computes again and
    # raises where the pipeline handles it.
    with contextlib.suppress(Exception):
        item.memo_unless_busy(key, compute)


def _ceil32(value: int) -> int:
    return (value + 31) // 32 * 32


_Detection = tuple[tuple[float, float, float, float], float, list[tuple[float, float]]]


def _decode(outputs: dict[str, np.ndarray], pad_w: int, pad_h: int) -> list[_Detection]:
    boxes, scores, marks = [], [], []
    for stride in _STRIDES:
        cols, rows = pad_w // stride, pad_h // stride
        cls = np.clip(outputs[f"cls_{stride}"][0, :, 0], 0, 1)
        obj = np.clip(outputs[f"obj_{stride}"][0, :, 0], 0, 1)
        score = np.sqrt(cls * obj)
        keep = np.nonzero(score >= SCORE_THRESHOLD)[0]
        if keep.size == 0:
            continue
        bbox = outputs[f"bbox_{stride}"][0, keep]
        kps = outputs[f"kps_{stride}"][0, keep]
        c = (keep % cols).astype(np.float32)
        r = (keep // cols).astype(np.float32)
        assert rows > 0
        cx = (c + bbox[:, 0]) * stride
        cy = (r + bbox[:, 1]) * stride
        w = np.exp(bbox[:, 2]) * stride
        h = np.exp(bbox[:, 3]) * stride
        boxes.append(np.stack([cx - w / 2, cy - h / 2, w, h], axis=1))
        scores.append(score[keep])
        lx = (kps[:, 0::2] + c[:, None]) * stride
        ly = (kps[:, 1::2] + r[:, None]) * stride
        marks.append(np.stack([lx, ly], axis=2))
    if not boxes:
        return []
    all_boxes = np.concatenate(boxes)
    all_scores = np.concatenate(scores)
    all_marks = np.concatenate(marks)
    chosen = _nms(all_boxes, all_scores)[:MAX_FACES]
    return [
        (
            tuple(float(v) for v in all_boxes[i]),  # type: ignore[misc]
            float(all_scores[i]),
            [(float(x), float(y)) for x, y in all_marks[i]],
        )
        for i in chosen
    ]


def _nms(boxes: np.ndarray, scores: np.ndarray) -> list[int]:
    order = list(np.argsort(-scores))
    x1, y1 = boxes[:, 0], boxes[:, 1]
    x2, y2 = x1 + boxes[:, 2], y1 + boxes[:, 3]
    area = boxes[:, 2] * boxes[:, 3]
    kept: list[int] = []
    while order:
        i = order.pop(0)
        kept.append(int(i))
        if not order:
            break
        rest = np.array(order)
        iw = np.clip(np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]), 0, None)
        ih = np.clip(np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]), 0, None)
        inter = iw * ih
        iou = inter / (area[i] + area[rest] - inter + 1e-9)
        order = [int(j) for j, o in zip(rest, iou, strict=True) if o <= NMS_IOU]
    return kept
