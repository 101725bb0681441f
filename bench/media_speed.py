"""Media speed: a 1080p check vs PIL's draft decode, bank lookups at 1M/10M hashes, and
/healthz latency while the media endpoint is saturated.

1. ``check``: server-side work for one 1080p JPEG (``decode_media`` + every MEDIA detector
   the server runs, through the real ``Pipeline``), beside the time PIL alone takes to
   draft-decode the same file (the peer, same run). Target <= 1.5x.
2. ``lookup``: ``HashIndex.match`` for one picture's query regions against 1M and 10M
   synthetic random bank rows (each with PDQ, pHash and dHash), and 1M PDQ-only rows, with
   the index's memory. Target <= 2 ms at 10M, <= 1 GB.
3. ``healthz``: the real server under N concurrent media checks; p50/p99 of /healthz.
   Target p99 <= 20 ms.

    .venv/bin/python bench/media_speed.py [--sizes 1000000,10000000] [--seconds 20]
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
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from server.api.app import GIL_SWITCH_INTERVAL_S  # noqa: E402
from server.api.media import MAX_CLIENT_HASHES  # noqa: E402
from server.engine import Engine  # noqa: E402
from server.media.decode import DecodeLimits, _draft_box, decode_media  # noqa: E402
from server.media.hashing import HashKind, RegionHash  # noqa: E402
from server.media.matching import HashIndex  # noqa: E402
from server.scoring.detector import ContentKind  # noqa: E402
from server.settings import Settings  # noqa: E402

SHARED = REPO.parent / "shared"


def photo_1080p() -> bytes:
    """The shared 1080p press photo re-encoded (read from ../shared, never copied)."""
    source = SHARED / "data" / "images" / "celebrities" / "face_recognition" / "obama-1080p.jpg"
    image = Image.open(source).convert("RGB").resize((1920, 1080))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def timed(fn, repeat: int) -> list[float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times


def synthetic_bank(engine: Engine, entries: int) -> int:
    """Fill the engine's known-fakes bank with ``entries`` generated pictures hashed as the
    bank hashes them (every region, mirrors): a check then pays for a real lookup."""
    from server.media.bank import KnownFake, KnownFakesIndex, Status, StoredHash
    from server.media.hashing import hash_regions

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
    return len(rows)


def bench_check(repeat: int, bank_entries: int) -> None:
    # The server's GIL switch interval (``server/api/app.py`` sets it at start-up; CPython's
    # default is 5 ms): the face thread and the hashing thread hand the GIL over as they do
    # in the server, not five times more slowly.
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
    data = photo_1080p()
    engine = Engine.build(Settings())
    bank_rows = synthetic_bank(engine, bank_entries)
    limits = DecodeLimits()
    with Image.open(io.BytesIO(data)) as img:
        work_size = _draft_box(img.width, img.height, limits.work_side)

    def draft_only() -> None:
        with Image.open(io.BytesIO(data)) as img:
            img.draft("RGB", (1024, 1024))
            img.load()

    def draft_work_size() -> None:
        with Image.open(io.BytesIO(data)) as img:
            img.draft("RGB", work_size)
            img.load()

    def decode_only() -> None:
        decode_media(data, limits)

    def full_check() -> None:
        item = decode_media(data, limits)
        engine.pipeline.score_sync(ContentKind.MEDIA, [item])

    def known_fakes_only() -> None:
        item = decode_media(data, limits)
        detector = next(d for d in engine.detectors if d.name == "known_fakes")
        detector.score(item)

    for fn in (draft_only, full_check):  # warm-up (model sessions, first-call costs)
        fn()
    rows = [
        ("PIL draft decode alone (peer)", draft_only),
        (f"PIL draft decode to {work_size[0]}x{work_size[1]} (stricter peer)", draft_work_size),
        ("decode_media (draft + orient + RGB + sha256)", decode_only),
        ("decode + known_fakes detector", known_fakes_only),
        ("decode + every MEDIA detector (server path)", full_check),
    ]
    print(
        f"1080p JPEG ({len(data)} bytes), median of {repeat}, bank of {bank_entries} known fakes"
        f" (GIL switch interval {sys.getswitchinterval() * 1000:g} ms, OpenBLAS threads"
        f" {os.environ.get('OPENBLAS_NUM_THREADS')}, as the server)"
        f" ({bank_rows} region hashes), media detectors: "
        + ", ".join(engine.pipeline.versions(ContentKind.MEDIA))
    )
    base = None
    strict = None
    for name, fn in rows:
        median = statistics.median(timed(fn, repeat))
        if base is not None and strict is None:
            strict = median
        base = base or median
        print(
            f"  {name:52s} {median * 1000:8.1f} ms  {median / base:5.1f}x"
            + (f"  {median / strict:5.1f}x stricter" if strict else "")
        )
    stage_breakdown(engine, data, limits, repeat)


def stage_breakdown(engine: Engine, data: bytes, limits: DecodeLimits, repeat: int) -> None:
    """CPU time (this thread) of each stage of one check, median of ``repeat``."""
    from server.media.faces import FaceDetector
    from server.media.hashing import hash_regions

    item = decode_media(data, limits)
    image = item.frames[0].image
    faces = FaceDetector(engine.resources.models.get("yunet"))
    found = faces.detect(image)
    regions = hash_regions(image, found, bank=False)
    bank = engine.resources.known_fakes.current
    detectors = {d.name: d for d in engine.detectors if ContentKind.MEDIA in d.kinds}

    def score(name: str):  # type: ignore[no-untyped-def]
        def run() -> None:
            fresh = decode_media(data, limits)
            fresh.memo("faces:yunet", lambda: (found,))
            started = time.thread_time()
            detectors[name].score(fresh)
            cpu.append(time.thread_time() - started)

        return run

    # YuNet and the hashes each run on a frame of their own (a copy made before the clock
    # starts): the frame's reduction is shared by whoever asks first (server.media.shrink),
    # so on one frame each stage would time the other's half of the work as free. Here each
    # pays it; in a check one of the two does.
    stages = [
        ("decode_media", lambda _: decode_media(data, limits)),
        ("YuNet face detection (320 px)", faces.detect),
        (
            f"region hashes ({len(regions)} regions)",
            lambda frame: hash_regions(frame, found, bank=False),
        ),
        ("bank lookup", lambda _: bank.match(regions)),
    ]
    print("  stages (CPU ms of this thread, median):")
    for name, fn in stages:
        fn(image.copy())
        times = []
        for _ in range(repeat):
            frame = image.copy()
            started = time.thread_time()
            fn(frame)
            times.append(time.thread_time() - started)
        print(f"    {name:48s} {statistics.median(times) * 1000:7.1f}")
    for name in ("ai_face", "ai_labels", "impersonation"):
        if name in detectors:
            cpu: list[float] = []
            for _ in range(repeat):
                score(name)()
            print(
                f"    detector {name + ' (faces given)':39s} {statistics.median(cpu) * 1000:7.1f}"
            )


def bench_lookup(sizes: list[int], pdq_only_sizes: list[int]) -> None:
    """``HashIndex.match`` against N random bank rows, each a region with PDQ, pHash and
    dHash (what the product stores for every region it hashes), and against N rows of PDQ
    alone (an imported ThreatExchange list). Random rows spread evenly over the chunk
    buckets; a real bank's pHashes cluster, so its buckets are fuller than these."""
    rng = np.random.default_rng(1)
    query = [
        RegionHash(
            f"q{i}",
            {
                HashKind.PDQ: rng.integers(0, 256, 32, dtype=np.uint8).tobytes(),
                HashKind.PHASH: rng.integers(0, 256, 8, dtype=np.uint8).tobytes(),
                HashKind.DHASH: rng.integers(0, 256, 8, dtype=np.uint8).tobytes(),
            },
            100,
        )
        for i in range(10)
    ]
    print(
        "lookup: 10 query regions (one picture) against N random bank rows"
        f" (load {os.getloadavg()[0]:.1f})"
    )
    for label, size in [("rows (PDQ+pHash+dHash)", s) for s in sizes] + [
        ("PDQ-only rows", s) for s in pdq_only_sizes
    ]:
        started = time.perf_counter()
        owner = np.arange(size, dtype=np.int64) // 40
        region = np.zeros(size, dtype=np.int16)
        if label.startswith("PDQ-only"):
            empty = np.empty((0, 8), np.uint8)
            index = HashIndex.from_arrays(
                ["full"],
                phash=empty,
                dhash=empty,
                owner=owner[:0],
                region=region[:0],
                pdq_only=rng.integers(0, 256, (size, 32), dtype=np.uint8),
                pdq_only_owner=owner,
                pdq_only_region=region,
            )
        else:
            index = HashIndex.from_arrays(
                ["full"],
                phash=rng.integers(0, 256, (size, 8), dtype=np.uint8),
                dhash=rng.integers(0, 256, (size, 8), dtype=np.uint8),
                pdq=rng.integers(0, 256, (size, 32), dtype=np.uint8),
                owner=owner,
                region=region,
            )
        built = time.perf_counter() - started
        index.match(query)
        per_picture = statistics.median(timed(lambda idx=index: idx.match(query), 15))
        one = statistics.median(timed(lambda idx=index: idx.match(query[:1]), 50))
        print(
            f"  N={size:>10,} {label}: build {built:5.1f} s, memory"
            f" {index.nbytes() / 2**20:5.0f} MiB, one region {one * 1000:6.2f} ms,"
            f" one picture (10 regions) {per_picture * 1000:6.2f} ms [{index.describe()}]",
            flush=True,
        )
        if not label.startswith("PDQ-only"):
            # A hashes-only client's check: its PDQ also counts alone, a scan of every row's
            # PDQ (server/api/media.py admits it through a media slot); the most it may send.
            client = [query[i % len(query)] for i in range(MAX_CLIENT_HASHES)]
            scan = statistics.median(
                timed(lambda idx=index, q=client: idx.match(q, pdq_alone=True), 3)
            )
            scan_one = statistics.median(
                timed(lambda idx=index: idx.match(query[:1], pdq_alone=True), 5)
            )
            print(
                f"  N={size:>10,} hashes-only client (PDQ also alone, scanned):"
                f" one region {scan_one * 1000:6.1f} ms,"
                f" {MAX_CLIENT_HASHES} regions (the most a check sends) {scan * 1000:6.1f} ms",
                flush=True,
            )
        del index


