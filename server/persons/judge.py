"""Who appears + what is claimed + where it leads → one piece of impersonation evidence.

The rule (the issue's promise, spelled out rather than weighted):

- a protected person is *sighted* (their face matches, or the text names them), and
- the message makes a *scam claim* on their behalf (a promise and a push to act), and
- it sends people to a destination that is *not one of their official channels*
  → ``DECISIVE``: likely a scam.
- sighting + scam claim, but no destination (or only neutral ones such as a news site)
  → ``SUPPORTING`` above the suspicious line: suspicious, never more on its own; a link
  detector that distrusts the same link still escalates it through the combiner.
- sighting + scam claim + only official destinations → ``INFO``: shown, never weighed
  (the person may really be advertising on their own site).
- a sighting alone, a claim alone → nothing at all: news photos and quotes are normal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from server.persons.channels import Destination, Standing
from server.persons.claims import Claims
from server.persons.registry import FaceMatch, Person
from server.scoring.evidence import Evidence, Role

DETECTOR = "impersonation"

#: Weights: the roles decide the verdict; weights only order reasons and place the score.
WEIGHT_DECISIVE_FACE = 0.95
WEIGHT_DECISIVE_NAME = 0.9
#: Above ``combiner.SUSPICIOUS_AT`` (0.5) so a claim in a famous person's name is
#: ``suspicious`` on its own.
WEIGHT_CLAIM_FACE = 0.6
WEIGHT_CLAIM_NAME = 0.55


@dataclass(frozen=True, slots=True)
class Sighting:
    """A protected person seen in the content: by face, by name, or both."""

    person: Person
    face: FaceMatch | None = None
    mention: str | None = None
    #: Where the face was: ``{"frame": i, "timestamp_s": t, "box": [...]}``.
    where: Mapping[str, Any] | None = None


MESSAGES: Mapping[str, Mapping[str, str]] = {
    f"{DETECTOR}.face_claim_destination": {
        "en": "The face matches {name} (similarity {similarity}, threshold {threshold}). The text {claims_en}. It sends you to {destination}, which is not one of {name}'s official channels (official: {official}).",
        "zh": "图中人脸与{name}相符（相似度 {similarity}，阈值 {threshold}）。文字{claims_zh}。它把你引向 {destination}，这不是{name}的官方渠道（官方渠道：{official}）。",
    },
    f"{DETECTOR}.name_claim_destination": {
        "en": "The text uses the name of {name}, {claims_en}, and sends you to {destination}, which is not one of {name}'s official channels (official: {official}).",
        "zh": "文字借用{name}的名义，{claims_zh}，并把你引向 {destination}，这不是{name}的官方渠道（官方渠道：{official}）。",
    },
    f"{DETECTOR}.face_claim": {
        "en": "The face matches {name} (similarity {similarity}, threshold {threshold}) and the text {claims_en}. Check {name}'s official channels before acting (official: {official}).",
        "zh": "图中人脸与{name}相符（相似度 {similarity}，阈值 {threshold}），文字{claims_zh}。行动前请先核实{name}的官方渠道（官方渠道：{official}）。",
    },
    f"{DETECTOR}.name_claim": {
        "en": "The text uses the name of {name} and {claims_en}. Check {name}'s official channels before acting (official: {official}).",
        "zh": "文字借用{name}的名义，{claims_zh}。行动前请先核实{name}的官方渠道（官方渠道：{official}）。",
    },
    f"{DETECTOR}.official_destination": {
        "en": "{name} appears with a promotional claim, and the link goes to one of {name}'s official channels ({destination}).",
        "zh": "{name}出现在带有推广内容的信息中，链接指向{name}的官方渠道（{destination}）。",
    },
}


def assess(
    sighting: Sighting, claims: Claims, destinations: Sequence[Destination]
) -> Evidence | None:
    """The evidence for one sighted person, or None when the rule says nothing."""
    if not claims.is_scam_claim:
        return None
    unofficial = [d for d in destinations if d.standing is Standing.UNOFFICIAL]
    official = [d for d in destinations if d.standing is Standing.OFFICIAL]
    by_face = sighting.face is not None
    params = _params(sighting, claims)
    details = _details(sighting, claims, destinations)
    if unofficial:
        params["destination"] = unofficial[0].value
        code = "face_claim_destination" if by_face else "name_claim_destination"
        weight = WEIGHT_DECISIVE_FACE if by_face else WEIGHT_DECISIVE_NAME
        return Evidence(DETECTOR, f"{DETECTOR}.{code}", weight, Role.DECISIVE, params, details)
    if official:
        params["destination"] = official[0].value
        return Evidence(
            DETECTOR, f"{DETECTOR}.official_destination", 0.0, Role.INFO, params, details
        )
    code = "face_claim" if by_face else "name_claim"
    weight = WEIGHT_CLAIM_FACE if by_face else WEIGHT_CLAIM_NAME
    return Evidence(DETECTOR, f"{DETECTOR}.{code}", weight, Role.SUPPORTING, params, details)


def strongest(found: Sequence[Evidence]) -> Evidence | None:
    """One reason per content: decisive before supporting before info, face before name."""
    if not found:
        return None
    rank = {Role.DECISIVE: 0, Role.PRIMARY: 1, Role.SUPPORTING: 2, Role.INFO: 3, Role.ALLOW: 4}
    return min(found, key=lambda e: (rank[e.role], -e.weight, -e.details.get("similarity", 0)))


def _params(sighting: Sighting, claims: Claims) -> dict[str, Any]:
    person = sighting.person
    params: dict[str, Any] = {
        "name": person.name,
        "claims_en": claims.sentence("en"),
        "claims_zh": claims.sentence("zh"),
        "official": person.official_summary(),
        "destination": "",
    }
    if sighting.face is not None:
        params["similarity"] = f"{sighting.face.similarity:.2f}"
        params["threshold"] = f"{sighting.face.similarity_threshold:.2f}"
    return params


def _details(
    sighting: Sighting, claims: Claims, destinations: Sequence[Destination]
) -> dict[str, Any]:
    person = sighting.person
    details: dict[str, Any] = {
        "person_id": person.id,
        "person": person.name,
        "matched_by": "face" if sighting.face is not None else "name",
        "claims": dict(claims.found),
        "destinations": [d.describe() for d in destinations],
        "official_domains": list(person.official_domains),
        "official_accounts": list(person.official_accounts),
    }
    if person.never:
        details["never"] = list(person.never)
    if sighting.mention is not None:
        details["name_in_text"] = sighting.mention
    if sighting.face is not None:
        details["similarity"] = round(sighting.face.similarity, 3)
        details["threshold"] = round(sighting.face.similarity_threshold, 3)
        details["distance"] = round(sighting.face.distance, 3)
        details["distance_threshold"] = sighting.face.distance_threshold
        details["face_id"] = sighting.face.face_id
        if sighting.where:
            details.update(sighting.where)
    return details
