"""One pipeline: run every detector that reads a content kind, then combine.

Each detector runs in the executor with a time limit; one that raises or overruns makes
the verdict ``partial`` and the others still count. The pipeline never raises for a
detector's sake.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from server.links.url import InvalidUrl, Link
from server.scoring.combiner import Outcome, combine
from server.scoring.detector import ContentKind, Detector
from server.scoring.evidence import Evidence

log = logging.getLogger("fakewatch.pipeline")


@dataclass(frozen=True, slots=True)
class Scored:
    """Everything the detectors of one kind said about one item, before combining.

    Checks that span kinds (a message's text and the links in it, an image and the text read
    from it) merge their ``Scored`` parts and combine once, so corroboration works across
    kinds: a lookalike link inside a giveaway message is ``likely_scam``.
    """

    evidence: tuple[Evidence, ...] = ()
    failed: tuple[str, ...] = ()
    ran: int = 0

    def merge(self, *others: Scored) -> Scored:
        evidence, failed, ran = list(self.evidence), list(self.failed), self.ran
        for other in others:
            evidence.extend(other.evidence)
            failed.extend(other.failed)
            ran += other.ran
        return Scored(tuple(evidence), tuple(failed), ran)

    def outcome(self) -> Outcome:
        """The verdict; ``unknown`` when every detector that was asked failed."""
        return combine(self.evidence, failed=self.failed, judged=len(self.failed) < self.ran)


@dataclass(frozen=True, slots=True)
class LinkResult:
    """The outcome for one submitted URL, or why it could not be read."""

    input: str
    link: Link | None
    outcome: Outcome
    error: InvalidUrl | None = None


class LinkResultCache:
    """Finished link verdicts by submitted string and state version, least recently used out.

    The same links arrive again and again (a viral scam, a popular site), and a link verdict
    is a pure function of the string and the state the detectors read: the list index,
    whose version is part of the key, so a list change is never hidden by the cache.
    Detectors that read anything else mutable declare ``cacheable = False`` and switch the
    cache off for their kind. Only complete verdicts are kept: a partial one (a detector
    timed out) is recomputed next time.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[str, int], LinkResult] = OrderedDict()

    def get(self, raw: str, state: int) -> LinkResult | None:
        key = (raw, state)
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
        return found

    def put(self, result: LinkResult, state: int) -> None:
        if self.size <= 0 or result.outcome.partial:
            return
        self._entries[(result.input, state)] = result
        if len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


class Pipeline:
    """The detectors of one process, grouped by the content kind they read."""

    def __init__(
        self, detectors: Sequence[Detector], timeout_s: float = 2.0, link_cache_size: int = 0
    ) -> None:
        self.detectors = tuple(detectors)
        self.timeout_s = timeout_s
        self._by_kind = {
            kind: tuple(d for d in self.detectors if kind in d.kinds) for kind in ContentKind
        }
        cacheable = all(getattr(d, "cacheable", True) for d in self._by_kind[ContentKind.LINK])
        self.link_cache = LinkResultCache(link_cache_size if cacheable else 0)

    def versions(self, kind: ContentKind) -> dict[str, str]:
        """``{detector name: version}`` for the detectors behind a verdict of this kind."""
        return {d.name: d.version for d in self._by_kind[kind]}

    def check_links_sync(
        self, raw_urls: Sequence[str], parse: Callable[[str], Link], state: int = 0
    ) -> list[LinkResult]:
        """Score links in this thread (CLI and benchmarks; the server uses ``check_links``)."""
        cached, missing = self._from_cache(raw_urls, state)
        if missing:
            fresh = self._check_links_sync([raw_urls[i] for i in missing], parse)
            self._fill(cached, missing, fresh, state)
        return cached  # type: ignore[return-value]  # every slot is filled now

    def _check_links_sync(
        self, raw_urls: Sequence[str], parse: Callable[[str], Link]
    ) -> list[LinkResult]:
        links, results = _parse_all(raw_urls, parse)
        evidence: list[list[Evidence]] = [[] for _ in links]
        failed: list[list[str]] = [[] for _ in links]
        for detector in self._by_kind[ContentKind.LINK]:
            for i, found in enumerate(_score_each(detector, links)):
                _collect(detector, i, found, evidence, failed)
        return _finish(
            raw_urls, links, results, evidence, failed, len(self._by_kind[ContentKind.LINK])
        )

    async def check_links(
        self,
        raw_urls: Sequence[str],
        parse: Callable[[str], Link],
        executor: Executor | None = None,
        state: int = 0,
    ) -> list[LinkResult]:
        """Score links off the event loop, each detector under the time limit.

        ``state`` is the version of the mutable state link detectors read (the list index);
        verdicts already computed at that version come from the cache.
        """
        cached, missing = self._from_cache(raw_urls, state)
        if missing:
            fresh = await self._check_links([raw_urls[i] for i in missing], parse, executor)
            self._fill(cached, missing, fresh, state)
        return cached  # type: ignore[return-value]  # every slot is filled now

    def _from_cache(
        self, raw_urls: Sequence[str], state: int
    ) -> tuple[list[LinkResult | None], list[int]]:
        if self.link_cache.size <= 0:
            return [None] * len(raw_urls), list(range(len(raw_urls)))
        cached = [self.link_cache.get(raw, state) for raw in raw_urls]
        return cached, [i for i, found in enumerate(cached) if found is None]

    def _fill(
        self,
        slots: list[LinkResult | None],
        missing: Sequence[int],
        fresh: Sequence[LinkResult],
        state: int,
    ) -> None:
        for i, result in zip(missing, fresh, strict=True):
            slots[i] = result
            self.link_cache.put(result, state)

    async def _check_links(
        self,
        raw_urls: Sequence[str],
        parse: Callable[[str], Link],
        executor: Executor | None = None,
    ) -> list[LinkResult]:
        loop = asyncio.get_running_loop()
        links, results = await loop.run_in_executor(executor, _parse_all, raw_urls, parse)
        evidence: list[list[Evidence]] = [[] for _ in links]
        failed: list[list[str]] = [[] for _ in links]
        detectors = self._by_kind[ContentKind.LINK]
        futures = [loop.run_in_executor(executor, _score_each, d, links) for d in detectors]
        done = await asyncio.gather(
            *(asyncio.wait_for(f, self.timeout_s) for f in futures), return_exceptions=True
        )
        for detector, per_link in zip(detectors, done, strict=True):
            if isinstance(per_link, BaseException):
                log.warning(
                    "detector failed",
                    extra={"detector": detector.name, "error": type(per_link).__name__},
                )
                for i, link in enumerate(links):
                    if link is not None:
                        failed[i].append(detector.name)
                continue
            for i, found in enumerate(per_link):
                _collect(detector, i, found, evidence, failed)
        return _finish(
            raw_urls, links, results, evidence, failed, len(self._by_kind[ContentKind.LINK])
        )

    def score_sync(self, kind: ContentKind, items: Sequence[Any]) -> list[Scored]:
        """Run the detectors of ``kind`` over ``items`` in this thread (CLI, benchmarks)."""
        detectors = self._by_kind[kind]
        per_detector = [_score_each(d, items) for d in detectors]
        return _gather_scored(detectors, per_detector, len(items))

    async def score(
        self, kind: ContentKind, items: Sequence[Any], executor: Executor | None = None
    ) -> list[Scored]:
        """Run the detectors of ``kind`` over ``items`` off the event loop, each under the
        time limit; a detector that raises or overruns is named in ``failed``."""
        loop = asyncio.get_running_loop()
        detectors = self._by_kind[kind]
        futures = [loop.run_in_executor(executor, _score_each, d, items) for d in detectors]
        done = await asyncio.gather(
            *(asyncio.wait_for(f, self.timeout_s) for f in futures), return_exceptions=True
        )
        per_detector: list[Any] = []
        for detector, found in zip(detectors, done, strict=True):
            if isinstance(found, BaseException):
                log.warning(
                    "detector failed",
                    extra={"detector": detector.name, "error": type(found).__name__},
                )
                found = [_DetectorError(found)] * len(items)
            per_detector.append(found)
        return _gather_scored(detectors, per_detector, len(items))


