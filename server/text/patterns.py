"""Named scam patterns, read from a data file a moderator can edit (``text_patterns.yaml``).

Each pattern is a script fraud messages follow ("send 1, get 2 back", 安全账户, 刷单返利…): a
list of regex groups that must all match, optional regexes that cancel it, a role and weight
for the combiner, and a name and reason in English and Chinese. ``PatternSet.match`` returns
every pattern that fired with the text it matched.

A text that *warns* about a scam quotes its script ("刷单返利都是诈骗", "never transfer money
to a safe account"): when one of the file's shared ``warnings`` regexes is present, the
patterns it found are *demoted* (only a SUPPORTING cue), unless a pattern says
``warnings: ignore`` (an offer to recover money lost to scammers talks about scams by design)
or the text also asks for an action (a link, a phone number, a wallet, or one of the file's
``asks``: 加微信, 联系, click, DM…): a warning does not send you anywhere, a scam with "谨防诈骗"
pasted under it still does. A warning never cancels a pattern: appending "Beware of scammers"
to a script must not make it read clean (review 31 #1).
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from server.i18n import LANGUAGES
from server.links.lookalikes import read_brand_rows
from server.scoring.evidence import Role
from server.text.extract import extract
from server.text.normalise import (
    clean,
    collapse_spaces,
    fold_confusables,
    fold_interleaved,
    fold_traditional,
    spell_letter_symbols,
)

#: Characters of matched text quoted in evidence details (enough to recognise, no more).
QUOTE_CHARS = 60
#: This much of a message is searched (after invisible characters are dropped): the longest
#: text ``POST /v1/check/text`` accepts by default, so a benign prefix cannot push a script out
#: of sight (review 34 #5). Every regex is linear with bounded gaps: 10,000 hostile characters
#: ("send send…", "转转…", "vx:vx:…") take at most ~37 ms for the whole detector at load 4
#: (``bench/text_verdicts.py --hostile``; the detector timeout is 2 s).
MAX_SEARCH_CHARS = 10_000
#: The curated brands beside the patterns file: their Chinese names are masked (review 34 #8).
BRANDS_FILE = "protected_brands.tsv"

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
    #: A generic cue (urgency + payment), not a named script: it reads the words the classifier
    #: reads, so it does not corroborate the classifier (review 34 #7).
    cue: bool = False

    def search(self, text: str, brands: Sequence[tuple[int, int]] = ()) -> list[str] | None:
        """The matched snippets (one per group), or None when the pattern does not fire.

        ``brands`` are the spans of brand names in ``text``: a match strictly inside one is
        part of a name, not the word (支付 in 支付宝), and does not satisfy its group."""
        snippets = []
        for group in self.all_of:
            found = next((m for regex in group if (m := _first(regex, text, brands))), None)
            if found is None:
                return None
            snippets.append(found.group(0)[:QUOTE_CHARS])
        if any(regex.search(text) for regex in self.none_of):
            return None
        return snippets


def _first(
    regex: re.Pattern[str], text: str, brands: Sequence[tuple[int, int]]
) -> re.Match[str] | None:
    if not brands:
        return regex.search(text)
    # Brand spans come from one ``finditer``: sorted and disjoint, so the only one that can
    # hold a match is the last starting at or before it (linear in matches, not their product).
    for found in regex.finditer(text):
        start, end = found.span()
        at = bisect.bisect_right(brands, (start, len(text) + 1)) - 1
        if at < 0 or not (end <= brands[at][1] and brands[at] != (start, end)):
            return found
    return None


@dataclass(frozen=True)
class PatternMatch:
    pattern: Pattern
    matched: list[str]


class Search(NamedTuple):
    found: list[PatternMatch]
    #: Matches that count only as a cue: the text reads as a warning about scams and asks
    #: for no action.
    demoted: list[PatternMatch]
    warning: str | None
    #: The action the text asks for (a link, "加微信"…), which kept a warning's matches whole.
    ask: str | None = None


#: A single space (any but a line break), dot or middle dot put between two Chinese / Japanese
#: characters ("安 全 账 户", "安.全.账.户") to break keyword filters; a person reads straight
#: through it.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_GAP = re.compile(f"(?<=[{_CJK}])(?:[^\\S\\n\\r]|[.·・_*\\-])(?=[{_CJK}])")


class Reading(NamedTuple):
    """A message in the form the patterns are written against (``prepare``)."""

    text: str
    #: Runs of single characters joined by the interleaved-filler fold, as written ("安🔥全🔥账").
    interleaved: tuple[str, ...] = ()
    #: The text before the folds (cleaned, lower case).
    cleaned: str = ""

    def unfolded(self) -> str:
        """``text`` without the interleaved-filler fold: what the patterns would have read had
        the filler stayed (computed on demand: only a message with a fold and a match asks)."""
        return _finish(self.cleaned) if self.interleaved else self.text


#: Both text detectors read every message (the patterns, and the classifier for its warning
#: context) and OCR'd text is read again by the media check: the few latest readings are
#: kept, so a 10,000-character message is prepared, searched for warnings and for links once.
READINGS_KEPT = 16


@functools.lru_cache(maxsize=READINGS_KEPT)
def read_form(text: str) -> Reading:
    """``prepare``'s form of ``text`` and what its interleaved-filler fold joined."""
    cleaned = clean(spell_letter_symbols(text), MAX_SEARCH_CHARS).lower()
    joined, runs = fold_interleaved(cleaned)
    return Reading(_finish(joined), runs, cleaned)


