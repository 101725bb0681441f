"""server.media.decode: formats by magic bytes, limits before pixels, clear codes for bad input.

Every image here is generated on the fly; no photo of anyone is committed.
"""

from __future__ import annotations

import io
import struct
import zlib

import av
import numpy as np
import pytest
from PIL import Image

from server.errors import MediaError
from server.media.decode import DecodeLimits, decode_media, sniff

LIMITS = DecodeLimits()


def pattern(width: int = 320, height: int = 240) -> Image.Image:
    """A picture with structure in both directions (gradients and a block), built in C."""
    across = Image.linear_gradient("L").rotate(90).resize((width, height))
    down = Image.linear_gradient("L").resize((width, height))
    ring = Image.radial_gradient("L").resize((width, height))
    image = Image.merge("RGB", (across, down, ring))
    image.paste((250, 30, 30), (width // 5, height // 4, width // 2, height // 2))
    return image


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def video(
    fmt: str = "mp4",
    codec: str = "libx264",
    seconds: int = 3,
    fps: int = 10,
    *,
    gop: int = 0,
    size: tuple[int, int] = (320, 240),
    options: dict[str, str] | None = None,
) -> bytes:
    """A moving pattern, a keyframe every ``gop`` frames (default: every second)."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=fmt) as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        every = {"g": str(gop), "keyint_min": str(gop)} if gop else {"g": str(fps)}
        stream.options = {**every, **(options or {})}
        base = np.asarray(pattern(*size))
        for i in range(seconds * fps):
            frame = av.VideoFrame.from_ndarray(np.roll(base, i * 8, axis=1), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue()


def error_code(data: bytes, limits: DecodeLimits = LIMITS) -> tuple[str, int]:
    with pytest.raises(MediaError) as caught:
        decode_media(data, limits)
    return caught.value.code, caught.value.status


@pytest.mark.parametrize(
    ("fmt", "options", "expected"),
    [
        ("JPEG", {"quality": 90}, "JPEG"),
        ("PNG", {}, "PNG"),
        ("WEBP", {"quality": 90}, "WEBP"),
        ("GIF", {}, "GIF"),
    ],
)
def test_each_image_format_decodes_to_rgb_with_its_size_and_hash(
    fmt: str, options: dict[str, object], expected: str
) -> None:
    data = encode(pattern(), fmt, **options)
    item = decode_media(data, LIMITS)
    assert (item.format, item.width, item.height, item.size_bytes) == (
        expected,
        320,
        240,
        len(data),
    )
    assert len(item.sha256) == 64 and item.raw == data
    (frame,) = item.frames
    assert frame.image.mode == "RGB" and frame.image.size == (320, 240)
    assert frame.timestamp_s is None and not item.is_video


def test_heic_decodes_through_pillow_heif() -> None:
    import pillow_heif

    pillow_heif.register_heif_opener()
    item = decode_media(encode(pattern(), "HEIF", quality=80), LIMITS)
    assert item.format == "HEIF" and item.mime == "image/heic"
    assert item.frames[0].image.size == (320, 240)


def test_a_12_megapixel_jpeg_is_draft_decoded_to_the_working_size() -> None:
    data = encode(pattern(4000, 3000), "JPEG", quality=85)
    item = decode_media(data, LIMITS)
    assert (item.width, item.height) == (4000, 3000)
    # draft() decodes at 1/2 scale (2000x1500), then an integer box reduction halves it.
    assert LIMITS.work_side // 2 <= max(item.frames[0].image.size) <= LIMITS.work_side


def test_exif_orientation_is_applied_and_a_bogus_one_ignored() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    upright = decode_media(encode(pattern(320, 240), "JPEG", exif=exif), LIMITS)
    assert upright.frames[0].image.size == (240, 320)
    exif[0x0112] = 77
    ignored = decode_media(encode(pattern(320, 240), "JPEG", exif=exif), LIMITS)
    assert ignored.frames[0].image.size == (320, 240)
    assert ignored.metadata.exif  # kept for the label readers


def test_metadata_bytes_are_kept_for_label_readers() -> None:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("parameters", "a portrait, Steps: 20, Sampler: Euler a")
    item = decode_media(encode(pattern(), "PNG", pnginfo=info), LIMITS)
    assert item.metadata.text["parameters"].startswith("a portrait")
    jpeg = decode_media(encode(pattern(), "JPEG", comment=b"made by hand"), LIMITS)
    assert any(marker == "APP0" for marker, _ in jpeg.metadata.segments)
    assert jpeg.metadata.text["comment"] == "made by hand"


def test_transparent_pixels_become_white_not_black() -> None:
    clear = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    item = decode_media(encode(clear, "PNG"), LIMITS)
    assert item.frames[0].image.getpixel((10, 10)) == (255, 255, 255)


def test_animated_gif_gives_a_few_frames_with_timestamps() -> None:
    frames = [pattern(96, 64).convert("L").rotate(i * 30) for i in range(20)]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
    item = decode_media(data, LIMITS)
    assert 2 <= len(item.frames) <= 8
    stamps = [f.timestamp_s for f in item.frames]
    assert stamps[0] == 0.0 and stamps == sorted(stamps) and stamps[-1] is not None
    assert stamps[-1] >= 1.0


@pytest.mark.parametrize(("fmt", "codec"), [("mp4", "libx264"), ("webm", "libvpx-vp9")])
def test_video_keyframes_are_sampled_with_timestamps(fmt: str, codec: str) -> None:
    item = decode_media(video(fmt, codec), LIMITS)
    assert item.is_video and item.format == fmt.upper()
    assert item.duration_s == pytest.approx(3.0, abs=0.2)
    assert [f.timestamp_s for f in item.frames] == [0.0, 1.0, 2.0]
    assert item.frames[0].image.size == (320, 240)


def test_video_keyframes_obey_the_cap() -> None:
    item = decode_media(video(seconds=6), DecodeLimits(max_video_keyframes=2))
    assert len(item.frames) == 2


#: x264 with every frame a reference (no B-frames): a walk must decode each of them, so how far
#: it reaches shows how many frames it decoded.
ALL_REFERENCES = {"bf": "0", "sc_threshold": "0", "preset": "ultrafast"}


@pytest.mark.parametrize(
    ("fmt", "codec", "options", "slack"),
    [
        ("mp4", "libx264", {"sc_threshold": "0", "preset": "veryfast"}, 0.2),  # B-frames
        ("mp4", "libx264", ALL_REFERENCES, 0.04),
        ("webm", "libvpx-vp9", {"deadline": "realtime", "cpu-used": "8"}, 0.04),
    ],
)
def test_samples_in_one_long_gop_are_each_decoded_near_their_time(
    fmt: str, codec: str, options: dict[str, str], slack: float
) -> None:
    """One keyframe for 8 s: every sample over 1 s after it is a frame decoded on the way.
    The walk goes on from one sample to the next, so the 200 frames of the clip are enough
    (starting again from the keyframe for each sample took 1,462)."""
    data = video(fmt, codec, seconds=8, fps=25, gop=1000, size=(160, 120), options=options)
    item = decode_media(data, DecodeLimits(max_forward_frames=200))
    targets = [0.0] + [i * 0.5 for i in range(3, 16)]
    stamps = [f.timestamp_s for f in item.frames]
    assert len(stamps) == len(targets)
    for stamp, target in zip(stamps, targets, strict=True):
        assert stamp is not None and target - slack <= stamp <= target


def test_a_long_gop_is_walked_no_further_than_its_frame_and_pixel_budget() -> None:
    """A hostile clip, one keyframe and 25 s of reference frames: the walk stops at the
    budget's frames (each decoded at its real size), and the samples past it are left out."""
    data = video(seconds=25, fps=20, gop=1000, size=(64, 48), options=ALL_REFERENCES)
    everything = decode_media(data, LIMITS)  # 500 frames: within the default budget
    assert len(everything.frames) == 16 and everything.frames[-1].timestamp_s == 23.4
    frames = decode_media(data, DecodeLimits(max_forward_frames=100))
    reached = max(f.timestamp_s or 0.0 for f in frames.frames)
    assert 4.0 <= reached <= 100 / 20
    pixels = decode_media(data, DecodeLimits(max_forward_pixels=64 * 48 * 60))
    reached = max(f.timestamp_s or 0.0 for f in pixels.frames)
    assert 2.0 <= reached <= 60 / 20


def test_one_keyframe_for_thirty_seconds_with_b_frames_is_sampled_not_unreadable() -> None:
    """An h264 decoder with B-frames holds a keyframe back until later frames come out; with
    non-key frames skipped none did before the end, 750 packets away, and the seek gave up
    after 600: "no frame of the video could be decoded"."""
    options = {"sc_threshold": "0", "preset": "veryfast"}
    data = video(seconds=30, fps=25, gop=1000, size=(64, 48), options=options)
    item = decode_media(data, LIMITS)
    stamps = [f.timestamp_s or 0.0 for f in item.frames]
    assert stamps[0] == 0.0 and len(stamps) == 16 and stamps[-1] >= 28.0


def test_damage_between_keyframes_ends_the_walk_not_the_video() -> None:
    data = bytearray(video(seconds=8, fps=25, gop=1000, size=(160, 120), options=ALL_REFERENCES))
    start = len(data) // 2
    data[start : start + 600] = bytes((i * 97 + 13) % 256 for i in range(600))
    item = decode_media(bytes(data), LIMITS)
    stamps = [f.timestamp_s or 0.0 for f in item.frames]
    # The frames before the damage (the middle of the file, ~4 s) are samples; none after it.
    assert stamps[0] == 0.0 and len(stamps) >= 3 and stamps[-1] < 6.0


def numbered_slides(count: int, width: int = 352, height: int = 64) -> list[np.ndarray]:
    """Pictures that say their number: bit ``b`` of ``i`` is a white bar in column ``b``."""
    slides = []
    for i in range(count):
        slide = np.zeros((height, width, 3), np.uint8)
        for bit in range(6):
            if i >> bit & 1:
                slide[:, bit * 32 : (bit + 1) * 32] = 255
        slide[:, 6 * 32 :] = (i * 40) % 256
        slides.append(slide)
    return slides


def slide_number(image: Image.Image) -> int:
    grey = np.asarray(image.convert("L").resize((352, 64)))
    return sum(
        1 << bit for bit in range(6) if grey[20:60, bit * 32 + 8 : (bit + 1) * 32 - 8].mean() > 128
    )


def encoded(frames: list[np.ndarray], fmt: str, codec: str, rate: object, **options: str) -> bytes:
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=fmt) as container:
        stream = container.add_stream(codec, rate=rate)
        stream.height, stream.width = frames[0].shape[:2]
        stream.pix_fmt = "yuv420p"
        stream.options = options
        for array in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(array, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("fmt", "codec", "options"),
    [
        ("mp4", "libx264", {"g": "1000", "keyint_min": "1000", "sc_threshold": "0"}),
        ("webm", "libvpx-vp9", {"g": "1000", "deadline": "realtime", "cpu-used": "8"}),
    ],
)
def test_a_slideshow_with_one_keyframe_is_sampled_picture_after_picture(
    fmt: str, codec: str, options: dict[str, str]
) -> None:
    """A scam slideshow or a screen recording: one picture every 3 s, one keyframe. The
    picture on screen at a sample's time started up to 3 s before it; it is that sample
    (the walk dropped it for being over 1 s old, and skipped B-frames that were pictures:
    6 of 20 pictures sampled instead of 14)."""
    from fractions import Fraction

    data = encoded(numbered_slides(20), fmt, codec, Fraction(1, 3), **options)
    item = decode_media(data, LIMITS)
    seen = [slide_number(frame.image) for frame in item.frames]
    assert seen == sorted(set(seen)) and len(seen) >= 14
    for frame, number in zip(item.frames, seen, strict=True):
        assert frame.timestamp_s == number * 3.0  # each picture at the time it came on


def test_an_intra_refresh_stream_is_read_not_refused() -> None:
    """x264's intra refresh flags recovery points as keyframes that decode to nothing alone;
    draining the decoder then left it closed and the next packet raised EOFError: the whole
    clip was refused as unreadable."""
    data = video(
        seconds=10,
        fps=25,
        size=(160, 120),
        options={"x264-params": "intra-refresh=1:keyint=50", "bf": "0"},
    )
    item = decode_media(data, LIMITS)
    assert item.frames[0].timestamp_s == 0.0 and len(item.frames) >= 3


def test_a_damaged_later_keyframe_loses_its_sample_not_the_video() -> None:
    data = bytearray(
        video(
            "webm",
            "libvpx",
            seconds=16,
            fps=25,
            gop=50,
            size=(320, 240),
            options={"auto-alt-ref": "0", "b": "1M"},
        )
    )
    with av.open(io.BytesIO(bytes(data))) as container:
        stream = container.streams.video[0]
        keyframes = [(p.pos, p.size) for p in container.demux(stream) if p.is_keyframe and p.size]
    position, size = keyframes[4]  # the keyframe at 8 s
    data[position + 30 : position + size - 30] = bytes(
        (i * 97 + 13) % 256 for i in range(size - 60)
    )
    item = decode_media(bytes(data), LIMITS)
    stamps = [f.timestamp_s for f in item.frames]
    assert stamps[:4] == [0.0, 2.0, 4.0, 6.0] and stamps[-1] is not None and stamps[-1] >= 12.0
    assert 8.0 not in stamps


def test_a_video_longer_than_the_limit_is_refused_before_decoding() -> None:
    assert error_code(video(seconds=3), DecodeLimits(max_video_seconds=2)) == (
        "media_too_long",
        413,
    )


def ten_hour_header(mp4: bytes) -> bytes:
    """The same MP4 with every duration FFmpeg reads rewritten to ten hours (version-0
    boxes: mvhd/mdhd hold timescale then duration after creation/modification times; tkhd
    and elst count in the movie timescale; stts holds (count, delta) pairs)."""
    data = bytearray(mp4)

    def put(box: bytes, offset: int, value: int) -> None:
        at = data.index(box) + 4 + offset
        data[at : at + 4] = struct.pack(">I", value)

    def get(box: bytes, offset: int) -> int:
        at = data.index(box) + 4 + offset
        return int(struct.unpack(">I", data[at : at + 4])[0])

    ten_hours = 36_000
    movie_scale, media_scale = get(b"mvhd", 12), get(b"mdhd", 12)
    put(b"mvhd", 16, movie_scale * ten_hours)
    put(b"tkhd", 20, movie_scale * ten_hours)
    put(b"elst", 8, movie_scale * ten_hours)
    put(b"mdhd", 16, media_scale * ten_hours)
    put(b"stts", 12, media_scale * ten_hours // get(b"stts", 8))
    return bytes(data)


def test_a_ten_hour_duration_in_the_header_is_refused() -> None:
    data = ten_hour_header(video("mp4"))
    assert error_code(bytes(data)) == ("media_too_long", 413)


def test_zero_bytes_and_unknown_types_have_their_own_codes() -> None:
    assert error_code(b"") == ("media_empty", 400)
    assert error_code(b"%PDF-1.7\n...") == ("media_unsupported", 415)
    assert error_code(b"<html><script>alert(1)</script>") == ("media_unsupported", 415)
    assert error_code(b"\x00\x00\x00\x18ftypavif" + b"\x00" * 64) == ("media_unsupported", 415)


def test_oversized_upload_is_refused_by_bytes() -> None:
    data = encode(pattern(), "PNG")
    assert error_code(data, DecodeLimits(max_bytes=len(data) - 1)) == ("media_too_large", 413)


def test_truncated_and_corrupt_files_are_unreadable_not_errors() -> None:
    jpeg = encode(pattern(), "JPEG")
    assert error_code(jpeg[: len(jpeg) // 2]) == ("media_unreadable", 400)
    png = encode(pattern(), "PNG")
    assert error_code(png[:100]) == ("media_unreadable", 400)
    assert error_code(b"\x89PNG\r\n\x1a\n" + b"garbage" * 20) == ("media_unreadable", 400)
    assert error_code(video()[:400]) == ("media_unreadable", 400)


def test_a_gif_header_on_a_script_polyglot_is_unreadable() -> None:
    assert error_code(b"GIF89a/*" + b"\x00" * 8 + b"*/=1;alert(document.domain);") == (
        "media_unreadable",
        400,
    )


def png_bomb(width: int, height: int) -> bytes:
    """A valid PNG header claiming ``width`` x ``height`` over a tiny compressed body."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (width + 1) * 16, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


def test_a_decompression_bomb_is_refused_from_its_header() -> None:
    assert error_code(png_bomb(50_000, 50_000)) == ("media_too_many_pixels", 413)
    assert error_code(png_bomb(8000, 8000), DecodeLimits(max_pixels=1_000_000)) == (
        "media_too_many_pixels",
        413,
    )


def test_sniff_reads_magic_bytes_only() -> None:
    assert sniff(encode(pattern(), "JPEG")) == "JPEG"
    assert sniff(b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  ") == "MOV"
    assert sniff(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic") == "HEIF"
    assert sniff(b"\x1a\x45\xdf\xa3rest") == "WEBM"
