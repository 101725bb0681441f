"""One pipeline: run every detector that reads a content kind, then combine.

Each detector runs in the executor with a time limit; one that raises or overruns makes
the verdict ``partial`` and the others still count. The pipeline never raises for a
detector's sake. A single link check that is cheaper than the hand-over to a thread (a
known host's new page, one new short host) is scored on the event loop instead, within a
budget of the loop's time (``INLINE_*`` below).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from typing import Any

from server.links.domains import writable_twin
from server.links.url import Host, InvalidUrl, Link
from server.scoring.combiner import Outcome, combine
from server.scoring.detector import ContentKind, Detector
from server.scoring.evidence import Evidence, Role

log = logging.getLogger("fakewatch.pipeline")

#: Hosts whose host-scoped evidence is remembered when the verdict cache is on (~1 kB each).
HOST_CACHE_SIZE = 65_536
#: ``check_links`` scores up to this many new links of known hosts on the event loop, when
#: each is at most ``INLINE_URL_LENGTH`` characters (parsing and path detectors: ~20 µs a link).
INLINE_LINKS = 4
INLINE_URL_LENGTH = 2048

#: ...and one new host of at most this many characters, while the loop's budget lasts.
#: Judging a host is pure Python (~0.3 ms, p99 ~0.7 ms over 20,000 real hosts; ~3-5 ms
#: for 240-character hostile ones, hence the cap): in a thread it holds the GIL all the
#: same, so the loop waits as long, and the hand-over costs more than the work (~0.55 ms
#: of CPU, a GIL convoy behind it: p99 of single new-host GETs 17 ms in a thread, 5 ms here).
INLINE_NEW_HOSTS = 1
INLINE_HOST_LENGTH = 64
#: Share of the loop's time that inline host judging may take (a token bucket), and how
#: much of it one burst may use; past it, new hosts go to the executor again, so a flood
#: of new hosts never starves other requests of the loop.
INLINE_SHARE = 0.25
INLINE_BURST_S = 0.05


def _inline_shape(raw: str) -> bool:
    """Short, and plainly http(s) or scheme-less. A ``javascript:``/``data:`` link may carry
    up to 20 addresses, each scored while it is parsed (~5 ms): never on the event loop."""
    if len(raw) > INLINE_URL_LENGTH:
        return False
    return ":" not in raw or raw.lstrip().lower().startswith(("http://", "https://"))


#: What an allowed part keeps when merged: the allow entry and context, no weighed evidence.
_ALLOW_PART = (Role.ALLOW, Role.INFO)


@dataclass(frozen=True, slots=True)
class Scored:
    """Everything the detectors of one kind said about one item, before combining.

    Checks that span kinds (a message's text and the links in it, an image and the text read
    from it) merge their ``Scored`` parts and combine once, so corroboration works across
    kinds: a lookalike link inside a giveaway message is ``likely_scam``.

    ``site`` is the registrable domain a link's part is about (its host when it has none;
    empty for other kinds): a merge counts what one detector found about one site once.
    """

    evidence: tuple[Evidence, ...] = ()
    failed: tuple[str, ...] = ()
    ran: int = 0
    site: str = ""

    def merge(self, *others: Scored) -> Scored:
        """One ``Scored`` of several parts. An operator allowlist entry wins for its own part
        (an allowed link's other evidence is dropped), never over another part's evidence:
        a scam script beside an allowed link is still judged, with the allow entry shown as
        information (``Role.INFO``). Alone, or beside parts that found nothing, it still
        wins (``combine`` rule 1).

        Evidence equal to evidence already taken from a part about the same ``site`` is a
        repeat and is dropped: two links to one site (``secure-login.net/notes`` and
        ``/slides``) carry the same domain-model score, the same ending, the same lookalike,
        and one fact counted twice would add up to a verdict neither link has. What differs
        between the links (a lure word in one path) still counts."""
        if not others:
            return self
        evidence: list[Evidence] = []
        seen: dict[str, list[Evidence]] = {}
        allowed = weighed = False
        failed, ran = list(self.failed), self.ran
        for part in (self, *others):
            found = part.evidence
            allowed_part = any(e.role is Role.ALLOW for e in found)
            if part.site:
                found = _unseen(found, seen.setdefault(part.site, []))
            if allowed_part:
                allowed = True
                evidence.extend(e for e in found if e.role in _ALLOW_PART)
            else:
                weighed = weighed or any(e.weight > 0 for e in found)
                evidence.extend(found)
            if part is not self:
                failed.extend(part.failed)
                ran += part.ran
        if allowed and weighed:
            evidence = [replace(e, role=Role.INFO) if e.role is Role.ALLOW else e for e in evidence]
        return Scored(tuple(evidence), tuple(failed), ran)

    def outcome(self) -> Outcome:
        """The verdict; ``unknown`` when every detector that was asked failed."""
        return combine(self.evidence, failed=self.failed, judged=len(self.failed) < self.ran)


def _unseen(found: tuple[Evidence, ...], seen: list[Evidence]) -> tuple[Evidence, ...]:
    """``found`` without what ``seen`` (the evidence already kept about the same site) holds,
    remembering what it keeps. Evidence compares by value (its details name the domain, the
    list entry, the words), and a message has a few links: a list is enough."""
    kept = []
    for e in found:
        if e not in seen:
            seen.append(e)
            kept.append(e)
    return found if len(kept) == len(found) else tuple(kept)


@dataclass(frozen=True, slots=True)
class LinkResult:
    """The outcome for one submitted URL, or why it could not be read."""

    input: str
    link: Link | None
    outcome: Outcome
    error: InvalidUrl | None = None


_new = object.__new__
_LinkResultDraft = writable_twin(LinkResult)


def _link_result(
    raw: str, link: Link | None, outcome: Outcome, error: InvalidUrl | None
) -> LinkResult:
    """``LinkResult(...)``, faster (see ``writable_twin``; made once per scored link)."""
    draft = _new(_LinkResultDraft)
    draft.input = raw
    draft.link = link
    draft.outcome = outcome
    draft.error = error
    draft.__class__ = LinkResult
    result: LinkResult = draft
    return result


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


class HostPartCache:
    """Host-derived evidence by (host, notation, state version), least recently used out.

    Most link evidence (lists by domain, lookalikes, name cues, the domain model) reads only
    the host, and a site's pages share it: a link to a known host with a new path costs only
    the path-dependent detectors. The combined host-only outcome is kept beside the evidence,
    so when the rest of the URL adds nothing the verdict is reused as is.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[str, str | None, int], _HostPart] = OrderedDict()
        # Batch jobs of several requests run in the executor's threads at once: a lookup
        # and its move to the end must not interleave with another thread's eviction.
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str | None, int]) -> _HostPart | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def get_many(self, keys: Iterable[tuple[str, str | None, int]]) -> dict[Any, _HostPart]:
        """The cached parts among ``keys``, under one hold of the lock (a batch's hosts)."""
        found: dict[Any, _HostPart] = {}
        entries = self._entries
        with self._lock:
            for key in keys:
                part = entries.get(key)
                if part is not None:
                    entries.move_to_end(key)
                    found[key] = part
        return found

    def put(self, key: tuple[str, str | None, int], part: _HostPart) -> None:
        if self.size <= 0 or part.failed:
            return
        with self._lock:
            self._entries[key] = part
            if len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def put_many(self, parts: Mapping[Any, _HostPart]) -> None:
        """``put`` for each of ``parts`` (in order), under one hold of the lock."""
        if self.size <= 0:
            return
        entries = self._entries
        with self._lock:
            for key, part in parts.items():
                if not part.failed:
                    entries[key] = part
            while len(entries) > self.size:
                entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


