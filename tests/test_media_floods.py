"""Floods that reach libjpeg or Pillow's GIF walk: refused by counting, before any decode.

Review 31, finding 3: a progressive JPEG of thousands of tiny scans (each a one-symbol Huffman
table and an AC scan of EOB runs over every block) costs libjpeg a pass over the whole
coefficient buffer per scan: 2,000 scans on a 6000x6000 picture, 305 KB, took 12 s of CPU.
Finding 4: a GIF of millions of empty extension blocks was walked twice in Python (4.8 s for
20 MB). Every file here is generated in the test; the bound is pinned by error codes and by
what the decoder read, never by a timing (``bench/media_hostile.py`` prints the seconds).
"""

from __future__ import annotations

import io

import pytest
from PIL import Image

from server.errors import MediaError
from server.media.decode import (
    MAX_GIF_EXTENSIONS_IN_A_ROW,
    MAX_JPEG_SCAN_PIXELS,
    MAX_JPEG_SCANS,
    DecodeLimits,
    decode_media,
)
from server.settings import Settings
from tests.support.hostile_media import gif_with_extensions, progressive_jpeg
from tests.support.server import RunningServer
from tests.test_media_gif_budget import check_media

LIMITS = DecodeLimits.from_settings(Settings())


def scans(data: bytes) -> int:
    return data.count(b"\xff\xda")


def test_a_jpeg_of_two_thousand_scans_is_refused_before_libjpeg_reads_it() -> None:
    data = progressive_jpeg(512, 2000)
    assert scans(data) > 2000
    with pytest.raises(MediaError) as refused:
        decode_media(data, LIMITS)
    assert refused.value.code == "media_unreadable"
    assert f"{MAX_JPEG_SCANS} scans" in str(refused.value)


def test_a_jpeg_one_scan_over_the_limit_is_refused_and_one_at_it_decodes() -> None:
    base = scans(progressive_jpeg(64, 0))
    at_limit = progressive_jpeg(64, MAX_JPEG_SCANS - base)
    assert scans(at_limit) == MAX_JPEG_SCANS
    assert decode_media(at_limit, LIMITS).width == 64
    with pytest.raises(MediaError) as refused:
        decode_media(progressive_jpeg(64, MAX_JPEG_SCANS - base + 1), LIMITS)
    assert refused.value.code == "media_unreadable"


def test_ordinary_progressive_jpegs_still_decode() -> None:
    buffer = io.BytesIO()
    across = Image.linear_gradient("L").resize((1200, 800))
    Image.merge("RGB", (across, across.rotate(180), across)).save(
        buffer, "JPEG", progressive=True, quality=85
    )
    pillow = buffer.getvalue()
    assert 5 <= scans(pillow) <= 12  # libjpeg's default progression
    item = decode_media(pillow, LIMITS)
    assert (item.width, item.height) == (1200, 800)
    # mozjpeg's optimised scripts write up to ~20 scans: a file with that many still decodes.
    mozjpeg_like = progressive_jpeg(1000, 14)
    assert 18 <= scans(mozjpeg_like) <= 22
    assert decode_media(mozjpeg_like, LIMITS).width == 1000


def test_the_scan_flood_is_refused_over_http(
    server: RunningServer,
) -> None:
    response = check_media(server, progressive_jpeg(256, 500))
    assert response.status == 400, response.body
    assert response.json()["code"] == "media_unreadable"


@pytest.mark.parametrize(
    "extension",
    [b"\x21\xfe\x00", b"\x21\x01\x00", b"\x21\x7f\x00", b"\x21\xf9\x04\x00\x00\x00\x00\x00"],
    ids=["empty comment", "empty plain text", "unknown label", "graphic control"],
)
def test_a_million_empty_gif_extensions_are_refused(extension: bytes) -> None:
    data = gif_with_extensions(extension, 1_000_000)
    with pytest.raises(MediaError) as refused:
        decode_media(data, LIMITS)
    assert refused.value.code == "media_unreadable"
    assert "extension blocks" in str(refused.value)


def test_extensions_at_the_limit_pass_and_one_more_is_refused() -> None:
    assert decode_media(
        gif_with_extensions(b"\x21\xfe\x00", MAX_GIF_EXTENSIONS_IN_A_ROW - 1), LIMITS
    )
    with pytest.raises(MediaError):
        decode_media(gif_with_extensions(b"\x21\xfe\x00", MAX_GIF_EXTENSIONS_IN_A_ROW + 1), LIMITS)


def test_animated_gifs_with_comments_and_loops_read_the_same_frames() -> None:
    frames = [Image.new("RGB", (120, 90), (40 * i, 255 - 40 * i, 90)) for i in range(6)]
    buffer = io.BytesIO()
    frames[0].save(
        buffer,
        "GIF",
        save_all=True,
        append_images=frames[1:],
        duration=80,
        loop=0,
        comment=b"made in a test",
    )
    data = buffer.getvalue()
    item = decode_media(data, LIMITS)
    assert item.animation["frames_in_file"] == 6
    assert item.animation["frames_read"] == 6
    # Every frame carries its graphic control extension (and the file a comment and the loop):
    # extensions a frame are few, and all are read.
    assert data.count(b"\x21\xf9\x04") == 6


def test_scans_times_pixels_are_bounded_too() -> None:
    # 60 scans over 25 MP: under the scan count, over the scanned pixels.
    data = progressive_jpeg(5000, 55)
    assert scans(data) <= MAX_JPEG_SCANS
    assert scans(data) * 5000 * 5000 > MAX_JPEG_SCAN_PIXELS
    with pytest.raises(MediaError) as refused:
        decode_media(data, LIMITS)
    assert refused.value.code == "media_unreadable"
    assert "scans of 5000x5000 px" in str(refused.value)
