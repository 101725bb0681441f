"""An animation costs frames read x canvas pixels: the decoder reads the first frames while the
whole decode stays within ``max_animation_pixels`` and says what it read. And a file whose
structure Pillow would walk in Python for seconds (GIF data cut into 1-byte blocks, millions of
empty JPEG markers or PNG chunks) is refused before Pillow sees it.

Review 30, finding 3: a 1.7 MB GIF of 64 frames of 6000x6000 px took 26-38 s of CPU and up
to 1.3 GB. Every animation here is generated in the test (flat colours, noise); the bound is
pinned by what the decoder says it read and by error codes, never by a timing.
"""

from __future__ import annotations

import io
import secrets
import struct
from collections.abc import Callable

import numpy as np
import pytest
from PIL import Image

from server.errors import MediaError
from server.media.decode import (
    MAX_ANIMATION_DECODED,
    MAX_ANIMATION_FRAMES,
    MAX_GIF_BLOCKS,
    MAX_JPEG_STEPS,
    MAX_PNG_CHUNKS,
    DecodeLimits,
    decode_media,
)
from server.settings import Settings
from tests.support.hostile_media import gif_parts, jpeg_with_empty_markers, png_with_empty_chunks
from tests.support.server import RunningServer


def flat_gif_frame(width: int, height: int, index: int) -> tuple[bytes, bytes]:
    """One frame of palette colour ``index`` (palette: black, white, a transparent third)."""
    frame = Image.new("P", (width, height), index)
    frame.putpalette([0, 0, 0, 255, 255, 255, 9, 9, 9])
    buffer = io.BytesIO()
    frame.save(buffer, "GIF", transparency=2, duration=10, disposal=1)
    return gif_parts(buffer.getvalue())


def animated_gif(width: int, height: int, frames: int) -> bytes:
    """``frames`` frames alternating black and white over the whole canvas, built by
    repeating two encoded frames (a 6000x6000 canvas: two 36 MB images in the test, never 64)."""
    header, black = flat_gif_frame(width, height, 0)
    _, white = flat_gif_frame(width, height, 1)
    loop = b"!\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    body = b"".join(white if i % 2 else black for i in range(frames))
    return header + loop + body + b";"


def multipart(file: bytes) -> tuple[bytes, str]:
    boundary = "----fw" + secrets.token_hex(8)
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="x.gif"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
        + file
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def check_media(server: RunningServer, data: bytes):  # type: ignore[no-untyped-def]
    body, content_type = multipart(data)
    return server.request(
        "POST", "/v1/check/media", body=body, headers={"Content-Type": content_type}
    )


def test_the_reviewers_gif_bomb_reads_one_frame_and_says_so(server: RunningServer) -> None:
    data = animated_gif(6000, 6000, 64)
    assert len(data) < 2_000_000  # the size of the reviewer's file (1,765,985 bytes)
    response = check_media(server, data)
    assert response.status == 200, response.body
    media = response.json()["media"]
    # 64,000,000 pixels a check / 36,000,000 a frame: the first frame only.
    assert media["animation"] == {
        "frames_read": 1,
        "frames_kept": 1,
        "frames_in_file": 64,
        "read_limit": 1,
        "limited_by": "max_animation_pixels",
        "canvas_pixels": 36_000_000,
    }
    assert media["frames"] == 1
    assert response.json()["verdict"]


def test_the_budget_counts_every_frame_read_not_one_frame() -> None:
    limits = DecodeLimits(max_animation_pixels=200 * 150 * 10)
    item = decode_media(animated_gif(200, 150, 30), limits)
    assert item.animation["frames_read"] == 10
    assert item.animation["read_limit"] == 10
    assert item.animation["limited_by"] == "max_animation_pixels"
    assert item.animation["frames_in_file"] == 30
    assert 2 <= len(item.frames) <= MAX_ANIMATION_FRAMES
    stamps = [frame.timestamp_s for frame in item.frames]
    assert stamps == sorted(stamps) and stamps[0] == 0.0
    assert [frame.index for frame in item.frames] == list(range(len(item.frames)))


