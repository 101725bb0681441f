"""Quantize the trained face classifier, compare fp32 and int8, write metadata and goldens.

    nice .venv/bin/python models/ai_face/export.py [--serve fp32|int8]

Reads ``ai_face_fp32.onnx`` (written by ``train.py train``) and the crop cache of
``train.py prepare``. Writes ``ai_face_int8.onnx`` (onnxruntime static QDQ quantization,
per-channel int8 weights, uint8 activations, calibrated on 512 training crops),
``metadata.json`` (the served file, both variants with their sha256, the threshold),
``golden.json`` (generated inputs through the serving preprocessing, replayed by a test) and
``/tmp/fakewatch_ai_face/report_export.json`` with size, latency and accuracy side by side.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import onnxruntime as ort  # noqa: E402
from onnxruntime.quantization import (  # noqa: E402
    CalibrationDataReader,
    CalibrationMethod,
    QuantFormat,
    QuantType,
    quantize_static,
)
from onnxruntime.quantization.shape_inference import quant_pre_process  # noqa: E402
from train import CACHE, SEED, load_cache, per_source, split_arrays  # noqa: E402

from server.detectors.ai_face import INPUT_SIZE, golden_feeds, to_input  # noqa: E402
from server.onnx_runtime import session_options, sha256_file  # noqa: E402

FP32 = HERE / "ai_face_fp32.onnx"
INT8 = HERE / "ai_face_int8.onnx"
VERSION = "1.0"


class Crops(CalibrationDataReader):
    def __init__(self, crops: np.ndarray, batch: int = 16) -> None:
        self.batches = [crops[i : i + batch] for i in range(0, len(crops), batch)]

    def get_next(self) -> dict[str, np.ndarray] | None:
        if not self.batches:
            return None
        return {"image": to_input(list(self.batches.pop(0)))}


def feature_nodes(path: Path) -> list[str]:
    """Nodes of the fixed residual-statistics part (``/model/features/...``).

    They stay float: squared residuals span five orders of magnitude before the log, which
    uint8 activations cannot hold (quantizing them flattens the small energies that matter).
    """
    import onnx

    graph = onnx.load(str(path)).graph
    return [n.name for n in graph.node if n.name.startswith("/model/features")]


def quantize(calibration: np.ndarray) -> None:
    prepared = CACHE / "ai_face_fp32_prep.onnx"
    quant_pre_process(str(FP32), str(prepared), skip_symbolic_shape=True)
    quantize_static(
        str(prepared),
        str(INT8),
        Crops(calibration),
        quant_format=QuantFormat.QDQ,
        per_channel=True,
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
        calibrate_method=CalibrationMethod.MinMax,
        nodes_to_exclude=feature_nodes(prepared),
    )


def session(path: Path) -> ort.InferenceSession:
    return ort.InferenceSession(
        str(path), sess_options=session_options(1), providers=["CPUExecutionProvider"]
    )


def scores(sess: ort.InferenceSession, crops: np.ndarray) -> np.ndarray:
    out = [
        sess.run(None, {"image": to_input(list(crops[i : i + 64]))})[0]
        for i in range(0, len(crops), 64)
    ]
    return np.concatenate(out).reshape(-1)


def latency_ms(sess: ort.InferenceSession, crop: np.ndarray, runs: int = 200) -> float:
    feed = {"image": to_input([crop])}
    for _ in range(20):
        sess.run(None, feed)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        sess.run(None, feed)
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 3)


GOLDEN_CASES = (
    {"name": "square_box", "seed": 1, "size": [300, 300], "box": [60, 50, 170, 200]},
    {"name": "box_past_edge", "seed": 2, "size": [640, 480], "box": [500, 300, 220, 260]},
    {"name": "small_face", "seed": 3, "size": [1024, 768], "box": [400, 200, 64, 80]},
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--serve", choices=("fp32", "int8"), default=None)
    args = parser.parse_args()

    arrays, meta = load_cache()
    _, _, eval_labels, eval_sources, eval_split = split_arrays(arrays, meta)
    rng = np.random.default_rng(SEED)
    pick = rng.choice(len(arrays["train_crops"]), size=512, replace=False)
    variant = rng.integers(0, arrays["train_crops"].shape[1], size=512)
    quantize(arrays["train_crops"][pick, variant])

    main_report = json.loads((CACHE / "report_main.json").read_text())
    threshold = float(main_report["threshold"])
    test = eval_split == "test"
    report: dict[str, object] = {"threshold": threshold}
    sessions = {"fp32": session(FP32), "int8": session(INT8)}
    probe = arrays["eval_clean"][0]
    for name, sess in sessions.items():
        path = FP32 if name == "fp32" else INT8
        row: dict[str, object] = {
            "bytes": path.stat().st_size,
            "latency_ms_batch1_1thread": latency_ms(sess, probe),
        }
        for kind in ("clean", "degraded"):
            s = scores(sess, arrays[f"eval_{kind}"][test])
            row[kind] = per_source(s, eval_labels[test], eval_sources[test], threshold)
        report[name] = row
    fp, q = (scores(sessions[n], arrays["eval_clean"][test]) for n in ("fp32", "int8"))
    report["int8_vs_fp32_max_abs_diff"] = round(float(np.max(np.abs(fp - q))), 4)
    report["int8_vs_fp32_flips_at_threshold"] = int(np.sum((fp >= threshold) != (q >= threshold)))
    print(json.dumps(report, indent=1))
    (CACHE / "report_export.json").write_text(json.dumps(report, indent=1))

    served = args.serve or "fp32"
    served_path = FP32 if served == "fp32" else INT8
    metadata = {
        "name": "ai_face",
        "version": VERSION,
        "file": served_path.name,
        "sha256": sha256_file(served_path),
        "variants": {
            "fp32": {"file": FP32.name, "sha256": sha256_file(FP32)},
            "int8": {"file": INT8.name, "sha256": sha256_file(INT8)},
        },
        "thresholds": {"flag": threshold, "high": float(main_report.get("threshold_high", 1.0))},
        "input": {
            "name": "image",
            "shape": ["batch", 3, INPUT_SIZE, INPUT_SIZE],
            "dtype": "float32",
            "range": "RGB in [0, 1]",
            "preprocessing": "server.detectors.ai_face.face_crop: YuNet box, square of its "
            "longer side shifted inside the image, bilinear resize to 128",
        },
        "output": {"name": "p_fake", "shape": ["batch"], "meaning": "P(AI-generated or edited)"},
        "card": "MODEL_CARD.md",
    }
    (HERE / "metadata.json").write_text(json.dumps(metadata, indent=2) + "\n")
    golden_sess = sessions[served]
    cases = []
    for case in GOLDEN_CASES:
        out = golden_sess.run(None, golden_feeds(case))[0]
        cases.append(
            {"name": case["name"], "input": case, "outputs": {"p_fake": out.round(6).tolist()}}
        )
    golden = {"sha256": metadata["sha256"], "atol": 1e-4, "cases": cases}
    (HERE / "golden.json").write_text(json.dumps(golden, indent=2) + "\n")
    print("served:", served, metadata["sha256"])


if __name__ == "__main__":
    main()