class _HostPart:
    """What the host-scoped detectors said about one host, and the outcome of that alone."""

    __slots__ = ("_outcome", "evidence", "failed")

    def __init__(self, evidence: tuple[Evidence, ...], failed: tuple[str, ...]) -> None:
        self.evidence = evidence
        self.failed = failed
        self._outcome: Outcome | None = None

    def outcome(self, detector_count: int) -> Outcome:
        if self._outcome is None:
            judged = len(self.failed) < detector_count
            self._outcome = combine(self.evidence, failed=self.failed, judged=judged)
        return self._outcome


class _LinkJob:
    """One batch of links scored in one executor job, detector after detector.

    ``done`` grows by one entry per finished detector (an append is atomic), so when the job
    overruns the time limit the caller still counts the detectors that finished and names
    the others as failed, as if each had had its own job.
    """

    def __init__(self, raw_urls: Sequence[str]) -> None:
        self.raw_urls = raw_urls
        self.links: list[Any] = []
        self.errors: list[InvalidUrl | None] = []
        #: Each link's host key (``_host_key``), set with ``links`` once parsing is done.
        self.keys: list[Any] = []
        self.parsed = False
        #: Per finished detector: (host parts by host key, per-link rest or _DetectorError).
        self.done: list[tuple[dict[Any, Any], list[Any]]] = []
        #: Host parts taken from the cache when the job started, or assembled by it: held
        #: here, since another job may evict them from the cache meanwhile.
        self.parts: dict[Any, _HostPart] = {}


