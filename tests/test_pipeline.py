"""The generic pipeline: any content kind, failures isolated, evidence merged across kinds."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Sequence
from typing import Any, ClassVar

import pytest

from server.scoring.combiner import Verdict, combine
from server.scoring.detector import ContentKind, Example, Messages
from server.scoring.evidence import Evidence, Role
from server.scoring.pipeline import LinkResult, Pipeline, Scored


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
    # Far beyond the tests' 0.05 s limit, so a loaded machine's scheduling delay (a CI run at
    # load 3 answered after 0.48 s) cannot be mistaken for waiting on the detector.
    delay_s = 2.0

    def score(self, content: Any) -> Sequence[Evidence]:
        time.sleep(self.delay_s)
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
    assert took < 1.5
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


def test_a_merge_counts_what_was_found_about_one_site_once() -> None:
    model = Evidence("model", "model.weak", 0.42, Role.SUPPORTING, {}, {"domain": "a.example"})
    path = Evidence("cues", "cues.path_words", 0.2, Role.SUPPORTING, {}, {"words": ["claim"]})
    notes = Scored((model,), ran=1, site="a.example")
    claim = Scored((model, path), ran=1, site="a.example")
    # The second link to a.example repeats its score: kept once; its path adds a new cue.
    assert notes.merge(claim).evidence == (model, path)
    assert notes.merge(notes).outcome().verdict is Verdict.NO_KNOWN_SIGNALS
    # Equal evidence about two sites, or in parts about no site, is not a repeat.
    other = Scored((model,), ran=1, site="b.example")
    assert notes.merge(other).evidence == (model, model)
    assert Scored((model,), ran=1).merge(Scored((model,), ran=1)).evidence == (model, model)


def test_an_allowed_sites_second_link_brings_none_of_its_cues() -> None:
    allow = Evidence("lists", "lists.allowed", 0.0, Role.ALLOW, {}, {"entry": "a.example"})
    path = Evidence("cues", "cues.path_words", 0.2, Role.SUPPORTING, {}, {"words": ["claim"]})
    first = Scored((allow,), ran=1, site="a.example")
    second = Scored((allow, path), ran=1, site="a.example")
    # The repeated allow entry is dropped, but the part is still an allowed one.
    merged = first.merge(second)
    assert merged.evidence == (allow,)
    assert merged.outcome().verdict is Verdict.NO_KNOWN_SIGNALS


def test_links_are_scored_with_the_site_they_are_about(engine: Any) -> None:
    parse = engine.resources.parser.parse
    links = [parse(raw) for raw in ("https://a.b.example.co.uk/x", "http://192.0.2.1/")]
    scored = engine.pipeline.score_sync(ContentKind.LINK, links)
    assert [s.site for s in scored] == ["example.co.uk", "192.0.2.1"]
    [text] = engine.pipeline.score_sync(ContentKind.TEXT, ["hello there"])
    assert text.site == ""


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


# Host-scoped link evidence: computed once per host, reused for every path


class _Host:
    def __init__(self, name: str) -> None:
        self.ascii = name
        self.ip_notation = None


class _Link:
    def __init__(self, raw: str) -> None:
        host, _, path = raw.removeprefix("https://").partition("/")
        self.host = _Host(host)
        self.path = "/" + path


def _parse_link(raw: str) -> Any:
    return _Link(raw)


class HostAndPath(_Base):
    name = "hostpath"
    kinds = frozenset({ContentKind.LINK})

    def __init__(self, resources: Any = None) -> None:
        self.host_calls = 0

    def score(self, content: Any) -> Sequence[Evidence]:
        return (*self.score_host(content.host), *self.score_path(content))

    def score_host(self, host: Any) -> Sequence[Evidence]:
        self.host_calls += 1
        if host.ascii.endswith(".top"):
            return (Evidence(self.name, "hostpath.tld", 0.6, Role.PRIMARY),)
        return ()

    def score_path(self, content: Any) -> Sequence[Evidence]:
        if "claim" in content.path:
            return (Evidence(self.name, "hostpath.lure", 0.2, Role.SUPPORTING),)
        return ()


def test_host_evidence_is_computed_once_per_host_and_the_path_still_counts() -> None:
    detector = HostAndPath()
    pipeline = Pipeline([detector], link_cache_size=10)
    urls = ["https://a.top/1", "https://a.top/2", "https://b.example/claim"]
    first = pipeline.check_links_sync(urls, _parse_link, state=1)
    again = pipeline.check_links_sync(
        ["https://a.top/claim", "https://b.example/x"], _parse_link, 1
    )
    assert detector.host_calls == 2  # a.top and b.example, once each
    assert [e.code for e in first[0].outcome.reasons] == ["hostpath.tld"]
    assert first[1].outcome is first[0].outcome  # nothing in the path: the host's outcome
    assert [e.code for e in first[2].outcome.reasons] == ["hostpath.lure"]
    assert [e.code for e in again[0].outcome.reasons] == ["hostpath.tld", "hostpath.lure"]
    assert again[1].outcome.verdict is Verdict.NO_KNOWN_SIGNALS


def test_a_new_list_version_asks_for_host_evidence_again() -> None:
    detector = HostAndPath()
    pipeline = Pipeline([detector], link_cache_size=10)
    pipeline.check_links_sync(["https://a.top/1"], _parse_link, state=1)
    pipeline.check_links_sync(["https://a.top/2"], _parse_link, state=2)
    assert detector.host_calls == 2


class SlowLink(Slow):
    kinds = frozenset({ContentKind.LINK})


def test_a_slow_link_detector_is_named_and_the_batch_job_still_answers_in_time() -> None:
    pipeline = Pipeline([HostAndPath(), SlowLink()], timeout_s=0.05, link_cache_size=10)

    async def timed() -> tuple[float, Any]:
        started = time.monotonic()
        results = await pipeline.check_links(["https://a.top/1"], _parse_link, state=1)
        return time.monotonic() - started, results

    took, [result] = asyncio.run(timed())
    assert took < 1.5
    assert result.outcome.failed == ("slow",) and result.outcome.partial
    assert result.outcome.verdict is Verdict.SUSPICIOUS  # the finished detector still counts
    assert len(pipeline.link_cache) == 0


def test_verdicts_built_from_cached_host_parts_equal_scoring_each_link_whole(engine: Any) -> None:
    """The host cache and the reuse of a host's outcome must never change a verdict."""
    parse = engine.resources.parser.parse
    link_detectors = [d for d in engine.detectors if ContentKind.LINK in d.kinds]
    split = [d for d in link_detectors if callable(getattr(d, "score_host", None))]
    assert {d.name for d in split} >= {"lists", "lookalike", "url_cues", "domain_model"}
    urls = [case.value for d in link_detectors for case in d.examples()]
    # Each host again with a path that adds a cue, and with one that adds nothing.
    urls += [f"{u.rstrip('/')}/claim-your-airdrop" for u in urls]
    urls += [f"{u.rstrip('/')}/about" for u in urls]
    state = engine.lists_version
    cached = Pipeline(link_detectors, host_cache_size=10_000)
    cold = cached.check_links_sync(urls, parse, state)  # new hosts: primed, then cached
    for result in [*cold, *cached.check_links_sync(urls, parse, state)]:
        if result.link is None:
            continue
        whole = combine([e for d in link_detectors for e in d.score(result.link)])
        got = result.outcome
        assert (got.verdict, got.score) == (whole.verdict, whole.score), result.input
        assert sorted((e.code, e.weight) for e in got.reasons) == sorted(
            (e.code, e.weight) for e in whole.reasons
        ), result.input


