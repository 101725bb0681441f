"""Video sampling between keyframes: how far into one long GOP a known fake is still seen, what
a video costs, and the worst a hostile clip costs, for ``server/media/decode.py`` as it is
beside the same module at an earlier commit (``--before``, default ``HEAD``), in one run.

Clips are generated here (smooth random textures with shapes, panned a pixel a frame, light
noise; no photo of anyone), encoded once and cached in ``--cache``:

1. ``reach``: a title card for T s (2, 5, 8, 12), then the fake for 3 s, 25 fps, one keyframe
   (x264 veryfast, crf 23: B-frames on, as most encoders; and with ``--no-bframes`` off, as
   phones and screen recorders), at 640x360 and 1920x1080. A sample counts as the fake when
   its picture is nearer the fake than the title card (mean absolute difference at 64x36).
   "found" = at least one sample shows the fake.
2. ``cost``: CPU ms per ``decode_media`` (median of ``--repeat``) for 20 s clips at 640x360
   and 1920x1080: one keyframe every 2 s (short GOPs) and every 10 s (x264's default at 25
   fps); at crf 23 (0.1-0.6 Mbit/s with these pictures) and, 1080p, crf 17 (~3.6 Mbit/s).
3. ``hostile``: clips built to be slow between keyframes, one GOP each: 1080p noise at a
   high bitrate (as many frames as fit in the 20 MB upload limit), 4K frames, 64x64
   frames by the thousand.

The script prints figures and never asserts.

    flock /work/bench.lock nice -n 5 .venv/bin/python bench/media_video.py [--before REV]

``--before f81c16f`` compares with the sampler before the walk (review 37 D4 remainder):
every sample re-decoded its GOP from the keyframe, within 240 frames / 100M pixels a video.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import io
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

import av
import numpy as np
from PIL import Image, ImageDraw

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from server.media import decode as after  # noqa: E402

FPS = 25
SIZES = {"360p": (640, 360), "1080p": (1920, 1080)}


def before_module(rev: str) -> ModuleType:
    """``server/media/decode.py`` at ``rev``, imported under another name."""
    source = subprocess.run(
        ["git", "show", f"{rev}:server/media/decode.py"],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path = Path(tempfile.mkdtemp(prefix="decode-before-")) / "decode_before.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("decode_before", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def picture(seed: int, size: tuple[int, int]) -> np.ndarray:
    rng = np.random.default_rng(seed)
    low = rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)
    image = Image.fromarray(low, "RGB").resize(size, Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(image)
    width, height = size
    for _ in range(12):
        x, y = int(rng.integers(0, width * 7 // 8)), int(rng.integers(0, height * 5 // 6))
        w, h = (int(v) for v in rng.integers(width // 20, width // 4, 2))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
        shape((x, y, x + w, y + h), fill=colour)
    return np.asarray(image)


def encode(
    scenes: list[tuple[np.ndarray, int]],
    size: tuple[int, int],
    gop: int,
    *,
    codec: str = "libx264",
    options: dict[str, str] | None = None,
    noise: int = 3,
    max_bytes: int = 0,
    pan: bool = True,
) -> bytes:
    """Each scene's picture for its number of frames, panned a pixel a frame, with noise;
    no more frames once the file holds ``max_bytes`` (when given)."""
    width, height = size
    buffer = io.BytesIO()
    rng = np.random.default_rng(0)
    with av.open(buffer, "w", format="mp4") as container:
        stream = container.add_stream(codec, rate=FPS)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.options = {
            "g": str(gop),
            "keyint_min": str(gop),
            "sc_threshold": "0",
            "preset": "veryfast",
            "crf": "23",
            **(options or {}),
        }
        frame_no = 0
        for still, count in scenes:
            for _ in range(count):
                shift = frame_no % 64 if pan else 0
                part = still[shift // 2 : shift // 2 + height, shift : shift + width]
                if noise:
                    jitter = rng.integers(-noise, noise + 1, part.shape, dtype=np.int16)
                    part = np.clip(part + jitter, 0, 255).astype(np.uint8)
                frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(part), format="rgb24")
                for packet in stream.encode(frame):
                    container.mux(packet)
                frame_no += 1
                if max_bytes and buffer.tell() > max_bytes:
                    break
            if max_bytes and buffer.tell() > max_bytes:
                break
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue()


def cached(cache: Path, name: str, build: Callable[[], bytes]) -> bytes:
    path = cache / f"{name}.mp4"
    if not path.exists():
        started = time.perf_counter()
        path.write_bytes(build())
        print(
            f"  (encoded {name}: {path.stat().st_size / 1e6:.1f} MB in"
            f" {time.perf_counter() - started:.0f} s)",
            flush=True,
        )
    return path.read_bytes()


def cpu_ms(module: ModuleType, data: bytes, repeat: int) -> tuple[float, Any]:
    limits = module.DecodeLimits()
    times, item = [], None
    for _ in range(repeat):
        started = time.process_time()
        try:
            item = module.decode_media(data, limits)
        except Exception as exc:  # the outcome is what we print
            item = exc
        times.append((time.process_time() - started) * 1000)
    return statistics.median(times), item


def small(image: Any) -> np.ndarray:
    if isinstance(image, np.ndarray):
        image = Image.fromarray(image)
    return np.asarray(image.convert("RGB").resize((64, 36), Image.Resampling.BOX), dtype=float)


def bench_reach(modules: dict[str, ModuleType], cache: Path, repeat: int, bframes: bool) -> None:
    print(
        f"\n## reach: title card T s, then the fake 3 s; one keyframe; 25 fps;"
        f" B-frames {'on' if bframes else 'off'}"
    )
    print(
        "| clip | Mbit/s | "
        + " | ".join(f"{name}: found / first fake s / CPU ms" for name in modules)
        + " |"
    )
    print("|---|---|" + "---|" * len(modules))
    options = {} if bframes else {"bf": "0"}
    for label, size in SIZES.items():
        wide = (size[0] + 64, size[1] + 32)
        title, fake = picture(1, wide), picture(2, wide)
        refs = small(title[: size[1], : size[0]]), small(fake[: size[1], : size[0]])
        for seconds in (2, 5, 8, 12):
            total = FPS * (seconds + 3)
            name = f"reach_{label}_{seconds}s_{'b' if bframes else 'nob'}"
            scenes = [(title, FPS * seconds), (fake, FPS * 3)]
            data = cached(cache, name, partial(encode, scenes, size, total, options=options))
            mbit = len(data) * 8 / (seconds + 3) / 1e6
            cells = []
            for module in modules.values():
                ms, item = cpu_ms(module, data, repeat)
                if isinstance(item, Exception):
                    cells.append(f"{type(item).__name__} / - / {ms:.0f}")
                    continue
                fakes = [
                    f.timestamp_s
                    for f in item.frames
                    if np.abs(small(f.image) - refs[1]).mean()
                    < np.abs(small(f.image) - refs[0]).mean()
                ]
                first = f"{min(fakes):.2f}" if fakes else "-"
                cells.append(
                    f"{'yes' if fakes else 'no'} ({len(item.frames)} samples) / {first} / {ms:.0f}"
                )
            print(
                f"| {label} title {seconds} s | {mbit:.1f} | " + " | ".join(cells) + " |",
                flush=True,
            )


def bench_cost(modules: dict[str, ModuleType], cache: Path, repeat: int) -> None:
    print("\n## cost: 20 s clips, 25 fps, x264 veryfast, CPU ms per decode_media")
    print("| clip | Mbit/s | " + " | ".join(f"{n}: ms / samples" for n in modules) + " |")
    print("|---|---|" + "---|" * len(modules))
    rows = [(label, gop_s, "23") for label in SIZES for gop_s in (2, 10)]
    rows.append(("1080p", 10, "17"))  # ~3.6 Mbit/s: a web upload's bitrate
    for label, gop_s, crf in rows:
        size = SIZES[label]
        wide = (size[0] + 64, size[1] + 32)
        scenes = [(picture(10 + i, wide), FPS * 4) for i in range(5)]
        name = f"cost_{label}_gop{gop_s}" + ("" if crf == "23" else f"_crf{crf}")
        data = cached(cache, name, partial(encode, scenes, size, FPS * gop_s, options={"crf": crf}))
        mbit = len(data) * 8 / 20 / 1e6
        cells = []
        for module in modules.values():
            ms, item = cpu_ms(module, data, repeat)
            count = len(item.frames) if not isinstance(item, Exception) else type(item).__name__
            cells.append(f"{ms:.0f} / {count}")
        print(
            f"| {label}, keyframe every {gop_s} s, crf {crf} | {mbit:.1f} | "
            + " | ".join(cells)
            + " |",
            flush=True,
        )


def bench_hostile(modules: dict[str, ModuleType], cache: Path, repeat: int) -> None:
    print("\n## hostile: one GOP built to be slow, CPU ms per decode_media")
    print("| clip | MB | " + " | ".join(f"{n}: ms / outcome" for n in modules) + " |")
    print("|---|---|" + "---|" * len(modules))
    rng = np.random.default_rng(5)
    clips: list[tuple[str, Callable[[], bytes]]] = []

    def noisy(size: tuple[int, int], crf: str) -> Callable[[], bytes]:
        def build() -> bytes:
            scenes = [
                (rng.integers(0, 256, (size[1] + 32, size[0] + 64, 3), dtype=np.uint8), 1)
                for _ in range(8)
            ] * 400
            return encode(
                scenes,
                size,
                100_000,
                options={"crf": crf, "bf": "0", "tune": "zerolatency"},
                noise=0,
                max_bytes=19_000_000,
            )

        return build

    clips.append(("1080p noise crf 30, no B-frames, up to 19 MB", noisy((1920, 1080), "30")))
    clips.append(("360p noise crf 18, no B-frames, up to 19 MB", noisy((640, 360), "18")))
    clips.append(
        (
            "4K picture+noise crf 23, 120 frames",
            lambda: encode([(picture(3, (3840 + 64, 2160 + 32)), 120)], (3840, 2160), 130),
        )
    )
    clips.append(
        (
            "64x64, 6000 frames",
            lambda: encode([(picture(4, (64 + 64, 64 + 32)), 6000)], (64, 64), 6010),
        )
    )
    clips.append(
        (
            "4K noise keyframe, then 2 s of it still",
            lambda: encode(
                [(rng.integers(0, 256, (2160 + 32, 3840 + 64, 3), dtype=np.uint8), 1)] * 50,
                (3840, 2160),
                1000,
                options={"crf": "14", "bf": "0"},
                noise=0,
                pan=False,
            ),
        )
    )
    clips.append(
        (
            "1080p noise keyframes, a new one every 1.2 s, up to 20 MB",
            lambda: encode(
                [
                    (rng.integers(0, 256, (1080 + 32, 1920 + 64, 3), dtype=np.uint8), 30)
                    for _ in range(12)
                ],
                (1920, 1080),
                30,
                options={"crf": "30", "bf": "0", "tune": "zerolatency"},
                noise=0,
                pan=False,
                max_bytes=17_000_000,
            ),
        )
    )
    for name, build in clips:
        key = hashlib.sha1(name.encode()).hexdigest()[:10]
        data = cached(cache, f"hostile_{key}", build)
        cells = []
        for module in modules.values():
            ms, item = cpu_ms(module, data, repeat)
            outcome = (
                getattr(item, "code", type(item).__name__)
                if isinstance(item, Exception)
                else f"{len(item.frames)} samples"
            )
            cells.append(f"{ms:.0f} / {outcome}")
        print(f"| {name} | {len(data) / 1e6:.1f} | " + " | ".join(cells) + " |", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", default="HEAD", help="git revision of the 'before' module")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "fw-video")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", choices=("reach", "cost", "hostile"), action="append")
    parser.add_argument("--no-bframes", action="store_true", help="reach clips without B-frames")
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    modules = {f"before ({args.before})": before_module(args.before), "after": after}
    print(
        f"budgets after: {after.MAX_FORWARD_FRAMES} frames,"
        f" {after.MAX_FORWARD_PIXELS / 1e6:.0f} M pixels a video"
    )
    only = set(args.only or ("reach", "cost", "hostile"))
    if "reach" in only:
        bench_reach(modules, args.cache, args.repeat, bframes=not args.no_bframes)
    if "cost" in only:
        bench_cost(modules, args.cache, args.repeat)
    if "hostile" in only:
        bench_hostile(modules, args.cache, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
