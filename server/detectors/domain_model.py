"""The unseen-scam-domain model as a link detector.

Scores the registrable domain (``claim-metamask.io``, ``metamask-io.pages.dev``) with the
model in ``models/scam_domain``. Role: SUPPORTING with weight 0.5, exactly the
``SUSPICIOUS_AT`` line: alone it makes a verdict ``suspicious``, never ``likely_scam``; beside
a lookalike it is the corroboration that turns "looks like a brand" into ``likely_scam``.
Its threshold (0.4 % of the out-of-fold training legit scores) flags 0.36 % of held-out
legitimate domains and 81.5 % of 2025 H1 scam domains (model card).

Sites that are ours to protect are not "unseen" and are skipped: the bundled top sites, the
curated brands' own domains and the known-legit hosts (``Resources.protected``, the set the
lookalike finder exempts too), so a brand's official site is never "like a scam domain".
Scores are cached per registrable domain, since a page's links share few domains.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

import numpy as np

from server.links.domain_features import DomainFeaturizer
from server.links.domains import DomainParts
from server.links.url import Host, Link
from server.onnx_runtime import ModelError
from server.scoring.detector import ContentKind, Example, Messages, example
from server.scoring.evidence import Evidence, Role
from server.scoring.resources import Resources

MODEL = "scam_domain"
#: See the module docstring: equal to the combiner's SUSPICIOUS_AT, on purpose.
WEIGHT = 0.5
#: Registrable domains whose score is remembered (a few MB at most).
CACHE_SIZE = 100_000
#: Domains per model call in ``prime``: big enough to amortise the call, small enough that
#: the padded batch stays a few hundred kB.
BATCH = 512


class DomainModelDetector:
    name: ClassVar[str] = "domain_model"
    version: ClassVar[str] = "1.0"
    kinds: ClassVar[frozenset[ContentKind]] = frozenset({ContentKind.LINK})
    messages: ClassVar[Messages] = {
        "domain_model.scam_like": {
            # Plain words for the person; the score, the threshold and the model are in
            # ``details`` (the moderator page and ``--json`` show them).
            "en": "The site name {domain} looks like the scam sites our model learned from.",
            "zh": "网站名 {domain} 与我们的模型学过的诈骗网站很像。",
        },
    }

    def __init__(self, resources: Resources) -> None:
        self.model = resources.models.get(MODEL)
        features = self.model.metadata.raw.get("features", {})
        try:
            # The vocabulary travels with the model, so editing the bundled word lists
            # never silently changes what the model sees.
            self.featurizer = DomainFeaturizer(features["brands"], features["lures"])
        except KeyError:
            raise ModelError(f"{MODEL} metadata lacks features.brands/lures") from None
        self.threshold = self.model.metadata.thresholds["suspicious"]
        self._model_version = self.model.version
        self._protected = resources.protected
        self._covers = self._protected.covers
        #: The protected registrable domains: ``prime`` skips them with one set lookup and
        #: leaves the rarer protected hosts (``beta.ask.rip``, ``*.gov.cn``) to ``score_host``,
        #: which checks ``covers`` before answering with flagged evidence.
        self._protected_domains = self._protected.registrables
        self._cache: dict[str, tuple[Evidence, ...]] = {}
        self._lock = threading.Lock()

    def probability(self, label: str, suffix: str, private_suffix: bool) -> float:
        feeds = self.featurizer.features([label], [suffix], [private_suffix])
        return float(self.model.run(feeds)["p_scam"][0])

    def prime(self, links: Sequence[Any]) -> None:
        """Score every uncached domain of a batch in one model call per ``BATCH`` domains
        (the pipeline calls this before ``score``; it only fills the cache)."""
        todo: dict[str, DomainParts] = {}
        protected, cache = self._protected_domains, self._cache
        for link in links:
            try:
                host = link.host
            except AttributeError:  # not a link: nothing to prime
                continue
            if host.is_ip:
                continue
            parts = host.parts
            domain = parts.registrable
            if domain and domain not in cache and domain not in protected:
                todo[domain] = parts
        names = list(todo)
        for start in range(0, len(names), BATCH):
            chunk = [todo[name] for name in names[start : start + BATCH]]
            # One array pass featurises the whole chunk (server/links/domain_features.py).
            feeds = self.featurizer.features(
                [p.label for p in chunk],
                [p.suffix for p in chunk],
                [p.private_suffix for p in chunk],
            )
            scores = self.model.run(feeds)["p_scam"]
            self._remember_batch(names[start : start + BATCH], scores)

    def _remember_batch(self, names: Sequence[str], scores: np.ndarray) -> None:
        """Cache the evidence of a scored chunk: most domains score under the threshold and
        share the empty outcome, so only the flagged few build evidence."""
        # float32 -> float64 is exact: the same comparison as ``p < threshold`` on Python
        # floats (and NaN, never below, is flagged as before).
        flagged = np.flatnonzero(~(scores.astype(np.float64) < self.threshold)).tolist()
        found: dict[str, tuple[Evidence, ...]] = dict.fromkeys(names, ())
        if flagged:
            chosen = scores[flagged].tolist()
            for i, p in zip(flagged, chosen, strict=True):
                found[names[i]] = self._evidence(names[i], p)
        self._store(found)

    def _remember(self, scored: Iterable[tuple[str, float]]) -> None:
        # The evidence itself is cached (immutable), so a repeated domain costs a lookup.
        self._store({domain: self._evidence(domain, p) for domain, p in scored})

    def _store(self, found: dict[str, tuple[Evidence, ...]]) -> None:
        with self._lock:
            cache = self._cache
            if len(cache) + len(found) <= CACHE_SIZE:
                cache.update(found)
                return
            for domain, evidence in found.items():
                if len(cache) >= CACHE_SIZE:
                    cache.clear()
                cache[domain] = evidence

    def score(self, content: Any) -> Sequence[Evidence]:
        link: Link = content
        return self.score_host(link.host)

    def score_host(self, host: Host) -> Sequence[Evidence]:
        """All of this detector's evidence reads the registrable domain (the pipeline caches
        it per host, after ``prime`` scored the batch's new hosts in one model call)."""
        domain = host.parts.registrable
        # Only domains worth scoring are cached (never a protected site, an IP or no domain),
        # but a protected host may sit on a scored domain (``beta.ask.rip`` on ``ask.rip``).
        evidence = self._cache.get(domain)
        if evidence is not None and not host.is_ip:
            if evidence and self._covers(host.ascii, host.parts):
                return ()
            return evidence
        if host.is_ip or not domain or self._covers(host.ascii, host.parts):
            return ()
        parts = host.parts
        p = self.probability(parts.label, parts.suffix, parts.private_suffix)
        evidence = self._evidence(domain, p)
        self._store({domain: evidence})
        return evidence

    def _evidence(self, domain: str, p: float) -> tuple[Evidence, ...]:
        if p < self.threshold:
            return ()
        return (
            Evidence(
                self.name,
                "domain_model.scam_like",
                WEIGHT,
                Role.SUPPORTING,
                {"domain": domain},
                {
                    "registrable_domain": domain,
                    "p_scam": round(p, 4),
                    "threshold": self.threshold,
                    "model": MODEL,
                    "model_version": self._model_version,
                },
            ),
        )

    @classmethod
    def examples(cls) -> Sequence[Example]:
        code = ["domain_model.scam_like"]
        return (
            example(
                "https://claim-metamask-airdrop.xyz/", expect=code, why="brand + lure + cheap TLD"
            ),
            example(
                "https://wallet-connect-validate.top/", expect=code, why="wallet drainer shape"
            ),
            example("https://www.wikipedia.org/", forbid=code, why="a top site: not unseen"),
            example(
                "https://polkadot.network/features/staking/",
                forbid=code,
                why="a protected brand's own site",
            ),
            example("http://192.0.2.1/", forbid=code, why="no domain to judge"),
        )
