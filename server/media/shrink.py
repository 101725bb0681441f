"""``Image.resize(size, BILINEAR, reducing_gap=1.0)`` with the integer reduction shared.

Pillow's ``reducing_gap`` resize first box-reduces the picture by the integer factor, then
resamples what is left. YuNet's input (320 px) and the hashes' base copy (256 px) of a 960 px
frame both start with the same ``reduce(3)`` of the same frame (0.5 ms each, on two threads):
``resized`` does the reduction once per frame and factor and returns exactly the pixels
``resize`` returns (the same two Pillow calls, on the same box).

The reductions live as long as the frame (a weak reference keys them), so a check's frames
take theirs with them.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable

from PIL import Image

_lock = threading.RLock()  # a frame may die (and forget) while this thread holds it
_reductions: dict[int, tuple[weakref.ref[Image.Image], dict[tuple[int, int], Image.Image]]] = {}


def _forgetter(key: int) -> Callable[[weakref.ref[Image.Image]], None]:
    def forget(_: weakref.ref[Image.Image]) -> None:
        with _lock:
            _reductions.pop(key, None)

    return forget


def reduced(image: Image.Image, factor: tuple[int, int]) -> Image.Image:
    """``image.reduce(factor)``, computed once per frame and factor (thread-safe). Treat the
    result as read-only: whoever asks next gets the same object."""
    key = id(image)
    with _lock:
        entry = _reductions.get(key)
        if entry is None or entry[0]() is not image:
            entry = (weakref.ref(image, _forgetter(key)), {})
            _reductions[key] = entry
        found = entry[1].get(factor)
    if found is None:
        # Two threads may both reduce the first time; the first result is the one kept.
        computed = image.reduce(factor)
        with _lock:
            found = entry[1].setdefault(factor, computed)
    return found


def resized(
    image: Image.Image,
    size: tuple[int, int],
    resample: Image.Resampling = Image.Resampling.BILINEAR,
) -> Image.Image:
    """``image.resize(size, resample, reducing_gap=1.0)``, pixel for pixel, the reduction
    taken from ``reduced``."""
    width, height = image.size
    if image.size == size:
        return image.copy()
    factor = (int(width / size[0]) or 1, int(height / size[1]) or 1)
    if factor == (1, 1):
        return image.resize(size, resample)
    # Pillow reduces the whole picture when the box is the whole picture (its "safe box"
    # grows the box by the filter's support, clipped to the picture) and resamples the box
    # scaled down by the factor.
    small = reduced(image, factor)
    box = (0.0, 0.0, width / factor[0], height / factor[1])
    return small.resize(size, resample, box=box)
