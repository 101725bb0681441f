"""The one cleaning every reader of message text goes through first.

Chats draw zero-width and other format characters as nothing, so scammers put them between
the letters of a script ("安\u200b全\u200b账\u200b户") or thousands of them in front of it, and a
keyword filter sees neither. ``clean`` drops them *before* anything cuts the text to a
length or searches it, then applies NFKC (full-width and mathematical letters become plain
ones). The scam patterns, the classifier's features, the link / phone / wallet extraction and
the impersonation check all call it, so they read the same text a person sees.

What is dropped: every format character (Unicode category ``Cf``: ZWSP, ZWNJ, ZWJ, word joiner,
soft hyphen, BOM, bidi controls, invisible operators, tag characters, the Mongolian vowel
separator…), variation selectors and the combining grapheme joiner and Mongolian / Khmer
invisible marks. Kept, because they are part of how emoji are written and ordinary messages
use them: a ZWJ between two emoji ("🦸‍♂️") and a variation selector after anything that is
neither a letter nor a space ("⛅️", "1️⃣"). Every other Default_Ignorable_Code_Point is dropped
too (the Hangul fillers U+115F, U+1160, U+3164, U+FFA0, "invisible names"; U+FFF0-FFF8), and so
are C0/C1 control characters but tab, line feed and carriage return (a chat shows NUL or U+0085
as nothing). Only the braille blank, which displays as a gap, becomes a space. A browser's URL parser (UTS 46)
ignores the same characters in a host name, so a link read without them is the link opened.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path

#: Unicode format characters (category Cf, Unicode 14; a test checks the running Python's
#: tables add none) but the ZWJ, as regex ranges.
_FORMAT = (
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e\u200b\u200c\u200e\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd"
    "\U00013430-\U00013438\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"
)
#: Invisible marks outside Cf: combining grapheme joiner, Mongolian free variation selectors,
#: Khmer inherent vowels.
_MARKS = "\u034f\u180b-\u180d\u180f\u17b4\u17b5"
#: Variation selectors (standard and ideographic).
_SELECTORS = "\ufe00-\ufe0f\U000e0100-\U000e01ef"
#: Default ignorable letters renderers draw as nothing (Hangul fillers) and unassigned ignorables.
_FILLERS = "\u115f\u1160\u3164\uffa0\ufff0-\ufff8"
#: Control characters but tab, line feed and carriage return.
_CONTROLS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
#: A symbol that displays as an empty gap.
_BLANKS = "\u2800"

_ZWJ = "\u200d"
#: Every character that shows as nothing, as regex class ranges (``server/links/url.py`` drops
#: them around a pasted link: "\u200bhttps://evil.top" is the link a person sees).
INVISIBLE_RANGES = f"{_FORMAT}{_ZWJ}{_MARKS}{_SELECTORS}{_FILLERS}{_BLANKS}"
_HIDDEN = re.compile(f"[{_FORMAT}{_ZWJ}{_MARKS}{_SELECTORS}{_FILLERS}{_CONTROLS}]")
_ASCII_CONTROL = re.compile(f"[{_CONTROLS}]")
# Three passes, each a C-speed regex (a per-character Python loop costs ~10 ms on a hostile
# 10,000-character message, and several readers clean the same text):
# 1. everything but the ZWJ and the selectors, always;
_ALWAYS = re.compile(f"[{_FORMAT}{_MARKS}{_FILLERS}{_CONTROLS}]+")
# 2. a ZWJ unless it joins two emoji (pictographs, dingbats, arrows, skin tones, a selector);
_EMOJI_SIDE = (
    "\u00a9\u00ae\u203c\u2049\u2122\u2139\u2190-\u21ff\u2300-\u23ff\u24c2\u25a0-\u27bf"
    "\u2900-\u297f\u2b00-\u2bff\u3030\u303d\u3297\u3299\U0001f000-\U0001faff"
    f"{_SELECTORS}"
)
_LONE_ZWJ = re.compile(f"(?<![{_EMOJI_SIDE}]){_ZWJ}+|{_ZWJ}+(?![{_EMOJI_SIDE}])")
# 3. a selector after a letter, a space or at the start: there it picks no presentation.
_LONE_SELECTORS = re.compile(f"(?:^|(?<=[^\\W\\d_])|(?<=\\s))[{_SELECTORS}]+")
_BLANK = re.compile(f"[{_BLANKS}]")
#: Dropped characters between two letters or digits.
_INSIDE_WORDS = re.compile(
    f"(?<=[^\\W_])[{_FORMAT}{_ZWJ}{_MARKS}{_SELECTORS}{_FILLERS}{_CONTROLS}]+(?=[^\\W_])"
)


#: Every reader of a message strips it (patterns, classifier windows, extraction, the hidden
#: character cue): the latest few results are kept, so a 10,000-character message is scanned
#: once per check, not five times (review 35 #10).
STRIPPED_KEPT = 16


@functools.lru_cache(maxsize=STRIPPED_KEPT)
def strip_hidden(text: str) -> tuple[str, int]:
    """``text`` without invisible characters and controls (the braille blank made a space), and
    how many were dropped (emoji joiners and selectors are kept and not counted)."""
    if text.isascii():
        if _ASCII_CONTROL.search(text) is None:
            return text, 0
        visible = _ASCII_CONTROL.sub("", text)
        return visible, len(text) - len(visible)
    original = len(text)
    if _HIDDEN.search(text) is not None:
        text = _ALWAYS.sub("", text)
        if _ZWJ in text:
            text = _LONE_ZWJ.sub("", text)
        text = _LONE_SELECTORS.sub("", text)
    return _BLANK.sub(" ", text), original - len(text)


def hidden_inside_words(text: str) -> int:
    """How many invisible characters sit between two letters or digits ("安\u200b全"), where
    nothing but a wish to split a word puts them (blank lines kept with U+2063, a BOM in front
    and emoji joiners do not count)."""
    if _HIDDEN.search(text) is None:
        return 0
    return len(text) - len(_INSIDE_WORDS.sub("", text))


def clean(text: str, limit: int | None = None) -> str:
    """Invisible characters dropped, then cut to ``limit`` characters, then NFKC.

    Cutting after dropping is the point: 8000 zero-width spaces in front must not push the
    message out of the window a reader searches. For text with no invisible characters this is
    exactly ``unicodedata.normalize("NFKC", text[:limit])``, what the readers did before (the
    classifier's features of ordinary messages do not move).
    """
    visible, _ = strip_hidden(text)
    if limit is not None:
        visible = visible[:limit]
    return unicodedata.normalize("NFKC", visible)


def origins(text: str, cleaned: str) -> list[int] | None:
    """For each character of ``cleaned`` (``clean(text)``), the index in ``text`` it came
    from, or None when they cannot be lined up one character at a time (NFKC composed marks
    across characters): callers then show the cleaned text. Linear in ``len(text)``."""
    visible, dropped = strip_hidden(text)
    kept: Sequence[int]
    if dropped == 0:
        kept = range(len(text))  # only the braille blank changed, in place
    else:
        # Dropping only deletes characters (and makes the braille blank a space): a greedy
        # walk lines ``visible`` up with ``text``.
        walked: list[int] = []
        i, n = 0, len(text)
        for char in visible:
            while i < n and text[i] != char and not (char == " " and text[i] in _BLANKS):
                i += 1
            if i == n:
                return None
            walked.append(i)
            i += 1
        kept = walked
    pieces = [char if char.isascii() else _nfkc_char(char) for char in visible]
    if "".join(pieces) != cleaned:
        return None
    if len(cleaned) == len(visible) and all(len(piece) == 1 for piece in pieces):
        return list(kept)  # one character each (nearly every message): no per-piece walk
    found: list[int] = []
    for piece, source in zip(pieces, kept, strict=True):
        found.extend([source] * len(piece))
    return found


@functools.lru_cache(maxsize=4096)
def _nfkc_char(char: str) -> str:
    """NFKC of one character (messages repeat their characters: each is normalised once)."""
    return unicodedata.normalize("NFKC", char)


#: Look-alike letters a reader takes for these Latin ones where Unicode's skeleton (the link
#: side's ``Confusables``, built for host names) prefers another prototype: Greek ε reads as
#: e in a sentence, not as the ꞓ its confusable pairs lead to. Lower case: callers fold case.
_READS_AS = dict(
    zip("аеорсухіјѕԁԛԝһɡαοινгԍҽօսոհցզɑɩρυκε", "aeopcyxijsdqwhgaoivrgeounhgqaipuke", strict=True)
)
#: Blocks whose letters may imitate Latin ones (Latin-1 to Armenian, Georgian, Cherokee,
#: phonetic extensions, Greek extended, letter-like symbols, Glagolitic/Coptic, Lisu, Cyrillic
#: extended-B, Latin extended-D/E, Deseret). Han, kana and Hangul are never folded: Unicode
#: pairs some of them with Latin letters (〇, 丨), but in a sentence they are words.
_LOOKALIKE_BLOCKS = (
    (0x0080, 0x0590),
    (0x10A0, 0x1100),
    (0x13A0, 0x1400),
    (0x1D00, 0x2000),
    (0x2100, 0x2150),
    (0x2C00, 0x2D30),
    (0xA4D0, 0xA500),
    (0xA640, 0xA6A0),
    (0xA720, 0xA800),
    (0xAB30, 0xABC0),
    (0x10400, 0x10450),
)
#: Parenthesised letters (NFKC would write "⒮⒜⒡⒠" as "(s)(a)(f)(e)") and regional indicators
#: (🇸🇦🇫🇪 spells "safe" in flag letters; a real flag becomes its two-letter country code, which
#: no pattern reads).
_LETTER_SYMBOLS = {0x1F1E6 + i: chr(ord("a") + i) for i in range(26)} | {
    0x249C + i: chr(ord("a") + i) for i in range(26)
}
_LETTER_SYMBOL = re.compile("[\u249c-\u24b5\U0001f1e6-\U0001f1ff]")
#: A word (a run of letters) holding a letter that is neither ASCII nor Han / kana / Hangul: it
#: may be a disguised Latin word. Only word starts are tried and the lazy prefix scans each word
#: once, so a long message costs one pass.
_FOREIGN_WORD = re.compile(
    "(?<![^\\W\\d_])[^\\W\\d_]*?(?=[^\\W\\d_])"
    "[^\x00-\x7f\u1100-\u11ff\u2e80-\u2fdf\u3000-\u9fff\ua960-\ua97f\uac00-\ud7ff"
    "\uf900-\ufaff\uff00-\uffef\U00020000-\U0003ffff][^\\W\\d_]*"
)


@functools.cache
def _lookalike_table() -> dict[int, str]:
    """Every letter of ``_LOOKALIKE_BLOCKS`` that UTS 39 folds to ASCII letters (diacritics
    stripped: ``ṡ`` → ``s``; small capitals, Cherokee, Greek, Cyrillic…), from the link side's
    skeleton, minus its digit folds (``0`` → ``o`` is for host names, not sentences). Built once
    (~0.4 s, ``warm``)."""
    from server.links.confusables import Confusables

    confusables = Confusables()
    table: dict[int, str] = {}
    for start, end in _LOOKALIKE_BLOCKS:
        for point in range(start, end):
            char = chr(point)
            if not char.isalpha():
                continue
            folded = confusables.skeleton(char)
            if folded != char and folded.isascii() and folded.isalpha():
                table[point] = folded.lower()
    table.update((ord(k), v) for k, v in _READS_AS.items())
    return table


def fold_confusables(text: str) -> str:
    """Look-alike letters made Latin in words that hold a letter outside ASCII and Han ("sаfe"
    with a Cyrillic а, Greek "ѕαfε", small capitals "ꜱᴀꜰᴇ", Cherokee "ꮪafe", accented "ṡåfé" →
    "safe"). Words wholly in one other script (Russian, Greek)
    are left as they are; Han, kana and Hangul characters are never changed."""
    if text.isascii():
        return text
    return _FOREIGN_WORD.sub(_fold_word, text)


def spell_letter_symbols(text: str) -> str:
    """Parenthesised letters and flag letters made plain letters (before NFKC, which would put
    parentheses around each)."""
    if text.isascii() or _LETTER_SYMBOL.search(text) is None:
        return text
    return text.translate(_LETTER_SYMBOLS)


def _fold_word(match: re.Match[str]) -> str:
    word = match.group(0)
    scripts = {unicodedata.name(c, "").partition(" ")[0] for c in word}
    if "LATIN" not in scripts and len(scripts) == 1:
        # One other script throughout ("привет", "και"): a word of that language.
        return word
    return word.translate(_lookalike_table())


#: Characters Traditional and Simplified writing share a word with, but OpenCC's character
#: table leaves apart: an account is 账户 to the patterns, 帳戶 in Taiwan, 賬戶 in Hong Kong,
#: and mainland writers also use 帐户.
_ACCOUNT_VARIANTS = {"帳": "账", "帐": "账"}


@functools.cache
def _simplified_table() -> dict[int, str]:
    """Traditional → Simplified, one character for one (a ``str.translate`` table): Taiwan and
    Hong Kong variant forms made OpenCC's standard ones, then its TSCharacters (first reading
    of each). Built once from the tables the OpenCC wheel ships (~10 ms)."""
    import opencc

    folder = Path(opencc.__file__).parent / "dictionary"

    def read(name: str) -> dict[str, str]:
        pairs = {}
        for line in (folder / name).read_text(encoding="utf-8").splitlines():
            key, _, values = line.partition("\t")
            first = values.split(" ")[0]
            if len(key) == 1 and len(first) == 1:
                pairs[key] = first
        return pairs

    characters = read("TSCharacters.txt")
    # A Simplified character is never a regional variant to undo: Taiwan's table turns 么 into
    # 幺, which would make every 什么 read 什幺.
    simplified_chars = set(read("STCharacters.txt")) | set(characters.values())
    variants = {
        k: v
        for k, v in (read("TWVariantsRev.txt") | read("HKVariantsRev.txt")).items()
        if k not in simplified_chars
    }
    table: dict[int, str] = {}
    for char in set(characters) | set(variants):
        standard = variants.get(char, char)
        simplified = characters.get(standard, standard)
        if simplified != char:
            table[ord(char)] = simplified
    table.update((ord(k), v) for k, v in _ACCOUNT_VARIANTS.items())
    return table


def fold_traditional(text: str) -> str:
    """``text`` with Traditional characters made Simplified, one for one (the length and every
    position kept, so a match in the folded text quotes the same span of the original). Words
    Taiwan writes differently (簡訊 for 短信) are not translated: that takes a phrase table."""
    if text.isascii() or _traditional_chars().isdisjoint(text):
        return text
    return text.translate(_simplified_table())


@functools.cache
def _traditional_chars() -> frozenset[str]:
    """The characters ``fold_traditional`` changes: Simplified text skips the translation."""
    return frozenset(chr(point) for point in _simplified_table())


#: Interleaved filler: three or more single letters or Han characters each separated by the
#: same one to three non-alphanumeric characters ("安🔥全🔥账🔥户", "s.a.f.e", "安  全  账  户",
#: "【安】【全】【账】【户】"). A person reads straight through it, a keyword filter does not.
#: "你好，再见" stays apart (its segments are words, not single characters), and so do lists of
#: words. Linear: the filler is bounded and repeated by back-reference, never re-scanned.
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
#: A unit: one Han character with the Latin letters and digits written against it ("得iPhone一"
#: holds two, "入1个" too: a number or a brand is not split), or one other letter with its digits.
_UNIT = (
    f"(?:[a-zA-Z0-9]*[{_HAN}](?:[a-zA-Z0-9]+[{_HAN}])?[a-zA-Z0-9]*"
    f"|\\d*(?![{_HAN}])[^\\W\\d_](?:\\d+(?![{_HAN}])[^\\W\\d_])?\\d*)"
)
#: Fillers in the order they are tried: with a visible character ("s.a.f.e"), one space, then
#: other blanks. The letters' filler goes before the words' gap, so the gap between two spelled
#: words never joins their letters ("t o  a  s a f e" is "to a safe", not "t oas afe").
_FILLERS_IN_ORDER = ("((?=[\\W_]{0,2}(?:[^\\w\\s]|_))[\\W_]{1,3})", "( )", "(\\s{1,3})")
#: ASCII text has no Han units: a unit there is one letter with its digits (3x faster on prose).
_ASCII_UNIT = "\\d*[a-zA-Z](?:\\d+[a-zA-Z])?\\d*"
_INTERLEAVED, _ASCII_INTERLEAVED = (
    tuple(
        re.compile(f"(?<![^\\W_]){unit}{filler}{unit}(?:\\1{unit})+(?![^\\W_])")
        for filler in _FILLERS_IN_ORDER
    )
    for unit in (_UNIT, _ASCII_UNIT)
)
#: Three units with any fillers between: what every run needs (one pass rules most text out).
_MAYBE_INTERLEAVED, _ASCII_MAYBE_INTERLEAVED = (
    re.compile(f"(?<![^\\W_]){unit}[\\W_]{{1,3}}{unit}[\\W_]{{1,3}}{unit}(?![^\\W_])")
    for unit in (_UNIT, _ASCII_UNIT)
)
_LINE_BREAKS = re.compile(r"[^\S\n]*\n\s*")
_SPACES = re.compile(r"[^\S\n]{2,}|[^\S \n]")


def fold_interleaved(text: str) -> tuple[str, tuple[str, ...]]:
    """``text`` with interleaved fillers removed (``_INTERLEAVED``), and the runs that were
    joined, as written. Once a filler has joined a run, pairs it splits are joined too ("t o" in
    "s e n d  t o  m e": the message spells letter by letter)."""
    runs: list[str] = []
    fillers: list[str] = []

    def join(match: re.Match[str]) -> str:
        runs.append(match.group(0))
        fillers.append(match.group(1))
        return match.group(0).replace(match.group(1), "")

    ascii = text.isascii()
    if (_ASCII_MAYBE_INTERLEAVED if ascii else _MAYBE_INTERLEAVED).search(text) is None:
        return text, ()
    unit = _ASCII_UNIT if ascii else _UNIT
    for regex in _ASCII_INTERLEAVED if ascii else _INTERLEAVED:
        joined = len(runs)
        text = regex.sub(join, text)  # one pass: no ``search`` first to re-scan
        if len(runs) == joined:
            continue
        used = sorted(set(fillers[joined:]), key=len, reverse=True)
        alternatives = "|".join(re.escape(f) for f in used)
        pairs = re.compile(f"(?<![^\\W_]){unit}({alternatives}){unit}(?![^\\W_])")
        text = pairs.sub(join, text)
    return text, tuple(runs)


def collapse_spaces(text: str) -> str:
    """Runs of spaces and tabs made one space, and runs of blank lines one line break (a
    pattern's literal space matches "Double␣␣your␣␣BTC"; line breaks still end sentences)."""
    if "  " not in text and text.isprintable():  # no run, no tab, no line break: C speed
        return text
    if "\n" in text:
        text = _LINE_BREAKS.sub("\n", text)
    return _SPACES.sub(" ", text)


#: A soft hyphen between two Latin letters: what hyphenated web pages and PDFs leave in copied
#: text ("commu\u00adnication"), not a word split to dodge a filter.
_HYPHENATION = re.compile("(?<=[a-zA-Z\u00c0-\u024f])\u00ad(?=[a-zA-Z\u00c0-\u024f])")


def hidden_counts(text: str) -> tuple[int, int]:
    """How many invisible characters ``text`` holds, and how many of them inside words, not
    counting soft hyphens that hyphenate Latin words (review 34 #15; "安\u00ad全" counts)."""
    _, dropped = strip_hidden(text)
    if dropped == 0:
        return 0, 0
    inside = hidden_inside_words(text)
    if "\u00ad" in text:
        hyphenation = len(_HYPHENATION.findall(text))
        dropped, inside = dropped - hyphenation, inside - hyphenation
    return dropped, inside


def warm() -> None:
    """Build the fold tables now (~0.4 s), not in the first request that needs them."""
    _lookalike_table()
    _traditional_chars()
