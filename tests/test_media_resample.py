"""Our batched LANCZOS resize is Pillow's, to the last bit.

``server/media/resample.py`` replaces one ``Image.resize(..., LANCZOS, box=...)`` call per
region with matrix products for pHash and dHash. Banks hold hashes made by Pillow's resize,
so any difference would move hashes: these tests compare every output pixel with Pillow's
on generated pictures (noise is the hardest case: the clipping between passes matters),
random boxes, both pass orders (Pillow runs the vertical pass first on tall pictures), and
the 32x32 -> 9x8 step of dHash.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from PIL import Image

from server.media.resample import lanczos_boxes, lanczos_small
from server.media.shrink import resized


def picture(seed: int, width: int, height: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    noise = rng.integers(0, 256, (height, width), dtype=np.uint8)
    if seed % 2:
        return noise
    smooth = Image.fromarray(noise).resize((max(1, width // 8), max(1, height // 8)))
    return np.asarray(smooth.resize((width, height), Image.Resampling.BICUBIC))


def pillow(grey: np.ndarray, box: tuple[int, int, int, int], size: tuple[int, int]) -> np.ndarray:
    resized = Image.fromarray(grey, "L").resize(size, Image.Resampling.LANCZOS, box=box)
    return np.asarray(resized, dtype=np.float64)


@pytest.mark.parametrize(
    ("width", "height"),
    [(256, 144), (216, 256), (144, 256), (60, 256), (256, 40), (300, 420), (33, 31), (128, 128)],
)
def test_every_box_of_a_picture_resizes_as_pillow_does(width: int, height: int) -> None:
    rng = random.Random(width * 1000 + height)
    for seed in range(4):
        grey = picture(seed, width, height)
        boxes = [(0, 0, width, height)]
        for _ in range(7):
            left, top = rng.randrange(0, width - 4), rng.randrange(0, height - 4)
            boxes.append(
                (left, top, rng.randrange(left + 4, width + 1), rng.randrange(top + 4, height + 1))
            )
        for size in ((32, 32), (9, 8), (48, 20)):
            ours = lanczos_boxes(grey, boxes, size)
            for box, result in zip(boxes, ours, strict=True):
                assert np.array_equal(result, pillow(grey, box, size)), (box, size)


def test_the_dhash_step_resizes_whole_pictures_as_pillow_does() -> None:
    pictures = np.stack([picture(seed, 32, 32) for seed in range(12)]).astype(np.float64)
    ours = lanczos_small(pictures, (9, 8))
    for small, result in zip(pictures, ours, strict=True):
        as_image = Image.fromarray(small.astype(np.uint8), "L")
        expected = np.asarray(as_image.resize((9, 8), Image.Resampling.LANCZOS), dtype=np.float64)
        assert np.array_equal(result, expected)


@pytest.mark.parametrize(("width", "height"), [(960, 540), (540, 960), (1000, 750), (333, 200)])
def test_a_shared_reduction_resizes_as_pillow_does(width: int, height: int) -> None:
    # YuNet's input and the hash base take the frame's reduction from one cache
    # (server/media/shrink.py); each must still be what Pillow's reducing_gap resize gives.
    rgb = np.stack([picture(seed, width, height) for seed in (1, 2, 3)], axis=2)
    frame = Image.fromarray(rgb, "RGB")
    for size in ((320, 180), (256, 144), (180, 320), (144, 256), (300, 200), (100, 60)):
        expected = frame.resize(size, Image.Resampling.BILINEAR, reducing_gap=1.0)
        assert np.array_equal(np.asarray(resized(frame, size)), np.asarray(expected)), size
