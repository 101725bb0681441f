"""Where the time of one 1080p media check goes, beside PIL's draft decode (same run).

``bench/media_speed.py --only check`` gives the target figure (decode + every MEDIA detector
through ``Pipeline.score_sync``, against PIL's draft decode). This script adds what that
figure is made of and the path the server really takes:

- ``score_sync``: the bench's figure (one thread, detectors one after the other);
- ``server path``: ``decode_media`` in a 2-thread executor (the app's ``CPU_THREADS``), the
  async ``Pipeline.score`` on it (detectors in parallel), then the community report's hash
  of the picture (``item_hashes``), as ``POST /v1/check/media`` does;
- CPU per stage (``time.thread_time`` of the thread doing it): decode, YuNet, the regions
  hashed without faces, the face region, the bank lookup, each other detector, and the
  community hash once the check has run.

``--repo PATH`` imports the server from another checkout (a ``git archive`` of an older
commit) so two versions are measured back to back with the same script:

    flock /work/bench.lock .venv/bin/python bench/media_check_profile.py [--repo /tmp/old]
"""

from __future__ import annotations

import os

# As the server does (server/__init__.py), before numpy is first imported: OpenBLAS's
# spinning threads would otherwise stall the hashes' matrix products here and not there.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import asyncio
import io
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=HERE)
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--bank", type=int, default=200)
    args = parser.parse_args()
    repo = args.repo.resolve()
    sys.path.insert(0, str(repo))
    print(f"repo {repo}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    run(repo, args.repeat, args.bank)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")
    return 0


def photo_1080p() -> bytes:
    """The bench's picture: the shared 1080p press photo re-encoded (read, never copied)."""
    from PIL import Image

    source = HERE.parent / "shared/data/images/celebrities/face_recognition/obama-1080p.jpg"
    image = Image.open(source).convert("RGB").resize((1920, 1080))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def median_ms(times: list[float]) -> float:
    return statistics.median(times) * 1000


def run(repo: Path, repeat: int, bank_entries: int) -> None:
    from PIL import Image

    from server.community.media_hashes import item_hashes
    from server.engine import Engine
    from server.media.decode import DecodeLimits, _draft_box, decode_media
    from server.scoring.detector import ContentKind
    from server.settings import Settings

    data = photo_1080p()
    engine = Engine.build(Settings())
    synthetic_bank(engine, bank_entries)
    limits = DecodeLimits()
    with Image.open(io.BytesIO(data)) as img:
        work_size = _draft_box(img.width, img.height, limits.work_side)

    def draft() -> None:
        with Image.open(io.BytesIO(data)) as img:
            img.draft("RGB", (1024, 1024))
            img.load()

    def draft_work() -> None:
        with Image.open(io.BytesIO(data)) as img:
            img.draft("RGB", work_size)
            img.load()

    def score_sync() -> None:
        item = decode_media(data, limits)
        engine.pipeline.score_sync(ContentKind.MEDIA, [item])

    executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="cpu")

    async def server_path() -> None:
        loop = asyncio.get_running_loop()
        item = await loop.run_in_executor(executor, decode_media, data, limits)
        await engine.pipeline.score(ContentKind.MEDIA, [item], executor)
        await loop.run_in_executor(executor, item_hashes, item)

    loop = asyncio.new_event_loop()
    walls: dict[str, list[float]] = {}
    rows: list[tuple[str, Any]] = [
        ("PIL draft decode (peer)", draft),
        (f"PIL draft decode to {work_size[0]}x{work_size[1]}", draft_work),
        ("decode_media", lambda: decode_media(data, limits)),
        ("decode + MEDIA detectors, score_sync (bench)", score_sync),
        (
            "server path: executor, async score, report hash",
            lambda: loop.run_until_complete(server_path()),
        ),
    ]
    for _, fn in rows:  # warm-up: sessions, caches, the face thread
        fn()
        fn()
    # Interleaved, so a burst of load elsewhere touches every row alike.
    for _ in range(repeat):
        for name, fn in rows:
            started = time.perf_counter()
            fn()
            walls.setdefault(name, []).append(time.perf_counter() - started)
    peer = median_ms(walls[rows[0][0]])
    strict = median_ms(walls[rows[1][0]])
    # The minimum is what a run that nothing else interrupted took: on a shared, busy
    # machine it moves far less between sessions than the median.
    fastest = min(walls[rows[0][0]]) * 1000
    print(
        f"1080p JPEG ({len(data)} bytes), wall ms, median (and min) of {repeat},"
        f" bank {bank_entries} fakes"
    )
    for name, _ in rows:
        ms, low = median_ms(walls[name]), min(walls[name]) * 1000
        print(
            f"  {name:50s} {ms:7.1f} ms  {ms / peer:4.1f}x peer  {ms / strict:4.1f}x strict"
            f"   (min {low:6.1f} ms  {low / fastest:4.1f}x peer's min)"
        )
    stages(engine, data, limits, repeat)
    executor.shutdown()
    loop.close()