def generated_jpeg(seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    low = rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(low, "RGB").resize((640, 480), Image.Resampling.BICUBIC).save(buffer, "JPEG")
    return buffer.getvalue()


async def bench_healthz(seconds: float, clients: int, bank_entries: int) -> None:
    import aiohttp

    from tests.support.server import ADMIN_KEY, start_server

    data = photo_1080p()
    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(Path(tmp))
        try:
            async with aiohttp.ClientSession() as session:
                headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
                # A bank to match against (an empty bank skips the region hashes).
                for seed in range(bank_entries):
                    form = aiohttp.FormData()
                    form.add_field("label", f"bench fake {seed}")
                    form.add_field("file", generated_jpeg(seed), filename="f.jpg")
                    async with session.post(
                        server.url + "/v1/known-fakes", data=form, headers=headers
                    ) as response:
                        assert response.status == 201, await response.text()
                stop = time.monotonic() + seconds
                done = busy = 0

                async def media_client() -> None:
                    nonlocal done, busy
                    while time.monotonic() < stop:
                        form = aiohttp.FormData()
                        form.add_field("file", data, filename="x.jpg", content_type="image/jpeg")
                        async with session.post(
                            server.url + "/v1/check/media", data=form, headers=headers
                        ) as response:
                            await response.read()
                            done += response.status == 200
                            busy += response.status == 503

                async def probe() -> list[float]:
                    samples = []
                    await asyncio.sleep(1.0)
                    while time.monotonic() < stop:
                        started = time.perf_counter()
                        async with session.get(server.url + "/healthz") as response:
                            await response.read()
                        samples.append(time.perf_counter() - started)
                        await asyncio.sleep(0.05)
                    return samples

                results = await asyncio.gather(probe(), *(media_client() for _ in range(clients)))
                samples = sorted(results[0])
            p50 = samples[len(samples) // 2] * 1000
            p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))] * 1000
            print(
                f"healthz under {clients} concurrent 1080p media checks for {seconds:.0f} s:"
                f" {len(samples)} probes, p50 {p50:.1f} ms, p99 {p99:.1f} ms, max"
                f" {samples[-1] * 1000:.1f} ms; media checks done {done}"
                f" ({done / seconds:.1f}/s), refused busy {busy}; bank {bank_entries} known fakes"
            )
        finally:
            server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,10000000")
    parser.add_argument("--pdq-only-sizes", default="1000000")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--bank", type=int, default=200, help="known fakes in the check's bank")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--only", choices=("check", "lookup", "healthz"))
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    if args.only in (None, "check"):
        bench_check(args.repeat, args.bank)
    if args.only in (None, "lookup"):
        bench_lookup(
            [int(s) for s in args.sizes.split(",")],
            [int(s) for s in args.pdq_only_sizes.split(",") if s],
        )
    if args.only in (None, "healthz"):
        asyncio.run(bench_healthz(args.seconds, args.clients, min(args.bank, 50)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