def _finish(text: str) -> str:
    return _CJK_GAP.sub("", collapse_spaces(fold_traditional(fold_confusables(text))))


def prepare(text: str) -> str:
    """The form every pattern is written against: invisible characters dropped (before the
    cut, so padding cannot push a script out of the window), NFKC, lower case, single letters or
    Han characters interleaved with the same filler joined ("安🔥全🔥账🔥户", "s.a.f.e"),
    look-alike letters made Latin, Traditional characters made Simplified one for one, runs of
    spaces made one, and single spaces / dots between two CJK characters removed (only the
    patterns read this: the classifier's features do not change, and it reads Traditional
    better as written)."""
    return read_form(text).text


class PatternSet:
    def __init__(
        self,
        patterns: Sequence[Pattern],
        warnings: Sequence[re.Pattern[str]] = (),
        asks: Sequence[re.Pattern[str]] = (),
        brands: Sequence[str] = (),
        is_reference: Callable[[str], bool] | None = None,
    ) -> None:
        self.patterns = tuple(patterns)
        #: Whether a link is cited rather than sent (a gov.cn page, a protected site): such a
        #: link asks nothing of the reader (``server/text/references.py``; review 34 #6).
        self.is_reference = is_reference
        self.warnings = tuple(warnings)
        self.asks = tuple(asks)
        names = sorted({b.lower() for b in brands if b}, key=len, reverse=True)
        #: Brand names whose letters hold a pattern's word (支付宝 holds 支付): a match inside
        #: one is not the word (review 34 #8).
        self.brands = re.compile("|".join(map(re.escape, names))) if names else None

    @classmethod
    def load(cls, path: Path, is_reference: Callable[[str], bool] | None = None) -> PatternSet:
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
        brands = raw.get("brands", [])
        if not isinstance(brands, list) or not all(isinstance(b, str) and b for b in brands):
            raise PatternFileError(f"{path}: brands must be a list of names")
        return cls(
            patterns,
            _regexes(raw.get("warnings", []), path, "warnings"),
            _regexes(raw.get("asks", []), path, "asks"),
            [*brands, *_brand_names(path.parent / BRANDS_FILE)],
            is_reference,
        )

    def match(self, text: str) -> list[PatternMatch]:
        """Every pattern that fires on ``text``, at full strength or demoted by a warning."""
        search = self.read(text)
        return search.found + search.demoted

    def read(self, text: str) -> Search:
        """The patterns that fire on ``text``, split into full-strength and demoted ones."""
        return self.search(prepare(text), text)

    def search(self, prepared: str, original: str | None = None) -> Search:
        """The patterns on an already ``prepare``d text; those that heed warnings are demoted
        when the text has a warning phrase and asks for no action (``original``, the text as
        sent, is where links, phones and wallets are extracted from; default ``prepared``)."""
        found = []
        spans = [m.span() for m in self.brands.finditer(prepared)] if self.brands else []
        for pattern in self.patterns:
            snippets = pattern.search(prepared, spans)
            if snippets is not None:
                found.append(PatternMatch(pattern, snippets))
        if not any(m.pattern.heeds_warnings for m in found):
            return Search(found, [], None)
        warning, ask = self._context(prepared, prepared if original is None else original)
        if warning is None or ask is not None:
            return Search(found, [], warning, ask)
        kept = [m for m in found if not m.pattern.heeds_warnings]
        demoted = [m for m in found if m.pattern.heeds_warnings]
        return Search(kept, demoted, warning)

    def firing(self, prepared: str, among: Sequence[Pattern]) -> set[str]:
        """The ids of the patterns in ``among`` that fire on an already ``prepare``d text,
        warnings aside (whether a match is demoted does not change whether it fires)."""
        spans = [m.span() for m in self.brands.finditer(prepared)] if self.brands else []
        return {p.id for p in among if p.search(prepared, spans) is not None}

    def warning(self, text: str) -> str | None:
        """The warning phrase ("谨防", "is a scam"…) that makes ``text`` read as a warning
        about scams, or None."""
        return self._warning(prepare(text))

    def context(self, text: str) -> tuple[str | None, str | None]:
        """``text``'s warning phrase and, when it has one, the action it asks for (which
        keeps a scam's signals whole despite the warning), each None when absent."""
        return self._context(prepare(text), text)

    def _context(self, prepared: str, original: str) -> tuple[str | None, str | None]:
        warning = self._warning(prepared)
        if warning is None:
            return None, None
        return warning, self._ask(prepared, original)

    def _ask(self, prepared: str, original: str) -> str | None:
        extracted = _extracted(original)
        links: Sequence[str] = extracted.links
        if self.is_reference is not None:
            links = [link for link in links if not self.is_reference(link)]
        targets = [*links, *(t for t, _ in extracted.phones)]
        targets += [w.address for w in extracted.wallets]
        if targets:
            return targets[0][:QUOTE_CHARS]
        for regex in self.asks:
            found = regex.search(prepared)
            if found is not None:
                return found.group(0)[:QUOTE_CHARS]
        return None

    def _warning(self, prepared: str) -> str | None:
        return _first_warning(self.warnings, prepared)


