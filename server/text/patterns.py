"""Named scam patterns, read from a data file a moderator can edit (``text_patterns.yaml``).

Each pattern is a script fraud messages follow ("send 1, get 2 back", 安全账户, 刷单返利…): a
list of regex groups that must all match, optional regexes that cancel it, a role and weight
for the combiner, and a name and reason in English and Chinese. ``PatternSet.match`` returns
every pattern that fired with the text it matched.

A text that *warns* about a scam quotes its script ("刷单返利都是诈骗", "never transfer money
to a safe account"): the file's shared ``warnings`` regexes cancel every pattern in such a
text, unless a pattern says ``warnings: ignore`` (an offer to recover money lost to scammers
talks about scams by design). ``PatternSet.warning`` says which warning phrase a text has.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from server.i18n import LANGUAGES
from server.scoring.evidence import Role
from server.text.normalise import clean, fold_confusables

#: Characters of matched text quoted in evidence details (enough to recognise, no more).
QUOTE_CHARS = 60
#: Only this much of a message is searched: patterns are sentences, not essays, and
#: bounded input keeps the regexes' cost bounded.
MAX_SEARCH_CHARS = 8000

_ROLES = {"primary": Role.PRIMARY, "supporting": Role.SUPPORTING}
_ID = re.compile(r"[a-z][a-z0-9_]*")


class PatternFileError(ValueError):
    """The patterns file is malformed; the message names the pattern and the problem."""


@dataclass(frozen=True)
class Pattern:
    id: str
    role: Role
    weight: float
    name: dict[str, str]
    why: dict[str, str]
    all_of: tuple[tuple[re.Pattern[str], ...], ...]
    none_of: tuple[re.Pattern[str], ...]
    match_examples: tuple[str, ...]
    miss_examples: tuple[str, ...]
    #: Whether the file's shared warning words cancel this pattern (the default).
    heeds_warnings: bool = True

    def search(self, text: str) -> list[str] | None:
        """The matched snippets (one per group), or None when the pattern does not fire."""
        snippets = []
        for group in self.all_of:
            found = next((m for regex in group if (m := regex.search(text))), None)
            if found is None:
                return None
            snippets.append(found.group(0)[:QUOTE_CHARS])
        if any(regex.search(text) for regex in self.none_of):
            return None
        return snippets


@dataclass(frozen=True)
class PatternMatch:
    pattern: Pattern
    matched: list[str]


class Search(NamedTuple):
    found: list[PatternMatch]
    #: Matches not counted because the text reads as a warning about scams.
    cancelled: list[PatternMatch]
    warning: str | None


def prepare(text: str) -> str:
    """The form every pattern is written against: invisible characters dropped (before the
    cut, so padding cannot push a script out of the window), NFKC, lower case, and Cyrillic /
    Greek look-alike letters inside Latin words made Latin."""
    return fold_confusables(clean(text, MAX_SEARCH_CHARS).lower())


class PatternSet:
    def __init__(
        self, patterns: Sequence[Pattern], warnings: Sequence[re.Pattern[str]] = ()
    ) -> None:
        self.patterns = tuple(patterns)
        self.warnings = tuple(warnings)

    @classmethod
    def load(cls, path: Path) -> PatternSet:
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise PatternFileError(f"{path}: {exc}") from None
        if not isinstance(raw, dict) or not isinstance(raw.get("patterns"), list):
            raise PatternFileError(f"{path}: expected a mapping with a 'patterns' list")
        patterns = [_pattern(entry, path) for entry in raw["patterns"]]
        ids = [p.id for p in patterns]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise PatternFileError(f"{path}: duplicate ids {', '.join(duplicates)}")
        return cls(patterns, _warnings(raw.get("warnings", []), path))

    def match(self, text: str) -> list[PatternMatch]:
        """The patterns that fire on ``text``; those that heed warnings only when the text
        does not read as a warning about scams."""
        return self.search(prepare(text)).found

    def search(self, prepared: str) -> Search:
        """``match`` on an already ``prepare``d text, with the matches a warning cancelled and
        the warning phrase (looked for only when a pattern that heeds warnings matched)."""
        found = []
        for pattern in self.patterns:
            snippets = pattern.search(prepared)
            if snippets is not None:
                found.append(PatternMatch(pattern, snippets))
        if not any(m.pattern.heeds_warnings for m in found):
            return Search(found, [], None)
        warning = self._warning(prepared)
        if warning is None:
            return Search(found, [], None)
        kept = [m for m in found if not m.pattern.heeds_warnings]
        cancelled = [m for m in found if m.pattern.heeds_warnings]
        return Search(kept, cancelled, warning)

    def warning(self, text: str) -> str | None:
        """The warning phrase ("谨防", "is a scam"…) that makes ``text`` read as a warning
        about scams, or None."""
        return self._warning(prepare(text))

    def _warning(self, prepared: str) -> str | None:
        for regex in self.warnings:
            found = regex.search(prepared)
            if found is not None:
                return found.group(0)[:QUOTE_CHARS]
        return None


def _warnings(entries: Any, path: Path) -> tuple[re.Pattern[str], ...]:
    if not isinstance(entries, list) or not all(isinstance(e, str) and e for e in entries):
        raise PatternFileError(f"{path}: warnings must be a list of regexes")
    try:
        return tuple(re.compile(e, re.IGNORECASE) for e in entries)
    except re.error as exc:
        raise PatternFileError(f"{path}: warnings: bad regex: {exc}") from None


def _pattern(entry: Any, path: Path) -> Pattern:
    if not isinstance(entry, dict):
        raise PatternFileError(f"{path}: every pattern must be a mapping")
    pid = str(entry.get("id", ""))
    where = f"{path}: pattern {pid or '(no id)'}"
    if not _ID.fullmatch(pid):
        raise PatternFileError(f"{where}: id must be snake_case")
    role = _ROLES.get(str(entry.get("role")))
    if role is None:
        raise PatternFileError(f"{where}: role must be one of {', '.join(_ROLES)}")
    weight = entry.get("weight")
    if not isinstance(weight, int | float) or not 0 < weight <= 1:
        raise PatternFileError(f"{where}: weight must be a number in (0, 1]")
    texts = {}
    for key in ("name", "why"):
        value = entry.get(key)
        if not isinstance(value, dict) or any(not value.get(lang) for lang in LANGUAGES):
            raise PatternFileError(f"{where}: {key} needs {' and '.join(LANGUAGES)}")
        texts[key] = {lang: str(value[lang]) for lang in LANGUAGES}
    groups = entry.get("all_of")
    if (
        not isinstance(groups, list)
        or not groups
        or not all(isinstance(g, list) and g for g in groups)
    ):
        raise PatternFileError(f"{where}: all_of must be a non-empty list of regex lists")
    examples = entry.get("examples") or {}
    heeds = entry.get("warnings", "apply")
    if heeds not in ("apply", "ignore"):
        raise PatternFileError(f"{where}: warnings must be apply (the default) or ignore")
    try:
        all_of = tuple(tuple(re.compile(str(r), re.IGNORECASE) for r in g) for g in groups)
        none_of = tuple(re.compile(str(r), re.IGNORECASE) for r in entry.get("none_of", []))
    except re.error as exc:
        raise PatternFileError(f"{where}: bad regex: {exc}") from None
    return Pattern(
        id=pid,
        role=role,
        weight=float(weight),
        name=texts["name"],
        why=texts["why"],
        all_of=all_of,
        none_of=none_of,
        match_examples=tuple(str(t) for t in examples.get("match", [])),
        miss_examples=tuple(str(t) for t in examples.get("miss", [])),
        heeds_warnings=heeds == "apply",
    )