def _gather_scored(
    detectors: Sequence[Detector], per_detector: Sequence[Sequence[Any]], count: int
) -> list[Scored]:
    evidence: list[list[Evidence]] = [[] for _ in range(count)]
    failed: list[list[str]] = [[] for _ in range(count)]
    for detector, found in zip(detectors, per_detector, strict=True):
        for i, item_found in enumerate(found):
            _collect(detector, i, item_found, evidence, failed)
    return [
        Scored(tuple(e), tuple(f), len(detectors)) for e, f in zip(evidence, failed, strict=True)
    ]


class _DetectorError:
    """A detector raised on one content; kept apart from evidence, never re-raised."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


def _parse_all(
    raw_urls: Sequence[str], parse: Callable[[str], Link]
) -> tuple[list[Link | None], list[InvalidUrl | None]]:
    links: list[Link | None] = []
    errors: list[InvalidUrl | None] = []
    for raw in raw_urls:
        try:
            links.append(parse(raw))
            errors.append(None)
        except InvalidUrl as exc:
            links.append(None)
            errors.append(exc)
    return links, errors


def _score_each(detector: Detector, links: Sequence[Link | None]) -> list[Any]:
    # A detector may offer ``prime(items)`` to do batch work once (one model call for a
    # whole batch of domains) before ``score`` is asked item by item; it is only a speed-up,
    # so a failure there is logged and the items are scored one by one.
    prime = getattr(detector, "prime", None)
    if prime is not None:
        try:
            prime([link for link in links if link is not None])
        except Exception:
            log.exception("detector prime failed", extra={"detector": detector.name})
    found: list[Any] = []
    for link in links:
        if link is None:
            found.append(())
            continue
        try:
            found.append(tuple(detector.score(link)))
        except Exception as exc:  # a detector's bug degrades one verdict, not the request
            log.exception("detector raised", extra={"detector": detector.name})
            found.append(_DetectorError(exc))
    return found


def _collect(
    detector: Detector,
    i: int,
    found: Any,
    evidence: list[list[Evidence]],
    failed: list[list[str]],
) -> None:
    if isinstance(found, _DetectorError):
        failed[i].append(detector.name)
    else:
        evidence[i].extend(found)


def _finish(
    raw_urls: Sequence[str],
    links: Sequence[Link | None],
    errors: Sequence[InvalidUrl | None],
    evidence: Sequence[Sequence[Evidence]],
    failed: Sequence[Sequence[str]],
    detector_count: int,
) -> list[LinkResult]:
    results = []
    for raw, link, error, found, broke in zip(
        raw_urls, links, errors, evidence, failed, strict=True
    ):
        judged = link is not None and len(broke) < detector_count
        outcome = combine(found, failed=broke, judged=judged)
        results.append(LinkResult(raw, link, outcome, error))
    return results
