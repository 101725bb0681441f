"""The one ONNX loader: hash check, one session per model, golden replay."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from server.onnx_runtime import (
    ModelChecksumMismatch,
    ModelError,
    ModelStore,
    load_model,
    replay_golden,
    session_options,
    sha256_file,
)


def _write_doubler(folder: Path) -> Path:
    """A model that doubles its input, with metadata and golden outputs."""
    folder.mkdir(parents=True)
    graph = helper.make_graph(
        [helper.make_node("Add", ["x", "x"], ["y"])],
        "doubler",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 2])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, folder / "model.onnx")
    metadata = {
        "name": "doubler",
        "version": "1",
        "file": "model.onnx",
        "sha256": sha256_file(folder / "model.onnx"),
        "thresholds": {"flag": 0.5},
    }
    (folder / "metadata.json").write_text(json.dumps(metadata), encoding="utf-8")
    return folder


def _prepare(value: list[float]) -> dict[str, np.ndarray]:
    return {"x": np.asarray([value], dtype=np.float32)}


def test_a_verified_model_runs_and_replays_its_golden_outputs(tmp_path: Path) -> None:
    model = load_model(_write_doubler(tmp_path / "doubler"))
    assert model.metadata.thresholds == {"flag": 0.5}
    golden = {"atol": 1e-6, "cases": [{"name": "one", "input": [1, 2], "outputs": {"y": [[2, 4]]}}]}
    assert replay_golden(model, golden, _prepare) == []


def test_golden_replay_reports_a_drifted_output(tmp_path: Path) -> None:
    model = load_model(_write_doubler(tmp_path / "doubler"))
    golden = {"cases": [{"name": "off", "input": [1, 2], "outputs": {"y": [[2, 5]]}}]}
    [mismatch] = replay_golden(model, golden, _prepare)
    assert (mismatch.case, mismatch.output, mismatch.max_abs_diff) == ("off", "y", 1.0)


def test_a_changed_model_file_is_refused_with_both_hashes(tmp_path: Path) -> None:
    folder = _write_doubler(tmp_path / "doubler")
    with (folder / "model.onnx").open("ab") as handle:
        handle.write(b"\0")
    with pytest.raises(ModelChecksumMismatch, match=r"metadata\.json expects"):
        load_model(folder)


def test_a_missing_model_names_the_folder(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="nothing-here"):
        ModelStore(tmp_path).get("nothing-here")


def test_the_store_opens_each_model_once(tmp_path: Path) -> None:
    _write_doubler(tmp_path / "doubler")
    store = ModelStore(tmp_path)
    assert store.get("doubler") is store.get("doubler")
    assert store.loaded() == {"doubler": "1"}


def test_sessions_use_one_thread_and_never_spin() -> None:
    options = session_options()
    assert options.intra_op_num_threads == 1
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"