def stages(engine: Any, data: bytes, limits: Any, repeat: int) -> None:
    from server.community.media_hashes import item_hashes
    from server.media import hashing
    from server.media.decode import decode_media
    from server.media.faces import FaceDetector
    from server.scoring.detector import ContentKind

    item = decode_media(data, limits)
    image = item.frames[0].image
    faces = FaceDetector(engine.resources.models.get("yunet"))
    found = faces.detect(image)
    regions = hashing.hash_regions(image, found, bank=False)
    bank = engine.resources.known_fakes.current
    detectors = {d.name: d for d in engine.detectors if ContentKind.MEDIA in d.kinds}
    split = hasattr(hashing, "FrameHasher")

    def cpu(fn: Any, on_frame: bool = False) -> float:
        # ``on_frame``: ``fn`` gets a copy of the frame made before the clock starts, as a
        # check's stages each meet a frame whose reduction nobody shared yet
        # (``server.media.shrink`` keeps it per frame: on one frame it would be free).
        def call(frame: Any) -> None:
            if on_frame:
                fn(frame)
            else:
                fn()

        call(image.copy())
        times = []
        for _ in range(repeat):
            frame = image.copy()
            started = time.thread_time()
            call(frame)
            times.append(time.thread_time() - started)
        return median_ms(times)

    def checked_item() -> Any:
        fresh = decode_media(data, limits)
        engine.pipeline.score_sync(ContentKind.MEDIA, [fresh])
        return fresh

    def detector_cpu(name: str) -> float:
        times = []
        for _ in range(repeat):
            fresh = decode_media(data, limits)
            fresh.memo("faces:yunet", lambda: (found,))
            started = time.thread_time()
            detectors[name].score(fresh)
            times.append(time.thread_time() - started)
        return median_ms(times)

    print("  CPU ms per stage (thread_time, median):")
    figures = [
        ("decode_media", cpu(lambda: decode_media(data, limits))),
        ("YuNet face detection", cpu(faces.detect, on_frame=True)),
        (
            f"all {len(regions)} query regions (hash_regions)",
            cpu(lambda frame: hashing.hash_regions(frame, found, bank=False), on_frame=True),
        ),
    ]
    if split:
        figures += [
            (
                "  of which regions without faces",
                cpu(lambda frame: hashing.FrameHasher(frame).regions(bank=False), on_frame=True),
            ),
            (
                "  of which the face region",
                cpu(lambda: hashing.FrameHasher(image).face_regions(found)),
            ),
        ]
    figures.append(("bank lookup", cpu(lambda: bank.match(regions))))
    for name in ("known_fakes", "ai_face", "ai_labels", "impersonation"):
        if name in detectors:
            figures.append((f"detector {name} (faces given)", detector_cpu(name)))
    items = [checked_item() for _ in range(repeat + 1)]
    figures.append(("community report hash after the check", cpu(lambda: item_hashes(items.pop()))))
    for name, ms in figures:
        print(f"    {name:48s} {ms:7.2f}")


def synthetic_bank(engine: Any, entries: int) -> None:
    """The bench's bank: generated pictures hashed as the bank hashes them."""
    import numpy as np
    from PIL import Image

    from server.media.bank import KnownFake, KnownFakesIndex, Status, StoredHash
    from server.media.hashing import HashKind, hash_regions

    rng = np.random.default_rng(7)
    fakes, rows = [], []
    for fake_id in range(1, entries + 1):
        low = rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)
        image = Image.fromarray(low, "RGB").resize((640, 480), Image.Resampling.BICUBIC)
        fakes.append(KnownFake(fake_id, f"fake {fake_id}", Status.CONFIRMED, "bench", "now"))
        for region in hash_regions(image, [], bank=True):
            hexes = {kind: region.hex(kind) for kind in region.hashes}
            rows.append(
                StoredHash(
                    fake_id,
                    region.region,
                    0,
                    hexes.get(HashKind.PDQ),
                    hexes.get(HashKind.PHASH),
                    hexes.get(HashKind.DHASH),
                )
            )
    engine.resources.known_fakes.swap(KnownFakesIndex.build(fakes, rows, 1))


if __name__ == "__main__":
    raise SystemExit(main())
