"""The one place the server loads ONNX models.

Each model lives in ``models/<name>/`` with a ``metadata.json`` that names the ``.onnx`` file
the server runs and its sha256. ``ModelStore.get(name)`` checks the hash, builds one
onnxruntime session with explicit thread limits and keeps it for the life of the process.
Loading happens while the engine is built, which the app does off the event loop; inference
runs in the CPU executor or the pipeline's executor, never on the loop.

``replay_golden`` feeds a model the inputs recorded in its ``golden.json`` through the same
session the server uses and reports every output that drifted, so a test can pin the shipped
weights and the preprocessing that feeds them.

Errors::

    ModelError                 a model cannot be used (missing folder, file or metadata key)
    └── ModelChecksumMismatch  the .onnx on disk is not the file metadata.json describes
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

#: Threads one session may use. The server has two CPU-executor threads on two cores; each
#: inference using one thread keeps both cores busy without oversubscribing them.
DEFAULT_THREADS = 1


class ModelError(RuntimeError):
    """A model cannot be used; the message names the folder and what is missing."""


class ModelChecksumMismatch(ModelError):
    """The model file's sha256 differs from its metadata: rebuild it or restore the file."""


def default_models_dir() -> Path:
    """``models/`` beside the ``server`` package (a source checkout)."""
    return Path(__file__).resolve().parent.parent / "models"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class ModelMetadata:
    """What ``metadata.json`` says about a model.

    ``file``/``sha256`` name the file the server runs; ``variants`` maps other builds
    (``fp32``, ``int8``) to their own ``{"file", "sha256"}`` for benchmarks; ``thresholds``
    are named operating points with their source in the model card; ``raw`` keeps every
    other key (preprocessing parameters, labels) for the code that feeds the model.
    """

    name: str
    version: str
    file: str
    sha256: str
    thresholds: Mapping[str, float] = field(default_factory=dict)
    variants: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    raw: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def read(cls, model_dir: Path) -> ModelMetadata:
        path = model_dir / "metadata.json"
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ModelError(f"{path} is missing: build the model with its export script") from None
        except (OSError, ValueError) as exc:
            raise ModelError(f"{path} cannot be read: {exc}") from None
        if not isinstance(raw, dict):
            raise ModelError(f"{path} must hold a JSON object")
        missing = [key for key in ("name", "version", "file", "sha256") if key not in raw]
        if missing:
            raise ModelError(f"{path} lacks {', '.join(missing)}")
        return cls(
            name=str(raw["name"]),
            version=str(raw["version"]),
            file=str(raw["file"]),
            sha256=str(raw["sha256"]).lower(),
            thresholds={str(k): float(v) for k, v in raw.get("thresholds", {}).items()},
            variants=raw.get("variants", {}),
            raw=raw,
        )

    def file_for(self, variant: str | None) -> tuple[str, str]:
        """``(file, sha256)`` of the served build, or of a named variant."""
        if variant is None:
            return self.file, self.sha256
        try:
            chosen = self.variants[variant]
            return str(chosen["file"]), str(chosen["sha256"]).lower()
        except KeyError:
            raise ModelError(
                f"model {self.name} has no variant {variant!r} "
                f"(known: {', '.join(sorted(self.variants)) or 'none'})"
            ) from None


def session_options(threads: int = DEFAULT_THREADS) -> ort.SessionOptions:
    """Explicit limits: ``threads`` for one operator, sequential graphs, no busy-waiting
    (spinning threads would steal the core the event loop runs on)."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    options.log_severity_level = 3
    return options


class OnnxModel:
    """One verified model and its session (onnxruntime sessions are safe to share
    between threads)."""

    def __init__(self, metadata: ModelMetadata, path: Path, session: ort.InferenceSession) -> None:
        self.metadata = metadata
        self.path = path
        self.session = session
        self.input_names = tuple(i.name for i in session.get_inputs())
        self.output_names = tuple(o.name for o in session.get_outputs())

    @property
    def name(self) -> str:
        return self.metadata.name

    @property
    def version(self) -> str:
        return self.metadata.version

    def run(self, feeds: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Every output by name (synchronous CPU work: call it from an executor)."""
        outputs = self.session.run(None, dict(feeds))
        return {
            name: np.asarray(value) for name, value in zip(self.output_names, outputs, strict=True)
        }


