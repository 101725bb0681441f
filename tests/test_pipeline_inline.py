"""A few new links of hosts already judged, or of one new short host, are scored on the event
loop (cheaper than a hand-over to a thread, which would hold the GIL all the same); anything
else, and new hosts past the loop's budget, still go to the executor, and the verdicts are
the same either way."""

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


def test_one_new_short_host_is_judged_on_the_loop_with_the_same_verdict() -> None:
    engine = Engine.build(Settings())
    executor = CountingExecutor()

    async def scenario() -> list[Any]:
        found = []
        for url in HOSTS:
            found.extend(await engine.check_links([url], executor))
        return found

    try:
        inline = asyncio.run(scenario())
    finally:
        executor.shutdown()
    assert executor.jobs == 0

    fresh = Engine.build(Settings())
    reference = fresh.pipeline.check_links_sync(
        HOSTS, fresh.resources.parser.parse, fresh.lists_version
    )
    assert rendered(engine, inline) == rendered(fresh, reference)
    assert [r.outcome.verdict for r in inline].count("no_known_signals") < len(HOSTS)


def test_two_new_hosts_long_hosts_long_urls_and_big_batches_go_to_the_executor() -> None:
    engine = Engine.build(Settings())
    executor = CountingExecutor()
    long_host = ".".join(["secure-login-verify"] * 4) + ".example"  # 87 characters

    async def scenario() -> list[int]:
        await engine.check_links(["https://example.org/"], executor)  # one new host: here
        counts = [executor.jobs]
        await engine.check_links(["https://one.example/", "https://two.example/"], executor)
        counts.append(executor.jobs)
        await engine.check_links([f"https://{long_host}/"], executor)
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
    assert counts == [0, 1, 2, 3, 4]


def test_a_flood_of_new_hosts_spends_the_loop_budget_and_the_rest_go_to_the_executor() -> None:
    engine = Engine.build(Settings())
    executor = CountingExecutor()
    hosts = [f"https://giveaway-{i}-claim.example/" for i in range(1500)]

    async def scenario() -> list[Any]:
        found = []
        for url in hosts:  # back to back: far more than a quarter of the loop's time
            found.extend(await engine.check_links([url], executor))
        return found

    try:
        found = asyncio.run(scenario())
    finally:
        executor.shutdown()
    assert 0 < executor.jobs < len(hosts)  # some judged here, then the budget ran out
    assert all(r.outcome.verdict != "unknown" for r in found)
