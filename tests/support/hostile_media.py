"""Hostile media files built from flat pictures (no photo of anyone), shared by the tests that
pin the decoder's flood limits and by ``bench/media_hostile.py``, which times them."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image


def gif_parts(data: bytes) -> tuple[bytes, bytes]:
    """A one-frame GIF from Pillow split into its header (with the colour table) and its
    frame (graphic control extension, image descriptor, data), without the trailer."""
    flags = data[10]
    start = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
    assert data.endswith(b";")
    return data[:start], data[start:-1]


def gif_with_extensions(before_image: bytes, count: int) -> bytes:
    """A 200x200 GIF with ``before_image`` (one extension block) ``count`` times before its
    image: Pillow walks them one by one in Python."""
    buffer = io.BytesIO()
    Image.new("RGB", (200, 200), (200, 30, 30)).save(buffer, "GIF")
    header, rest = gif_parts(buffer.getvalue())
    return header + before_image * count + rest + b";"


def progressive_jpeg(side: int, extra_scans: int) -> bytes:
    """A grey progressive JPEG from Pillow plus ``extra_scans`` scans that each cover every
    block with EOB runs (valid and tiny, yet libjpeg makes a full pass for each)."""
    buffer = io.BytesIO()
    Image.new("L", (side, side), 128).save(buffer, "JPEG", progressive=True, quality=50)
    base = buffer.getvalue()
    assert base.endswith(b"\xff\xd9")
    dht = b"\xff\xc4" + struct.pack(">H", 20) + bytes([0x11, 1] + [0] * 15 + [0xE0])
    runs = -(-(((side + 7) // 8) ** 2) // 32767)
    bits = ("0" + "1" * 14) * runs
    bits += "1" * (-len(bits) % 8)
    data = bytes(int(bits[i : i + 8], 2) for i in range(0, len(bits), 8))
    sos = b"\xff\xda" + struct.pack(">H", 8) + bytes([1, 1, 0x01, 1, 63, 0x00])
    scan = dht + sos + data.replace(b"\xff", b"\xff\x00")
    return base[:-2] + scan * extra_scans + b"\xff\xd9"


def jpeg_with_empty_markers(count: int) -> bytes:
    """A small JPEG with ``count`` empty COM segments after its SOI."""
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (40, 90, 160)).save(buffer, "JPEG")
    data = buffer.getvalue()
    return data[:2] + b"\xff\xfe\x00\x02" * count + data[2:]


def png_with_empty_chunks(count: int) -> bytes:
    """A small PNG with ``count`` empty private chunks after its IHDR."""
    buffer = io.BytesIO()
    Image.new("RGB", (32, 24), (40, 90, 160)).save(buffer, "PNG")
    data = buffer.getvalue()
    filler = b"\x00\x00\x00\x00zzZz" + struct.pack(">I", zlib.crc32(b"zzZz"))
    return data[:33] + filler * count + data[33:]