def test_batches_scored_at_once_in_several_threads_share_a_small_host_cache() -> None:
    from concurrent.futures import ThreadPoolExecutor

    pipeline = Pipeline([HostAndPath()], host_cache_size=8)  # evictions all the time

    async def many() -> list[Any]:
        with ThreadPoolExecutor(max_workers=4) as pool:
            batches = [
                [f"https://h{(i * 7 + j) % 40}.top/{j}" for j in range(20)] for i in range(60)
            ]
            return await asyncio.gather(
                *(pipeline.check_links(b, _parse_link, pool, state=1) for b in batches)
            )

    for results in asyncio.run(many()):
        for result in results:
            assert not result.outcome.partial
            assert [e.code for e in result.outcome.reasons] == ["hostpath.tld"]


class PathBreaksOnBoom(HostAndPath):
    name = "pathboom"

    def score_path(self, content: Any) -> Sequence[Evidence]:
        if "boom" in content.path:
            raise RuntimeError("bug")
        return super().score_path(content)


def test_a_path_detector_raising_on_one_link_of_a_batch_spoils_only_that_link() -> None:
    pipeline = Pipeline([PathBreaksOnBoom(), LinkCue()], link_cache_size=10)
    urls = ["https://a.top/claim", "https://a.top/boom", "https://a.top/x", "https://b.example/"]
    first, broken, plain, other = pipeline.check_links_sync(urls, _parse_link, state=1)
    assert broken.outcome.partial and broken.outcome.failed == ("pathboom",)
    assert [e.code for e in broken.outcome.reasons] == ["hostpath.tld", "linkcue.lure"]
    for result in (first, plain, other):
        assert not result.outcome.partial, result.input
    assert [e.code for e in first.outcome.reasons] == [
        "hostpath.tld",
        "hostpath.lure",
        "linkcue.lure",
    ]
    assert plain.outcome.verdict is Verdict.LIKELY_SCAM  # the host's primary, corroborated
    assert [e.code for e in other.outcome.reasons] == ["linkcue.lure"]


def test_link_results_are_real_frozen_link_results() -> None:
    [result] = Pipeline([HostAndPath()]).check_links_sync(["https://a.top/x"], _parse_link, 1)
    assert type(result) is LinkResult
    assert result == LinkResult("https://a.top/x", result.link, result.outcome, None)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.outcome = None  # type: ignore[misc]
