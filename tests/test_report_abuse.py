"""Reports under abuse: what a flood, a sock-puppet key, a hostile multipart body or a padded
picture gets back, and what it leaves on disk (real server over HTTP, real SQLite file)."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.support.server import RunningServer, cli_env, start_server

BOUNDARY = "fwabuse"


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A server with tight limits: 3 reports a minute a reporter, 6 a key, one media slot."""
    running = start_server(
        tmp_path_factory.mktemp("abuse"),
        env={
            "FAKEWATCH_TRUST_FORWARDED_FOR": "true",
            "FAKEWATCH_REPORTER_REPORTS_PER_MINUTE": "3",
            "FAKEWATCH_KEY_REPORTS_PER_MINUTE": "6",
            "FAKEWATCH_MAX_MEDIA_CHECKS": "1",
        },
    )
    yield running
    assert running.stop() == 0, running.stderr()
    assert "Traceback" not in running.stderr()


def client_key(server: RunningServer) -> str:
    response = server.request("POST", "/v1/keys", json_body={"role": "client", "label": "abuse"})
    assert response.status == 201
    return str(response.json()["key"])


def picture(seed: int, size: int = 256, fmt: str = "PNG", tweak: bool = False) -> bytes:
    """A synthetic blocky picture that hashes well (never a photo of anyone)."""
    blocks = np.random.default_rng(seed).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    if tweak:  # a near-identical copy: one block a little brighter
        blocks[0, 0] = np.minimum(blocks[0, 0].astype(int) + 20, 255).astype(np.uint8)
    img = Image.fromarray(blocks).resize((size, size), Image.Resampling.NEAREST)
    out = io.BytesIO()
    img.save(out, format=fmt, **({"quality": 95} if fmt == "JPEG" else {}))
    return out.getvalue()


def multipart(parts: list[tuple[str, bytes]]) -> bytes:
    body = b""
    for name, data in parts:
        filename = '; filename="x.bin"' if name == "file" else ""
        body += (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"{filename}\r\n\r\n'
        ).encode()
        body += data + b"\r\n"
    return body + f"--{BOUNDARY}--\r\n".encode()


def send(
    server: RunningServer, key: str | None, parts: list[tuple[str, bytes]], ip: str = "10.1.1.1"
) -> tuple[int, dict]:
    response = server.request(
        "POST",
        "/v1/reports",
        body=multipart(parts),
        key=key,
        headers={
            "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
            "X-Forwarded-For": ip,
        },
    )
    return response.status, response.json()


def media_report(reporter: str, keep: bool = True, **extra: object) -> bytes:
    return json.dumps(
        {"kind": "media", "reporter": reporter, "consent": {"keep_media": keep}, **extra}
    ).encode()


def kept_files(server: RunningServer) -> list[Path]:
    folder = server.db.parent / "report_media"
    return sorted(folder.iterdir()) if folder.exists() else []


def case(server: RunningServer, case_id: int) -> dict:
    return server.request("GET", f"/v1/cases/{case_id}").json()


def test_a_multipart_report_with_a_huge_number_or_deep_nesting_is_invalid_json(
    strict: RunningServer,
) -> None:
    key = client_key(strict)
    huge = b'{"kind": "media", "reporter": ' + b"1" * 5000 + b"}"  # past int's 4,300 digits
    for raw in (huge, b"[" * 50_000):
        status, answer = send(strict, key, [("report", raw)])
        assert (status, answer["code"]) == (400, "invalid_json"), answer


def test_a_report_body_of_many_parts_is_refused_at_the_third(strict: RunningServer) -> None:
    key = client_key(strict)
    report = media_report("parts", keep=False)
    status, answer = send(
        strict, key, [("report", report), ("file", picture(1)), ("file", picture(2))]
    )
    assert (status, answer["code"]) == (400, "too_many_parts")
    flood = [("report", report)] * 320
    status, answer = send(strict, key, flood)
    assert (status, answer["code"], answer["field"]) == (400, "repeated_field", "report")


def test_refused_and_duplicate_reports_leave_no_file_behind(strict: RunningServer) -> None:
    key = client_key(strict)
    before = kept_files(strict)
    answers = [
        send(strict, key, [("report", media_report("r")), ("file", picture(10 + i))])
        for i in range(5)
    ]
    assert [status for status, _ in answers] == [201, 201, 201, 429, 429]
    assert all(a["media_kept"] for _, a in answers[:3])
    # The same reporter again, with a near-identical copy of its first picture: a duplicate.
    other = client_key(strict)
    status, first = send(strict, other, [("report", media_report("d")), ("file", picture(20))])
    assert (status, first["media_kept"]) == (201, True)
    near = picture(20, fmt="JPEG", tweak=True)
    status, again = send(strict, other, [("report", media_report("d")), ("file", near)])
    assert (status, again["duplicate"], again["media_kept"]) == (200, True, False)
    assert len(kept_files(strict)) == len(before) + 4


def test_a_limited_reporter_is_refused_before_its_file_is_decoded(strict: RunningServer) -> None:
    key = client_key(strict)
    for i in range(3):
        assert (
            send(
                strict,
                key,
                [("report", media_report("lim", keep=False)), ("file", picture(30 + i))],
            )[0]
            == 201
        )
    status, answer = send(
        strict, key, [("report", media_report("lim")), ("file", b"\xff\xd8\xff garbage")]
    )
    assert (status, answer["code"]) == (429, "rate_limited")


