"""The bank's own regions (review 36 F4, F5): mirrored 75 % windows and turned boxes, on
generated pictures (no photo of anyone). Each copy below is checked twice: it meets its entry
through those rows, and a bank built without them misses it (so the rows, not luck, carry the
match) -- in process (``hash_regions`` and ``HashIndex``) and through the real server, whose
control instances run with ``_MIRRORED_CROPS`` or ``_TURNS`` emptied. Unrelated pictures,
mirrored, cropped or turned the same way, meet no entry."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from PIL import Image

from server.media import hashing
from server.media.hashing import FrameHasher, RegionHash, hash_regions, strip_box
from server.media.matching import HashIndex
from tests.support.server import RunningServer, start_server
from tests.test_known_fakes_api import add_fake, check, jpeg, picture

SEEDS = (40, 41, 42, 43)
TARGET = 2


def bank(pictures: list[Image.Image]) -> HashIndex:
    index = HashIndex()
    for entry, image in enumerate(pictures):
        index.add(entry, hash_regions(image, [], bank=True))
    return index.freeze()


def crop_mirror(image: Image.Image, x: float, y: float) -> Image.Image:
    """75 % of each side from ``x``, ``y`` (fractions), mirrored."""
    w, h = image.size
    box = (round(w * x), round(h * y), round(w * (x + 0.75)), round(h * (y + 0.75)))
    return image.crop(box).transpose(Image.Transpose.FLIP_LEFT_RIGHT)


def turned(image: Image.Image, angle: float, fill: tuple[int, int, int]) -> Image.Image:
    return image.rotate(angle, resample=Image.Resampling.BILINEAR, expand=True, fillcolor=fill)


@pytest.fixture(scope="module")
def originals() -> list[Image.Image]:
    return [picture(seed) for seed in SEEDS]


# The bench's off-centre crop (20 % / 5 % in, mirrored), and the two far corners.
CROPS = [(0.20, 0.05), (0.0, 0.0), (0.25, 0.25)]


@pytest.mark.parametrize(("x", "y"), CROPS)
def test_a_mirrored_off_centre_crop_meets_its_entry_through_a_mirrored_window(
    originals: list[Image.Image], x: float, y: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = crop_mirror(originals[TARGET], x, y)
    found = bank(originals).match(hash_regions(copy, [], bank=False))
    assert [m.entry for m in found] == [TARGET]
    assert found[0].bank_region.endswith("~mirror"), found[0]
    assert found[0].bank_region not in ("full~mirror", "face~mirror"), found[0]

    monkeypatch.setattr(hashing, "_MIRRORED_CROPS", ())
    assert bank(originals).match(hash_regions(copy, [], bank=False)) == []


@pytest.mark.parametrize(
    ("angle", "fill"), [(10, (255, 255, 255)), (-10, (0, 0, 0)), (15, (255, 255, 255))]
)
def test_a_copy_turned_on_a_grown_canvas_meets_its_entry_through_a_turned_box(
    originals: list[Image.Image],
    angle: int,
    fill: tuple[int, int, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    copy = turned(originals[TARGET], angle, fill)
    found = bank(originals).match(hash_regions(copy, [], bank=False))
    assert [m.entry for m in found] == [TARGET]
    assert found[0].bank_region.startswith("turn"), found[0]

    monkeypatch.setattr(hashing, "_TURNS", ())
    assert bank(originals).match(hash_regions(copy, [], bank=False)) == []


def test_bank_only_regions_are_named_and_the_query_has_none(
    originals: list[Image.Image],
) -> None:
    image = originals[0]
    names = [r.region for r in hash_regions(image, [], bank=True)]
    mirrored = [name for name in names if name.endswith("~mirror")]
    # Stored names stay as they were (rows already in a bank keep meaning the same region).
    assert mirrored == ["full~mirror", "centre64~mirror"] + [
        f"w75_{ix}{iy}~mirror" for ix in range(5) for iy in range(5)
    ]
    assert [name for name in names if name.startswith("turn")] == [
        "turn-15",
        "turn-10",
        "turn+10",
        "turn+15",
    ]
    # A studio-style picture (a uniform band beside it) is stripped: the bank then keeps the
    # mirrored windows of the picture as given too.
    padded = Image.new("RGB", (image.width + 200, image.height), (235, 235, 235))
    padded.paste(image, (0, 0))
    names = [r.region for r in hash_regions(padded, [], bank=True)]
    assert "raw" in names
    assert "raw:centre64~mirror" in names and "raw:w75_22~mirror" in names
    # The query pays nothing for them.
    query = [r.region for r in hash_regions(padded, [], bank=False)]
    assert not [name for name in query if "~" in name or name.startswith("turn")]


@pytest.mark.parametrize("size", [(640, 480), (480, 640), (1280, 480), (300, 300)])
@pytest.mark.parametrize("angle", [-15, -10, 10, 15])
def test_the_turned_box_is_the_querys_centre80_and_holds_no_fill(
    size: tuple[int, int], angle: int
) -> None:
    image = picture(44, size)
    grown = turned(image, angle, (0, 0, 0))
    inside = np.asarray(Image.new("L", size, 255).rotate(angle, expand=True, fillcolor=0))
    box = hashing._turned_box(grown, inside == 255)
    assert box is not None
    left, top, right, bottom = box
    assert inside[top:bottom, left:right].min() == 255  # no fill pixel in it
    # Within a few pixels of what the query itself hashes as ``centre80`` (black fill here,
    # the bank turns on white: stripping cuts both alike).
    s_left, s_top, s_right, s_bottom = strip_box(grown)
    width, height = s_right - s_left, s_bottom - s_top
    query = (
        s_left + width * 0.1,
        s_top + height * 0.1,
        s_right - width * 0.1,
        s_bottom - height * 0.1,
    )
    assert right - left <= query[2] - query[0] + 2 and bottom - top <= query[3] - query[1] + 2
    assert (right - left) * (bottom - top) >= 0.6 * (query[2] - query[0]) * (query[3] - query[1])


def padded(image: Image.Image) -> Image.Image:
    """A studio-style picture: a uniform band beside it, which stripping cuts."""
    out = Image.new("RGB", (image.width + 200, image.height), (235, 235, 235))
    out.paste(image, (0, 0))
    return out


# Corners where, once the band is partly cropped away, stripping cuts the copy differently
# from the bank's stripped picture: only the mirrored windows of the picture as given meet it.
PADDED_CROPS = [(0.0, 0.0), (0.25, 0.0), (0.25, 0.25)]


@pytest.mark.parametrize(("x", "y"), PADDED_CROPS)
def test_a_mirrored_crop_of_a_picture_on_a_band_meets_a_mirrored_window_of_it_as_given(
    originals: list[Image.Image], x: float, y: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    pictures = [padded(image) for image in originals]
    copy = crop_mirror(pictures[TARGET], x, y)
    found = bank(pictures).match(hash_regions(copy, [], bank=False))
    assert [m.entry for m in found] == [TARGET]
    assert found[0].bank_region.startswith("raw:w75_"), found[0]
    assert found[0].bank_region.endswith("~mirror"), found[0]

    shipped = FrameHasher.mirror_regions

    def stripped_only(self: FrameHasher, *, frame: int = 0) -> list[RegionHash]:
        return [r for r in shipped(self, frame=frame) if not r.region.startswith("raw:")]

    monkeypatch.setattr(FrameHasher, "mirror_regions", stripped_only)
    assert bank(pictures).match(hash_regions(copy, [], bank=False)) == []


def altered(image: Image.Image) -> dict[str, Image.Image]:
    """The copies the bank-only rows are there for."""
    return {
        "as is": image,
        "crop 20/5 % + mirror": crop_mirror(image, 0.20, 0.05),
        "crop corner + mirror": crop_mirror(image, 0.0, 0.0),
        "turn 10 on white": turned(image, 10, (255, 255, 255)),
        "turn -15 on black": turned(image, -15, (0, 0, 0)),
    }


def test_unrelated_pictures_mirrored_cropped_or_turned_meet_no_entry(
    originals: list[Image.Image],
) -> None:
    index = bank(originals + [padded(image) for image in originals])
    for seed in range(50, 62):
        for name, copy in altered(picture(seed)).items():
            assert index.match(hash_regions(copy, [], bank=False)) == [], (seed, name)


# --- Through the real server: ``POST /v1/known-fakes`` enrols (``server.media.enrol``), the
# check hashes the query (``known_fakes``), the answer names the bank row that matched.

#: Runs ``python -m server`` with the hashing module's named tuples emptied (argv[1]).
_WITHOUT = (
    "import runpy, sys\n"
    "import server.media.hashing as hashing\n"
    "for name in sys.argv.pop(1).split(','):\n"
    "    setattr(hashing, name, ())\n"
    "runpy.run_module('server', run_name='__main__', alter_sys=True)\n"
)
#: The server as shipped, and two controls, each without one of the bank-only row families.
SERVERS = {
    "shipped": (),
    "no_mirrored_windows": ("_MIRRORED_CROPS",),
    "no_turned_copies": ("_TURNS",),
}

Banked = dict[str, tuple[RunningServer, list[int]]]


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Banked]:
    """Each server with the four originals enrolled (ids in ``SEEDS`` order)."""
    started: Banked = {}
    try:
        for name, emptied in SERVERS.items():
            prefix = [sys.executable, "-c", _WITHOUT, ",".join(emptied)] if emptied else None
            server = start_server(tmp_path_factory.mktemp(name), argv_prefix=prefix)
            started[name] = (server, [])
            started[name][1].extend(add_fake(server, picture(seed)) for seed in SEEDS)
        yield started
    finally:
        for server, _ in started.values():
            server.stop()


def exported_regions(server: RunningServer, fake_id: int) -> set[str]:
    exported = server.request("GET", "/v1/known-fakes/export?format=json").json()
    (entry,) = [e for e in exported["known_fakes"] if e["id"] == fake_id]
    return {row["region"] for row in entry["hashes"]}


MIRRORED_WINDOWS = {"centre64~mirror"} | {
    f"w75_{ix}{iy}~mirror" for ix in range(5) for iy in range(5)
}
TURNED = {"turn-15", "turn-10", "turn+10", "turn+15"}


def test_an_enrolled_picture_keeps_its_mirrored_windows_and_turned_copies(
    servers: Banked,
) -> None:
    server, ids = servers["shipped"]
    regions = exported_regions(server, ids[TARGET])
    assert regions >= MIRRORED_WINDOWS | TURNED | {"full~mirror", "full", "w75_22"}
    # The controls really lack what they were started without, and only that.
    server, ids = servers["no_mirrored_windows"]
    regions = exported_regions(server, ids[TARGET])
    assert not MIRRORED_WINDOWS & regions and regions >= TURNED | {"full~mirror"}
    server, ids = servers["no_turned_copies"]
    regions = exported_regions(server, ids[TARGET])
    assert not TURNED & regions and regions >= MIRRORED_WINDOWS


def matches(server: RunningServer, copy: Image.Image) -> list[dict[str, Any]]:
    verdict = check(server, jpeg(copy))
    assert (verdict["verdict"] == "likely_scam") == bool(verdict["matches"]), verdict
    return list(verdict["matches"])


@pytest.mark.parametrize(("x", "y"), CROPS)
def test_the_server_meets_a_mirrored_off_centre_crop_through_a_mirrored_window(
    servers: Banked, x: float, y: float
) -> None:
    copy = crop_mirror(picture(SEEDS[TARGET]), x, y)
    server, ids = servers["shipped"]
    found = matches(server, copy)
    assert [m["id"] for m in found] == [ids[TARGET]], found
    assert found[0]["bank_region"] in MIRRORED_WINDOWS, found[0]
    assert "~" not in found[0]["region"], found[0]  # the query's own regions are unmirrored
    server, _ = servers["no_mirrored_windows"]
    assert matches(server, copy) == []


@pytest.mark.parametrize(
    ("angle", "fill"), [(10, (255, 255, 255)), (-15, (255, 255, 255)), (-10, (0, 0, 0))]
)
def test_the_server_meets_a_copy_turned_on_a_grown_canvas_through_a_turned_copy(
    servers: Banked, angle: int, fill: tuple[int, int, int]
) -> None:
    copy = turned(picture(SEEDS[TARGET]), angle, fill)
    server, ids = servers["shipped"]
    found = matches(server, copy)
    assert [m["id"] for m in found] == [ids[TARGET]], found
    assert found[0]["bank_region"] == f"turn{angle:+d}", found[0]
    assert found[0]["region"] == "centre80", found[0]
    server, _ = servers["no_turned_copies"]
    assert matches(server, copy) == []


@pytest.mark.parametrize("seed", [50, 51, 52])
def test_the_server_meets_no_entry_for_an_unrelated_picture_however_altered(
    servers: Banked, seed: int
) -> None:
    server, _ = servers["shipped"]
    for name, copy in altered(picture(seed)).items():
        assert matches(server, copy) == [], name