@functools.lru_cache(maxsize=READINGS_KEPT)
def _first_warning(warnings: tuple[re.Pattern[str], ...], prepared: str) -> str | None:
    """The first of ``warnings`` found in ``prepared``, quoted (``PatternSet._warning``)."""
    for regex in warnings:
        found = regex.search(prepared)
        if found is not None:
            return found.group(0)[:QUOTE_CHARS]
    return None


#: Links, phones and wallets of a message as sent (``PatternSet._ask``), kept like readings.
_extracted = functools.lru_cache(maxsize=READINGS_KEPT)(extract)


def _brand_names(path: Path) -> list[str]:
    """The Chinese names of the curated brands (``protected_brands.tsv``, read-only here)."""
    if not path.exists():
        return []
    return [name for row in read_brand_rows(path) for name in row.han_names]


def _regexes(entries: Any, path: Path, key: str) -> tuple[re.Pattern[str], ...]:
    if not isinstance(entries, list) or not all(isinstance(e, str) and e for e in entries):
        raise PatternFileError(f"{path}: {key} must be a list of regexes")
    try:
        return tuple(re.compile(e, re.IGNORECASE) for e in entries)
    except re.error as exc:
        raise PatternFileError(f"{path}: {key}: bad regex: {exc}") from None


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
    cue = entry.get("cue", False)
    if not isinstance(cue, bool):
        raise PatternFileError(f"{where}: cue must be true or false")
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
        cue=cue,
    )
