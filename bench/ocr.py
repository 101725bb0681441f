"""OCR cost per image: what reading the text of a picture costs the media check.

    nice .venv/bin/python bench/ocr.py [--repeat 3]

Generated ad-like pictures (English and Chinese captions, a URL; no one's photo) at three
sizes, plus a picture without text. For each it prints the median seconds of:

- ``rapidocr default``: RapidOCR as shipped (its detector scales the short side *up* to
  736 px) — the peer, measured in the same run;
- ``ours``: ``server.media.ocr.OcrEngine.read`` (long side reduced to 960 px, at most 40
  lines, one thread);
- ``probe``: the detection-only pass that decides whether a text-less picture is read at all;
- ``cached``: the same file again (sha256 cache);

and whether the expected words were read. Ratios are against the peer.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from server.media.ocr import OcrEngine

FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"
LINES = ("Send 1 BTC, get 2 BTC back!", "限时活动 扫码领取 安全账户", "www.elon-giveaway.xyz")
EXPECT = ("BTC", "安全账户", "giveaway")


def ad(width: int, height: int) -> Image.Image:
    rng = np.random.default_rng(width)
    base = rng.integers(0, 255, size=(height // 16 + 1, width // 16 + 1, 3), dtype=np.uint8)
    image = Image.fromarray(base).resize((width, height), Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, max(14, width // 22))
    for i, line in enumerate(LINES):
        y = int(height * (0.06 + 0.1 * i)) if i < 2 else int(height * 0.88)
        box = draw.textbbox((width // 18, y), line, font=font)
        draw.rectangle(box, fill=(250, 250, 250))
        draw.text((width // 18, y), line, font=font, fill=(200, 0, 0) if i == 1 else (0, 0, 0))
    return image


def median_seconds(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from rapidocr_onnxruntime import RapidOCR

    peer = RapidOCR(intra_op_num_threads=1, inter_op_num_threads=1)
    ours = OcrEngine()
    ours.warm()
    cases = {
        "ad 540x675": ad(540, 675),
        "ad 1080x1350": ad(1080, 1350),
        "screenshot 1920x1080": ad(1920, 1080),
        "no text 1080x1350": Image.new("RGB", (1080, 1350), (60, 90, 120)),
    }
    # Seconds are wall time: on a shared machine they grow with the load, the ratio does not.
    print(f"load average before: {os.getloadavg()[0]:.1f} (2 cores)")
    print(
        f"{'image':22} {'peer s':>7} {'ours s':>7} {'ratio':>6} {'ours cpu s':>10} {'probe s':>8} "
        f"{'cached ms':>9}  words read (ours / peer)"
    )
    for name, image in cases.items():
        bgr = np.ascontiguousarray(np.asarray(image)[:, :, ::-1])
        peer_s = median_seconds(lambda bgr=bgr: peer(bgr), args.repeat)
        cpu_started = time.process_time()
        ours_s = median_seconds(lambda image=image: ours.read(image), args.repeat)
        ours_cpu = (time.process_time() - cpu_started) / args.repeat
        probe_s = median_seconds(lambda image=image: ours.has_text_region(image), args.repeat)
        ours.read(image, key=name)
        cached_ms = median_seconds(lambda image=image, name=name: ours.read(image, key=name), 5)
        text = ours.read(image).text
        peer_result, _ = peer(bgr)
        peer_text = " ".join(r[1] for r in peer_result or [])
        found = sum(w in text for w in EXPECT)
        peer_found = sum(w in peer_text for w in EXPECT)
        expected = len(EXPECT) if "no text" not in name else 0
        print(
            f"{name:22} {peer_s:7.2f} {ours_s:7.2f} {ours_s / peer_s:6.2f} {ours_cpu:10.2f} {probe_s:8.3f} "
            f"{cached_ms * 1000:9.3f}  {found}/{expected} / {peer_found}/{expected}"
        )

    print(f"load average after: {os.getloadavg()[0]:.1f} (2 cores)")


if __name__ == "__main__":
    main()
