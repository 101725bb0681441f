"""Hashing media for the bank: decode, detect faces, hash every region (with mirrors).

Shared by ``POST /v1/known-fakes`` and ``fakewatch known-fakes add``; synchronous CPU work
(call it from the CPU executor in the server).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from server.media.decode import DecodeLimits, decode_media
from server.media.faces import MODEL_NAME, FaceDetector, detect_faces
from server.media.hashing import RegionHash, hash_regions
from server.media.identity import entry_faces
from server.media.inner_face import MAX_FACES as MAX_INNER_FACES
from server.media.inner_face import inner_regions
from server.media.labels import AiLabel, read_labels
from server.persons.embed import EmbedderUnavailable, FloatArray
from server.scoring.resources import Resources
from server.storage.database import make_private_dir, write_private_file


class EnrolError(ValueError):
    """The media decodes but has nothing worth hashing (flat, tiny or featureless)."""


@dataclass(frozen=True, slots=True)
class MediaHashes:
    """The bank-side hashes of one file, with what identifies the file."""

    regions: tuple[RegionHash, ...]
    sha256: str
    format: str
    #: Timestamp of each frame (``None`` for a still image), indexed by ``RegionHash.frame``.
    timestamps: tuple[float | None, ...]
    #: The file's AI-content labels (``describe_label``), kept so a copy without them can be
    #: called out as stripped.
    ai_labels: tuple[str, ...] = ()
    #: ``(frame, embedding)`` of its largest faces and their mirrors (``server.media.identity``).
    faces: tuple[tuple[int, FloatArray], ...] = ()


def hash_for_bank(data: bytes, limits: DecodeLimits, resources: Resources) -> MediaHashes:
    """Raises ``MediaError`` for bad media, ``EnrolError`` when nothing can be hashed."""
    item = decode_media(data, limits)
    detector = FaceDetector(resources.models.get(MODEL_NAME))
    faces = detect_faces(item, detector)
    regions = tuple(
        region
        for frame, frame_faces in zip(item.frames, faces, strict=True)
        for region in (
            *hash_regions(frame.image, frame_faces, bank=True, frame=frame.index),
            *inner_regions(
                frame.image,
                frame_faces,
                detector,
                bank=True,
                frame=frame.index,
                # A video's keyframes: the largest face each, as a video query hashes.
                max_faces=1 if len(item.frames) > 1 else MAX_INNER_FACES,
            ),
        )
    )
    if not regions:
        raise EnrolError(
            "The picture has too little detail to hash (flat colour, tiny or featureless);"
            " nothing was added."
        )
    labels = tuple(
        describe_label(label) for label in read_labels(item.metadata, item.raw, item.mime)
    )
    try:
        embedded = tuple(entry_faces(item, faces, resources.embedder))
    except EmbedderUnavailable:
        embedded = ()  # Matches then cannot be checked for another face; they still count.
    return MediaHashes(
        regions,
        item.sha256,
        item.format,
        tuple(f.timestamp_s for f in item.frames),
        labels,
        embedded,
    )


def describe_label(label: AiLabel) -> str:
    """One label as the bank keeps it: ``standard: value (generator)``, at most 160 chars."""
    text = f"{label.standard}: {label.value}"
    if label.generator:
        text += f" ({label.generator})"
    return text[:160]


_EXTENSIONS = {
    "JPEG": "jpg",
    "PNG": "png",
    "WEBP": "webp",
    "GIF": "gif",
    "HEIF": "heic",
    "MP4": "mp4",
    "MOV": "mov",
    "WEBM": "webm",
}


def keep_media(data_dir: Path, hashed: MediaHashes, data: bytes) -> Path:
    """Store the file (operator opt-in: ``FAKEWATCH_KNOWN_FAKES_KEEP_MEDIA``) by content hash."""
    folder = data_dir / "known_fakes"
    make_private_dir(folder)
    path = folder / f"{hashed.sha256}.{_EXTENSIONS.get(hashed.format, 'bin')}"
    if not path.exists():
        write_private_file(path, data)
    return path
