"""The generic pipeline: any content kind, failures isolated, evidence merged across kinds."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any, ClassVar

from server.scoring.combiner import Verdict
from server.scoring.detector import ContentKind, Example, Messages
from server.scoring.evidence import Evidence, Role
from server.scoring.pipeline import Pipeline


class _Base:
    name: ClassVar[str] = "base"
    version: ClassVar[str] = "1"
    kinds: ClassVar[frozenset[ContentKind]] = frozenset({ContentKind.TEXT})
    messages: ClassVar[Messages] = {}

    def __init__(self, resources: Any = None) -> None:
        pass

    @classmethod
    def examples(cls) -> Sequence[Example]:
        return ()


class Giveaway(_Base):
    name = "giveaway"

    def score(self, content: Any) -> Sequence[Evidence]:
        if "send 1 get 2" in content:
            return (Evidence(self.name, "giveaway.send_get", 0.6, Role.PRIMARY),)
        return ()


class Broken(_Base):
    name = "broken"

    def score(self, content: Any) -> Sequence[Evidence]:
        raise RuntimeError("bug")


class Slow(_Base):
    name = "slow"

    def score(self, content: Any) -> Sequence[Evidence]:
        time.sleep(0.5)
        return ()


class LinkCue(_Base):
    name = "linkcue"
    kinds = frozenset({ContentKind.LINK})

    def score(self, content: Any) -> Sequence[Evidence]:
        return (Evidence(self.name, "linkcue.lure", 0.2, Role.SUPPORTING),)


def test_a_detector_of_another_kind_is_not_asked() -> None:
    pipeline = Pipeline([Giveaway(), LinkCue()])
    [scored] = pipeline.score_sync(ContentKind.TEXT, ["send 1 get 2 back"])
    assert [e.code for e in scored.evidence] == ["giveaway.send_get"]
    assert scored.outcome().verdict is Verdict.SUSPICIOUS


def test_a_raising_detector_makes_the_verdict_partial_and_the_others_still_count() -> None:
    pipeline = Pipeline([Giveaway(), Broken()])
    [scored] = pipeline.score_sync(ContentKind.TEXT, ["send 1 get 2 back"])
    outcome = scored.outcome()
    assert outcome.partial and outcome.failed == ("broken",)
    assert outcome.verdict is Verdict.SUSPICIOUS


def test_a_detector_over_its_time_limit_is_named_and_does_not_hold_the_verdict() -> None:
    pipeline = Pipeline([Giveaway(), Slow()], timeout_s=0.05)

    async def timed() -> tuple[float, Any]:
        started = time.monotonic()
        result = await pipeline.score(ContentKind.TEXT, ["send 1 get 2 back"])
        return time.monotonic() - started, result

    took, [scored] = asyncio.run(timed())
    assert took < 0.45
    assert scored.failed == ("slow",)
    assert scored.outcome().verdict is Verdict.SUSPICIOUS


def test_when_every_detector_fails_the_verdict_is_unknown() -> None:
    [scored] = Pipeline([Broken()]).score_sync(ContentKind.TEXT, ["anything"])
    assert scored.outcome().verdict is Verdict.UNKNOWN


def test_evidence_merged_across_kinds_corroborates() -> None:
    pipeline = Pipeline([Giveaway(), LinkCue()])
    [text] = pipeline.score_sync(ContentKind.TEXT, ["send 1 get 2 back"])
    [link] = pipeline.score_sync(ContentKind.LINK, ["https://x.example/"])
    assert text.merge(link).outcome().verdict is Verdict.LIKELY_SCAM


class CountingLinkCue(LinkCue):
    name = "counting"

    def __init__(self, resources: Any = None) -> None:
        self.calls = 0

    def score(self, content: Any) -> Sequence[Evidence]:
        self.calls += 1
        return super().score(content)


class Uncacheable(CountingLinkCue):
    name = "uncacheable"
    cacheable = False


def _parse(raw: str) -> Any:
    return raw  # these detectors read the string itself


def test_a_repeated_link_is_answered_from_the_cache_without_asking_detectors() -> None:
    detector = CountingLinkCue()
    pipeline = Pipeline([detector], link_cache_size=10)
    first = pipeline.check_links_sync(["https://a.example/"], _parse, state=1)
    again = pipeline.check_links_sync(["https://b.example/", "https://a.example/"], _parse, 1)
    assert detector.calls == 2
    assert again[1] is first[0] and again[0].input == "https://b.example/"


def test_a_new_list_version_is_never_hidden_by_the_cache() -> None:
    detector = CountingLinkCue()
    pipeline = Pipeline([detector], link_cache_size=10)
    pipeline.check_links_sync(["https://a.example/"], _parse, state=1)
    pipeline.check_links_sync(["https://a.example/"], _parse, state=2)
    assert detector.calls == 2


def test_the_cache_keeps_only_the_most_recent_links() -> None:
    detector = CountingLinkCue()
    pipeline = Pipeline([detector], link_cache_size=2)
    for url in ("https://a.example/", "https://b.example/", "https://c.example/"):
        pipeline.check_links_sync([url], _parse, state=1)
    pipeline.check_links_sync(["https://a.example/"], _parse, state=1)
    assert detector.calls == 4 and len(pipeline.link_cache) == 2


def test_a_detector_reading_other_state_switches_the_cache_off() -> None:
    detector = Uncacheable()
    pipeline = Pipeline([detector], link_cache_size=10)
    pipeline.check_links_sync(["https://a.example/"], _parse, state=1)
    pipeline.check_links_sync(["https://a.example/"], _parse, state=1)
    assert detector.calls == 2


class BrokenLink(Broken):
    kinds = frozenset({ContentKind.LINK})


def test_a_partial_verdict_is_not_cached() -> None:
    pipeline = Pipeline([CountingLinkCue(), BrokenLink()], link_cache_size=10)
    [result] = pipeline.check_links_sync(["https://a.example/"], _parse, state=1)
    assert result.outcome.partial and len(pipeline.link_cache) == 0