def test_frames_are_sampled_from_the_frames_read_and_their_count_capped() -> None:
    item = decode_media(animated_gif(16, 16, 500), DecodeLimits())
    assert item.animation["frames_read"] == MAX_ANIMATION_DECODED
    assert item.animation["limited_by"] == "max_animation_frames"
    assert item.animation["frames_in_file"] is None  # counted only to one past the cap
    assert len(item.frames) == MAX_ANIMATION_FRAMES
    # Spread over the frames read (10 ms each), not the first eight.
    assert item.frames[-1].timestamp_s is not None and item.frames[-1].timestamp_s >= 0.5


def test_a_short_animation_is_read_whole() -> None:
    item = decode_media(animated_gif(64, 48, 5), DecodeLimits())
    assert item.animation["frames_read"] == 5
    assert item.animation["frames_in_file"] == 5
    assert item.animation["limited_by"] is None
    assert len(item.frames) == 5


def test_the_first_frame_is_read_even_when_it_alone_is_over_the_budget() -> None:
    item = decode_media(animated_gif(400, 300, 4), DecodeLimits(max_animation_pixels=1000))
    assert item.animation["frames_read"] == 1
    assert item.animation["limited_by"] == "max_animation_pixels"


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_apng_and_animated_webp_obey_the_same_budget(fmt: str) -> None:
    rng = np.random.default_rng(3)
    frames = [Image.fromarray(rng.integers(0, 256, (60, 80, 3), dtype=np.uint8)) for _ in range(12)]
    buffer = io.BytesIO()
    frames[0].save(buffer, fmt, save_all=True, append_images=frames[1:], duration=50, loop=0)
    item = decode_media(buffer.getvalue(), DecodeLimits(max_animation_pixels=80 * 60 * 4))
    assert item.animation["frames_read"] == 4
    assert item.animation["frames_in_file"] == 12
    assert item.animation["limited_by"] == "max_animation_pixels"


def test_the_budget_is_a_setting() -> None:
    assert Settings().max_animation_pixels == 64_000_000
    limits = DecodeLimits.from_settings(Settings(max_animation_pixels=123_456))
    assert limits.max_animation_pixels == 123_456


def _rechunked(data: bytes, size: int) -> bytes:
    """``data`` (a one-frame GIF) with its image data cut into ``size``-byte sub-blocks."""
    header, frame = gif_parts(data)
    descriptor = frame.index(b",")
    flags = frame[descriptor + 9]
    data_start = descriptor + 10 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0) + 1
    pos, chunks = data_start, []
    while frame[pos]:
        chunks.append(frame[pos + 1 : pos + 1 + frame[pos]])
        pos += frame[pos] + 1
    lzw = b"".join(chunks)
    blocks = b"".join(
        struct.pack("B", len(lzw[i : i + size])) + lzw[i : i + size]
        for i in range(0, len(lzw), size)
    )
    return header + frame[:data_start] + blocks + b"\x00;"


def test_a_gif_cut_into_tiny_data_blocks_is_refused_before_pillow_walks_it() -> None:
    rng = np.random.default_rng(5)
    noise = Image.fromarray(rng.integers(0, 256, (700, 700), dtype=np.uint8), "L")
    buffer = io.BytesIO()
    noise.convert("P").save(buffer, "GIF")
    normal = _rechunked(buffer.getvalue(), 255)
    assert decode_media(normal, DecodeLimits()).frames  # the same pixels in 255-byte blocks
    hostile = _rechunked(buffer.getvalue(), 1)
    assert len(hostile) // 2 > MAX_GIF_BLOCKS
    with pytest.raises(MediaError) as caught:
        decode_media(hostile, DecodeLimits())
    assert (caught.value.code, caught.value.status) == ("media_unreadable", 400)


@pytest.mark.parametrize(
    ("build", "limit"),
    [(jpeg_with_empty_markers, MAX_JPEG_STEPS), (png_with_empty_chunks, MAX_PNG_CHUNKS)],
    ids=["jpeg-markers", "png-chunks"],
)
def test_a_file_of_millions_of_empty_segments_is_refused_before_pillow_walks_it(
    build: Callable[[int], bytes], limit: int
) -> None:
    # Pillow reads JPEG markers and PNG chunks one by one in Python: a 16 MB JPEG of 4
    # million empty markers took 10-14 s and up to 800 MB.
    assert decode_media(build(100), DecodeLimits()).frames
    with pytest.raises(MediaError) as caught:
        decode_media(build(limit + 10), DecodeLimits())
    assert (caught.value.code, caught.value.status) == ("media_unreadable", 400)
