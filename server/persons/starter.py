"""Persons from a file: the starter list FakeWatch ships, or an operator's own.

A fresh install has no protected persons, so impersonation (a famous name + a scam claim + a
link that is not theirs) cannot fire until an operator registers someone. The starter list
(``server/data/starter_persons.json``) names the people scams borrow most, with their
aliases in Chinese and English and their official sites: names only, never a face. Importing
is idempotent: a person whose name or alias is already registered is skipped, so running it
again after an upgrade only adds the newcomers.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from server.links.url import LinkParser
from server.persons import store
from server.persons.records import check_fields
from server.persons.registry import PersonInvalid
from server.scoring.resources import bundled_data_dir

STARTER_FILE = "starter_persons.json"


class PersonsFileError(ValueError):
    """The file is not a persons list; the message names the entry and the problem."""


@dataclass(frozen=True)
class PersonsImported:
    added: list[tuple[int, str]]
    #: Names skipped, each with the registered person (id, name) that already holds it.
    skipped: list[tuple[str, int, str]]


def starter_path() -> Path:
    return bundled_data_dir() / STARTER_FILE


def read_persons(path: Path, parser: LinkParser) -> list[dict[str, Any]]:
    """The checked records of a persons file: ``{"persons": [{name, aliases, ...}]}`` or a
    bare list of such objects (the fields of ``POST /v1/persons``)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PersonsFileError(f"{path}: cannot be read as JSON: {exc}") from None
    entries = data.get("persons") if isinstance(data, dict) else data
    if not isinstance(entries, list):
        raise PersonsFileError(f'{path}: expected a list of persons (or {{"persons": [...]}})')
    records = []
    for n, entry in enumerate(entries):
        if not isinstance(entry, Mapping):
            raise PersonsFileError(f"{path}: persons[{n}] is not an object")
        try:
            records.append(check_fields(entry, parser))
        except PersonInvalid as exc:
            raise PersonsFileError(f"{path}: persons[{n}]: {exc}") from None
    return records


def _names(record: Mapping[str, Any]) -> set[str]:
    return {n.casefold() for n in [record["name"], *record.get("aliases", [])]}


def import_persons(
    db: Database, records: Sequence[dict[str, Any]], *, actor: str
) -> PersonsImported:
    """Add each record no registered person (or earlier record) already names; call inside a
    write transaction."""
    taken: dict[str, tuple[int, str]] = {}
    # Retired persons count as taken: an operator who retired someone must not see them come
    # back with the next import (the starter list is meant to be imported again after upgrades).
    for row in store.person_rows(db, include_retired=True, limit=1_000_000):
        shown = str(row["name"]) + (" (retired)" if row["retired"] else "")
        for name in _names(row):
            taken.setdefault(name, (int(row["id"]), shown))
    added: list[tuple[int, str]] = []
    skipped: list[tuple[str, int, str]] = []
    for record in records:
        held = next((taken[n] for n in sorted(_names(record)) if n in taken), None)
        if held is not None:
            skipped.append((record["name"], *held))
            continue
        person_id = store.insert_person(db, record, actor=actor)
        added.append((person_id, record["name"]))
        for name in _names(record):
            taken[name] = (person_id, record["name"])
    return PersonsImported(added, skipped)
