"""Prometheus metrics, one registry per app (no globals, so tests can run many apps)."""

from __future__ import annotations

import gc
from collections import Counter as TallyCounter
from collections.abc import Iterator, Sequence

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from server.gc_policy import GENERATIONS, PauseWatch
from server.scoring.pipeline import LinkResult

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "fakewatch_http_requests",
            "HTTP requests by route pattern, method and status.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "fakewatch_http_request_duration_seconds",
            "Time to answer, by route pattern.",
            ["route"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.verdicts = Counter(
            "fakewatch_verdicts",
            "Verdicts given, by content kind and verdict.",
            ["kind", "verdict"],
            registry=self.registry,
        )
        self.evidence = Counter(
            "fakewatch_evidence",
            "Evidence found, by detector and code.",
            ["detector", "code"],
            registry=self.registry,
        )
        self.detector_failures = Counter(
            "fakewatch_detector_failures",
            "Detectors that raised or timed out, by detector.",
            ["detector"],
            registry=self.registry,
        )
        self.list_entries = Gauge(
            "fakewatch_list_entries",
            "Active list entries in the in-memory index.",
            registry=self.registry,
        )

    def observe_links(self, results: Sequence[LinkResult]) -> None:
        # Counted first, then one increment per label set: a batch of 100 links shares a
        # handful of verdicts and codes, and each ``labels()`` lookup takes a lock. Most
        # links have no reasons and nothing failed (one shared clean outcome).
        outcomes = [result.outcome for result in results]
        verdicts = TallyCounter(outcome.verdict for outcome in outcomes)
        evidence = TallyCounter(
            (found.detector, found.code) for outcome in outcomes for found in outcome.reasons
        )
        failed = TallyCounter(name for outcome in outcomes for name in outcome.failed)
        for verdict, count in verdicts.items():
            self.verdicts.labels("link", str(verdict)).inc(count)
        for (detector, code), count in evidence.items():
            self.evidence.labels(detector, code).inc(count)
        for name, count in failed.items():
            self.detector_failures.labels(name).inc(count)

    def watch_gc(self, watch: PauseWatch) -> None:
        """Report the garbage collector's pauses (``server/gc_policy.py``) with the rest."""
        self.registry.register(_GcCollector(watch))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _GcCollector(Collector):
    """Collector pauses read at scrape time (the watch itself runs inside the collector,
    where taking a metric's lock could deadlock)."""

    def __init__(self, watch: PauseWatch) -> None:
        self.watch = watch

    def collect(self) -> Iterator[Metric]:
        watch = self.watch
        pauses = CounterMetricFamily(
            "fakewatch_gc_pauses",
            "Cyclic garbage collections, by generation.",
            labels=["generation"],
        )
        seconds = CounterMetricFamily(
            "fakewatch_gc_pause_seconds",
            "Time the server stood still in cyclic garbage collections, by generation.",
            labels=["generation"],
        )
        longest = GaugeMetricFamily(
            "fakewatch_gc_longest_pause_seconds",
            "Longest single collection since start, by generation.",
            labels=["generation"],
        )
        for generation in GENERATIONS:
            label = [str(generation)]
            pauses.add_metric(label, watch.count[generation])
            seconds.add_metric(label, watch.seconds[generation])
            longest.add_metric(label, watch.longest[generation])
        frozen = GaugeMetricFamily(
            "fakewatch_gc_frozen_objects",
            "Objects moved out of the collector's reach (server/gc_policy.py).",
            value=gc.get_freeze_count(),
        )
        yield from (pauses, seconds, longest, frozen)
