"""The one module that turns uploaded bytes into pixels, with limits at every step.

``decode_media(data, limits)`` -> ``MediaItem`` (see ``item.py``) or raises ``MediaError``
(``server.errors``) with a stable code:

    media_empty            0 bytes
    media_too_large        more bytes than ``limits.max_bytes``                      (413)
    media_unsupported      the first bytes are none of the formats below            (415)
    media_too_many_pixels  width x height over ``limits.max_pixels``, read from the
                           header BEFORE any pixel is decoded (decompression bombs) (413)
    media_too_long         a video whose declared duration is over the limit         (413)
    media_unreadable       truncated, corrupt, or not the format its magic claims    (400)

The format comes from the file's first bytes only (never the filename or the client's
Content-Type), and Pillow is told to use that one decoder. Formats: JPEG, PNG (incl. APNG),
WebP, GIF, HEIC/HEIF (pillow-heif); MP4/MOV and WebM/Matroska videos (PyAV keyframes).

Pixels come out as RGB in display orientation (EXIF orientation applied; a malformed or
out-of-range orientation is ignored rather than trusted), transparent pixels over white,
and downscaled so the long side is at most ``limits.work_side``. JPEGs use ``draft()`` so
the DCT is decoded at 1/2, 1/4 or 1/8 scale straight away: a 12-megapixel photo never
exists in memory at full size.

Everything here is synchronous CPU work: call it from the CPU executor.
"""

from __future__ import annotations

import functools
import hashlib
import io
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import av
from PIL import Image, UnidentifiedImageError

from server.errors import MediaError, MediaTooLarge, MediaUnsupported
from server.media.item import Frame, MediaItem, MediaMetadata

#: Frames kept from an animated GIF/WebP/APNG, and how many may be read to find them. Each
#: frame read is decoded at the whole canvas size (GIF, APNG and WebP frames build on the one
#: before, so frame k can only be reached by decoding frames 0..k-1): what an animation costs
#: is frames read x canvas pixels, which ``DecodeLimits.max_animation_pixels`` bounds too.
MAX_ANIMATION_FRAMES = 8
MAX_ANIMATION_DECODED = 64

#: GIF data sub-blocks walked at most before Pillow sees the file. Pillow skips a GIF's data
#: in Python one sub-block at a time (to find the next frame, or whether there is one):
#: encoders write 255-byte sub-blocks (a 20 MB GIF has ~82,000), a hostile file 1-byte ones
#: (an 11 MB file took 2.7 s of CPU just to learn whether it had a second frame).
MAX_GIF_BLOCKS = 250_000
#: The same for the other formats Pillow walks in Python: JPEG markers (and junk bytes, which
#: it skips one at a time) before the image data, PNG chunks. Real files have tens of JPEG
#: markers (ICC and C2PA split into a few hundred at most) and a few thousand PNG chunks; a
#: 16 MB JPEG of 4 million empty markers took 10-14 s and 550-800 MB, a PNG of 1.5 million
#: empty chunks 9 s.
MAX_JPEG_STEPS = 50_000
MAX_PNG_CHUNKS = 30_000
#: Scans in a JPEG at most. libjpeg decodes each scan of a progressive JPEG over the whole
#: coefficient buffer (``draft`` scaling does not help): real files have ~10 (mozjpeg up to
#: ~20), a hostile one thousands of 82-byte scans (2,000 on 6000x6000 px: 12 s of CPU).
MAX_JPEG_SCANS = 100
#: And scans x pixels at most: 100 scans over 40 MP still cost 0.5 s; 30 scans of 40 MP (a
#: mozjpeg file has ~20) or all 100 up to 12 MP pass.
MAX_JPEG_SCAN_PIXELS = 1_200_000_000
#: GIF extension blocks in a row (between two images, or before the first) at most. Encoders
#: write one to a few a frame (graphic control, comment, loop, XMP); a 20 MB file of 6.9
#: million empty ones took 4.8 s, walked in Python by us and again by Pillow.
MAX_GIF_EXTENSIONS_IN_A_ROW = 1_000

#: Pixels converted at once when a picture's mode must change before it can be reduced
#: (palette, 1-bit, 16-bit, CMYK, transparency): a strip of rows, never the whole picture,
#: so a 36-megapixel palette GIF frame is not also held as 144 MB of RGBA.
STRIP_PIXELS = 1 << 21

#: Long side of the decoded working image: enough for a face crop of a fifth of the picture
#: to keep ~190 px (hashes use 32-64 px, the face models 112-160 px) and for OCR, which reads
#: at most 960 px. 960 rather than 1024 because a 1920x1080 JPEG is then decoded by the DCT
#: at half scale straight to 960x540 (9 ms instead of 16 ms for the full decode).
WORK_SIDE = 960

