"""Query regions line up with the bank's: a screenshot's title bar is stripped with its frame."""

from __future__ import annotations

from PIL import Image, ImageDraw

from server.media.hashing import hash_regions, strip_box
from server.media.matching import HashIndex
from tests.test_known_fakes_api import picture


def screenshot(inner: Image.Image) -> Image.Image:
    """The picture in a 10 % app frame whose title bar carries a thin line of text."""
    pad_x, pad_y = inner.width // 10, inner.height // 10
    out = Image.new("RGB", (inner.width + 2 * pad_x, inner.height + 2 * pad_y), (242, 242, 245))
    draw = ImageDraw.Draw(out)
    draw.rectangle((0, 0, out.width, round(pad_y * 0.7)), fill=(59, 89, 152))
    draw.text((pad_x, pad_y * 0.2), "Sponsored", fill=(255, 255, 255))
    out.paste(inner, (pad_x, pad_y))
    return out


def test_a_title_bar_with_text_is_stripped_with_the_frame() -> None:
    inner = picture(50, (400, 300))
    framed = screenshot(inner)
    assert strip_box(framed) == (40, 30, 440, 330)


def test_a_framed_copy_matches_on_its_whole_picture() -> None:
    original = picture(51)
    index = HashIndex()
    index.add(1, hash_regions(original, [], bank=True))
    found = index.freeze().match(hash_regions(screenshot(original), [], bank=False))
    assert [m.entry for m in found] == [1]
    # The frame is gone from the query's "full" region, so it meets the bank's "full" nearly
    # exactly rather than through a shifted crop.
    assert (found[0].query_region, found[0].bank_region) == ("full", "full")


def test_a_photo_whose_edge_alternates_uniform_and_busy_lines_keeps_its_edge() -> None:
    """The title-bar rule takes one thin line, closed by uniform lines, and after it only
    uniform lines: a photo whose edge happens to alternate uniform and busy columns before a
    curtain half on another colour loses those columns, not the curtain (a shared CIPLAB
    photo lost 56 of its 160 columns this way, a Stable Diffusion one 122 of 768)."""
    import numpy as np

    rng = np.random.default_rng(5)
    busy = rng.integers(0, 256, (160, 160, 3), dtype=np.uint8)
    half = rng.random((160, 160, 1)) < 0.5
    pixels = busy.copy()
    right = 160  # from the right edge inwards: (columns, uniform or half on the colour, colour)
    for width, uniform, colour in ((7, 1, 54), (2, 0, 54), (3, 1, 54), (2, 1, 150), (20, 0, 150)):
        columns = slice(right - width, right)
        if uniform:
            pixels[:, columns] = colour
        else:
            pixels[:, columns] = np.where(half[:, columns], colour, busy[:, columns])
        right -= width
    assert strip_box(Image.fromarray(pixels)) == (0, 0, 146, 160)  # was (0, 0, 126, 160)