def test_a_padded_picture_is_kept_as_the_picture_alone(strict: RunningServer) -> None:
    key = client_key(strict)
    clean = picture(40)
    padded = clean + os.urandom(5_000_000)
    before = set(kept_files(strict))
    status, answer = send(strict, key, [("report", media_report("pad")), ("file", padded)])
    assert (status, answer["media_kept"]) == (201, True)
    (kept,) = set(kept_files(strict)) - before
    assert kept.stat().st_size < len(clean) + 10_000
    with Image.open(kept) as stored, Image.open(io.BytesIO(clean)) as original:
        assert stored.format == "PNG"
        assert np.array_equal(
            np.asarray(stored.convert("RGB")), np.asarray(original.convert("RGB"))
        )


def test_a_kept_picture_is_filed_under_its_own_hashes_not_the_ones_sent_with_it(
    strict: RunningServer,
) -> None:
    key = client_key(strict)
    other = {"pdq": "f" * 64, "phash": "f" * 16}  # another picture's hashes
    shown = picture(60)
    status, swapped = send(
        strict, key, [("report", media_report("swap1", hashes=other)), ("file", shown)]
    )
    assert (status, swapped["media_kept"]) == (201, True)
    # The same picture reported plainly lands on the same case: it was keyed on the picture...
    status, plain = send(strict, key, [("report", media_report("swap2")), ("file", shown)])
    assert status in (200, 201) and plain["case_id"] == swapped["case_id"]
    # ...and the hashes it came with are a case of their own.
    status, hashes_only = send(
        strict, key, [("report", media_report("swap3", keep=False, hashes=other))]
    )
    assert status in (200, 201) and hashes_only["case_id"] != swapped["case_id"]


def test_anonymous_reporters_media_is_not_kept(strict: RunningServer) -> None:
    before = kept_files(strict)
    status, answer = send(
        strict, None, [("report", media_report("anon")), ("file", picture(50))], ip="10.7.7.7"
    )
    assert (status, answer["media_kept"]) == (201, False)
    assert kept_files(strict) == before


def test_one_key_is_limited_across_its_reporters_and_counts_as_three_at_most(
    strict: RunningServer,
) -> None:
    key = client_key(strict)
    statuses = []
    for i in range(8):
        response = strict.request(
            "POST",
            "/v1/reports",
            json_body={"kind": "link", "value": "https://socks.example/", "reporter": f"sock{i}"},
            key=key,
        )
        statuses.append(response.status)
        if response.status == 201:
            case_id = response.json()["case_id"]
    assert statuses == [201] * 6 + [429] * 2
    socks = case(strict, case_id)
    assert (socks["reports"], socks["reporters"]) == (6, 3)
    anonymous = strict.request(
        "POST",
        "/v1/reports",
        json_body={"kind": "link", "value": "https://socks.example/x"},
        key=None,
        headers={"X-Forwarded-For": "10.8.8.8"},
    )
    assert anonymous.status == 201
    assert case(strict, case_id)["reporters"] == 4


def test_report_uploads_take_a_media_check_slot(strict: RunningServer) -> None:
    """With one slot, uploads that arrive while another is being decoded are told to retry
    (503 busy), like /v1/check/media, instead of all decoding at once."""
    big = picture(60, size=2800, fmt="JPEG")
    keys = [client_key(strict) for _ in range(4)]

    def upload(key: str) -> int:
        return send(strict, key, [("report", media_report("slot")), ("file", big)])[0]

    with ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(upload, keys))
    assert 503 in statuses and 201 in statuses, statuses


def test_the_media_quota_stores_reports_without_their_file(tmp_path: Path) -> None:
    one = len(picture(70)) * 3 // 2  # room for one kept copy (PNG again), not two
    server = start_server(tmp_path, env={"FAKEWATCH_REPORT_MEDIA_QUOTA_BYTES": str(one)})
    try:
        key = client_key(server)
        kept = [
            send(server, key, [("report", media_report(f"q{i}")), ("file", picture(70 + i))])[1]
            for i in range(3)
        ]
        assert [a["media_kept"] for a in kept] == [True, False, False]
        assert len(kept_files(server)) == 1
        assert case(server, kept[1]["case_id"])["reports"] == 1
    finally:
        server.stop()


def test_the_purge_deletes_media_files_no_report_points_to(strict: RunningServer) -> None:
    key = client_key(strict)
    before = set(kept_files(strict))
    status, answer = send(strict, key, [("report", media_report("p")), ("file", picture(80))])
    assert (status, answer["media_kept"]) == (201, True)
    (referenced,) = set(kept_files(strict)) - before
    folder = referenced.parent
    old_orphan, new_orphan, old_part = folder / ("a" * 64), folder / ("b" * 64), folder / "c.part"
    for path in (old_orphan, new_orphan, old_part):
        path.write_bytes(b"left behind")
    two_hours_ago = time.time() - 7200
    for path in (old_orphan, old_part, referenced):
        os.utime(path, (two_hours_ago, two_hours_ago))
    run = subprocess.run(
        [sys.executable, "-m", "server", "community", "purge", "--db", str(strict.db)],
        env=cli_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(run.stdout)["media_orphans_deleted"] == 2
    left = set(kept_files(strict))
    assert {referenced, new_orphan} <= left and not {old_orphan, old_part} & left
    with sqlite3.connect(strict.db) as conn:
        paths = {p for (p,) in conn.execute("SELECT media_path FROM reports")}
    assert referenced.name in paths