#: Frames decoded at most when a video has no duration to seek by (then we read from the
#: start), and packets demuxed at most on that path and after one seek.
MAX_SEQUENTIAL_FRAMES_DECODED = 256
MAX_VIDEO_PACKETS = 20_000
MAX_SEEK_PACKETS = 600
#: A sample whose seek landed on a keyframe already taken, more than this before its time, is
#: decoded forward to its time: a clip whose keyframes are farther apart than the samples (a
#: title card, then 10 s of the fake with no keyframe) would otherwise show only its first
#: picture. Samples that land on keyframes of their own cost nothing more.
MAX_KEYFRAME_LAG_S = 1.0
#: Frames decoded at most per video on those walks, and their pixels at most, counted at each
#: frame's real size, so a hostile clip costs a bounded time, never its length. A walk goes on
#: from one sample's time to the next within a GOP (no frame is decoded twice, see ``_Walk``),
#: so these bound how far into one long GOP a video is seen. Measured (bench/media_video.py,
#: x264 veryfast crf 23, 25 fps, one keyframe): 400M pixels are 193 frames of 1080p; with
#: x264's B-frames skipped (``WALK_SKIP_FRAME``) a fake after a 12 s title card is found
#: (~500 ms of CPU for the clip), without B-frames the walk reaches ~7.7 s. A 20 s 1080p
#: clip at 3.5 Mbit/s with a keyframe every 10 s: 1.0 s of CPU, 14 samples (0.66 s and 3
#: samples when each sample re-decoded its GOP within 100M pixels). 600 frames of
#: 640x360 are 24 s without B-frames (a 12 s title card: 126 ms). Hostile clips, one GOP
#: each, decode in 1.4-2.3 s of CPU (19 MB of noise at 1080p or 360p; an 8 MB 4K keyframe
#: that each sample decoded again took 13 s before), the same order as before this walk.
MAX_FORWARD_FRAMES = 600
MAX_FORWARD_PIXELS = 400_000_000
#: The decoder skips the frames no other frame refers to while it walks: they need no decoding
#: to reach the next one (x264's B-frames outside its pyramid, about half of an h264 stream;
#: VP8/VP9 streams mark none, and decode as before). "BIDIR" would skip every B-frame, the
#: reference ones too, and damage the frames built on them.
WALK_SKIP_FRAME = "NONREF"

_IMAGE_MIME = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "GIF": "image/gif",
    "HEIF": "image/heic",
}
_VIDEO_MIME = {"MP4": "video/mp4", "MOV": "video/quicktime", "WEBM": "video/webm"}
#: The PyAV demuxer each video format may use (no probing of other demuxers).
_DEMUXER = {"MP4": "mov", "MOV": "mov", "WEBM": "matroska"}

