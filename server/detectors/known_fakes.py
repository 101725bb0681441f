"""Known fakes: this picture (or a video keyframe) is a copy of media moderators confirmed.

Every frame is hashed in several regions (``server.media.hashing``: stripped of borders and
caption bars, centre and corner crops, the aligned face) and looked up in the bank's index
(``server.media.matching``). A match is DECISIVE: the bank holds only media a moderator
confirmed, the same standing as a blocklist entry. The reason names the entry and, in words,
the part of the picture (or the video's second) that met it; the details add which hash kind
and regions met, the distance, the threshold and the gates, for moderators.

A hashes-only check (``MediaItem.client_hashes``) is matched the same way with the
client's hashes, region ``client``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from server.media.bank import KnownFake, KnownFakesIndex
from server.media.faces import MODEL_NAME, FaceDetector, detect_faces, soon, start_face_work
from server.media.hashing import HashKind, RegionHash, frame_hasher
from server.media.identity import FACE_DIFFERS, nearest, query_faces
from server.media.inner_face import MAX_FACES as MAX_INNER_FACES
from server.media.inner_face import inner_regions
from server.media.item import MediaItem
from server.media.labels import read_labels
from server.media.matching import HashMatch
from server.persons.embed import EmbedderUnavailable
from server.scoring.detector import ContentKind, Example, Messages
from server.scoring.evidence import Evidence, Role
from server.scoring.resources import Resources

log = logging.getLogger("fakewatch.media")

#: A confirmed known fake decides the verdict, like a blocklist hit.
MATCH_WEIGHT = 0.97
#: Media with more frames than this (videos, long animations) are hashed in fewer regions
#: per frame, so 16 keyframes fit in the detector's time limit on two busy cores.
COMPACT_FROM_FRAMES = 4
#: Matches listed in the details (the strongest first); the reason names the best one.
MAX_SHOWN = 5
#: ``MediaItem.memo`` key of the face regions of every frame (computed on the face thread).
_FACE_REGIONS = "known_fakes:face_regions"
#: ``MediaItem.memo`` key prefix of the face thread's turn at a frame's ``raw`` region.
_RAW = "known_fakes:raw"


class KnownFakesDetector:
    name: ClassVar[str] = "known_fakes"
    version: ClassVar[str] = "1.1"
    kinds: ClassVar[frozenset[ContentKind]] = frozenset({ContentKind.MEDIA})
    # Plain sentences: which bank entry, in words. The hash kind, region, distance and
    # threshold are for moderators and sit in the evidence's ``details`` (``matches``).
    messages: ClassVar[Messages] = {
        "known_fakes.match": {
            "en": "{subject_en} is a copy of a known fake confirmed by this server's moderators: “{label}” (#{id}{person_en}).",
            "zh": "{subject_zh}与本服务器审核员确认的已知伪造内容相同：“{label}”（#{id}{person_zh}）。",
        },
        "known_fakes.label_stripped": {
            "en": "The original of known fake #{id} was labelled as made by AI; this copy carries no such label: it was removed on the way.",
            "zh": "已知伪造 #{id} 的原件带有AI生成标识；此副本没有任何此类标识：标识在传播中被去除了。",
        },
        "known_fakes.match_in_video": {
            "en": "At {timestamp} s, this video shows a copy of a known fake confirmed by this server's moderators: “{label}” (#{id}{person_en}).",
            "zh": "该视频第 {timestamp} 秒的画面与本服务器审核员确认的已知伪造内容相同：“{label}”（#{id}{person_zh}）。",
        },
        "known_fakes.other_face": {
            "en": "Parts of this picture look like known fake #{id} (“{label}”), but the face in it is someone else's: it is not a copy of that fake.",
            "zh": "这张图片的部分画面与已知伪造内容 #{id}（“{label}”）相似，但其中的人脸是另一个人：它不是该伪造内容的副本。",
        },
    }

    def __init__(self, resources: Resources) -> None:
        self._bank = resources.known_fakes
        self._faces = FaceDetector(resources.models.get(MODEL_NAME))
        self._face_work = resources.face_work
        self._embedder = resources.embedder

    def query_hashes(self, item: MediaItem) -> list[RegionHash]:
        """The region hashes of every frame of ``item`` (or the client's hashes)."""
        if not item.has_pixels:
            return client_region_hashes(item.client_hashes)
        return item.memo("known_fakes:query_hashes", lambda: self._hash_frames(item))

    def _hash_frames(self, item: MediaItem) -> list[RegionHash]:
        # The faces and the face regions are computed on the face thread while this one
        # hashes every region that needs no face; the face regions come last in each frame
        # (the order ``hash_regions`` gives).
        soon(item, _FACE_REGIONS, lambda: self._face_regions(item))
        start_face_work(item, self._face_work)
        # Then each frame's ``raw`` region (the picture as given, when its borders were
        # stripped): the face thread hashes it if it is free before this thread gets there.
        for i in range(len(item.frames)):
            soon(item, f"{_RAW}:{i}", frame_hasher(item, i).raw_hashes)
        compact = len(item.frames) > COMPACT_FROM_FRAMES
        found = [
            frame_hasher(item, i).regions(bank=False, frame=frame.index, compact=compact)
            for i, frame in enumerate(item.frames)
        ]
        faces = item.memo(_FACE_REGIONS, lambda: self._face_regions(item))
        return [
            region
            for regions, face_regions in zip(found, faces, strict=True)
            for region in (*regions, *face_regions)
        ]

    def _face_regions(self, item: MediaItem) -> list[list[RegionHash]]:
        faces = detect_faces(item, self._faces)
        # Video keyframes: the largest face only (16 frames share the time limit).
        most = 1 if len(item.frames) > COMPACT_FROM_FRAMES else MAX_INNER_FACES
        return [
            [
                *frame_hasher(item, i).face_regions(frame_faces, frame=frame.index),
                *inner_regions(
                    frame.image,
                    frame_faces,
                    self._faces,
                    bank=False,
                    frame=frame.index,
                    max_faces=most,
                ),
            ]
            for i, (frame, frame_faces) in enumerate(zip(item.frames, faces, strict=True))
        ]

    def matches(
        self, item: MediaItem, bank: KnownFakesIndex | None = None
    ) -> list[tuple[KnownFake, HashMatch]]:
        bank = bank if bank is not None else self._bank.current
        if bank.index.size == 0:
            return []  # Nothing to match: hashing the picture could not change the answer.
        # A hashes-only client's PDQ also counts alone (matching.py: never lost because the
        # client sent pHash and dHash too).
        return bank.match(self.query_hashes(item), pdq_alone=not item.has_pixels)

    def same_faces(
        self, item: MediaItem, found: list[tuple[KnownFake, HashMatch]], bank: KnownFakesIndex
    ) -> tuple[list[tuple[KnownFake, HashMatch]], list[tuple[KnownFake, HashMatch, float]]]:
        """``found`` split into the matches kept and those set aside because the query's
        faces are another person's than the entry's (``server.media.identity``), each with
        that face distance."""
        if not item.has_pixels or not bank.faces:
            return found, []
        kept: list[tuple[KnownFake, HashMatch]] = []
        aside: list[tuple[KnownFake, HashMatch, float]] = []
        for fake, match in found:
            stored = bank.faces.get(fake.id)
            distance = None
            if stored is not None:
                distance = self._face_distance(item, match.frame, stored)
            if distance is not None and distance > FACE_DIFFERS:
                aside.append((fake, match, distance))
            else:
                kept.append((fake, match))
        return kept, aside

    def _face_distance(self, item: MediaItem, frame: int, stored: np.ndarray) -> float | None:
        faces = detect_faces(item, self._faces)
        try:
            vectors = query_faces(item, frame, faces, self._embedder)
        except EmbedderUnavailable:
            log.warning("known fakes: no face embedder installed; layout matches are kept")
            return None
        return None if vectors is None else nearest(stored, vectors)

    def score(self, content: Any) -> Sequence[Evidence]:
        if not isinstance(content, MediaItem):
            return ()
        bank = self._bank.current
        found = self.matches(content, bank)
        if not found:
            return ()
        found, aside = self.same_faces(content, found, bank)
        if not found:
            return (self._other_face(aside, bank),)
        entry, best = found[0]
        timestamps = {f.index: f.timestamp_s for f in content.frames}
        stamp = timestamps.get(best.frame) if content.is_video else None
        person = entry.person or ""
        params = {
            "label": entry.label,
            "id": entry.id,
            "person_en": f", impersonating {person}" if person else "",
            "person_zh": f"，冒充 {person}" if person else "",
            **subject_words(best.query_region),
            "timestamp": f"{stamp:.1f}" if stamp is not None else "",
        }
        code = "known_fakes.match_in_video" if stamp is not None else "known_fakes.match"
        stripped = self._stripped_label(content, entry)
        details = {
            "matches": [
                describe_match(
                    fake, match, timestamps.get(match.frame) if content.is_video else None
                )
                for fake, match in found[:MAX_SHOWN]
            ],
            "bank_version": bank.version,
        }
        if aside:
            details["set_aside"] = [describe_aside(*row) for row in aside[:MAX_SHOWN]]
        found_evidence = [Evidence(self.name, code, MATCH_WEIGHT, Role.DECISIVE, params, details)]
        if stripped is not None:
            found_evidence.append(stripped)
        return found_evidence

    def _other_face(
        self, aside: list[tuple[KnownFake, HashMatch, float]], bank: KnownFakesIndex
    ) -> Evidence:
        """INFO: every match was the layout around someone else's face."""
        fake = aside[0][0]
        return Evidence(
            self.name,
            "known_fakes.other_face",
            0.0,
            Role.INFO,
            {"id": fake.id, "label": fake.label},
            {
                "set_aside": [describe_aside(*row) for row in aside[:MAX_SHOWN]],
                "bank_version": bank.version,
            },
        )

    def _stripped_label(self, item: MediaItem, entry: KnownFake) -> Evidence | None:
        """INFO evidence when the matched original carried AI labels and this upload has
        none (a hashes-only check has no metadata to judge: nothing is said)."""
        if not entry.ai_labels or not item.has_pixels:
            return None
        # The same memo key and call as the ai_labels detector: read once per item.
        if item.memo("ai_labels", lambda: read_labels(item.metadata, item.raw, item.mime)):
            return None
        labels = "; ".join(entry.ai_labels[:3])
        return Evidence(
            self.name,
            "known_fakes.label_stripped",
            0.0,
            Role.INFO,
            {"id": entry.id, "labels": labels},
            {"known_fake": entry.id, "original_labels": list(entry.ai_labels)},
        )

    @classmethod
    def examples(cls) -> Sequence[Example]:
        # Media examples need pixels and a bank; the matching behaviour is pinned by
        # tests/test_known_fakes*.py with generated pictures. These pin the silent cases.
        return (
            Example(ContentKind.MEDIA, "", why="no media at all: nothing to say"),
            Example(ContentKind.MEDIA, "not a MediaItem", why="other content is ignored"),
            Example(
                ContentKind.MEDIA,
                "0" * 64,
                frozenset(),
                frozenset({"known_fakes.match"}),
                why="a bare string is never read as a hash",
            ),
        )


def describe_match(fake: KnownFake, match: HashMatch, timestamp: float | None) -> dict[str, Any]:
    """One match as the API shows it in ``matches``."""
    shown: dict[str, Any] = {
        "id": fake.id,
        "label": fake.label,
        "person": fake.person,
        "campaign": fake.campaign,
        "distance": match.distance,
        "threshold": match.threshold,
        "hash": match.kind,
        "region": match.query_region,
        "bank_region": match.bank_region,
    }
    if match.gates:
        # The other kinds that had to agree: a verdict shows every limit it was held to.
        shown["gates"] = {
            kind: {"distance": distance, "threshold": threshold}
            for kind, distance, threshold in match.gates
        }
    if timestamp is not None:
        shown["timestamp"] = timestamp
    return shown


def describe_aside(fake: KnownFake, match: HashMatch, distance: float) -> dict[str, Any]:
    """A match set aside for another person's face, as the details show it."""
    shown = describe_match(fake, match, None)
    shown["face_distance"] = round(distance, 3)
    shown["face_threshold"] = FACE_DIFFERS
    return shown


def client_region_hashes(hashes: Any) -> list[RegionHash]:
    """A client's ``{"pdq": [...], "phash": [...], "dhash": [...]}`` (validated hex) as
    query regions; pHash and dHash pair up by position."""
    pdq = list(hashes.get(str(HashKind.PDQ), ()))
    phash = list(hashes.get(str(HashKind.PHASH), ()))
    dhash = list(hashes.get(str(HashKind.DHASH), ()))
    regions = []
    for i in range(max(len(pdq), len(phash), len(dhash))):
        found: dict[HashKind, bytes] = {}
        if i < len(pdq):
            found[HashKind.PDQ] = bytes.fromhex(pdq[i])
        if i < len(phash) and i < len(dhash):
            found[HashKind.PHASH] = bytes.fromhex(phash[i])
            found[HashKind.DHASH] = bytes.fromhex(dhash[i])
        if found:
            regions.append(RegionHash(f"client[{i}]", found, 100, 0))
    return regions


#: Which part of a picture met a known fake, as the subject of the reason's sentence.
_SUBJECT_WORDS = {
    "full": ("This picture", "这张图片"),
    "raw": ("This picture", "这张图片"),
    "centre80": ("The middle of this picture", "这张图片的中间部分"),
    "centre64": ("The middle of this picture", "这张图片的中间部分"),
    "tl": ("The top-left part of this picture", "这张图片的左上部分"),
    "tr": ("The top-right part of this picture", "这张图片的右上部分"),
    "bl": ("The bottom-left part of this picture", "这张图片的左下部分"),
    "br": ("The bottom-right part of this picture", "这张图片的右下部分"),
    "face": ("The face in this picture", "这张图片中的人脸"),
}


def subject_words(region: str) -> dict[str, str]:
    """``subject_en``/``subject_zh``: the part of the picture that matched, in words; a
    client's own hashes (``client[0]``) stand for the whole picture."""
    if region.startswith("client"):
        region = "full"
    en, zh = _SUBJECT_WORDS.get(region, ("Part of this picture", "这张图片的一部分"))
    return {"subject_en": en, "subject_zh": zh}
