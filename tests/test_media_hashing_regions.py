"""The bank's own regions (review 36 F4, F5): mirrored 75 % windows and turned boxes, on
generated pictures. Each copy below is checked twice: it meets its entry through those rows,
and a bank built without them misses it (so the rows, not luck, carry the match)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from server.media import hashing
from server.media.hashing import hash_regions, strip_box
from server.media.matching import HashIndex
from tests.test_known_fakes_api import picture

SEEDS = (40, 41, 42, 43)
TARGET = 2


def bank(pictures: list[Image.Image]) -> HashIndex:
    index = HashIndex()
    for entry, image in enumerate(pictures):
        index.add(entry, hash_regions(image, [], bank=True))
    return index.freeze()


def crop_mirror(image: Image.Image, x: float, y: float) -> Image.Image:
    """75 % of each side from ``x``, ``y`` (fractions), mirrored."""
    w, h = image.size
    box = (round(w * x), round(h * y), round(w * (x + 0.75)), round(h * (y + 0.75)))
    return image.crop(box).transpose(Image.Transpose.FLIP_LEFT_RIGHT)


def turned(image: Image.Image, angle: float, fill: tuple[int, int, int]) -> Image.Image:
    return image.rotate(angle, resample=Image.Resampling.BILINEAR, expand=True, fillcolor=fill)


@pytest.fixture(scope="module")
def originals() -> list[Image.Image]:
    return [picture(seed) for seed in SEEDS]


# The bench's off-centre crop (20 % / 5 % in, mirrored), and the two far corners.
CROPS = [(0.20, 0.05), (0.0, 0.0), (0.25, 0.25)]


@pytest.mark.parametrize(("x", "y"), CROPS)
def test_a_mirrored_off_centre_crop_meets_its_entry_through_a_mirrored_window(
    originals: list[Image.Image], x: float, y: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = crop_mirror(originals[TARGET], x, y)
    found = bank(originals).match(hash_regions(copy, [], bank=False))
    assert [m.entry for m in found] == [TARGET]
    assert found[0].bank_region.endswith("~mirror"), found[0]
    assert found[0].bank_region not in ("full~mirror", "face~mirror"), found[0]

    monkeypatch.setattr(hashing, "_MIRRORED_CROPS", ())
    assert bank(originals).match(hash_regions(copy, [], bank=False)) == []


@pytest.mark.parametrize(
    ("angle", "fill"), [(10, (255, 255, 255)), (-10, (0, 0, 0)), (15, (255, 255, 255))]
)
def test_a_copy_turned_on_a_grown_canvas_meets_its_entry_through_a_turned_box(
    originals: list[Image.Image],
    angle: int,
    fill: tuple[int, int, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    copy = turned(originals[TARGET], angle, fill)
    found = bank(originals).match(hash_regions(copy, [], bank=False))
    assert [m.entry for m in found] == [TARGET]
    assert found[0].bank_region.startswith("turn"), found[0]

    monkeypatch.setattr(hashing, "_TURNS", ())
    assert bank(originals).match(hash_regions(copy, [], bank=False)) == []


def test_bank_only_regions_are_named_and_the_query_has_none(
    originals: list[Image.Image],
) -> None:
    image = originals[0]
    names = [r.region for r in hash_regions(image, [], bank=True)]
    mirrored = [name for name in names if name.endswith("~mirror")]
    # Stored names stay as they were (rows already in a bank keep meaning the same region).
    assert mirrored == ["full~mirror", "centre64~mirror"] + [
        f"w75_{ix}{iy}~mirror" for ix in range(5) for iy in range(5)
    ]
    assert [name for name in names if name.startswith("turn")] == [
        "turn-15",
        "turn-10",
        "turn+10",
        "turn+15",
    ]
    # A studio-style picture (a uniform band beside it) is stripped: the bank then keeps the
    # mirrored windows of the picture as given too.
    padded = Image.new("RGB", (image.width + 200, image.height), (235, 235, 235))
    padded.paste(image, (0, 0))
    names = [r.region for r in hash_regions(padded, [], bank=True)]
    assert "raw" in names
    assert "raw:centre64~mirror" in names and "raw:w75_22~mirror" in names
    # The query pays nothing for them.
    query = [r.region for r in hash_regions(padded, [], bank=False)]
    assert not [name for name in query if "~" in name or name.startswith("turn")]


@pytest.mark.parametrize("size", [(640, 480), (480, 640), (1280, 480), (300, 300)])
@pytest.mark.parametrize("angle", [-15, -10, 10, 15])
def test_the_turned_box_is_the_querys_centre80_and_holds_no_fill(
    size: tuple[int, int], angle: int
) -> None:
    image = picture(44, size)
    grown = turned(image, angle, (0, 0, 0))
    inside = np.asarray(Image.new("L", size, 255).rotate(angle, expand=True, fillcolor=0))
    box = hashing._turned_box(grown, inside == 255)
    assert box is not None
    left, top, right, bottom = box
    assert inside[top:bottom, left:right].min() == 255  # no fill pixel in it
    # Within a few pixels of what the query itself hashes as ``centre80`` (black fill here,
    # the bank turns on white: stripping cuts both alike).
    s_left, s_top, s_right, s_bottom = strip_box(grown)
    width, height = s_right - s_left, s_bottom - s_top
    query = (
        s_left + width * 0.1,
        s_top + height * 0.1,
        s_right - width * 0.1,
        s_bottom - height * 0.1,
    )
    assert right - left <= query[2] - query[0] + 2 and bottom - top <= query[3] - query[1] + 2
    assert (right - left) * (bottom - top) >= 0.6 * (query[2] - query[0]) * (query[3] - query[1])
