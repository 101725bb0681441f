"""Look-alike letters: a skeleton that folds confusable characters, and the scripts in a name.

Built once at start-up from the Unicode data that the ``confusable_homoglyphs`` package ships
(``confusables.json``: pairs from Unicode's confusables.txt; ``categories.json``: the script of
every code point, from Scripts.txt). Nothing is downloaded.

``skeleton("раураl")`` (Cyrillic р, а, у) is ``"paypal"``; ``skeleton("paypa1")`` is too: both
sides of a comparison are folded the same way, so a brand and its look-alike meet. The fold is
deliberately small for ASCII (a few pairs a reader really mistakes) because every extra pair
makes honest names collide.
"""

from __future__ import annotations

import bisect
import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources as importlib_resources
from typing import Any

#: Single ASCII characters read as another (UTS #39 lists both pairs; dnstwist's homoglyph
#: fuzzer uses them). ``i`` is left alone: folding it into ``l`` makes ``mail`` equal ``mall``.
ASCII_FOLD = {"0": "o", "1": "l"}

#: ASCII pairs that read as one letter at a glance (UTS #39 and dnstwist's ``glyphs_ascii``).
ASCII_PAIRS = (("rn", "m"), ("vv", "w"), ("cl", "d"))

#: Letters Unicode's table leaves unpaired or pairs with a non-Latin prototype, but that read
#: as these Latin letters in an address bar (dnstwist's homoglyph tables use them so).
READS_AS = {"ь": "b", "ӏ": "l", "ƿ": "p", "ƅ": "b", "ŋ": "n", "ə": "a"}

#: Unicode blocks of Latin letters with hooks, strokes and small capitals (Latin-1 Supplement
#: to Latin Extended-B, IPA, Phonetic Extensions, Latin Extended Additional, -C and -D).
LATIN_BLOCKS = (
    (0x00C0, 0x0250),
    (0x0250, 0x02B0),
    (0x1D00, 0x1DC0),
    (0x1E00, 0x1F00),
    (0x2C60, 0x2C80),
    (0xA720, 0xA800),
)

_LATIN_NAME = re.compile(
    r"LATIN (?:SMALL |CAPITAL )?LETTER (?:SMALL CAPITAL )?([A-Z])(?: WITH .*| BAR)?"
)

#: Scripts that carry no identity of their own (digits, hyphen, combining marks).
NEUTRAL_SCRIPTS = frozenset({"COMMON", "INHERITED"})

#: Script sets that honest names mix (UTS #39 "highly restrictive": Japanese, Chinese and
#: Korean writing use Latin beside Han and their own scripts).
ALLOWED_MIXES = (
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),
    frozenset({"LATIN", "HAN", "HANGUL"}),
)

#: How far to follow confusables.json's pairs from a letter to an ASCII one (``ԍ`` → ``ɢ`` →
#: ``G``). Three hops reach every Cyrillic and Greek letter dnstwist substitutes; more start to
#: join letters nobody confuses.
MAX_HOPS = 3

_ZH_SCRIPT_NAMES = {
    "CYRILLIC": "西里尔字母",
    "GREEK": "希腊字母",
    "ARMENIAN": "亚美尼亚字母",
    "LATIN": "拉丁字母",
    "CHEROKEE": "切罗基字母",
    "HEBREW": "希伯来字母",
    "ARABIC": "阿拉伯字母",
}


@dataclass(frozen=True, slots=True)
class ScriptMix:
    """The scripts one name uses and whether that mix is one honest names avoid."""

    scripts: tuple[str, ...]
    suspicious: bool
    #: Scripts other than Latin: the "other alphabet" a look-alike borrowed from (worked out
    #: once: the typo rule reads it several times a label).
    foreign: tuple[str, ...] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "foreign", tuple(s for s in self.scripts if s != "LATIN"))


#: What every ASCII label is (one shared instance: most labels are ASCII).
LATIN_ONLY = ScriptMix(("LATIN",), False)


def script_name(script: str, lang: str) -> str:
    """``CYRILLIC`` → ``Cyrillic`` / ``西里尔字母``."""
    if lang == "zh":
        return _ZH_SCRIPT_NAMES.get(script, script.title())
    return script.title()


