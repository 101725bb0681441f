"""Our PDQ is ThreatExchange's: hash lists exchanged with HMA users must mean the same bits.

``server/media/pdq.py`` computes PDQ for many regions at once (linear taps instead of the
reference's filter passes). These tests hold it to the reference implementation (the
``pdqhash`` package, Meta's C++) on the same pixels: generated pictures of many sizes,
crops hashed in one batch, the shared photos, and the regions a media check hashes.
"""

from __future__ import annotations

import random

import numpy as np
import pdqhash
import pytest
from PIL import Image, ImageDraw

from server.media import pdq
from server.media.hashing import BASE_SIDE, HashBase, HashKind, hash_regions
from tests.conftest import SHARED

PHOTOS = sorted((SHARED / "data" / "images").rglob("*.jpg"))


def reference(rgb: np.ndarray) -> tuple[bytes, int]:
    vector, quality = pdqhash.compute(np.ascontiguousarray(rgb))
    return np.packbits(vector.astype(np.uint8)).tobytes(), int(quality)


def bits_apart(a: bytes, b: bytes) -> int:
    return int(np.unpackbits(np.frombuffer(a, np.uint8) ^ np.frombuffer(b, np.uint8)).sum())


def generated(seed: int, size: tuple[int, int]) -> np.ndarray:
    """Shapes over smooth colour, some with noise: a picture of no one."""
    rng = random.Random(seed)
    noise = np.random.default_rng(seed)
    low = noise.integers(0, 256, (rng.randrange(2, 12), rng.randrange(2, 12), 3), dtype=np.uint8)
    image = Image.fromarray(low).resize(size, Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(image)
    for _ in range(rng.randrange(0, 12)):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        box = (x, y, x + rng.randrange(2, size[0]), y + rng.randrange(2, size[1]))
        draw.ellipse(box, fill=tuple(rng.randrange(256) for _ in range(3)))
    pixels = np.asarray(image, dtype=np.float64)
    if seed % 3 == 0:
        pixels = pixels + noise.normal(0, 18, pixels.shape)
    return np.clip(pixels, 0, 255).astype(np.uint8)


def test_generated_pictures_of_every_size_hash_as_the_reference_does() -> None:
    rng = random.Random(5)
    distances, quality_gaps = [], []
    for seed in range(160):
        # Sides on both sides of the filter-window steps (128, 256, 384 px) and odd ones.
        # Not under 32 px: there (never hashed, MIN_REGION_SIDE) whole columns of the DCT tie
        # at zero with the median and even the reference's bits are float noise.
        size = (rng.randrange(32, 700), rng.randrange(32, 700))
        rgb = generated(seed, size)
        expected, expected_quality = reference(rgb)
        ((ours, quality),) = pdq.hashes(pdq.luma(rgb), [(0, 0, *size)])
        distances.append(bits_apart(ours, expected))
        quality_gaps.append(abs(quality - expected_quality))
    # Equal bit for bit when written; the float sums differ in the last places, so a bit
    # may one day flip where two coefficients tie with the median: never more than two.
    assert max(distances) <= 2 and sum(d == 0 for d in distances) >= 0.97 * len(distances)
    assert max(quality_gaps) <= 1


def test_regions_hashed_in_one_batch_equal_each_crop_hashed_alone() -> None:
    rgb = generated(7, (640, 360))
    plane = pdq.luma(rgb)
    boxes = [(0, 0, 640, 360), (64, 36, 576, 324), (0, 0, 512, 288), (128, 72, 640, 360)]
    boxes += [(300, 10, 310, 200), (0, 0, 4, 100)]  # narrow; too small for the reference
    found = pdq.hashes(plane, boxes)
    for (left, top, right, bottom), (ours, quality) in zip(boxes, found, strict=True):
        expected, expected_quality = reference(rgb[top:bottom, left:right])
        if right - left < pdq.MIN_HASHABLE_SIDE:
            assert (ours, quality) == (bytes(32), 0)
            continue
        assert bits_apart(ours, expected) <= 2
        assert abs(quality - expected_quality) <= 1


@pytest.mark.skipif(not PHOTOS, reason="../shared/data/images is not there")
def test_shared_photos_and_their_check_regions_hash_as_the_reference_does() -> None:
    photos = random.Random(11).sample(PHOTOS, min(24, len(PHOTOS)))
    distances = []
    for path in photos:
        with Image.open(path) as opened:
            image = opened.convert("RGB")
        image.thumbnail((960, 960))
        base = HashBase(image, BASE_SIDE)
        rgb = np.asarray(base.rgb)
        for region in (None, base.box(0.1, 0.1, 0.9, 0.9), base.box(0.2, 0.0, 1.0, 0.8)):
            hashed = base.hashes(region)
            if hashed is None:
                continue
            left, top, right, bottom = region or (0, 0, *base.size)
            expected, expected_quality = reference(rgb[top:bottom, left:right])
            distances.append(bits_apart(hashed[0][HashKind.PDQ], expected))
            assert abs(hashed[1] - expected_quality) <= 1
    assert distances and max(distances) <= 2
    assert sum(d == 0 for d in distances) >= 0.95 * len(distances)


def test_the_whole_picture_region_is_the_reference_pdq_of_the_hashed_copy() -> None:
    # What an HMA user computes from the 256 px copy we hash is what we store.
    image = Image.fromarray(generated(21, (800, 600)))
    full = next(r for r in hash_regions(image, [], bank=False) if r.region == "full")
    expected, _ = reference(np.asarray(HashBase(image, BASE_SIDE).rgb))
    assert bits_apart(full.hashes[HashKind.PDQ], expected) <= 2
