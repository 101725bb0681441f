"""Celebrity impersonation: a protected person's face or name + a scam claim + a
destination that is not one of their official channels.

One detector, two kinds:

- ``MEDIA``: faces (YuNet, shared with the other media detectors through ``detect_faces``)
  are embedded and compared with the registry; the claim and the destination come from the
  text that travels with the picture (its caption and the text read from it, attached with
  ``attach_message_text`` before scoring).
- ``TEXT``: the registry's names and aliases are looked for in the message.

The rule itself lives in ``server.persons.judge``. Identification is the costly part and the
privacy-sensitive one, so faces are only embedded when the text already makes a scam claim:
a famous face in a news photo is never even identified.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from server.links.url import InvalidUrl, Link
from server.media.faces import Face, FaceDetector, detect_faces
from server.media.item import MediaItem
from server.persons.channels import Channels, judge
from server.persons.claims import Claims, find_accounts, find_claims
from server.persons.embed import MIN_FACE_PIXELS, FaceBox
from server.persons.judge import MESSAGES, Sighting, assess, strongest
from server.persons.registry import Person, PersonIndex
from server.scoring.detector import ContentKind, Example, Messages
from server.scoring.evidence import Evidence
from server.scoring.resources import Resources
from server.text.extract import extract
from server.text.normalise import clean

#: Faces embedded per item at most (largest first, across video keyframes): each costs
#: ~0.25 s on one core and the detector has ``detector_timeout_ms`` for all of them.
MAX_FACES_EMBEDDED = 3

#: ``MediaItem.memo`` key under which a check attaches the text that travels with a picture.
MESSAGE_TEXT = "message_text"

_CJK_THEN_LATIN = re.compile(r"(?<=[\u3000-\u303f\u3400-\u9fff\uff00-\uffef])(?=[A-Za-z0-9])")

#: Characters of text read at most (a long page quotes many names; the ad is at the top).
MAX_TEXT = 5000


def attach_message_text(item: MediaItem, text: str) -> None:
    """Give the MEDIA part of this detector the caption / OCR text of ``item``.

    Call it before scoring the item; a picture scored without text gets no impersonation
    evidence (a face alone is never a signal).
    """
    item.memo(MESSAGE_TEXT, lambda: text)


def message_text(item: MediaItem) -> str:
    return item.memo(MESSAGE_TEXT, lambda: "")


class ImpersonationDetector:
    name: ClassVar[str] = "impersonation"
    version: ClassVar[str] = "1.0"
    kinds: ClassVar[frozenset[ContentKind]] = frozenset({ContentKind.MEDIA, ContentKind.TEXT})
    messages: ClassVar[Messages] = MESSAGES

    def __init__(self, resources: Resources) -> None:
        self._resources = resources
        self._faces: FaceDetector | None = None
        self._well_known = frozenset(resources.top_sites)
        self._channels: dict[tuple[int, int], Channels] = {}

    def score(self, content: Any) -> Sequence[Evidence]:
        index = self._resources.persons.current
        if not index.persons:
            return ()
        if isinstance(content, MediaItem):
            return self._score_media(index, content)
        text = content if isinstance(content, str) else str(getattr(content, "text", ""))
        return self._score_text(index, text)

    # --- text -----------------------------------------------------------------------------

    def _score_text(self, index: PersonIndex, text: str) -> Sequence[Evidence]:
        text = clean(text, MAX_TEXT)  # invisible characters out before the cut
        mentions = index.mentions(text)
        if not mentions:
            return ()
        claims = find_claims(text)
        if not claims.is_scam_claim:
            return ()
        links = self._links(text)
        found = []
        for mention in mentions:
            sighting = Sighting(mention.person, mention=mention.text)
            evidence = self._assess(index, sighting, claims, text, links)
            if evidence is not None:
                found.append(evidence)
        best = strongest(found)
        return (best,) if best is not None else ()

    # --- media ----------------------------------------------------------------------------

    def _score_media(self, index: PersonIndex, item: MediaItem) -> Sequence[Evidence]:
        if not item.has_pixels:
            return ()
        text = clean(message_text(item), MAX_TEXT)
        claims = find_claims(text)
        if not claims.is_scam_claim:
            return ()  # Nothing is claimed: whose face this is does not matter.
        if not index.face_count:
            return ()
        links = self._links(text)
        # Faces only: a name in the picture's text is judged by the TEXT part, which the
        # media check runs over the same text (``server/api/media_text.py``).
        mentions = {m.person.id: m.text for m in index.mentions(text)}
        sightings = self._face_sightings(index, item, mentions)
        found = [
            evidence
            for sighting in sightings
            if (evidence := self._assess(index, sighting, claims, text, links)) is not None
        ]
        best = strongest(found)
        return (best,) if best is not None else ()

    def _face_sightings(
        self, index: PersonIndex, item: MediaItem, mentions: dict[int, str]
    ) -> list[Sighting]:
        embedder = self._resources.embedder
        sightings = []
        for frame_index, face in self._largest_faces(item):
            frame = item.frames[frame_index]
            rgb = np.asarray(frame.image, dtype=np.uint8)
            (vector,) = embedder.embed(rgb, [FaceBox(*face.box)])
            match = index.match_face(vector)
            if match is None:
                continue
            where: dict[str, Any] = {"box": [round(v, 1) for v in face.box]}
            if item.is_video or len(item.frames) > 1:
                where["frame"] = frame_index
                where["timestamp_s"] = frame.timestamp_s
            sightings.append(
                Sighting(
                    match.person, face=match, mention=mentions.get(match.person.id), where=where
                )
            )
        return sightings

    def _largest_faces(self, item: MediaItem) -> list[tuple[int, Face]]:
        if self._faces is None:
            self._faces = FaceDetector(self._resources.models.get("yunet"))
        per_frame = detect_faces(item, self._faces)
        faces = [
            (i, face)
            for i, frame_faces in enumerate(per_frame)
            for face in frame_faces
            if min(face.box[2], face.box[3]) >= MIN_FACE_PIXELS
        ]
        faces.sort(key=lambda f: -(f[1].box[2] * f[1].box[3]))
        return faces[:MAX_FACES_EMBEDDED]

    # --- shared ---------------------------------------------------------------------------

    def _links(self, text: str) -> list[Link]:
        parsed = []
        # OCR drops the space in "官网 zwh-vip.shop": put one back between CJK and Latin so
        # the extractor sees the domain.
        spaced = _CJK_THEN_LATIN.sub(" ", text)
        for raw in extract(spaced, self._resources.suffixes.is_suffix).links:
            try:
                parsed.append(self._resources.parser.parse(raw))
            except InvalidUrl:
                continue
        return parsed

    def _assess(
        self, index: PersonIndex, sighting: Sighting, claims: Claims, text: str, links: list[Link]
    ) -> Evidence | None:
        channels = self._channels_of(index, sighting.person)
        destinations = judge(
            channels,
            links,
            find_accounts(text),
            self._resources.lists.current,
            self._well_known,
        )
        return assess(sighting, claims, destinations)

    def _channels_of(self, index: PersonIndex, person: Person) -> Channels:
        key = (index.version, person.id)
        channels = self._channels.get(key)
        if channels is None:
            if len(self._channels) > 10_000:
                self._channels.clear()
            channels = Channels(person, self._resources.parser)
            self._channels[key] = channels
        return channels

    @classmethod
    def examples(cls) -> Sequence[Example]:
        """Text examples: they run against an empty registry in the contract test, so they
        pin down silence; ``tests/test_impersonation*.py`` cover the registry cases."""
        return (
            Example(
                ContentKind.TEXT,
                "Elon Musk is giving away 5000 BTC! Send 0.1 BTC and get 0.2 back: musk-x.live",
                why="no protected person registered: the detector says nothing",
            ),
            Example(ContentKind.TEXT, "今天天气很好。", why="no person, no claim"),
            Example(
                ContentKind.TEXT,
                "Reuters: the minister visited the hospital on Monday.",
                why="news text without any claim",
            ),
        )