class Pipeline:
    """The detectors of one process, grouped by the content kind they read."""

    def __init__(
        self,
        detectors: Sequence[Detector],
        timeout_s: float = 2.0,
        link_cache_size: int = 0,
        host_cache_size: int | None = None,
    ) -> None:
        self.detectors = tuple(detectors)
        self.timeout_s = timeout_s
        self._by_kind = {
            kind: tuple(d for d in self.detectors if kind in d.kinds) for kind in ContentKind
        }
        link_detectors = self._by_kind[ContentKind.LINK]
        cacheable = all(getattr(d, "cacheable", True) for d in link_detectors)
        self.link_cache = LinkResultCache(link_cache_size if cacheable else 0)
        if host_cache_size is None:
            host_cache_size = max(link_cache_size, HOST_CACHE_SIZE) if link_cache_size else 0
        self.host_cache = HostPartCache(host_cache_size if cacheable else 0)
        # A detector that offers ``score_host(host)`` says that part of its evidence reads the
        # host alone; ``score_path(link)`` (optional) is the rest. Others are asked per link.
        self._host_scoped = tuple(callable(getattr(d, "score_host", None)) for d in link_detectors)
        self._link_detectors = link_detectors
        # Links of known hosts may be scored on the event loop only when every link detector
        # reads the host apart (what is left is ``score_path``: cheap by contract) and host
        # parts are cached at all.
        self._inline = bool(link_detectors) and all(self._host_scoped) and self.host_cache.size > 0
        #: The part of every host no host-scoped detector spoke about (most hosts).
        self._empty_part = _HostPart((), ())
        self._inline_budget = _InlineBudget(INLINE_SHARE, INLINE_BURST_S)

    def versions(self, kind: ContentKind) -> dict[str, str]:
        """``{detector name: version}`` for the detectors behind a verdict of this kind."""
        return {d.name: d.version for d in self._by_kind[kind]}

    def check_links_sync(
        self, raw_urls: Sequence[str], parse: Callable[[str], Link], state: int = 0
    ) -> list[LinkResult]:
        """Score links in this thread (CLI and benchmarks; the server uses ``check_links``)."""
        cached, missing = self._from_cache(raw_urls, state)
        if missing:
            job = _LinkJob([raw_urls[i] for i in missing])
            self._run_links(job, parse, state)
            self._fill(cached, missing, self._assemble(job, state), state)
        return cached  # type: ignore[return-value]  # every slot is filled now

    async def check_links(
        self,
        raw_urls: Sequence[str],
        parse: Callable[[str], Link],
        executor: Executor | None = None,
        state: int = 0,
    ) -> list[LinkResult]:
        """Score links off the event loop: one executor job for the whole batch (parsing and
        every detector), under the time limit.

        ``state`` is the version of the mutable state link detectors read (the list index);
        verdicts already computed at that version come from the cache.
        """
        cached, missing = self._from_cache(raw_urls, state)
        if missing:
            job = _LinkJob([raw_urls[i] for i in missing])
            loop = asyncio.get_running_loop()
            if (
                self._inline
                and len(missing) <= INLINE_LINKS
                and all(_inline_shape(raw) for raw in job.raw_urls)
            ):
                # A few short links: parse them here and look their hosts up. When every
                # host's evidence is cached (a known site's new page, what a browser sends
                # most), what is left costs ~20 µs a link, less than handing it to a thread
                # (~0.2 ms of CPU and a GIL hand-over): it runs here too. So does one new
                # short host while the loop's budget lasts (see INLINE_NEW_HOSTS).
                new_hosts = self._parse_job(job, parse, state)
                if not new_hosts or self._inline_budget.take(new_hosts):
                    started = time.perf_counter()
                    self._score_job(job, new_hosts)
                    if new_hosts:
                        self._inline_budget.spend(time.perf_counter() - started)
                    self._fill(cached, missing, self._assemble(job, state), state)
                    return cached  # type: ignore[return-value]  # every slot is filled now
                future = loop.run_in_executor(
                    executor, self._score_and_assemble, job, new_hosts, state
                )
            else:
                future = loop.run_in_executor(executor, self._run_and_assemble, job, parse, state)
            try:
                fresh = await asyncio.wait_for(future, self.timeout_s)
            except TimeoutError:
                # The detectors that finished still count; the job keeps running in its
                # thread (a thread cannot be stopped) but its late results are not used.
                fresh = self._assemble(job, state, timed_out=True)
            self._fill(cached, missing, fresh, state)
        return cached  # type: ignore[return-value]  # every slot is filled now

    def _from_cache(
        self, raw_urls: Sequence[str], state: int
    ) -> tuple[list[LinkResult | None], list[int]]:
        if self.link_cache.size <= 0:
            return [None] * len(raw_urls), list(range(len(raw_urls)))
        get = self.link_cache.get
        cached = [get(raw, state) for raw in raw_urls]
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

    def _run_and_assemble(
        self, job: _LinkJob, parse: Callable[[str], Link], state: int
    ) -> list[LinkResult]:
        self._run_links(job, parse, state)
        return self._assemble(job, state)

    def _score_and_assemble(
        self, job: _LinkJob, new_hosts: dict[Any, Any], state: int
    ) -> list[LinkResult]:
        self._score_job(job, new_hosts)
        return self._assemble(job, state)

    def _run_links(self, job: _LinkJob, parse: Callable[[str], Link], state: int) -> None:
        """Parse, then run each link detector over the batch (host parts once per new host)."""
        self._score_job(job, self._parse_job(job, parse, state))

    def _parse_job(self, job: _LinkJob, parse: Callable[[str], Link], state: int) -> dict[Any, Any]:
        """Parse the batch and take the cached host parts; returns the hosts whose
        host-scoped evidence is not cached yet, one link (the first) standing for each, in
        the order they first appear."""
        links, errors = _parse_all(job.raw_urls, parse)
        keys = [_host_key(link, state) if link is not None else None for link in links]
        job.links, job.errors, job.keys = links, errors, keys
        job.parsed = True
        new_hosts: dict[Any, Any] = {}
        if any(self._host_scoped):
            firsts: dict[Any, Any] = {}
            for key, link in zip(keys, links, strict=True):
                if key is not None and key not in firsts:
                    firsts[key] = link
            if self.host_cache.size > 0:
                job.parts.update(self.host_cache.get_many(firsts))
            parts = job.parts
            new_hosts = {key: link for key, link in firsts.items() if key not in parts}
        return new_hosts

    def _score_job(self, job: _LinkJob, new_hosts: dict[Any, Any]) -> None:
        """Run each link detector over a parsed batch: host-scoped ones over ``new_hosts``
        only, the rest (and ``score_path``) over every link."""
        links = job.links
        for detector, scoped in zip(
            self._by_kind[ContentKind.LINK], self._host_scoped, strict=True
        ):
            if not scoped:
                job.done.append(({}, _score_each(detector, links)))
                continue
            hosts: dict[Any, Any] = {}
            if new_hosts:
                _prime(detector, list(new_hosts.values()))
            for key, link in new_hosts.items():
                try:
                    hosts[key] = tuple(detector.score_host(link.host))  # type: ignore[attr-defined]
                except Exception as exc:  # a detector's bug degrades one verdict
                    log.exception("detector raised", extra={"detector": detector.name})
                    hosts[key] = _DetectorError(exc)
            score_path = getattr(detector, "score_path", None)
            rest = _score_each_with(detector, score_path, links) if score_path else []
            job.done.append((hosts, rest))

    def _assemble(self, job: _LinkJob, state: int, timed_out: bool = False) -> list[LinkResult]:
        """Turn a job's per-detector results into one result per link (cheap; runs on the
        event loop only when the job overran).

        Work is done per host and per finding, not per link and detector: each new host's
        part is gathered once, and only the links some path-scoped detector spoke about (or
        failed on) are combined on their own; the others take their host's outcome as is.
        """
        detectors = self._by_kind[ContentKind.LINK]
        count = len(detectors)
        if not job.parsed:  # the time ran out while parsing: nothing was judged
            job.links, job.errors = [None] * len(job.raw_urls), [None] * len(job.raw_urls)
            names = tuple(d.name for d in detectors)
            outcome = combine((), failed=names, judged=False)
            return [LinkResult(raw, None, outcome, None) for raw in job.raw_urls]
        done = list(job.done)  # a snapshot: the job may still be appending
        finished = len(done)
        late = tuple(d.name for d in detectors[finished:])
        if timed_out and late:
            log.warning("detector failed", extra={"detector": late[0], "error": "TimeoutError"})
        keys = job.keys
        # The host part of every host of the batch: from the cache (taken when the job
        # started), or gathered now from what the finished detectors said.
        parts = job.parts
        fresh = self._host_parts(done, [k for k in dict.fromkeys(keys) if k not in parts])
        if fresh and not late:
            parts.update(fresh)
            self.host_cache.put_many(fresh)
        # What the path-scoped detectors said, by link: most links get nothing.
        spoken: dict[int, list[tuple[Detector, Any]]] = {}
        for (_, per_link), detector in zip(done, detectors, strict=False):
            if per_link:
                for i in [i for i, found in enumerate(per_link) if found]:
                    said = spoken.get(i)
                    if said is None:
                        spoken[i] = [(detector, per_link[i])]
                    else:
                        said.append((detector, per_link[i]))
        results: list[LinkResult] = []
        append = results.append
        for i, (raw, link, error, key) in enumerate(
            zip(job.raw_urls, job.links, job.errors, keys, strict=True)
        ):
            if link is None:
                outcome = combine((), failed=(), judged=False)
                append(_link_result(raw, None, outcome, error))
                continue
            part = parts.get(key) or fresh.get(key)
            if part is None:  # a link without a host: no host-scoped evidence
                part = _HostPart((), ())
            said = spoken.get(i)
            if said is None and not late:
                append(_link_result(raw, link, part._outcome or part.outcome(count), error))
                continue
            rest: list[Evidence] = []
            broke: list[str] = []
            for detector, found in said or ():
                if isinstance(found, _DetectorError):
                    if detector.name not in part.failed:
                        broke.append(detector.name)
                else:
                    rest.extend(found)
            if not rest and not broke and not late:
                outcome = part.outcome(count)
            else:
                failed = (*part.failed, *broke, *(n for n in late if n not in part.failed))
                judged = len(failed) < count
                outcome = combine((*part.evidence, *rest), failed=failed, judged=judged)
            append(_link_result(raw, link, outcome, error))
        return results

    def _host_parts(
        self, done: Sequence[tuple[dict[Any, Any], list[Any]]], keys: Sequence[Any]
    ) -> dict[Any, _HostPart]:
        """The part of each of ``keys`` from what the finished detectors said, detector by
        detector (most hosts get nothing from most detectors: one shared empty part)."""
        evidence: dict[Any, list[Evidence]] = {}
        failed: dict[Any, list[str]] = {}
        for (hosts, _), detector, scoped in zip(
            done, self._link_detectors, self._host_scoped, strict=False
        ):
            if not scoped:
                continue
            for key, found in hosts.items():
                if not found:
                    continue
                if isinstance(found, _DetectorError):
                    failed.setdefault(key, []).append(detector.name)
                else:
                    evidence.setdefault(key, []).extend(found)
        empty = self._empty_part
        parts: dict[Any, _HostPart] = {}
        for key in keys:
            if key is None:
                continue
            said, broke = evidence.get(key), failed.get(key)
            if said is None and broke is None:
                parts[key] = empty
            else:
                parts[key] = _HostPart(tuple(said or ()), tuple(broke or ()))
        return parts

    def score_sync(self, kind: ContentKind, items: Sequence[Any]) -> list[Scored]:
        """Run the detectors of ``kind`` over ``items`` in this thread (CLI, benchmarks)."""
        detectors = self._by_kind[kind]
        per_detector = [_score_each(d, items) for d in detectors]
        return _gather_scored(detectors, per_detector, items)

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
        return _gather_scored(detectors, per_detector, items)


