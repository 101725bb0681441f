"""Work one media check shares: the same hashes, however and wherever they are computed.

The known-fakes detector hashes the regions that need no face while YuNet and the face
regions (``face``, ``inner``) run on the face thread, and the community report reuses the check's whole-picture
hash. These tests pin that the answers are the ones computed the plain way, in order.
"""

from __future__ import annotations

import contextlib
import io
import threading
import time
from collections.abc import Iterator

import pytest
from PIL import Image, ImageDraw

from server.community.media_hashes import item_hashes
from server.engine import Engine
from server.media.decode import DecodeLimits, decode_media
from server.media.faces import FaceDetector
from server.media.hashing import HashKind, hash_regions, image_hashes
from server.media.inner_face import inner_regions
from server.media.item import MediaItem
from tests.conftest import SHARED

PHOTO = SHARED / "data" / "images" / "celebrities" / "face_recognition" / "obama-720p.jpg"


def jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def framed_photo() -> bytes:
    """The shared photo inside a screenshot-like frame with a caption (stripped regions)."""
    with Image.open(PHOTO) as opened:
        photo = opened.convert("RGB")
    canvas = Image.new("RGB", (photo.width + 80, photo.height + 140), (245, 245, 245))
    canvas.paste(photo, (40, 40))
    ImageDraw.Draw(canvas).text((50, photo.height + 70), "CLAIM YOUR BONUS", fill="black")
    return jpeg(canvas)


@pytest.mark.skipif(not PHOTO.exists(), reason="../shared/data/images is not there")
@pytest.mark.parametrize("framed", [False, True])
def test_query_hashes_with_the_face_thread_are_hash_regions_in_order(
    engine: Engine, framed: bool
) -> None:
    data = framed_photo() if framed else PHOTO.read_bytes()
    detector = next(d for d in engine.detectors if d.name == "known_fakes")
    item = decode_media(data, DecodeLimits())
    ours = detector.query_hashes(item)  # type: ignore[attr-defined]

    image = item.frames[0].image
    yunet = FaceDetector(engine.resources.models.get("yunet"))
    faces = yunet.detect(image)
    expected = [
        *hash_regions(image, faces, bank=False),
        *inner_regions(image, faces, yunet, bank=False),
    ]
    assert [r.region for r in ours] == [r.region for r in expected]
    assert {"face", "inner"} <= {r.region for r in ours}
    if framed:
        assert "raw" in [r.region for r in ours]
    assert [(r.hashes, r.quality) for r in ours] == [(r.hashes, r.quality) for r in expected]


@pytest.mark.skipif(not PHOTO.exists(), reason="../shared/data/images is not there")
def test_the_report_hash_after_a_check_is_the_whole_picture_hash(engine: Engine) -> None:
    for data in (PHOTO.read_bytes(), framed_photo()):
        checked = decode_media(data, DecodeLimits())
        detector = next(d for d in engine.detectors if d.name == "known_fakes")
        detector.query_hashes(checked)  # type: ignore[attr-defined]
        unchecked = decode_media(data, DecodeLimits())
        hashed = image_hashes(unchecked.frames[0].image)
        assert hashed is not None
        expected = {k.value: hashed[0][k].hex() for k in (HashKind.PDQ, HashKind.PHASH)}
        assert item_hashes(checked) == expected
        assert item_hashes(unchecked) == expected


@contextlib.contextmanager
def computing_elsewhere(item: MediaItem, key: str, value: str) -> Iterator[None]:
    """Another thread is inside ``item.memo(key, ...)`` for the whole block; it finishes with
    ``value`` when the block ends."""
    started, release = threading.Event(), threading.Event()

    def compute() -> str:
        started.set()
        assert release.wait(5)
        return value

    worker = threading.Thread(target=item.memo, args=(key, compute))
    worker.start()
    assert started.wait(5)
    try:
        yield
    finally:
        release.set()
        worker.join(5)


def test_a_memo_may_ask_for_another_key_while_others_compute_in_parallel() -> None:
    item = MediaItem.from_hashes({})
    with computing_elsewhere(item, "slow", "slow"):
        # While "slow" is being computed, another key (asking for a third inside) goes on.
        assert item.memo("outer", lambda: item.memo("inner", lambda: "in") + "+out") == "in+out"
    assert item.memo("slow", lambda: "computed twice") == "slow"


def test_the_face_thread_does_not_wait_for_a_key_its_owner_is_computing() -> None:
    item = MediaItem.from_hashes({})
    with computing_elsewhere(item, "faces", "owner's"):
        # The queued job gives up at once instead of queueing behind the owner...
        assert item.memo_unless_busy("faces", lambda: "thread's") is False
    # ...and the owner's result is the one every later caller gets.
    assert item.memo_unless_busy("faces", lambda: "thread's") is True
    assert item.memo("faces", lambda: "computed twice") == "owner's"
    # A key nobody is computing is computed by the thread, once.
    assert item.memo_unless_busy("scores", lambda: "thread's") is True
    assert item.memo("scores", lambda: "computed twice") == "thread's"


@pytest.mark.skipif(not PHOTO.exists(), reason="../shared/data/images is not there")
def test_the_ai_face_scores_computed_on_the_face_thread_are_the_ones_it_computes_itself(
    engine: Engine,
) -> None:
    detectors = {d.name: d for d in engine.detectors}
    early = decode_media(PHOTO.read_bytes(), DecodeLimits())
    detectors["known_fakes"].query_hashes(early)  # type: ignore[attr-defined]
    deadline = time.monotonic() + 10
    while not early.memoized("ai_face:scores") and time.monotonic() < deadline:
        time.sleep(0.01)
    assert early.memoized("ai_face:scores"), "the face thread scored the faces"

    alone = decode_media(PHOTO.read_bytes(), DecodeLimits())
    found = detectors["ai_face"].score(early)
    assert found == detectors["ai_face"].score(alone)
    assert found, "the photo's face is either scored or reported too large"
