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

import re
import unicodedata

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


#: Cyrillic, Greek, Armenian and IPA letters that look like Latin ones (lower case: callers
#: fold case first). A hand-picked part of UTS 39's confusables, the look-alikes of lower-case
#: Latin letters that fonts draw the same.
_CONFUSABLE = str.maketrans(
    "аеорсухіјѕԁԛԝһɡαοινгԍҽօսոհցզɑɩρυκ",
    "aeopcyxijsdqwhgaoivrgeounhgqaipuk",
)
_WORD = re.compile(r"[^\W\d_]+")
_LATIN = re.compile(r"[a-z]")


def fold_confusables(text: str) -> str:
    """Cyrillic / Greek look-alike letters inside a Latin word made Latin ("sаfe" with a
    Cyrillic а → "safe"). Words written wholly in another script are left as they are."""
    if text.isascii():
        return text
    return _WORD.sub(_fold_word, text)


def _fold_word(match: re.Match[str]) -> str:
    word = match.group(0)
    if word.isascii() or _LATIN.search(word) is None:
        return word
    return word.translate(_CONFUSABLE)
