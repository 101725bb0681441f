"""128-d face embeddings: dlib's ResNet model, faces aligned on its 5-point landmarks.

The models come from the PyPI package ``face-recognition-models`` and run in ``dlib`` (PyPI
``dlib-bin``). Only two of its files are ever opened: ``dlib_face_recognition_resnet_model_v1``
and ``shape_predictor_5_face_landmarks`` (both CC0). The 68-point predictor in the same
package is licensed for non-commercial use only: FakeWatch never loads it.

Faces are *found* elsewhere (YuNet, ``server/media/faces.py``); this module only turns a face
box into an embedding: the 5-point predictor places eye corners and the nose base inside the
box, dlib aligns a 150×150 chip on them and the ResNet maps the chip to 128 numbers. Two
photos of the same person land within ``DISTANCE_THRESHOLD`` (Euclidean) of each other.

The models load once, on first use, behind a lock (~0.3 s); ``embed`` is CPU work (~0.1-0.3 s
a face on one core): call it from the CPU executor, never on the event loop.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

#: Embedding length of dlib's ResNet face model.
DIMENSIONS = 128

#: Model identity stored beside each embedding: embeddings of different models never compare.
MODEL_NAME = "dlib_resnet_v1+5pt"

#: Euclidean distance under which two faces are taken as the same person. dlib's published
#: operating point (99.38 % on LFW) and, measured here by ``bench/face_threshold.py`` on the
#: 300 pairs of ``deepface/master.csv``: every same-person pair is under it (max 0.59) and
#: every different-person pair above it (min 0.65).
DISTANCE_THRESHOLD = 0.60

#: Faces smaller than this (shorter side of the box, in pixels) are not identified: the
#: 150-px chip would be an upscaled blur and distances stop meaning anything.
MIN_FACE_PIXELS = 40

FloatArray = npt.NDArray[np.float32]

_RESNET = "dlib_face_recognition_resnet_model_v1.dat"
_FIVE_POINT = "shape_predictor_5_face_landmarks.dat"


class EmbedderUnavailable(RuntimeError):
    """The embedding model files are not installed (``pip install face-recognition-models``)."""


def similarity(distance: float) -> float:
    """The score shown to people: ``1 - distance``, clipped to [0, 1] (higher = more alike)."""
    return float(min(1.0, max(0.0, 1.0 - distance)))


#: ``similarity`` at ``DISTANCE_THRESHOLD``: a face matches when its similarity is at least this.
SIMILARITY_THRESHOLD = round(similarity(DISTANCE_THRESHOLD), 2)


@dataclass(frozen=True, slots=True)
class FaceBox:
    """A face found in an image: ``x, y, width, height`` in pixels of that image."""

    x: float
    y: float
    width: float
    height: float

    @property
    def size(self) -> float:
        return min(self.width, self.height)


def models_dir() -> Path:
    """Where ``face-recognition-models`` keeps its files, found without importing it (its
    ``__init__`` needs ``pkg_resources``, which new setuptools no longer ship)."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise EmbedderUnavailable(
            "The face embedding model is not installed: pip install face-recognition-models"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "models"


class FaceEmbedder:
    """Loads the two dlib models once (lazily, thread-safe) and embeds face boxes."""

    def __init__(self, directory: Path | None = None) -> None:
        self._directory = directory
        self._lock = threading.Lock()
        self._models: tuple[Any, Any] | None = None

    @property
    def loaded(self) -> bool:
        return self._models is not None

    def _load(self) -> tuple[Any, Any]:
        models = self._models
        if models is not None:
            return models
        with self._lock:
            if self._models is None:
                import dlib  # deferred: a second of import the link-only CLI never pays

                directory = self._directory or models_dir()
                for name in (_RESNET, _FIVE_POINT):
                    if not (directory / name).is_file():
                        raise EmbedderUnavailable(f"missing face model file {directory / name}")
                predictor = dlib.shape_predictor(str(directory / _FIVE_POINT))
                resnet = dlib.face_recognition_model_v1(str(directory / _RESNET))
                self._models = (predictor, resnet)
            return self._models

    def embed(self, rgb: npt.NDArray[np.uint8], boxes: Sequence[FaceBox]) -> list[FloatArray]:
        """One embedding per box of an ``H×W×3`` uint8 RGB image, in the order given."""
        if not boxes:
            return []
        import dlib

        predictor, resnet = self._load()
        image = np.ascontiguousarray(rgb, dtype=np.uint8)
        height, width = image.shape[:2]
        shapes = dlib.full_object_detections()
        for box in boxes:
            left = int(max(0, round(box.x)))
            top = int(max(0, round(box.y)))
            right = int(min(width - 1, round(box.x + box.width)))
            bottom = int(min(height - 1, round(box.y + box.height)))
            shapes.append(predictor(image, dlib.rectangle(left, top, right, bottom)))
        vectors = resnet.compute_face_descriptor(image, shapes, 0)
        return [np.asarray(v, dtype=np.float32) for v in vectors]


def to_blob(vector: FloatArray) -> bytes:
    """An embedding as stored in SQLite: 128 little-endian float32."""
    if vector.shape != (DIMENSIONS,):
        raise ValueError(f"an embedding has {DIMENSIONS} numbers, got shape {vector.shape}")
    return np.asarray(vector, dtype="<f4").tobytes()


def from_blob(blob: bytes) -> FloatArray:
    if len(blob) != DIMENSIONS * 4:
        raise ValueError(f"a stored embedding is {DIMENSIONS * 4} bytes, got {len(blob)}")
    return np.frombuffer(blob, dtype="<f4").astype(np.float32)