def _gather_scored(
    detectors: Sequence[Detector], per_detector: Sequence[Sequence[Any]], items: Sequence[Any]
) -> list[Scored]:
    count = len(items)
    evidence: list[list[Evidence]] = [[] for _ in range(count)]
    failed: list[list[str]] = [[] for _ in range(count)]
    for detector, found in zip(detectors, per_detector, strict=True):
        for i, item_found in enumerate(found):
            _collect(detector, i, item_found, evidence, failed)
    return [
        Scored(tuple(e), tuple(f), len(detectors), _site(item))
        for e, f, item in zip(evidence, failed, items, strict=True)
    ]


def _site(item: Any) -> str:
    """The site a link is about (``Scored.site``): its registrable domain, else its host
    (an IP address); empty for content that is not a link."""
    host: Host | None = getattr(item, "host", None)
    if host is None:
        return ""
    return host.parts.registrable or host.ascii


class _InlineBudget:
    """How much event-loop time judging new hosts inline may take: a token bucket that
    refills ``share`` seconds per second, up to ``burst`` seconds. Only the loop's thread
    uses it."""

    __slots__ = ("_at", "_tokens", "burst", "share")

    def __init__(self, share: float, burst: float) -> None:
        self.share = share
        self.burst = burst
        self._tokens = burst
        self._at = time.monotonic()

    def take(self, new_hosts: Mapping[Any, Any]) -> bool:
        """True when these new hosts may be judged on the loop (few, short, budget left)."""
        if len(new_hosts) > INLINE_NEW_HOSTS:
            return False
        for link in new_hosts.values():
            if len(link.host.ascii) > INLINE_HOST_LENGTH:
                return False
        now = time.monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.share)
        self._at = now
        return self._tokens > 0

    def spend(self, seconds: float) -> None:
        self._tokens -= seconds


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
    _prime(detector, [link for link in links if link is not None])
    return _score_each_with(detector, detector.score, links)


