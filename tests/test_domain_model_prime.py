"""The domain model's batch bookkeeping: a primed chunk caches, domain by domain, exactly the
evidence its score gives (the flagged few build evidence, the rest share the empty outcome)."""

from __future__ import annotations

import numpy as np

from server.detectors.domain_model import DomainModelDetector
from server.engine import Engine


def test_a_scored_chunk_caches_the_evidence_each_score_gives(engine: Engine) -> None:
    detector = DomainModelDetector(engine.resources)
    line = np.float32(detector.threshold)
    # float32 scores on both sides of the (float64) threshold, and far from it.
    scores = np.array(
        [
            np.nextafter(line, np.float32(0)),
            line,
            np.nextafter(line, np.float32(1)),
            0.0,
            0.5,
            1.0,
            0.99999,
        ],
        dtype=np.float32,
    )
    names = [f"case-{i}.example" for i in range(len(scores))]
    detector._remember_batch(names, scores)
    expected = {
        name: detector._evidence(name, float(p)) for name, p in zip(names, scores, strict=True)
    }
    assert {name: detector._cache[name] for name in names} == expected
    flagged = [name for name in names if expected[name]]
    assert flagged and len(flagged) < len(names)
    evidence = expected[names[-1]][0]
    assert evidence.details["p_scam"] == round(float(scores[-1]), 4)
    # The sentence names the site only; the score and the line it crossed are details.
    assert evidence.params == {"domain": names[-1]}
    assert evidence.details["threshold"] == detector.threshold


def test_prime_skips_what_it_cannot_judge_and_score_host_reads_the_cache(engine: Engine) -> None:
    parse = engine.resources.parser.parse
    links = [
        parse(u)
        for u in (
            "https://claim-metamask-airdrop.xyz/",
            "https://claim-metamask-airdrop.xyz/other",  # the same domain twice
            "https://www.wikipedia.org/",  # a top site: not unseen
            "http://192.0.2.1/",  # no domain
        )
    ]
    detector = DomainModelDetector(engine.resources)
    detector.prime([*links, object()])  # anything without a host is passed over
    assert list(detector._cache) == ["claim-metamask-airdrop.xyz"]
    cached = detector._cache["claim-metamask-airdrop.xyz"]
    assert cached and detector.score_host(links[1].host) is cached
    assert detector.score_host(links[2].host) == () == detector.score_host(links[3].host)
