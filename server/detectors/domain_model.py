"""The unseen-scam-domain model as a link detector.

Scores the registrable domain (``claim-metamask.io``, ``metamask-io.pages.dev``) with the
model in ``models/scam_domain``, against two cuts stored with the model
(``metadata.thresholds``), each a budget of the out-of-fold scores of its training legit
domains:

- from ``alone`` (0.1 % of them): ``domain_model.scam_like``, SUPPORTING with weight 0.5,
  exactly the combiner's ``SUSPICIOUS_AT``: alone it makes a verdict ``suspicious``, never
  ``likely_scam``; beside a lookalike it is the corroboration that makes ``likely_scam``.
- from ``suspicious`` (0.4 %) up to ``alone``: ``domain_model.scam_like_weak``, SUPPORTING with
  weight ``WEAK_WEIGHT`` (0.42) that ``needs_other_reader``: not enough alone, nor beside
  what only repeats what the model read of the name (``reads=SITE_NAME``: url_cues' risky
  ending, and the hyphens and random look of the registrable name; another site's weak
  reason); enough beside a cue of 0.15 or more that reads something else (a lure word or a
  famous name, hyphens a subdomain adds, a lookalike, a list, a message's wording: 0.42 +
  0.15 -> 0.507) and, like the strong reason, a corroboration of another detector's PRIMARY
  finding (a lookalike; in a message, the scam-text classifier). A lookalike cue held to
  SUPPORTING is only added to. Legit .xyz sites between the cuts (zapper.xyz, layer3.xyz)
  were ``suspicious`` from the weak reason and the risky-ending cue: one ending counted twice.

A message (``/v1/check/text``) combines the evidence of all its links at once; two links to
one site carry one score, counted once (``Scored.merge`` drops a site's repeated evidence), so
``secure-login.net/notes`` and ``/slides`` in one message read as one link does. Two sites'
weak reasons are two readings of names by one model (both ``SITE_NAME``): they do not add up
(a message listing ``zapper.xyz`` and ``layer3.xyz`` is one kind of name, read twice).

Why two cuts: alone, the 0.4 % cut flagged 0.34 % of popular sites the model never saw, most
of the product's 0.5 % budget. On three earlier time splits (``select_tiers.py``) the 0.1 % cut
made 2-3 of 3,724 hold-out legit domains suspicious by itself instead of 11-16, at a real cost:
folded-disjoint scam recall of the whole rule pipeline 71.8 % -> 54.2 % (mean).

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
from server.scoring.evidence import SITE_NAME, Evidence, Role
from server.scoring.resources import Resources

MODEL = "scam_domain"
#: See the module docstring: equal to the combiner's SUSPICIOUS_AT, on purpose.
WEIGHT = 0.5
#: Between the two cuts: under SUSPICIOUS_AT alone, over it beside any cue of 0.15 or more
#: (chosen over 0.35, which needs a cue of 0.24, on the time splits of ``select_tiers.py``).
WEAK_WEIGHT = 0.42
#: Registrable domains whose score is remembered (a few MB at most).
CACHE_SIZE = 100_000
#: Domains per model call in ``prime``: big enough to amortise the call, small enough that
#: the padded batch stays a few hundred kB.
BATCH = 512


class DomainModelDetector:
    name: ClassVar[str] = "domain_model"
    version: ClassVar[str] = "1.1"
    kinds: ClassVar[frozenset[ContentKind]] = frozenset({ContentKind.LINK})
    messages: ClassVar[Messages] = {
        "domain_model.scam_like": {
            # Plain words for the person; the score, the threshold and the model are in
            # ``details`` (the moderator page and ``--json`` show them).
            "en": "The site name {domain} looks like the scam sites our model learned from.",
            "zh": "网站名 {domain} 与我们的模型学过的诈骗网站很像。",
        },
        "domain_model.scam_like_weak": {
            # Between the two cuts: shown, but a verdict only beside another signal.
            "en": "The site name {domain} has some traits of the scam sites our model learned from.",
            "zh": "网站名 {domain} 有一些我们的模型学过的诈骗网站的特征。",
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
        thresholds = self.model.metadata.thresholds
        #: From this score on the model says something (``scam_like_weak``); from
        #: ``threshold_alone`` on it is enough alone (``scam_like``). A build without an
        #: ``alone`` cut has one tier, as build 1.1 first shipped.
        self.threshold = thresholds["suspicious"]
        self.threshold_alone = thresholds.get("alone", self.threshold)
        if not self.threshold_alone >= self.threshold:
            raise ModelError(f"{MODEL} metadata: thresholds.alone is below thresholds.suspicious")
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
        # NaN is never below a cut: flagged, and as strongly as any score (as before).
        weak = p < self.threshold_alone
        return (
            Evidence(
                self.name,
                "domain_model.scam_like_weak" if weak else "domain_model.scam_like",
                WEAK_WEIGHT if weak else WEIGHT,
                Role.SUPPORTING,
                {"domain": domain},
                {
                    "registrable_domain": domain,
                    "p_scam": round(p, 4),
                    "threshold": self.threshold,
                    "threshold_alone": self.threshold_alone,
                    "model": MODEL,
                    "model_version": self._model_version,
                },
                reads=SITE_NAME,
                needs_other_reader=weak,
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
            example(
                "https://secure-login.net/",
                expect=["domain_model.scam_like_weak"],
                forbid=code,
                why="between the two cuts: a reason, not a verdict by itself",
            ),
            example("https://www.wikipedia.org/", forbid=code, why="a top site: not unseen"),
            example(
                "https://polkadot.network/features/staking/",
                forbid=code,
                why="a protected brand's own site",
            ),
            example("http://192.0.2.1/", forbid=code, why="no domain to judge"),
        )