def _prime(detector: Detector, items: Sequence[Any]) -> None:
    """A detector may offer ``prime(items)`` to do batch work once (one model call for a
    whole batch of domains) before ``score`` or ``score_host`` is asked item by item; it is
    only a speed-up, so a failure there is logged and the items are scored one by one."""
    prime = getattr(detector, "prime", None)
    if prime is not None:
        try:
            prime(items)
        except Exception:
            log.exception("detector prime failed", extra={"detector": detector.name})


def _score_each_with(
    detector: Detector, score: Callable[[Any], Sequence[Evidence]], links: Sequence[Any]
) -> list[Any]:
    """``score`` (a detector's ``score_path``) over each link, failures kept per link."""
    try:  # the usual case, nothing raises: one comprehension for the batch
        return [() if link is None else tuple(score(link)) for link in links]
    except Exception:  # noqa: S110  score is pure: ask again link by link to isolate it
        pass
    found: list[Any] = []
    for link in links:
        if link is None:
            found.append(())
            continue
        try:
            found.append(tuple(score(link)))
        except Exception as exc:  # a detector's bug degrades one verdict, not the request
            log.exception("detector raised", extra={"detector": detector.name})
            found.append(_DetectorError(exc))
    return found


def _host_key(link: Any, state: int) -> tuple[str, str | None, int] | None:
    """What host-scoped evidence depends on: the host as DNS sees it, how an IP was written
    (``3232235777`` is a cue ``192.168.1.1`` is not) and the state version."""
    host = getattr(link, "host", None)
    if host is None:
        return None
    return (host.ascii, host.ip_notation, state)


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
