"""Hashes-only checks through the real server: the gates behind a match are shown, a client's
PDQ match is kept whatever else it sent, and a check that sends PDQ (a scan of every bank
row) is admitted like an upload.

The bank is a JSON hash list of generated random hashes (no pictures): each entry has one
region whose every hash is known, so the distances below are exact.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import numpy as np
import pytest

from tests.support.server import RunningServer, start_server
from tests.test_known_fakes_api import jpeg, picture, post_form


def flipped(hex_hash: str, bits: int) -> str:
    """``hex_hash`` with its first ``bits`` bits flipped."""
    value = int(hex_hash, 16) ^ (((1 << bits) - 1) << (len(hex_hash) * 4 - bits))
    return f"{value:0{len(hex_hash)}x}"


def random_region(rng: np.random.Generator) -> dict[str, str]:
    return {
        "region": "full",
        "pdq": rng.bytes(32).hex(),
        "phash": rng.bytes(8).hex(),
        "dhash": rng.bytes(8).hex(),
    }


@pytest.fixture(scope="module")
def hashed_bank(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[RunningServer, list[dict[str, str]], list[int]]]:
    # One media slot, so an upload in flight makes the next slot-taking check busy; a PDQ
    # check takes a slot however small the bank (the default waits for 200,000 rows).
    running = start_server(
        tmp_path_factory.mktemp("client_hashes"),
        env={"FAKEWATCH_MAX_MEDIA_CHECKS": "1", "FAKEWATCH_PDQ_SCAN_SLOT_ROWS": "0"},
    )
    rng = np.random.default_rng(26)
    regions = [random_region(rng) for _ in range(3)]
    hash_list = {
        "format": "fakewatch.known_fakes.v1",
        "known_fakes": [
            {"label": f"Listed fake {i}", "hashes": [region]} for i, region in enumerate(regions)
        ],
    }
    imported = running.request("POST", "/v1/known-fakes/import", json_body=hash_list)
    assert imported.status == 201, imported.body
    first = imported.json()["first_id"]
    yield running, regions, [first + i for i in range(len(regions))]
    running.stop()


def check_hashes(server: RunningServer, hashes: dict, lang: str = "en") -> dict:
    response = server.request("POST", "/v1/check/media", json_body={"hashes": hashes, "lang": lang})
    assert response.status == 200, response.body
    return response.json()


def test_a_gated_pdq_match_shows_the_phash_and_dhash_gates_it_passed(
    hashed_bank: tuple[RunningServer, list[dict[str, str]], list[int]],
) -> None:
    server, regions, ids = hashed_bank
    # PDQ 60 bits off (past 31, within 72), pHash 10 of 10, dHash 16 of 16: only the gated
    # arm matches, at both gates' limits.
    hashes = {
        "pdq": [flipped(regions[0]["pdq"], 60)],
        "phash": [flipped(regions[0]["phash"], 10)],
        "dhash": [flipped(regions[0]["dhash"], 16)],
    }
    verdict = check_hashes(server, hashes)
    assert verdict["verdict"] == "likely_scam"
    (match,) = verdict["matches"]
    assert (match["id"], match["hash"], match["distance"], match["threshold"]) == (
        ids[0],
        "pdq+phash",
        60,
        72,
    )
    gates = {"phash": {"distance": 10, "threshold": 10}, "dhash": {"distance": 16, "threshold": 16}}
    assert match["gates"] == gates
    reason = verdict["reasons"][0]
    assert reason["details"]["matches"][0]["gates"] == gates
    # The person reads which entry, in words; the limits it was held to are in the details.
    assert reason["details"]["matches"][0]["distance"] == 60
    assert f"#{ids[0]}" in reason["message"] and "pHash" not in reason["message"]
    zh = check_hashes(server, hashes, lang="zh")["reasons"][0]["message"]
    assert zh.startswith("这张图片与本服务器审核员确认的已知伪造内容相同") and "阈值" not in zh
    # pHash + dHash: the dHash it was held to is shown too.
    close = {
        "phash": [flipped(regions[1]["phash"], 6)],
        "dhash": [flipped(regions[1]["dhash"], 13)],
    }
    (match,) = check_hashes(server, close)["matches"]
    assert (match["id"], match["hash"], match["distance"]) == (ids[1], "phash+dhash", 6)
    assert match["gates"] == {"dhash": {"distance": 13, "threshold": 14}}


def test_sending_phash_and_dhash_with_a_pdq_never_loses_the_pdq_match(
    hashed_bank: tuple[RunningServer, list[dict[str, str]], list[int]],
) -> None:
    server, regions, ids = hashed_bank
    pdq = flipped(regions[2]["pdq"], 20)
    (alone,) = check_hashes(server, {"pdq": [pdq]})["matches"]
    assert (alone["id"], alone["hash"], alone["distance"], alone["threshold"]) == (
        ids[2],
        "pdq",
        20,
        31,
    )
    # The same PDQ with a pHash 12 bits off (past the gate) and a close dHash: still a match.
    verdict = check_hashes(
        server,
        {
            "pdq": [pdq],
            "phash": [flipped(regions[2]["phash"], 12)],
            "dhash": [flipped(regions[2]["dhash"], 4)],
        },
    )
    assert verdict["verdict"] == "likely_scam"
    assert verdict["matches"] == [alone]


def test_a_hashes_only_check_with_pdq_takes_a_media_slot(
    hashed_bank: tuple[RunningServer, list[dict[str, str]], list[int]],
) -> None:
    server, regions, _ = hashed_bank
    upload = jpeg(picture(60, (1920, 1080)))
    stop = threading.Event()

    def uploads() -> None:
        while not stop.is_set():
            post_form(server, "/v1/check/media", {}, upload)

    workers = [threading.Thread(target=uploads) for _ in range(2)]
    for worker in workers:
        worker.start()
    with_pdq, without_pdq = [], []
    try:
        for _ in range(40):
            with_pdq.append(
                server.request(
                    "POST", "/v1/check/media", json_body={"hashes": {"pdq": [regions[0]["pdq"]]}}
                )
            )
            without_pdq.append(
                server.request(
                    "POST",
                    "/v1/check/media",
                    json_body={"hashes": {"phash": [regions[0]["phash"]], "dhash": ["00" * 8]}},
                )
            )
            if any(r.status == 503 for r in with_pdq) and len(with_pdq) >= 10:
                break
    finally:
        stop.set()
        for worker in workers:
            worker.join()
    busy = [r for r in with_pdq if r.status == 503]
    # Scanning every row for a PDQ is admitted like an upload: busy while the slot is held.
    assert busy and busy[0].json()["code"] == "busy" and int(busy[0].headers["Retry-After"]) >= 1
    assert {r.status for r in with_pdq} <= {200, 503}
    # pHash/dHash alone is an index probe: never refused.
    assert {r.status for r in without_pdq} == {200}
