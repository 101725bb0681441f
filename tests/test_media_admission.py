"""Admission for media checks: past FAKEWATCH_MAX_MEDIA_CHECKS uploads at once, the next is
refused with 503 busy and Retry-After instead of waiting in a queue."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from server.api.media import MediaSlots
from server.errors import ServerBusy
from tests.support.server import RunningServer, start_server
from tests.test_known_fakes_api import jpeg, picture, post_form


def test_a_slot_past_the_limit_is_refused_and_freed_slots_are_reused() -> None:
    slots = MediaSlots(limit=2)
    with slots.take(), slots.take():
        with pytest.raises(ServerBusy) as refused, slots.take():
            pass
        assert refused.value.status == 503 and refused.value.code == "busy"
        assert refused.value.retry_after >= 1
    assert slots.in_use == 0
    with slots.take():
        assert slots.in_use == 1
    unlimited = MediaSlots(limit=0)
    with unlimited.take(), unlimited.take(), unlimited.take():
        assert unlimited.in_use == 3


@pytest.fixture(scope="module")
def one_slot_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(
        tmp_path_factory.mktemp("admission"), env={"FAKEWATCH_MAX_MEDIA_CHECKS": "1"}
    )
    yield running
    running.stop()


def test_concurrent_uploads_past_the_limit_get_busy_not_a_queue(
    one_slot_server: RunningServer, tmp_path: Path
) -> None:
    data = jpeg(picture(60, (1920, 1080)))
    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(
            pool.map(lambda _: post_form(one_slot_server, "/v1/check/media", {}, data), range(8))
        )
    statuses = sorted(r.status for r in responses)
    assert set(statuses) <= {200, 503} and 200 in statuses and 503 in statuses, statuses
    busy = next(r for r in responses if r.status == 503)
    assert busy.json()["code"] == "busy" and int(busy.headers["Retry-After"]) >= 1
    # Once idle the server serves hashes-only checks (one with PDQ takes a slot: it scans the
    # bank) and uploads again; pHash/dHash-only checks never need one.
    for hashes in ({"pdq": ["ab" * 32]}, {"phash": ["ab" * 8], "dhash": ["cd" * 8]}):
        answer = one_slot_server.request("POST", "/v1/check/media", json_body={"hashes": hashes})
        assert answer.status == 200, answer.body
    assert post_form(one_slot_server, "/v1/check/media", {}, data).status == 200


def test_a_pdq_check_against_a_small_bank_is_never_refused_while_uploads_hold_the_slot(
    one_slot_server: RunningServer,
) -> None:
    """Below FAKEWATCH_PDQ_SCAN_SLOT_ROWS the PDQ scan costs microseconds: a privacy-minded
    client that sends only hashes is not turned away because someone else uploads."""
    import threading

    upload = jpeg(picture(61, (1920, 1080)))
    stop = threading.Event()
    uploads_busy: list[int] = []

    def uploads() -> None:
        while not stop.is_set():
            uploads_busy.append(post_form(one_slot_server, "/v1/check/media", {}, upload).status)

    workers = [threading.Thread(target=uploads) for _ in range(2)]
    for worker in workers:
        worker.start()
    try:
        statuses = [
            one_slot_server.request(
                "POST", "/v1/check/media", json_body={"hashes": {"pdq": ["ab" * 32]}}
            ).status
            for _ in range(30)
        ]
    finally:
        stop.set()
        for worker in workers:
            worker.join()
    assert 503 in uploads_busy  # the slot was held and contended the whole time
    assert set(statuses) == {200}
