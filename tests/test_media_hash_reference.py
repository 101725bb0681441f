"""Our pHash and dHash are imagehash's, computed from one shared copy for speed.

``server/media/hashing.py`` hashes every region from one reduced grey copy instead of calling
imagehash per region. These tests hold that shortcut to the reference library: hash lists
exchanged with other imagehash users must mean the same bits.
"""

from __future__ import annotations

import random

import imagehash
import numpy as np
import pytest
from PIL import Image, ImageDraw

from server.media.hashing import HASH_SIDE, HashBase, HashKind


def textured(seed: int, size: tuple[int, int]) -> Image.Image:
    """A picture of no one: random shapes on a random background."""
    rng = random.Random(seed)
    background = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
    image = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        w, h = rng.randrange(10, size[0] // 2), rng.randrange(10, size[1] // 2)
        fill = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        shape = draw.rectangle if rng.random() < 0.5 else draw.ellipse
        shape((x, y, x + w, y + h), fill=fill)
    return image


def _bits(value: bytes) -> np.ndarray:
    return np.unpackbits(np.frombuffer(value, dtype=np.uint8))


@pytest.mark.parametrize("seed", range(12))
def test_phash_is_imagehash_bit_for_bit_and_dhash_within_a_few_bits(seed: int) -> None:
    size = (640, 360) if seed % 2 else (300, 420)
    base = HashBase(textured(seed, size), HASH_SIDE)
    ours = base.hashes()
    assert ours is not None, "a textured picture is never gated out"
    hashes, _quality = ours

    reference_phash = imagehash.phash(base.grey).hash.flatten()
    assert (_bits(hashes[HashKind.PHASH]) == reference_phash).all()

    reference_dhash = imagehash.dhash(base.grey).hash.flatten()
    assert int((_bits(hashes[HashKind.DHASH]) != reference_dhash).sum()) <= 6


def test_a_region_is_hashed_as_imagehash_would_hash_that_crop() -> None:
    base = HashBase(textured(99, (800, 600)), HASH_SIDE)
    box = base.box(0.1, 0.2, 0.7, 0.9)
    ours = base.hashes(box)
    assert ours is not None
    reference = imagehash.phash(base.grey.crop(box)).hash.flatten()
    assert (_bits(ours[0][HashKind.PHASH]) == reference).all()
