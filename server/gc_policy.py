"""Short garbage-collector pauses for a server that keeps large caches.

Why: the link pipeline keeps tens of thousands of verdicts and host evidence objects (and
the renderer their JSON) for repeated links. CPython's full collection walks every tracked
object while it holds the GIL, so with those caches full one pass stalled every request,
``/healthz`` included, for 50-300 ms, every few thousand new hosts (``bench/gc_pauses.py``).
The passes found nothing to free: cache entries are acyclic and die by reference counting
when they are evicted, which the collector has no part in.

The policy: every ``interval_s`` the young generations are collected (a few thousand
objects: about a millisecond) and everything that survived is frozen (``gc.freeze``), so
no later pass walks it again. A full pass then only walks what the last interval added.

The cost: a reference cycle that is still alive when it is frozen and dies later is never
collected (only cycles need the collector; everything else is still freed at once). That is
what the bench measures as "left in the frozen generation" (the shutdown log line
``gc sweep`` says how much a server left); every ``sweep_s`` (0: never) the frozen objects
are unfrozen and collected once, one full pass of the old length.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from contextlib import suppress
from typing import Any

log = logging.getLogger("fakewatch.gc")

GENERATIONS = (0, 1, 2)


class PauseWatch:
    """Pauses of the cyclic collector by generation: counts, total and longest seconds.

    It runs inside the collector (any thread, the GIL held): plain arithmetic only, no
    locks (a metrics library's lock taken here could already be held by the same thread).
    """

    def __init__(self) -> None:
        self.count = [0, 0, 0]
        self.seconds = [0.0, 0.0, 0.0]
        self.longest = [0.0, 0.0, 0.0]
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        generation = info.get("generation", 2)
        if generation not in GENERATIONS:
            return
        pause = time.perf_counter() - self._started
        self.count[generation] += 1
        self.seconds[generation] += pause
        if pause > self.longest[generation]:
            self.longest[generation] = pause


class GcPolicy:
    """For the life of a server: watch the collector's pauses and, with ``interval_s`` > 0,
    freeze what survives young collections every ``interval_s``."""

    def __init__(self, interval_s: float, sweep_s: float) -> None:
        self.interval_s = interval_s
        self.sweep_s = sweep_s
        self.watch = PauseWatch()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        # What start-up built (lists, indexes, models) lives as long as the process.
        gc.collect()
        gc.freeze()
        gc.callbacks.append(self.watch)  # pauses while serving, not start-up's collection
        if self.interval_s > 0:
            self._task = asyncio.create_task(_freeze_survivors(self.interval_s, self.sweep_s))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
        frozen = gc.get_freeze_count()
        # First what an ordinary full collection finds, then what only the sweep does: the
        # cycles frozen while alive (the policy's cost, see the module's docstring).
        ordinary = gc.collect()
        gc.unfreeze()  # and left so: nothing of this server is kept out of reach any more
        found = gc.collect()
        log.info(
            "gc sweep",
            extra={
                "frozen_objects": frozen,
                "unreachable_found": found,
                "unreachable_unfrozen": ordinary,
                "longest_full_pause_ms": round(self.watch.longest[2] * 1000, 1),
            },
        )
        if self.watch in gc.callbacks:
            gc.callbacks.remove(self.watch)


def freeze_survivors() -> None:
    """Collect the young generations, then freeze what survived them."""
    gc.collect(1)
    gc.freeze()


def sweep() -> int:
    """One full collection over everything, frozen objects included; then freeze again.
    Returns the number of unreachable objects found."""
    gc.unfreeze()
    found = gc.collect()
    gc.freeze()
    return found


async def _freeze_survivors(interval_s: float, sweep_s: float) -> None:
    last_sweep = time.monotonic()
    while True:
        await asyncio.sleep(interval_s)
        if sweep_s > 0 and time.monotonic() - last_sweep >= sweep_s:
            found = sweep()
            last_sweep = time.monotonic()
            log.info("gc sweep", extra={"unreachable_found": found})
        else:
            freeze_survivors()
