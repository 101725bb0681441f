"""Token buckets keyed by client IP or API key, in memory.

A flood must cost the flooder, not the other users: each key and each IP has its own bucket.
Buckets idle long enough to be full again are dropped, so memory stays bounded under a
spray of addresses.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

MAX_BUCKETS = 100_000


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """``per_minute`` requests per key, with bursts of up to ``burst`` (default: a minute's worth)."""

    def __init__(self, per_minute: int, burst: int | None = None) -> None:
        self.rate = per_minute / 60.0
        self.capacity = float(burst if burst is not None else per_minute)
        self._buckets: dict[str, _Bucket] = {}

    def take(self, key: str, now: float | None = None) -> int:
        """Spend one token; return 0 when allowed, else the seconds to wait (Retry-After)."""
        now = time.monotonic() if now is None else now
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= MAX_BUCKETS:
                self._evict(now)
            bucket = self._buckets[key] = _Bucket(self.capacity, now)
        else:
            bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0
        return max(1, math.ceil((1.0 - bucket.tokens) / self.rate))

    def blocked(self, key: str, now: float | None = None) -> int:
        """Seconds until ``key`` may spend a token again (0: it may now), spending nothing."""
        bucket = self._buckets.get(key)
        if bucket is None:
            return 0
        now = time.monotonic() if now is None else now
        tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self.rate)
        return 0 if tokens >= 1.0 else max(1, math.ceil((1.0 - tokens) / self.rate))

    def _evict(self, now: float) -> None:
        refill = self.capacity / self.rate
        stale = [k for k, b in self._buckets.items() if now - b.updated >= refill]
        for key in stale:
            del self._buckets[key]
        if len(self._buckets) >= MAX_BUCKETS:  # all busy: drop the oldest half
            oldest = sorted(self._buckets.items(), key=lambda kv: kv[1].updated)
            for key, _ in oldest[: len(oldest) // 2]:
                del self._buckets[key]
