"""The server keeps what survives young garbage collections out of later full passes
(``server/gc_policy.py``): full caches no longer stall every request for a full pass, and the
cycles that freezing keeps alive are freed by a sweep."""

from __future__ import annotations

import asyncio
import gc
import json
import re
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.gc_policy import GcPolicy, freeze_survivors, sweep
from server.settings import SettingsError, load_settings
from tests.support.server import RunningServer, start_server


class Entry:
    """A cache entry: an object of a class, as the pipeline's caches hold."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.partner: Entry | None = None


@pytest.fixture
def unfrozen() -> Iterator[None]:
    """Leave the test process as it was: nothing frozen."""
    yield None
    gc.unfreeze()


def test_what_survives_young_collections_is_frozen_within_an_interval(unfrozen: object) -> None:
    async def scenario() -> tuple[int, int, int]:
        policy = GcPolicy(interval_s=0.05, sweep_s=0)
        policy.start()
        after_start = gc.get_freeze_count()
        cache = {n: Entry(n) for n in range(20_000)}  # filled while serving
        await asyncio.sleep(0.3)
        frozen = gc.get_freeze_count()
        await policy.stop()
        assert len(cache) == 20_000
        return after_start, frozen, gc.get_freeze_count()

    after_start, frozen, after_stop = asyncio.run(scenario())
    assert frozen >= after_start + 20_000
    assert after_stop == 0  # a stopped server keeps nothing out of the collector's reach


def test_a_cycle_frozen_while_alive_is_freed_only_by_a_sweep(unfrozen: object) -> None:
    first, second = Entry(1), Entry(2)
    first.partner, second.partner = second, first
    alive = weakref.ref(first)
    freeze_survivors()
    del first, second
    gc.collect()
    assert alive() is not None  # the policy's cost: an ordinary collection cannot see it

    assert sweep() >= 2
    assert alive() is None


def test_the_periodic_sweep_frees_cycles_that_died_frozen(unfrozen: object) -> None:
    async def scenario() -> bool:
        policy = GcPolicy(interval_s=0.02, sweep_s=0.1)
        policy.start()
        first, second = Entry(1), Entry(2)
        first.partner, second.partner = second, first
        alive = weakref.ref(first)
        await asyncio.sleep(0.05)  # frozen by now
        del first, second
        await asyncio.sleep(0.4)  # a sweep has run since
        freed = alive() is None
        await policy.stop()
        return freed

    assert asyncio.run(scenario())


def test_negative_intervals_are_refused() -> None:
    for name in ("FAKEWATCH_GC_FREEZE_S", "FAKEWATCH_GC_SWEEP_S"):
        with pytest.raises(SettingsError, match="GC_FREEZE_S and FAKEWATCH_GC_SWEEP_S"):
            load_settings({name: "-1"})


def test_metrics_report_collector_pauses_and_frozen_objects(server: RunningServer) -> None:
    text = server.request("GET", "/metrics").body.decode()
    for generation in ("0", "1", "2"):
        for name in (
            "fakewatch_gc_pauses_total",
            "fakewatch_gc_pause_seconds_total",
            "fakewatch_gc_longest_pause_seconds",
        ):
            assert re.search(rf'^{name}{{generation="{generation}"}} \S+$', text, re.M), name
    frozen = re.search(r"^fakewatch_gc_frozen_objects (\S+)$", text, re.M)
    assert frozen is not None and float(frozen.group(1)) > 100_000  # start-up's lists and models


def test_shutdown_says_what_a_full_collection_found(tmp_path: Path) -> None:
    running = start_server(tmp_path, env={"FAKEWATCH_GC_FREEZE_S": "0.2"})
    assert running.request("GET", "/v1/check/link?url=https://example.org/").status == 200
    assert running.stop() == 0
    lines = [json.loads(line) for line in running.stderr().splitlines() if line.startswith("{")]
    (sweep_line,) = [line for line in lines if line["msg"] == "gc sweep"]
    assert sweep_line["frozen_objects"] > 100_000
    assert sweep_line["unreachable_found"] >= 0 and sweep_line["unreachable_unfrozen"] >= 0
