"""Hostile media files: CPU seconds and extra peak RSS of ``decode_media`` on each, beside a
peer in the same run (one 1080p JPEG, the everyday upload).

Each file is generated here (flat colours, noise, empty segments; no photo of anyone) and
decoded in a fresh process, and its AI labels read (as the ai_labels detector does); "+MB" is
its peak RSS during the decode over its RSS just before (the peak is reset after the file is
read, through /proc/self/clear_refs). Targets (review 30, finding 3): the 1.7 MB 64-frame
6000x6000 GIF under ~1.5 s of CPU and ~150 MB, or refused with a 4xx code; every other file
bounded the same way. Review 31 rows: a GIF of 6.9 million empty extensions (4.8 s before), a
progressive JPEG of 2,000 extra scans (11.5 s), captions of a generator name and 20,000 spaces
(5-11 s of regular-expression backtracking).

    flock /work/bench.lock .venv/bin/python bench/media_hostile.py
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support.hostile_media import (
    gif_parts,
    gif_with_extensions,
    jpeg_with_empty_markers,
    png_with_empty_chunks,
    progressive_jpeg,
)

_CHILD = """
import json, resource, sys
from server.media.decode import DecodeLimits, decode_media
from server.media.labels import read_labels
from server.settings import Settings
data = open(sys.argv[1], "rb").read()
limits = DecodeLimits.from_settings(Settings())
def status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1])
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # the peak RSS starts again from here (Linux 4.0+)
before = status("VmRSS")
r0 = resource.getrusage(resource.RUSAGE_SELF)
try:
    item = decode_media(data, limits)
    labels = read_labels(item.metadata, item.raw, item.mime)  # as the ai_labels detector does
    outcome = f"{len(item.frames)} frame(s), read {item.animation.get('frames_read', 1)}, {len(labels)} label(s)"
except Exception as exc:  # the outcome is what we print
    outcome = f"{getattr(exc, 'code', type(exc).__name__)}"
r1 = resource.getrusage(resource.RUSAGE_SELF)
cpu = r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime
extra = (status("VmHWM") - before) / 1024
print(json.dumps({"cpu": cpu, "extra_mb": extra, "outcome": outcome}))
"""


def gif_bomb(side: int = 6000, frames: int = 64) -> bytes:
    """The review's file: frames alternating black/white, with a transparent palette entry."""
    parts = []
    for index in (0, 1):
        frame = Image.new("P", (side, side), index)
        frame.putpalette([0, 0, 0, 255, 255, 255, 9, 9, 9])
        buffer = io.BytesIO()
        frame.save(buffer, "GIF", transparency=2, duration=10, disposal=1)
        parts.append(gif_parts(buffer.getvalue()))
    loop = b"!\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    body = b"".join(parts[i % 2][1] for i in range(frames))
    return parts[0][0] + loop + body + b";"


def gif_tiny_blocks() -> bytes:
    """One noise frame whose LZW data is cut into 1-byte sub-blocks (~11 MB)."""
    rng = np.random.default_rng(0)
    noise = Image.fromarray(rng.integers(0, 16, (3000, 3000), dtype=np.uint8), "P")
    noise.putpalette(list(range(48)))
    buffer = io.BytesIO()
    noise.save(buffer, "GIF")
    header, frame = gif_parts(buffer.getvalue())
    start = frame.index(b",") + 11
    pos, chunks = start, []
    while frame[pos]:
        chunks.append(frame[pos + 1 : pos + 1 + frame[pos]])
        pos += frame[pos] + 1
    lzw = np.frombuffer(b"".join(chunks), np.uint8)
    blocks = np.empty(2 * len(lzw), np.uint8)
    blocks[0::2], blocks[1::2] = 1, lzw
    return header + frame[:start] + blocks.tobytes() + b"\x00;"


def caption_redos(fmt: str) -> bytes:
    """A small picture whose caption is a generator name and 19,990 spaces (review 31 #2): in
    EXIF ImageDescription, and for PNG also in Comment and Description text chunks."""
    from PIL import PngImagePlugin

    caption = "kling" + " " * 19_990 + "x"
    exif = Image.Exif()
    exif[0x010E] = caption
    buffer = io.BytesIO()
    picture = Image.new("RGB", (64, 64), (90, 120, 150))
    if fmt == "PNG":
        text = PngImagePlugin.PngInfo()
        text.add_text("Comment", caption)
        text.add_text("Description", caption)
        picture.save(buffer, "PNG", pnginfo=text, exif=exif)
    else:
        picture.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def xmp_redos() -> bytes:
    """A PNG whose XMP packet is "AIGC>" 200,000 times (1 MB, under Pillow's text-chunk cap)."""
    from PIL import PngImagePlugin

    text = PngImagePlugin.PngInfo()
    text.add_itxt("XML:com.adobe.xmp", "AIGC>" * 200_000)
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (90, 120, 150)).save(buffer, "PNG", pnginfo=text)
    return buffer.getvalue()


def palette_screenshot() -> bytes:
    """A pngquant-style 1080x2400 palette PNG (review 30, finding 4)."""
    picture = Image.linear_gradient("L").resize((1080, 2400)).convert("RGB").quantize(64)
    buffer = io.BytesIO()
    picture.save(buffer, "PNG")
    return buffer.getvalue()


def peer_jpeg() -> bytes:
    across = Image.linear_gradient("L").rotate(90).resize((1920, 1080))
    down = Image.linear_gradient("L").resize((1920, 1080))
    picture = Image.merge("RGB", (across, down, across))
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def measure(path: Path) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
        cwd=Path(__file__).resolve().parents[1],
    )
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    files = {
        "peer: 1080p JPEG": peer_jpeg,
        "GIF 64 x 6000x6000 (review 30 #3)": gif_bomb,
        "GIF, 1-byte data blocks": gif_tiny_blocks,
        "JPEG, 4M empty markers": lambda: jpeg_with_empty_markers(4_000_000),
        "PNG, 1.5M empty chunks": lambda: png_with_empty_chunks(1_500_000),
        "palette PNG 1080x2400 (#4)": palette_screenshot,
        "GIF, 6.9M empty extensions (r31 #4)": lambda: gif_with_extensions(
            b"\x21\xfe\x00", 6_900_000
        ),
        "JPEG 6000^2 + 2000 scans (r31 #3)": lambda: progressive_jpeg(6000, 2000),
        "JPEG, 'kling'+20k spaces EXIF (r31 #2)": lambda: caption_redos("JPEG"),
        "PNG, 'kling'+20k spaces x3 (r31 #2)": lambda: caption_redos("PNG"),
        "PNG, 1 MB XMP of 'AIGC>'": xmp_redos,
    }
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, build in files.items():
            path = Path(tmp) / "file"
            data = build()
            path.write_bytes(data)
            rows.append((name, len(data), measure(path)))
    peer_cpu = float(rows[0][2]["cpu"])  # type: ignore[arg-type]
    print(f"{'file':38} {'bytes':>10} {'cpu s':>7} {'x peer':>7} {'+MB':>6}  outcome")
    for name, size, result in rows:
        cpu = float(result["cpu"])  # type: ignore[arg-type]
        ratio = cpu / peer_cpu if peer_cpu else float("nan")
        print(
            f"{name:38} {size:>10} {cpu:>7.2f} {ratio:>7.1f} "
            f"{float(result['extra_mb']):>6.0f}  {result['outcome']}"  # type: ignore[arg-type]
        )
    print("load", tuple(round(x, 2) for x in os.getloadavg()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
