"""The shipped scam-text model: verified, loaded by the server's loader, golden outputs hold."""

from __future__ import annotations

import numpy as np

from server.onnx_runtime import ModelStore, default_models_dir, read_golden, replay_golden
from server.text.features import DIM, FEATURES_VERSION, dense, normalize

FOLDER = default_models_dir() / "scam_text"


def test_golden_outputs_replay_through_the_servers_loader_and_features() -> None:
    model = ModelStore().get("scam_text")
    golden = read_golden(FOLDER)
    assert golden["sha256"] == model.metadata.sha256
    assert replay_golden(model, golden, lambda text: {"features": dense([text])}) == []


def test_metadata_matches_the_feature_code_it_was_trained_with() -> None:
    metadata = ModelStore().get("scam_text").metadata
    assert metadata.raw["features"]["dim"] == DIM
    assert metadata.raw["features"]["version"] == FEATURES_VERSION
    assert metadata.raw["labels"] == ["ham", "spam", "scam"]
    assert 0.0 < metadata.thresholds["scam"] < 1.0


def test_every_shipped_build_loads_and_they_agree_on_the_golden_texts() -> None:
    store = ModelStore()
    golden = read_golden(FOLDER)
    features = dense([case["input"] for case in golden["cases"]])
    outputs = {
        variant: store.get("scam_text", variant).run({"features": features})["probs"]
        for variant in store.get("scam_text").metadata.variants
    }
    assert set(outputs) == {"fp32", "int8"}
    # int8 keeps every decision on these texts and stays within a few points of fp32.
    assert np.array_equal(outputs["fp32"].argmax(1), outputs["int8"].argmax(1))
    assert float(np.max(np.abs(outputs["fp32"] - outputs["int8"]))) < 0.05


def test_links_become_one_marker_even_bare_and_glued_to_chinese_text() -> None:
    assert normalize("请到官网zwh.shop购买") == normalize("请到官网 https://x.example/a 购买")
    assert (
        normalize("点击dwz.cn/x领取")
        == normalize("点击 https://u.example.cn/qAE9U领取")
        == "点击 → 领取"
    )
    # A bare word with a dot but no common top-level domain stays text.
    assert normalize("I use node.js, said Mr.Smith") == "i use node.js, said mr.smith"