class Confusables:
    """Skeletons and script lookups over Unicode's confusable and script tables."""

    def __init__(self) -> None:
        package = importlib_resources.files("confusable_homoglyphs")
        pairs = json.loads((package / "confusables.json").read_text(encoding="utf-8"))
        categories = json.loads((package / "categories.json").read_text(encoding="utf-8"))
        self._fold: Mapping[int, str] = _unicode_fold(pairs)
        ranges = categories["code_points_ranges"]
        self._range_starts = [int(r[0]) for r in ranges]
        self._range_ends = [int(r[1]) for r in ranges]
        aliases = categories["iso_15924_aliases"]
        self._range_scripts = [str(aliases[r[2]]) for r in ranges]

    def skeleton(self, label: str) -> str:
        """``label`` with every look-alike character folded to the ASCII letter it imitates.

        Letter pairs (``rn``) are left alone: see ``fold_pairs``.
        """
        if not label.isascii():
            label = label.translate(self._fold)
        # ``str.replace`` per pair, not ``translate``: several times faster on the short ASCII
        # names nearly every host has, and the same since no pair's letter is another's digit.
        for char, folded in ASCII_FOLD.items():
            if char in label:
                label = label.replace(char, folded)
        return label

    @staticmethod
    def fold_pairs(skeleton: str) -> str:
        """``rnicrosoft`` → ``microsoft``: pairs of letters that read as one.

        Kept apart from ``skeleton`` because folding changes the length: ``westernunion``
        becomes ``westemunion`` and a plain typo of it would no longer be one edit away, so
        names are compared both ways.
        """
        for pair, single in ASCII_PAIRS:
            if pair in skeleton:
                skeleton = skeleton.replace(pair, single)
        return skeleton

    def script_of(self, char: str) -> str:
        point = ord(char)
        i = bisect.bisect_right(self._range_starts, point) - 1
        if i >= 0 and point <= self._range_ends[i]:
            return self._range_scripts[i]
        return "UNKNOWN"

    def script_mix(self, label: str) -> ScriptMix:
        """The scripts of ``label`` (digits and hyphens aside); ASCII labels are plain Latin."""
        if label.isascii():
            return LATIN_ONLY
        scripts = {self.script_of(ch) for ch in label} - NEUTRAL_SCRIPTS
        ordered = tuple(sorted(scripts))
        suspicious = len(scripts) > 1 and not any(scripts <= allowed for allowed in ALLOWED_MIXES)
        return ScriptMix(ordered, suspicious)


def _unicode_fold(pairs: Mapping[str, Any]) -> dict[int, str]:
    """A ``str.translate`` table: each non-ASCII character → the ASCII letters it imitates.

    A character that decomposes or is named after a Latin letter folds to it (``á``, ``ɢ``
    LATIN LETTER SMALL CAPITAL G); otherwise confusables.json's pairs are followed, both ways,
    to the nearest one that does (``к`` → ``ĸ`` → ``ᴋ`` → ``k``).
    """
    graph: dict[str, set[str]] = {}
    for char, glyphs in pairs.items():
        for glyph in glyphs:
            graph.setdefault(char, set()).add(glyph["c"])
            graph.setdefault(glyph["c"], set()).add(char)
    table: dict[int, str] = {}
    candidates = {c for c in graph if len(c) == 1 and not c.isascii()}
    candidates.update(chr(p) for start, end in LATIN_BLOCKS for p in range(start, end))
    for char in candidates:
        target = READS_AS.get(char) or _as_ascii(char) or _nearest_ascii(char, graph)
        if target:
            table[ord(char)] = target
    return table


def _as_ascii(glyph: str) -> str:
    """The ASCII letters ``glyph`` is written with (``d̵`` → ``d``, ``ɢ`` → ``g``), or ``""``."""
    base = "".join(c for c in unicodedata.normalize("NFKD", glyph) if not unicodedata.combining(c))
    base = base.lower()
    if base and base.isascii() and base.isalnum():
        return base
    if len(glyph) == 1:
        named = _LATIN_NAME.fullmatch(unicodedata.name(glyph, ""))
        if named:
            return named.group(1).lower()
    return ""


def _nearest_ascii(start: str, graph: Mapping[str, set[str]]) -> str:
    """Breadth-first over confusable pairs to the closest glyph written in ASCII letters."""
    seen = {start}
    frontier = [start]
    for _ in range(MAX_HOPS):
        found = sorted(t for n in frontier for g in graph.get(n, ()) if (t := _as_ascii(g)))
        if found:
            return found[0]
        frontier = [g for n in frontier for g in graph.get(n, ()) if g not in seen]
        seen.update(frontier)
    return ""
