"""Protected persons: public figures scammers impersonate, held in memory for the detectors.

A ``Person`` is what the registry knows about one figure: names in every script people
write them in, the official channels (domains, accounts) where they really speak, what they
never do, and face embeddings enrolled from operator photos (never the photos).

``PersonIndex`` is an immutable snapshot of the active (not retired) persons, indexed for the
two questions detectors ask: "whose face is this?" (nearest enrolled embedding) and "who is
named in this text?" (one alternation over every name and alias). A new snapshot is built
off the event loop and swapped in whole (``PersonIndexHolder``), like the list index.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from server.persons.embed import DIMENSIONS, DISTANCE_THRESHOLD, FloatArray, similarity


@dataclass(frozen=True, slots=True)
class Person:
    """One protected person as the detectors see them."""

    id: int
    name: str
    aliases: tuple[str, ...] = ()
    description: str = ""
    official_domains: tuple[str, ...] = ()
    official_accounts: tuple[str, ...] = ()
    never: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    def official_summary(self, limit: int = 4) -> str:
        """Official channels for a sentence: ``a.com, @b`` (the first few)."""
        channels = [*self.official_domains, *self.official_accounts]
        shown = ", ".join(channels[:limit])
        if len(channels) > limit:
            shown += ", …"
        return shown or "-"


@dataclass(frozen=True, slots=True)
class FaceMatch:
    """A face compared with the registry: the nearest person and how near."""

    person: Person
    distance: float
    face_id: int
    distance_threshold: float = DISTANCE_THRESHOLD

    @property
    def similarity(self) -> float:
        return similarity(self.distance)

    @property
    def similarity_threshold(self) -> float:
        return similarity(self.distance_threshold)

    @property
    def matches(self) -> bool:
        return self.distance <= self.distance_threshold


@dataclass(frozen=True, slots=True)
class NameMention:
    person: Person
    text: str
    start: int


@dataclass(frozen=True, slots=True)
class EnrolledFace:
    id: int
    person_id: int
    vector: FloatArray = field(repr=False)


_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uac00-\ud7af]")


#: Compound surnames (司马, 欧阳, 诸葛…, Simplified and Traditional) by their second character:
#: the first characters that make a two-character name starting there part of a longer name.
_COMPOUND_SURNAMES = [
    "司马",
    "司馬",
    "欧阳",
    "歐陽",
    "上官",
    "诸葛",
    "諸葛",
    "东方",
    "東方",
    "皇甫",
    "尉迟",
    "尉遲",
    "公孙",
    "公孫",
    "长孙",
    "長孫",
    "慕容",
    "令狐",
    "宇文",
    "夏侯",
    "端木",
    "独孤",
    "獨孤",
    "南宫",
    "南宮",
    "西门",
    "西門",
    "轩辕",
    "軒轅",
    "司徒",
    "司空",
    "呼延",
    "百里",
    "申屠",
    "澹台",
    "澹臺",
]
_COMPOUND_SURNAME_HEADS: dict[str, str] = {}
for _pair in _COMPOUND_SURNAMES:
    _COMPOUND_SURNAME_HEADS[_pair[1]] = _COMPOUND_SURNAME_HEADS.get(_pair[1], "") + _pair[0]

#: What a name's parts may be separated by; the pattern makes them optional.
_SEPARATORS = re.compile(r"[\s.·•]+")


def name_pattern(name: str) -> str:
    """A name as a regex: CJK names match anywhere (no spaces between words in Chinese);
    Latin names match whole words, any case, with or without spaces or dots between parts."""
    parts = [re.escape(p) for p in _SEPARATORS.split(name.strip()) if p]
    # Separators are optional: OCR often reads "Elon Musk" as "ElonMusk".
    body = r"[\s.·•]*".join(parts)
    if _CJK.search(name):
        # A name inside a compound surname is someone else: 司马云杰 is not 马云.
        before = _COMPOUND_SURNAME_HEADS.get(name.strip()[0], "")
        return rf"(?<![{before}]){body}" if before else body
    # Boundaries are Latin letters and digits only: "听说Elon Musk推荐" names him too. A name
    # of several parts is specific enough to end anywhere: OCR reads "Elon Muskrecommends".
    if len(parts) > 1:
        return rf"(?<![A-Za-z0-9]){body}"
    return rf"(?<![A-Za-z0-9]){body}(?![A-Za-z0-9])"


class PersonIndex:
    """An immutable snapshot of the registry, indexed for face and name lookups."""

    def __init__(
        self,
        persons: Iterable[Person] = (),
        faces: Iterable[EnrolledFace] = (),
        version: int = 0,
        distance_threshold: float = DISTANCE_THRESHOLD,
    ) -> None:
        self.persons: Mapping[int, Person] = {p.id: p for p in persons}
        kept = [f for f in faces if f.person_id in self.persons]
        self._face_ids = np.array([f.id for f in kept], dtype=np.int64)
        self._face_persons = np.array([f.person_id for f in kept], dtype=np.int64)
        self._vectors = (
            np.stack([f.vector for f in kept]).astype(np.float32)
            if kept
            else np.zeros((0, DIMENSIONS), dtype=np.float32)
        )
        self.version = version
        self.distance_threshold = distance_threshold
        self._names = _compile_names(self.persons.values())

    @property
    def face_count(self) -> int:
        return len(self._face_ids)

    def faces_of(self, person_id: int) -> int:
        return int(np.count_nonzero(self._face_persons == person_id))

    def nearest(self, vector: FloatArray) -> FaceMatch | None:
        """The enrolled face nearest to ``vector``, whatever its distance (None when empty)."""
        if not len(self._face_ids):
            return None
        distances = np.linalg.norm(self._vectors - vector[None, :], axis=1)
        best = int(np.argmin(distances))
        person = self.persons[int(self._face_persons[best])]
        return FaceMatch(
            person, float(distances[best]), int(self._face_ids[best]), self.distance_threshold
        )

    def match_face(self, vector: FloatArray) -> FaceMatch | None:
        """The nearest enrolled person if within the threshold: "this is X"."""
        found = self.nearest(vector)
        if found is None or not found.matches:
            return None
        return found

    def mentions(self, text: str) -> list[NameMention]:
        """Every protected person named in ``text``, first mention each, in text order."""
        if self._names is None or not text:
            return []
        seen: dict[int, NameMention] = {}
        for match in self._names.finditer(text):
            group = match.lastgroup
            if group is None:
                continue
            person = self.persons[int(group[1:])]
            if person.id not in seen:
                seen[person.id] = NameMention(person, match.group(0), match.start())
        return sorted(seen.values(), key=lambda m: m.start)


def _compile_names(persons: Iterable[Person]) -> re.Pattern[str] | None:
    by_person: dict[int, list[str]] = {}
    for person in persons:
        names = sorted({n for n in person.names if n.strip()}, key=len, reverse=True)
        by_person[person.id] = [name_pattern(n) for n in names]
    if not by_person:
        return None
    # One named group per person; longer names first inside it, so "Elon Musk" wins over
    # "Musk" when both are registered.
    groups = [f"(?P<p{pid}>{'|'.join(pats)})" for pid, pats in by_person.items() if pats]
    return re.compile("|".join(groups), re.IGNORECASE) if groups else None


class PersonIndexHolder:
    """The current ``PersonIndex``; replaced whole when the registry changes."""

    def __init__(self, index: PersonIndex | None = None) -> None:
        self.current = index if index is not None else PersonIndex()

    def swap(self, index: PersonIndex) -> None:
        self.current = index


# --- validated input ------------------------------------------------------------------------


class PersonInvalid(ValueError):
    """A person record field is wrong; ``field`` names it, the message says what to send."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name


