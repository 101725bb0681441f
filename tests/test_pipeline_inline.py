"""A few new links of hosts already judged are scored on the event loop (what is left is
parsing and the path detectors, cheaper than a hand-over to a thread); anything else still
goes to the executor, and the verdicts are the same either way."""

from __future__ import annotations

import asyncio
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from server.engine import Engine
from server.settings import Settings

HOSTS = [
    "https://paypal.com.account-verify.top/",
    "https://claim-metamask-airdrop.xyz/",
    "https://www.wikipedia.org/",
    "http://3232235777/",
    "https://xn--pypal-4ve.com/",
    "https://bit.ly/",
]
PATHS = [
    "wallet/connect?airdrop=1",
    "login.php?user=a@b",
    "wiki/Scam",
    "领取/返利",
    "%E4%B8%AD%E5%A5%96",
    "",
]


class CountingExecutor(ThreadPoolExecutor):
    """A real thread pool that counts the jobs handed to it."""

    def __init__(self) -> None:
        super().__init__(max_workers=1)
        self.jobs = 0

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.jobs += 1
        return super().submit(fn, *args, **kwargs)


def rendered(engine: Engine, results: list[Any]) -> list[bytes]:
    state = engine.lists_version
    return [b"".join(engine.link_pieces([r], "en", state, "http://x/")) for r in results]


def test_new_pages_of_known_hosts_are_judged_on_the_loop_with_the_same_verdicts() -> None:
    engine = Engine.build(Settings())
    pages = [host + path for host in HOSTS for path in PATHS]
    executor = CountingExecutor()

    async def scenario() -> tuple[list[Any], list[int]]:
        await engine.check_links(HOSTS, executor)  # the hosts are judged once
        handed = [executor.jobs]
        found = []
        for page in pages:
            found.extend(await engine.check_links([page], executor))
            handed.append(executor.jobs)
        return found, handed

    try:
        inline, handed = asyncio.run(scenario())
    finally:
        executor.shutdown()
    assert handed[0] == 1 and handed[-1] == 1  # no page went to the executor

    fresh = Engine.build(Settings())  # the same pages, all scored in a thread
    reference = fresh.pipeline.check_links_sync(
        pages, fresh.resources.parser.parse, fresh.lists_version
    )
    assert rendered(engine, inline) == rendered(fresh, reference)
    assert any(r.outcome.reasons for r in inline)  # the set holds real findings


def test_new_hosts_long_urls_and_big_batches_still_go_to_the_executor() -> None:
    engine = Engine.build(Settings())
    executor = CountingExecutor()

    async def scenario() -> list[int]:
        await engine.check_links(["https://example.org/"], executor)
        counts = [executor.jobs]
        await engine.check_links(["https://example.org/a", "https://new-host.example/"], executor)
        counts.append(executor.jobs)
        await engine.check_links(["https://example.org/" + "a" * 3000], executor)
        counts.append(executor.jobs)
        await engine.check_links([f"https://example.org/{i}" for i in range(5)], executor)
        counts.append(executor.jobs)
        return counts

    try:
        counts = asyncio.run(scenario())
    finally:
        executor.shutdown()
    assert counts == [1, 2, 3, 4]