def load_model(
    model_dir: Path, *, variant: str | None = None, threads: int = DEFAULT_THREADS
) -> OnnxModel:
    """Verify and open one model folder (seconds of CPU at most: call it off the loop)."""
    if not model_dir.is_dir():
        raise ModelError(f"model folder {model_dir} does not exist")
    metadata = ModelMetadata.read(model_dir)
    file_name, expected = metadata.file_for(variant)
    path = model_dir / file_name
    if not path.is_file():
        raise ModelError(f"{path} is missing: build the model with its export script")
    actual = sha256_file(path)
    if actual != expected:
        raise ModelChecksumMismatch(
            f"{path} has sha256 {actual}, metadata.json expects {expected}: "
            "re-run the export script or restore the committed file"
        )
    session = ort.InferenceSession(
        str(path), sess_options=session_options(threads), providers=["CPUExecutionProvider"]
    )
    return OnnxModel(metadata, path, session)


class ModelStore:
    """Models of one process, each loaded once on first use and then shared.

    Detectors ask for their model in ``__init__`` (which runs while the engine is built, off
    the event loop); a second ``get`` of the same name returns the same session.
    """

    def __init__(self, root: Path | None = None, threads: int = DEFAULT_THREADS) -> None:
        self.root = root if root is not None else default_models_dir()
        self.threads = threads
        self._loaded: dict[tuple[str, str | None], OnnxModel] = {}
        self._lock = threading.Lock()

    def get(self, name: str, variant: str | None = None) -> OnnxModel:
        key = (name, variant)
        with self._lock:
            model = self._loaded.get(key)
            if model is None:
                model = load_model(self.root / name, variant=variant, threads=self.threads)
                self._loaded[key] = model
            return model

    def loaded(self) -> dict[str, str]:
        """``{name: version}`` of the models loaded so far (for ``/v1/meta``-style reports)."""
        with self._lock:
            return {
                m.name: m.version for (_, variant), m in self._loaded.items() if variant is None
            }


@dataclass(frozen=True)
class GoldenMismatch:
    """One recorded case whose output drifted past the tolerance."""

    case: str
    output: str
    max_abs_diff: float
    expected: Any
    actual: Any


def read_golden(model_dir: Path) -> dict[str, Any]:
    """``golden.json``: ``{"sha256", "atol", "cases": [{"name", "input", "outputs"}]}``."""
    path = model_dir / "golden.json"
    try:
        golden = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"{path} cannot be read: {exc}") from None
    if not isinstance(golden, dict) or not isinstance(golden.get("cases"), list):
        raise ModelError(f"{path} must hold an object with a 'cases' list")
    return golden


def replay_golden(
    model: OnnxModel,
    golden: Mapping[str, Any],
    prepare: Callable[[Any], Mapping[str, np.ndarray]],
) -> list[GoldenMismatch]:
    """Run every golden case through ``prepare`` (the serving preprocessing) and ``model``.

    Returns the mismatches; an empty list means the shipped model and preprocessing still
    produce the recorded outputs within ``golden["atol"]`` (default 1e-4).
    """
    atol = float(golden.get("atol", 1e-4))
    cases: Sequence[Mapping[str, Any]] = golden["cases"]
    mismatches: list[GoldenMismatch] = []
    for case in cases:
        outputs = model.run(prepare(case["input"]))
        for output_name, expected in case["outputs"].items():
            actual = outputs[output_name]
            wanted = np.asarray(expected, dtype=actual.dtype)
            if actual.shape != wanted.shape:
                mismatches.append(
                    GoldenMismatch(
                        str(case["name"]), output_name, float("inf"), expected, actual.tolist()
                    )
                )
                continue
            diff = float(np.max(np.abs(actual.astype(np.float64) - wanted))) if actual.size else 0.0
            if diff > atol:
                mismatches.append(
                    GoldenMismatch(str(case["name"]), output_name, diff, expected, actual.tolist())
                )
    return mismatches
