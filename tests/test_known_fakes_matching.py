"""Region hashing, the hash index and hash-list exchange, on generated pictures."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from server.media.hashing import HashKind, RegionHash, hash_regions, image_hashes, strip_borders
from server.media.matching import SCAN_LIMIT, THRESHOLDS, HashIndex
from server.storage import known_fakes as queries
from server.storage.database import connect
from tests.support.server import cli_env
from tests.test_known_fakes_api import jpeg, picture

REPO = Path(__file__).resolve().parents[1]


def test_uniform_frames_and_caption_bars_are_stripped() -> None:
    inner = picture(20, (400, 300))
    framed = Image.new("RGB", (480, 360), (240, 240, 240))
    framed.paste(inner, (40, 30))
    assert strip_borders(framed).size == (400, 300)
    captioned = Image.new("RGB", (400, 360), "white")
    captioned.paste(inner, (0, 0))
    ImageDraw.Draw(captioned).text((10, 320), "SEND 1 BTC GET 2 BACK", fill="black")
    assert strip_borders(captioned).size == (400, 300)
    assert strip_borders(inner).size == inner.size


def test_flat_and_tiny_pictures_are_not_hashed() -> None:
    assert image_hashes(Image.new("RGB", (300, 300), (20, 120, 220))) is None
    assert image_hashes(picture(21).resize((40, 30))) is None
    found = image_hashes(picture(21))
    assert found is not None and found[1] >= 50
    hashes, _ = found
    assert {len(hashes[k]) for k in HashKind} == {32, 8}


def index_of(*pictures: Image.Image) -> HashIndex:
    index = HashIndex()
    for entry, image in enumerate(pictures):
        index.add(entry, hash_regions(image, [], bank=True))
    return index.freeze()


def test_mirror_crop_and_frame_copies_match_their_own_entry_only() -> None:
    originals = [picture(seed) for seed in (30, 31, 32)]
    index = index_of(*originals)
    target = originals[1]
    framed = Image.new("RGB", (768, 576), (250, 250, 250))
    framed.paste(target, (64, 48))
    copies = {
        "mirror": target.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
        "crop": target.crop((32, 24, 608, 456)),
        "frame": framed,
        "jpeg": Image.open(io.BytesIO(jpeg(target, 40))).convert("RGB"),
    }
    for name, copy in copies.items():
        found = index.match(hash_regions(copy, [], bank=False))
        assert [m.entry for m in found] == [1], name
        best = found[0]
        assert best.distance <= best.threshold == THRESHOLDS[HashKind(best.kind.split("+")[0])]


def test_the_multi_index_finds_what_the_scan_finds() -> None:
    rng = np.random.default_rng(3)
    size = SCAN_LIMIT  # the multi-index is built from here on
    phash = rng.integers(0, 256, (size, 8), dtype=np.uint8)
    dhash = rng.integers(0, 256, (size, 8), dtype=np.uint8)
    # Plant near copies: entry 7 differs by 3 bits of pHash and 2 of dHash.
    probe_p, probe_d = phash[7].copy(), dhash[7].copy()
    probe_p[0] ^= 0b111
    probe_d[5] ^= 0b11
    owners = np.arange(size, dtype=np.int64)
    big = HashIndex.from_arrays(
        ["full"], phash=phash, dhash=dhash, owner=owners, region=np.zeros(size, np.int16)
    )
    small = HashIndex.from_arrays(
        ["full"],
        phash=phash[:1000],
        dhash=dhash[:1000],
        owner=owners[:1000],
        region=np.zeros(1000, np.int16),
    )
    query = [
        RegionHash("q", {HashKind.PHASH: probe_p.tobytes(), HashKind.DHASH: probe_d.tobytes()}, 100)
    ]
    assert [(m.entry, m.distance) for m in big.match(query)] == [(7, 3)]
    assert [(m.entry, m.distance) for m in small.match(query)] == [(7, 3)]


def run_cli(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server", "known-fakes", *args, "--db", str(db)],
        capture_output=True,
        text=True,
        env=cli_env(),
        cwd=REPO,
        timeout=120,
        check=False,
    )


def test_cli_add_export_import_check_round_trip(tmp_path: Path) -> None:
    original = tmp_path / "fake.jpg"
    original.write_bytes(jpeg(picture(40)))
    first, second = tmp_path / "a.db", tmp_path / "b.db"
    added = run_cli(
        "add", str(original), "--label", "Fake ad", "--person", "Jane Example", db=first
    )
    assert added.returncode == 0, added.stderr
    fake_id = int(added.stdout.strip())
    exported = run_cli("export", "--format", "csv", db=first)
    assert exported.stdout.startswith("signal_type,signal,known_fake_id")
    hash_list = tmp_path / "list.csv"
    hash_list.write_text(exported.stdout, encoding="utf-8")
    imported = run_cli("import", str(hash_list), db=second)
    assert imported.returncode == 0 and imported.stdout.startswith("imported 1 known fakes")
    copy = tmp_path / "copy.jpg"
    copy.write_bytes(jpeg(picture(40).crop((20, 20, 620, 460)), 60))
    checked = run_cli("check", str(copy), db=second)
    (line,) = checked.stdout.splitlines()
    matches = json.loads(line)["matches"]
    assert matches and matches[0]["label"] == "Fake ad" and matches[0]["person"] == "Jane Example"
    db = connect(first)
    assert queries.get(db, fake_id) is not None and queries.version(db) == 1


def test_bare_pdq_lines_and_bad_rows() -> None:
    from server.media.exchange import ImportFormatError, parse

    entries = parse("# from a partner\n" + "ab" * 32 + "\n", default_label="partner list")
    assert len(entries) == 1 and entries[0].label == "partner list"
    assert entries[0].hashes[0].hashes[HashKind.PDQ] == bytes.fromhex("ab" * 32)
    with pytest.raises(ImportFormatError, match="line 1"):
        parse("not-a-hash\n", default_label="x")
    with pytest.raises(ImportFormatError, match="format"):
        parse('{"known_fakes": []}', default_label="x")