_HEIF_BRANDS = frozenset(
    {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"mif2"}
)
_MOV_ATOMS = frozenset({b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"})

#: EXIF orientation -> the transpose that shows the picture upright.
_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_EXIF_ORIENTATION_TAG = 0x0112

#: What Pillow and PyAV raise on bad input. Listed, not ``Exception``: a bug in our own code
#: must stay a 500 with a stack trace, not become "your file is unreadable".
_PIL_ERRORS: tuple[type[BaseException], ...] = (
    UnidentifiedImageError,
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    struct.error,
    IndexError,
    KeyError,
    ZeroDivisionError,
)

_VIDEO_ERRORS: tuple[type[BaseException], ...] = (av.FFmpegError, *_PIL_ERRORS)


@dataclass(frozen=True, slots=True)
class DecodeLimits:
    """The limits one decode obeys; ``from_settings`` reads them from ``Settings``."""

    max_bytes: int = 20_971_520
    max_pixels: int = 40_000_000
    max_video_seconds: float = 600.0
    max_video_keyframes: int = 16
    #: Pixels decoded at most over all the frames read from one animation (frames x canvas).
    max_animation_pixels: int = 64_000_000
    #: Frames and pixels decoded at most between a video's keyframes (``_Walk``).
    max_forward_frames: int = MAX_FORWARD_FRAMES
    max_forward_pixels: int = MAX_FORWARD_PIXELS
    work_side: int = WORK_SIDE

    @classmethod
    def from_settings(cls, settings: Any) -> DecodeLimits:
        return cls(
            max_bytes=settings.max_media_bytes,
            max_pixels=settings.max_media_pixels,
            max_video_seconds=float(settings.max_video_seconds),
            max_video_keyframes=settings.max_video_keyframes,
            max_animation_pixels=settings.max_animation_pixels,
        )


def sniff(data: bytes) -> str:
    """The format named by the first bytes: ``JPEG``, ``PNG``, ``GIF``, ``WEBP``, ``HEIF``,
    ``MP4``, ``MOV`` or ``WEBM``; raises ``media_empty`` / ``media_unsupported``."""
    if not data:
        raise MediaError("The file is empty (0 bytes).", code="media_empty")
    head = data[:32]
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "GIF"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "WEBM"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        compatible = {head[i : i + 4] for i in range(16, len(head) - 3, 4)}
        if brand in _HEIF_BRANDS or (brand not in (b"qt  ",) and compatible & {b"heic", b"heix"}):
            return "HEIF"
        if brand == b"qt  ":
            return "MOV"
        if brand in (b"avif", b"avis"):
            raise MediaUnsupported(_UNSUPPORTED)
        return "MP4"
    if head[4:8] in _MOV_ATOMS:
        return "MOV"
    raise MediaUnsupported(_UNSUPPORTED)


_UNSUPPORTED = (
    "Not a supported format: send a JPEG, PNG, WebP, GIF or HEIC image, or an MP4, MOV or "
    "WebM video."
)


def decode_media(data: bytes, limits: DecodeLimits) -> MediaItem:
    """Decode an upload under ``limits``; see the module docstring for the errors."""
    if len(data) > limits.max_bytes:
        raise MediaTooLarge(
            f"The file is {len(data)} bytes; the limit is {limits.max_bytes}"
            " (FAKEWATCH_MAX_MEDIA_BYTES).",
            code="media_too_large",
        )
    fmt = sniff(data)
    if fmt in _VIDEO_MIME:
        return _decode_video(data, fmt, limits)
    return _decode_image(data, fmt, limits)


# --- images -----------------------------------------------------------------------------


@functools.cache
def _register_heif() -> None:
    """pillow-heif adds its opener to Pillow's global registry: do it once, lazily."""
    import pillow_heif

    pillow_heif.options.DECODE_THREADS = 1
    pillow_heif.register_heif_opener()


def _decode_image(data: bytes, fmt: str, limits: DecodeLimits) -> MediaItem:
    if fmt == "HEIF":
        _register_heif()
    # A GIF's frames are counted from its block structure (bounded), never by Pillow's
    # ``n_frames``/``is_animated``, which walk the whole file in Python.
    gif_frames = _gif_frames(data, MAX_ANIMATION_DECODED + 1) if fmt == "GIF" else 0
    jpeg_scans = _check_jpeg_markers(data) if fmt == "JPEG" else 0
    if fmt == "PNG":
        _check_png_chunks(data)
    animation: dict[str, Any] = {}
    try:
        with Image.open(io.BytesIO(data), formats=[fmt]) as img:
            width, height = img.size
            _check_pixels(width, height, limits)
            if jpeg_scans * width * height > MAX_JPEG_SCAN_PIXELS:
                raise MediaError(
                    f"The JPEG file has {jpeg_scans} scans of {width}x{height} px, more than"
                    f" {MAX_JPEG_SCAN_PIXELS // 1_000_000} million pixels to scan (real files"
                    " have about 10 scans): it is built to be slow to read; send a smaller"
                    " or baseline copy.",
                    code="media_unreadable",
                )
            orientation = _orientation(img)
            if fmt == "GIF":
                animated = gif_frames > 1
            else:
                animated = fmt in ("WEBP", "PNG") and bool(getattr(img, "is_animated", False))
            if animated:
                declared = gif_frames if fmt == "GIF" else int(getattr(img, "n_frames", 0) or 0)
                frames, animation = _animation_frames(img, declared, orientation, limits)
            else:
                if fmt == "JPEG":
                    img.draft("RGB", _draft_box(width, height, limits.work_side))
                frames = (Frame(_to_rgb_work(img, orientation, limits.work_side, still=True)),)
            metadata = _image_metadata(img, fmt)
    except MediaError:
        raise
    except Image.DecompressionBombError:
        raise MediaTooLarge(_too_many_pixels(limits), code="media_too_many_pixels") from None
    except _PIL_ERRORS as exc:
        raise MediaError(
            f"The {fmt} file cannot be decoded ({type(exc).__name__}): it is truncated, "
            "corrupt or not really a " + fmt + " file.",
            code="media_unreadable",
        ) from None
    return MediaItem(
        format=fmt,
        mime=_IMAGE_MIME[fmt],
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        width=width,
        height=height,
        frames=frames,
        metadata=metadata,
        raw=data,
        animation=animation,
    )


def _gif_frames(data: bytes, most: int) -> int:
    """Images in a GIF, counted from its block structure up to ``most`` (a count of ``most``
    means "``most`` or more"). Raises ``media_unreadable`` when getting there would walk
    more than ``MAX_GIF_BLOCKS`` blocks (data sub-blocks and extensions, see there) or more
    than ``MAX_GIF_EXTENSIONS_IN_A_ROW`` extensions between two images; a structure this walk does not
    understand is left to Pillow to refuse."""
    size = len(data)
    if size < 13:
        return 0
    pos = 13 + (3 << ((data[10] & 7) + 1) if data[10] & 0x80 else 0)
    images = blocks = extensions = 0
    while pos < size and images < most:
        tag = data[pos]
        if tag == 0x21:  # extension: "!", its label, then sub-blocks
            pos += 2
            blocks += 1  # a step of the walk, even with no data
            extensions += 1
            if extensions > MAX_GIF_EXTENSIONS_IN_A_ROW:
                raise _slow_structure(
                    "GIF", f"{MAX_GIF_EXTENSIONS_IN_A_ROW} extension blocks in a row"
                )
        elif tag == 0x2C and pos + 10 < size:  # image: descriptor, colour table, LZW size
            images += 1
            extensions = 0
            flags = data[pos + 9]
            pos += 11 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
        else:  # the trailer ";", or something Pillow will judge
            break
        while pos < size and data[pos]:
            pos += data[pos] + 1
            blocks += 1
            if blocks > MAX_GIF_BLOCKS:
                raise _slow_structure("GIF", f"{MAX_GIF_BLOCKS} blocks")
        pos += 1
    return images


def _check_jpeg_markers(data: bytes) -> int:
    """Refuse a JPEG whose header walk (what Pillow does in Python before the first scan:
    markers, fill and junk bytes) takes more than ``MAX_JPEG_STEPS`` steps, or that has more
    than ``MAX_JPEG_SCANS`` scans. Returns the number of scans."""
    first_scan = _jpeg_header_end(data)
    # Inside entropy-coded data a 0xFF is always followed by 00 or a restart marker, so from
    # the first scan on every FF DA is a start of scan; counted in C, whatever the file size.
    scans = data.count(b"\xff\xda", first_scan) if first_scan >= 0 else 0
    if scans > MAX_JPEG_SCANS:
        raise _slow_structure("JPEG", f"{MAX_JPEG_SCANS} scans")
    return scans


def _jpeg_header_end(data: bytes) -> int:
    """Where the first scan starts (-1: no scan before the end of the image or the file)."""
    size = len(data)
    pos, steps = 2, 0
    while pos + 1 < size:
        steps += 1
        if steps > MAX_JPEG_STEPS:
            raise _slow_structure("JPEG", f"{MAX_JPEG_STEPS} markers or stray bytes")
        if data[pos] != 0xFF or data[pos + 1] in (0x00, 0xFF):
            pos += 1  # junk or fill: Pillow steps over it a byte at a time
            continue
        marker = data[pos + 1]
        if marker == 0xDA:  # start of scan: libjpeg takes over
            return pos
        if marker == 0xD9:  # end of image
            return -1
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:  # markers without a length
            pos += 2
            continue
        if pos + 3 >= size:
            return -1
        pos += 2 + int.from_bytes(data[pos + 2 : pos + 4], "big")
    return -1


def _check_png_chunks(data: bytes) -> None:
    """Refuse a PNG of more than ``MAX_PNG_CHUNKS`` chunks (Pillow reads each in Python)."""
    size = len(data)
    pos, chunks = 8, 0
    while pos + 8 <= size:
        chunks += 1
        if chunks > MAX_PNG_CHUNKS:
            raise _slow_structure("PNG", f"{MAX_PNG_CHUNKS} chunks")
        if data[pos + 4 : pos + 8] == b"IEND":
            return
        pos += 12 + int.from_bytes(data[pos : pos + 4], "big")


def _slow_structure(fmt: str, what: str) -> MediaError:
    return MediaError(
        f"The {fmt} file is cut into more than {what} (real files have far fewer): it is"
        " corrupt or built to be slow to read; send the original file.",
        code="media_unreadable",
    )


def _check_pixels(width: int, height: int, limits: DecodeLimits) -> None:
    if width <= 0 or height <= 0:
        raise MediaError("The image has no pixels (a zero width or height).")
    if width * height > limits.max_pixels:
        raise MediaTooLarge(_too_many_pixels(limits, width, height), code="media_too_many_pixels")


def _too_many_pixels(limits: DecodeLimits, width: int = 0, height: int = 0) -> str:
    size = f" ({width}x{height})" if width else ""
    return (
        f"The image{size} has more than {limits.max_pixels} pixels"
        " (FAKEWATCH_MAX_MEDIA_PIXELS); send a smaller copy."
    )


def _orientation(img: Image.Image) -> int:
    """The EXIF orientation, 1 when absent, malformed or out of range (never trusted further)."""
    try:
        value = img.getexif().get(_EXIF_ORIENTATION_TAG, 1)
    except _PIL_ERRORS:
        return 1
    return value if isinstance(value, int) and value in _ORIENTATION else 1


def _to_rgb_work(
    img: Image.Image, orientation: int, work_side: int, *, still: bool = False
) -> Image.Image:
    """RGB, transparency over white, long side <= ``work_side``, upright. ``still``: ``img``
    is a single frame that nothing decodes into again.

    Every mode goes the same way whatever the size: first flattened (``_flat``: palette,
    1-bit, 16-bit, CMYK to RGB or L; transparent pixels over white), then shrunk. So a big
    and a small copy of one picture, or a palette picture and its RGB twin, are treated alike.
    """
    img.load()
    if max(img.size) <= work_side:
        rgb = _flat(img)
        if rgb is img and rgb.mode == "RGB":
            # Must outlive ``img``, which the caller closes (closing drops its pixels). An
            # animation frame is copied (the next ``seek`` decodes into the same pixels); a
            # ``still`` frame keeps its decoded pixels under a new ``Image`` instead: the copy
            # of a 960x540 frame was 0.3-0.5 ms of a 1080p JPEG's 5 ms decode.
            rgb = img._new(img.im) if still else img.copy()
    else:
        rgb = _shrink(img, work_side)
    if rgb.mode != "RGB":
        rgb = rgb.convert("RGB")
    if orientation != 1:
        rgb = rgb.transpose(_ORIENTATION[orientation])
    return rgb


_ALPHA_MODES = frozenset({"RGBA", "LA", "PA", "RGBa", "La"})
_WIDE_GREY_MODES = frozenset({"I;16", "I;16B", "I;16L", "I;16N", "I"})


def _flat(img: Image.Image) -> Image.Image:
    """``img`` in a mode ``reduce`` takes and nothing lost to the eye: RGB for colour (transparent
    pixels over white, as a viewer on a white page shows them), L for greys; RGB and L as they
    are. Used on whole small pictures and on strips of big ones (``_shrink``)."""
    mode = img.mode
    if mode in ("RGB", "L"):
        return img
    if mode == "P" and "transparency" in img.info:
        return _palette_over_white(img)
    if mode in _ALPHA_MODES:
        if mode == "La":
            img = img.convert("LA")  # Pillow converts La only to LA
        rgba = img if img.mode == "RGBA" else img.convert("RGBA")
        # A paste through the alpha channel gives alpha_composite's pixels over an opaque
        # white (checked on every alpha value) in half its time: no RGBA canvas, no RGBA->RGB.
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba.convert("RGB"), mask=rgba.getchannel("A"))
        return flat
    if mode in _WIDE_GREY_MODES:
        # 16-bit greys: scale to 8 bits instead of clipping everything above 255 to white.
        return img.point(lambda v: v / 256).convert("L")
    if mode in ("1", "F"):
        return img.convert("L")
    return img.convert("RGB")  # P, CMYK, YCbCr, LAB, HSV


def _draft_box(width: int, height: int, work_side: int) -> tuple[int, int]:
    """The size to ask ``draft`` for: the smallest DCT scale (1/2, 1/4, 1/8) that keeps the
    long side at ``work_side`` or more. Pillow picks its scale from both sides, so asking for
    a square box would keep a 1920x1080 picture at full scale (1080 < 2 x 1024)."""
    factor = 1
    while factor < 8 and max(width, height) // (factor * 2) >= work_side:
        factor *= 2
    return max(1, width // factor), max(1, height // factor)


def _palette_over_white(img: Image.Image) -> Image.Image:
    """A palette picture with transparency over white, through its palette: each of the 256
    entries goes through ``_flat``'s RGBA path (so a pixel comes out exactly as it would), then
    the picture is converted with the flattened palette, without a full-size RGBA copy (a
    36-megapixel GIF frame: 0.9 s and 144 MB the per-pixel way)."""
    assert img.palette is not None
    index = Image.new("P", (256, 1))
    index.putdata(list(range(256)))
    index.putpalette(img.palette.tobytes(), img.palette.mode)
    index.info["transparency"] = img.info["transparency"]
    colours = _flat(index.convert("RGBA"))
    flat = img.copy()
    flat.info.pop("transparency", None)
    flat.putpalette(colours.tobytes(), "RGB")
    return flat.convert("RGB")


def _shrink(img: Image.Image, work_side: int) -> Image.Image:
    """Long side <= ``work_side`` (``img`` is bigger): an integer box reduction (a 1080p frame:
    5 ms, where a bilinear resize to exactly 1024 px took 37 ms), then a bilinear step only for
    what the integer factor left over (a 1000 px draft to 960 px).

    RGB and L are reduced as they are. Any other mode is flattened (``_flat``) and reduced one
    strip of rows at a time, a whole number of reduction boxes high, so the result is pixel
    for pixel the reduction of the flattened picture while at most ``STRIP_PIXELS`` of it
    exist at once (``reduce`` itself refuses P, 1 and I;16)."""
    factor = max(img.size) // work_side
    if img.mode in ("RGB", "L"):
        small = img.reduce(factor) if factor >= 2 else img
    else:
        small = _flat_reduced(img, factor)
    if max(small.size) > work_side:
        scale = work_side / max(small.size)
        size = (max(1, round(small.width * scale)), max(1, round(small.height * scale)))
        small = small.resize(size, Image.Resampling.BILINEAR)
    return small


def _flat_reduced(img: Image.Image, factor: int) -> Image.Image:
    width, height = img.size
    rows = max(1, STRIP_PIXELS // (width * factor)) * factor
    out: Image.Image | None = None
    for top in range(0, height, rows):
        part = _flat(img.crop((0, top, width, min(height, top + rows))))
        if factor >= 2:
            part = part.reduce(factor)
        if out is None:
            size = (-(-width // factor), -(-height // factor))
            out = Image.new(part.mode, size)
        out.paste(part, (0, top // factor))
    assert out is not None  # height > work_side > 0
    return out


def _animation_frames(
    img: Image.Image, declared: int, orientation: int, limits: DecodeLimits
) -> tuple[tuple[Frame, ...], dict[str, Any]]:
    """Up to ``MAX_ANIMATION_FRAMES`` frames spread over the first frames of an animation, and
    what was read (``MediaItem.animation``).

    Frames are read in order, from the first, while the pixels decoded stay within
    ``max_animation_pixels`` (at least the first frame, which ``max_pixels`` bounds like any
    still) and at most ``MAX_ANIMATION_DECODED`` of them. A thinned sample of the frames read
    is kept at working size as they go (every frame, then every 2nd, 4th, ... whenever more
    than twice ``MAX_ANIMATION_FRAMES`` are kept), so memory never holds more than that many
    small frames and one full-size one. ``declared``: the frame count the file gives (0 when
    unknown); a GIF's is counted up to one past ``MAX_ANIMATION_DECODED``."""
    canvas = img.width * img.height
    by_pixels = max(1, limits.max_animation_pixels // canvas)
    limit = min(MAX_ANIMATION_DECODED, by_pixels)
    kept: list[tuple[float, Image.Image]] = []
    stride = 1
    elapsed_ms = 0.0
    read = 0
    for index in range(limit):
        if index:
            try:
                img.seek(index)
            except EOFError:  # fewer frames than the header said
                break
        img.load()
        read += 1
        if index % stride == 0:
            kept.append((elapsed_ms, _to_rgb_work(img, orientation, limits.work_side)))
            if len(kept) > 2 * MAX_ANIMATION_FRAMES:
                kept = kept[::2]
                stride *= 2
        elapsed_ms += float(img.info.get("duration", 0) or 0)
    count = min(MAX_ANIMATION_FRAMES, len(kept))
    picks = sorted({round(i * (len(kept) - 1) / max(count - 1, 1)) for i in range(count)})
    frames = tuple(
        Frame(kept[pick][1], timestamp_s=round(kept[pick][0] / 1000, 3), index=position)
        for position, pick in enumerate(picks)
    )
    unread = read == limit and declared > limit
    in_file: int | None = read if read < limit else None
    if in_file is None and declared and declared <= MAX_ANIMATION_DECODED:
        in_file = declared
    animation: dict[str, Any] = {
        "frames_read": read,
        "frames_kept": len(frames),
        "frames_in_file": in_file,
        "read_limit": limit,
        "limited_by": (
            None
            if not unread
            else "max_animation_pixels"
            if by_pixels < MAX_ANIMATION_DECODED
            else "max_animation_frames"
        ),
        "canvas_pixels": canvas,
    }
    return frames, animation


def _image_metadata(img: Image.Image, fmt: str) -> MediaMetadata:
    info = img.info
    exif = info.get("exif", b"")
    xmp = info.get("xmp", b"") or info.get("XML:com.adobe.xmp", b"")
    text: dict[str, str] = {}
    raw_text = getattr(img, "text", None) if fmt == "PNG" else None
    for key, value in (raw_text or {}).items():
        text[str(key)] = str(value)
    comment = info.get("comment")
    if isinstance(comment, bytes):
        text["comment"] = comment.decode("utf-8", "replace")
    segments: tuple[tuple[str, bytes], ...] = ()
    if fmt == "JPEG":
        segments = tuple(
            (str(marker), bytes(payload)) for marker, payload in getattr(img, "applist", [])
        )
    return MediaMetadata(
        exif=exif if isinstance(exif, bytes) else b"",
        xmp=xmp.encode("utf-8") if isinstance(xmp, str) else bytes(xmp or b""),
        text=text,
        segments=segments,
    )


# --- videos -----------------------------------------------------------------------------


def _decode_video(data: bytes, fmt: str, limits: DecodeLimits) -> MediaItem:

    try:
        with av.open(io.BytesIO(data), mode="r", format=_DEMUXER[fmt]) as container:
            if not container.streams.video:
                raise MediaError("The file has no video track.", code="media_unreadable")
            stream = container.streams.video[0]
            width = int(stream.codec_context.width or 0)
            height = int(stream.codec_context.height or 0)
            _check_pixels(width, height, limits)
            duration = _declared_duration(container, stream)
            if duration is not None and duration > limits.max_video_seconds:
                raise MediaTooLarge(
                    f"The video says it lasts {duration:.0f} s; the limit is"
                    f" {limits.max_video_seconds:.0f} s (FAKEWATCH_MAX_VIDEO_SECONDS).",
                    code="media_too_long",
                )
            stream.codec_context.skip_frame = "NONKEY"
            stream.thread_type = "SLICE"
            frames = tuple(_keyframes(container, stream, duration, limits))
            tags = {str(k): str(v)[:1024] for k, v in dict(container.metadata).items()}
    except MediaError:
        raise
    except _VIDEO_ERRORS as exc:
        raise MediaError(
            f"The {fmt} video cannot be decoded ({type(exc).__name__}): it is truncated or"
            " corrupt.",
            code="media_unreadable",
        ) from None
    if not frames:
        raise MediaError("No frame of the video could be decoded.", code="media_unreadable")
    return MediaItem(
        format=fmt,
        mime=_VIDEO_MIME[fmt],
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        width=width,
        height=height,
        frames=frames,
        metadata=MediaMetadata(container_tags=tags),
        is_video=True,
        duration_s=duration,
        raw=data,
    )


def _declared_duration(container: Any, stream: Any) -> float | None:
    candidates = []
    if container.duration is not None and container.duration > 0:
        candidates.append(container.duration / 1_000_000)
    if stream.duration is not None and stream.time_base is not None and stream.duration > 0:
        candidates.append(float(stream.duration * stream.time_base))
    return max(candidates) if candidates else None


def _keyframes(
    container: Any, stream: Any, duration: float | None, limits: DecodeLimits
) -> Iterator[Frame]:
    """Keyframes spread over the video: at most ``max_video_keyframes``, none past the
    duration limit, each downscaled while it is converted to RGB.

    With a declared duration we seek to evenly spaced times (each seek lands on the keyframe
    before it, and a time far past a keyframe already taken is decoded forward to, within
    ``max_forward_frames``/``max_forward_pixels``), so the work is bounded by the number of
    samples and those budgets, not the video's length; without one we decode from the start
    under a cap on frames and packets.
    """
    if duration:
        yield from _seek_samples(container, stream, duration, limits)
    else:
        yield from _sequential_samples(container, stream, limits)


def _seek_samples(
    container: Any, stream: Any, duration: float, limits: DecodeLimits
) -> Iterator[Frame]:
    """One frame per evenly spaced time: the keyframe a seek lands on when it is new; else,
    when it lies more than ``MAX_KEYFRAME_LAG_S`` before the time, the last frame at or before
    the time, decoded forward (``_Walk``). Times come in increasing order, so a walk goes on
    from where the previous sample left it for as long as no keyframe of the index lies
    between its position and the next time: each frame of a long GOP is decoded at most once,
    whatever the number of samples in it."""
    wanted = limits.max_video_keyframes
    time_base = stream.time_base
    start = float(stream.start_time * time_base) if stream.start_time is not None else 0.0
    seen: set[int] = set()
    budget = _Budget(limits)
    index = _Index(stream)
    keyframes = _Keyframes(container, stream, index)
    walk: _Walk | None = None
    for i in range(wanted):
        target = start + duration * i / wanted
        if walk is not None and walk.passed_keyframe_of(target):
            frame = walk.advance(target, budget, limits)
        else:
            walk = None
            frame = keyframes.at(target)
            if (
                frame is not None
                and frame.pts in seen
                and frame.time is not None
                and target - frame.time > MAX_KEYFRAME_LAG_S
                and budget.left
            ):
                walk = _Walk(container, stream, index, target)
                frame = walk.advance(target, budget, limits)
        if frame is None or frame.pts is None or frame.pts in seen:
            continue
        # The frame's own size: the declared one may be small and the stream's frames 4K.
        _check_pixels(int(frame.width), int(frame.height), limits)
        seen.add(frame.pts)
        ts = float(frame.time) if frame.time is not None else target
        yield Frame(
            _video_rgb(frame, limits.work_side), timestamp_s=round(ts, 3), index=len(seen) - 1
        )


class _Index:
    """Which keyframe a seek to a time lands on, from the demuxer's index, without seeking.

    Seeks go by presentation time; an MP4 index holds decode times, which run ahead of them
    by the decoder's reordering delay (two frames for x264's B-frames), so the index is read
    that ``shift`` later: else a time just before a keyframe is shown reads as that keyframe,
    where the seek lands on the one before. ``shift`` is learned from keyframe packets."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.shift = 0

    def learn(self, packet: Any) -> None:
        if packet.is_keyframe and packet.pts is not None and packet.dts is not None:
            self.shift = max(0, int(packet.pts) - int(packet.dts))

    def keyframe(self, target: float) -> int | None:
        """The index timestamp of the keyframe a seek to ``target`` lands on (None when the
        index does not say: a WebM without cues)."""
        entries = self.stream.index_entries
        at = entries.search_timestamp(
            int(target / self.stream.time_base) - self.shift, backward=True
        )
        return int(entries[at].timestamp) if at >= 0 else None


class _Keyframes:
    """The keyframe a seek to a time lands on, decoded with non-key frames skipped. The one
    the index says a seek would land on again is not decoded again: sixteen samples of a
    short clip with a single keyframe decoded it sixteen times (a keyframe can be 20 MB)."""

    def __init__(self, container: Any, stream: Any, index: _Index) -> None:
        self.container, self.stream, self.index = container, stream, index
        self.stamp: int | None = None  # the index timestamp of the keyframe in ``frame``
        self.frame: Any = None

    def at(self, target: float) -> Any:
        stamp = self.index.keyframe(target)
        if stamp is not None and stamp == self.stamp:
            return self.frame
        self.frame = self._decode(int(target / self.stream.time_base))
        self.stamp = self.index.keyframe(target)  # the shift may have been learned
        return self.frame

    def _decode(self, offset: int) -> Any:
        # A damaged keyframe loses its sample, not the video (the samples before it were fine).
        try:
            return self._first_frame(offset)
        except _VIDEO_ERRORS:
            return None

    def _first_frame(self, offset: int) -> Any:
        stream = self.stream
        stream.codec_context.skip_frame = "NONKEY"
        self.container.seek(offset, stream=stream, backward=True, any_frame=False)
        for packets, packet in enumerate(self.container.demux(stream), start=1):
            self.index.learn(packet)
            frames = packet.decode()
            if not frames and packet.is_keyframe and packet.size:
                # A decoder that reorders frames (h264 with B-frames) holds the keyframe back
                # until later frames come out, and with non-key frames skipped none does
                # before the next keyframe, which may be more than MAX_SEEK_PACKETS away (one
                # keyframe for 30 s at 25 fps: no frame at all, "unreadable"). Drain it: the
                # next seek flushes the decoder open again.
                frames = stream.codec_context.decode(None)
                for frame in frames:
                    frame.time_base = frame.time_base or stream.time_base
                if not frames:
                    # Nothing was held back (a recovery-point "keyframe" that is not an IDR,
                    # an index that calls every sample a keyframe): the drained decoder would
                    # refuse the next packet with EOFError; open it again and go on.
                    stream.codec_context.flush_buffers()
            if frames:
                return frames[0]
            if packets > MAX_SEEK_PACKETS:
                return None
        return None


class _Budget:
    """Frames and pixels (each frame at its real size: a stream can declare 64x64 and carry
    4K frames) one video may still decode on its walks."""

    __slots__ = ("frames", "pixels")

    def __init__(self, limits: DecodeLimits) -> None:
        self.frames = limits.max_forward_frames
        self.pixels = limits.max_forward_pixels

    @property
    def left(self) -> bool:
        return self.frames > 0 and self.pixels > 0

    def spend(self, frame: Any) -> None:
        self.frames -= 1
        self.pixels -= int(frame.width) * int(frame.height)


class _Walk:
    """Decoding forward from the keyframe before a time, then on to later times.

    Frames that nothing refers to are skipped, not decoded (``WALK_SKIP_FRAME``). The walk
    closes (and is never taken again: its GOP is not decoded twice) when the budget runs out,
    on a damaged frame (players hide one; it must not make the video unreadable), after
    ``MAX_SEEK_PACKETS`` packets on the way to one time, and at the end of the stream (the
    empty packet there would drain the decoder, and the next sample's seek find it closed).
    """

    def __init__(self, container: Any, stream: Any, index: _Index, target: float) -> None:
        self.index = index
        # Seek again (the keyframe was found with non-key frames skipped, and some decoders
        # hand a keyframe out only once later packets are read).
        stream.codec_context.skip_frame = WALK_SKIP_FRAME
        container.seek(
            int(target / stream.time_base), stream=stream, backward=True, any_frame=False
        )
        self.packets = container.demux(stream)
        self.stream = stream
        self.open = True
        self.last: Any = None  # the last frame at or before the latest time
        self.ahead: list[Any] = []  # frames decoded past it
        self.read_to: int | None = None  # the latest packet timestamp read (dts, else pts)

    def passed_keyframe_of(self, target: float) -> bool:
        """Whether the keyframe a seek to ``target`` would land on has been read already, so
        going on is cheaper than seeking. With no index entry to tell (a WebM without
        cues), go on: a keyframe on the way is decoded like any frame."""
        if self.read_to is None:
            return False
        stamp = self.index.keyframe(target)
        return stamp is None or stamp <= self.read_to

    def advance(self, target: float, budget: _Budget, limits: DecodeLimits) -> Any:
        """The last frame at or before ``target`` (seconds), or None when the walk stopped
        more than ``MAX_KEYFRAME_LAG_S`` short of it: a frame from nowhere near its sample's
        time is no sample."""
        frame = self.last
        while self.ahead and not _after(self.ahead[0], target):
            frame = self.ahead.pop(0)
        if not self.ahead and self.open:
            frame = self._decode(target, frame, budget, limits)
        self.last = frame
        if frame is None or frame.time is None:
            return None
        # A frame already past the target shows the walk got there: ``frame`` is the one on
        # screen at the target, however long ago it started (slideshows, VFR screen
        # recordings). Only a walk that stopped short is held to MAX_KEYFRAME_LAG_S.
        if not self.ahead and target - frame.time > MAX_KEYFRAME_LAG_S:
            return None
        return frame

    def _decode(self, target: float, frame: Any, budget: _Budget, limits: DecodeLimits) -> Any:
        self.open = False
        for _ in range(MAX_SEEK_PACKETS):
            try:
                packet = next(self.packets)
            except StopIteration:
                return frame
            except _VIDEO_ERRORS:  # damaged container data between keyframes: as below
                return frame
            if packet.size == 0:
                return frame
            self.index.learn(packet)
            stamp = packet.dts if packet.dts is not None else packet.pts
            if stamp is not None:
                self.read_to = stamp if self.read_to is None else max(self.read_to, stamp)
            # Skip non-reference frames only where frames are dense (a frame or two off):
            # a slideshow's or a VFR recording's B-frame may be the picture on screen.
            tb = self.stream.time_base
            dense = bool(packet.duration) and packet.duration * tb < 0.2
            self.stream.codec_context.skip_frame = WALK_SKIP_FRAME if dense else "DEFAULT"
            try:
                decoded = packet.decode()
            except _VIDEO_ERRORS:
                return frame
            for index, new in enumerate(decoded):
                _check_pixels(int(new.width), int(new.height), limits)
                budget.spend(new)
                if _after(new, target):
                    self.ahead = decoded[index:]
                    self.open = budget.left
                    return frame
                frame = new
                if not budget.left:
                    return frame
        return frame


def _after(frame: Any, target: float) -> bool:
    return frame.time is not None and frame.time > target


def _sequential_samples(container: Any, stream: Any, limits: DecodeLimits) -> Iterator[Frame]:
    kept = decoded = 0
    for packets, packet in enumerate(container.demux(stream), start=1):
        if packets > MAX_VIDEO_PACKETS:
            return
        # Every packet goes to the decoder (``skip_frame=NONKEY`` drops non-key ones cheaply;
        # reordering codecs only release a keyframe after later packets; the final empty
        # packet flushes them).
        for frame in packet.decode():
            decoded += 1
            ts = float(frame.time) if frame.time is not None else 0.0
            if ts > limits.max_video_seconds:
                return
            if frame.key_frame:
                _check_pixels(int(frame.width), int(frame.height), limits)
                yield Frame(
                    _video_rgb(frame, limits.work_side), timestamp_s=round(ts, 3), index=kept
                )
                kept += 1
            if kept >= limits.max_video_keyframes or decoded >= MAX_SEQUENTIAL_FRAMES_DECODED:
                return


def _video_rgb(frame: Any, work_side: int) -> Image.Image:
    width, height = int(frame.width), int(frame.height)
    scale = min(1.0, work_side / max(width, height))
    target_w, target_h = max(1, round(width * scale)), max(1, round(height * scale))
    image: Image.Image = frame.to_image(width=target_w, height=target_h)
    return image.convert("RGB")