#: Field limits: generous for real people, small enough that a registry stays a registry.
MAX_NAME = 100
MAX_DESCRIPTION = 500
MAX_ITEMS = 50
MAX_ITEM = 200
#: Shortest name or alias: two CJK characters, three Latin letters ("Li" would match
#: everywhere).
MIN_CJK_NAME, MIN_LATIN_NAME = 2, 3

FIELDS = ("name", "aliases", "description", "official_domains", "official_accounts", "never")
LIST_FIELDS = ("aliases", "official_domains", "official_accounts", "never")


def check_name(value: Any, field_name: str) -> str:
    if not isinstance(value, str):
        raise PersonInvalid(field_name, f"'{field_name}' must be a string.")
    name = " ".join(value.split())
    if len(name) > MAX_NAME:
        raise PersonInvalid(field_name, f"'{field_name}' is longer than {MAX_NAME} characters.")
    shortest = MIN_CJK_NAME if _CJK.search(name) else MIN_LATIN_NAME
    # Count what the pattern matches on: separators are optional there, so "a.b" would
    # match "ab" and "王·" every 王.
    kept = sum(ch.isalnum() for ch in _SEPARATORS.sub("", name))
    if kept < shortest:
        raise PersonInvalid(
            field_name,
            f"'{field_name}' must be at least {MIN_CJK_NAME} CJK characters or"
            f" {MIN_LATIN_NAME} letters: a shorter name would match unrelated text.",
        )
    if not any(ch.isalnum() for ch in name):
        raise PersonInvalid(field_name, f"'{field_name}' must contain letters.")
    return name


def check_list(value: Any, field_name: str) -> list[str]:
    if not isinstance(value, list):
        raise PersonInvalid(field_name, f"'{field_name}' must be a list of strings.")
    if len(value) > MAX_ITEMS:
        raise PersonInvalid(field_name, f"'{field_name}' holds at most {MAX_ITEMS} items.")
    items: list[str] = []
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise PersonInvalid(field_name, f"'{field_name}[{i}]' must be a non-empty string.")
        if len(item) > MAX_ITEM:
            raise PersonInvalid(
                field_name, f"'{field_name}[{i}]' is longer than {MAX_ITEM} characters."
            )
        cleaned = " ".join(item.split())
        if cleaned not in items:
            items.append(cleaned)
    return items


def check_description(value: Any) -> str:
    if not isinstance(value, str) or len(value) > MAX_DESCRIPTION:
        raise PersonInvalid(
            "description",
            f"'description' must be a string of at most {MAX_DESCRIPTION} characters.",
        )
    return value.strip()


def person_from_record(record: Mapping[str, Any]) -> Person:
    """A ``Person`` from a stored row (lists already decoded)."""
    return Person(
        id=int(record["id"]),
        name=str(record["name"]),
        aliases=tuple(record.get("aliases") or ()),
        description=str(record.get("description") or ""),
        official_domains=tuple(record.get("official_domains") or ()),
        official_accounts=tuple(record.get("official_accounts") or ()),
        never=tuple(record.get("never") or ()),
    )
