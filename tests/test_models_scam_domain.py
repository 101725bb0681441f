"""The shipped scam-domain model: verified, loaded by the server's loader, golden outputs hold."""

from __future__ import annotations

from typing import Any

import numpy as np

from server.detectors.domain_model import DomainModelDetector
from server.engine import Engine
from server.links.domain_features import DIM, FEATURES_VERSION, SMALL_BATCH, DomainFeaturizer
from server.onnx_runtime import ModelStore, default_models_dir, read_golden, replay_golden

FOLDER = default_models_dir() / "scam_domain"


def _featurizer() -> DomainFeaturizer:
    features = ModelStore().get("scam_domain").metadata.raw["features"]
    return DomainFeaturizer(features["brands"], features["lures"])


def test_golden_outputs_replay_through_the_servers_loader_and_features() -> None:
    model = ModelStore().get("scam_domain")
    featurizer = _featurizer()

    def prepare(case: dict[str, Any]) -> dict[str, np.ndarray]:
        row = featurizer.hashed(case["label"], case["suffix"], case["private_suffix"])
        return featurizer.batch([row])

    golden = read_golden(FOLDER)
    assert golden["sha256"] == model.metadata.sha256
    assert replay_golden(model, golden, prepare) == []


def test_the_vocabulary_travels_with_the_model() -> None:
    features = ModelStore().get("scam_domain").metadata.raw["features"]
    assert features["dim"] == DIM and features["version"] == FEATURES_VERSION
    assert _featurizer().vocabulary_sha256 == features["vocabulary_sha256"]


def test_a_batch_scores_each_domain_as_it_would_alone() -> None:
    model = ModelStore().get("scam_domain")
    featurizer = _featurizer()
    rows = [
        featurizer.hashed("claim-metamask-airdrop", "xyz", False),
        featurizer.hashed("bbc", "co.uk", False),
    ]
    together = model.run(featurizer.batch(rows))["p_scam"]
    alone = [model.run(featurizer.batch([r]))["p_scam"][0] for r in rows]
    assert np.allclose(together, alone, atol=1e-6)
    assert together[0] > model.metadata.thresholds["suspicious"] > together[1]


def test_a_primed_batch_gives_each_link_the_evidence_it_gets_alone(engine: Engine) -> None:
    urls = [
        "https://claim-metamask-airdrop.xyz/",
        "https://wallet-connect-validate.top/x",
        "https://bbc.co.uk/news",
        "https://uniswap-rewards.pages.dev/",
        "http://192.0.2.1/",
    ]
    # Enough distinct domains that prime takes the array path (SMALL_BATCH and up).
    urls += [f"https://shop-{i}-{'x' * (i % 30)}z.com/" for i in range(SMALL_BATCH + 4)]
    links = [engine.resources.parser.parse(u) for u in urls]
    primed = DomainModelDetector(engine.resources)
    primed.prime(links)
    alone = DomainModelDetector(engine.resources)
    assert [primed.score(link) for link in links] == [alone.score(link) for link in links]
    assert primed.score(links[0]) and not primed.score(links[2])
