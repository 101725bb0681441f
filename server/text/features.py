"""Hashed character n-gram features of a message: the scam-text model's only input.

One module shared by training (``models/scam_text/train.py``) and serving
(``server/detectors/scam_text.py``), so the two cannot drift; the golden outputs pin it.

Character n-grams work on both scripts without a language switch: Chinese has no spaces, so
1-3 character grams are its words and phrases; for Latin text 2-4 grams plus whole words
carry spelling variants ("fr33", "c1aim") that a word vocabulary would miss. Digits are
folded to ``0`` and links to one marker so the model learns "a phone number" or "a link",
not particular numbers. Counts are log-scaled and L2-normalised, so long texts do not shout.
"""

from __future__ import annotations

import functools
import re
import zlib
from collections import Counter

import numpy as np

from server.text.normalise import clean

#: Feature-space size (a power of two). Part of the model: changing it needs retraining.
DIM = 1 << 16
#: Character n-gram lengths.
NGRAMS = (1, 2, 3, 4)
#: Only the first characters count (the model saw texts of this length at most).
MAX_CHARS = 2000
#: Bumped whenever anything below changes what a text maps to. Dropping invisible characters
#: (``server/text/normalise.py``) did not bump it: ordinary text maps exactly as before, and of
#: the 17,968 training messages only 6 held a dropped character (review 30 #2).
FEATURES_VERSION = "3"

#: Top-level domains a bare host without a path ("官网zwh.shop") must end in to count as a
#: link: the common ones, so "node.js" or "Mr.Smith" stay words. With a path any TLD counts.
_BARE_TLDS = (
    "com|net|org|info|biz|io|co|cc|me|tv|app|dev|xyz|top|shop|store|site|online|club|vip|live|"
    "pro|link|click|fun|icu|buzz|asia|cn|hk|tw|mo|sg|jp|kr|ru|uk|de|us|in|tk|ml|ga|cf|gq|cyou"
)
# A bare link may follow Chinese text directly ("点击dwz.cn/x", "官网zwh.shop"), and the start
# must not be inside a run of label characters: starting anywhere would make "a.a.a.a…"
# quadratic.
#: A link runs to the next space or Chinese character ("…/qAE9U立即参与": the words after it
#: are text again).
_LINK_CHARS = r"[^\s\u3000-\u9fff\uff00-\uffef]"
_URL = re.compile(
    r"(?:https?://|www\.)" + _LINK_CHARS + "+"
    r"|(?<![a-z0-9.-])[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}/" + _LINK_CHARS + "*"
    r"|(?<![a-z0-9.-])[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:" + _BARE_TLDS + r")(?![a-z0-9.-])",
    re.I,
)
_DIGITS = re.compile(r"\d")
_SPACES = re.compile(r"\s+")
_WORDS = re.compile(r"[a-z][a-z0-9']+")


@functools.lru_cache(maxsize=16)  # the classifier asks twice per message (length, features)
def normalize(text: str) -> str:
    """Invisible characters dropped, NFKC (full-width to half-width), lower case, links and
    digits folded, spaces collapsed."""
    text = clean(text, MAX_CHARS).lower()
    text = _URL.sub(" \u2192 ", text)
    text = _DIGITS.sub("0", text)
    return _SPACES.sub(" ", text).strip()


def _grams(normalized: str) -> list[str]:
    padded = f" {normalized} "
    grams = [padded[i : i + n] for n in NGRAMS for i in range(len(padded) - n + 1)]
    grams.extend("w:" + word for word in _WORDS.findall(normalized))
    return grams


def hashed(text: str) -> tuple[np.ndarray, np.ndarray]:
    """``(indices, values)`` of the non-zero features of one text (sparse form)."""
    counts: dict[int, int] = {}
    # Each distinct gram hashed once (a 2,000-character text has ~8,000 grams, far fewer
    # distinct): ``Counter`` keeps first-seen order, so ``counts`` fills in the same order.
    for gram, seen in Counter(_grams(normalize(text))).items():
        index = zlib.crc32(gram.encode("utf-8")) & (DIM - 1)
        counts[index] = counts.get(index, 0) + seen
    if not counts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    indices = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
    values = np.log1p(np.fromiter(counts.values(), dtype=np.float32, count=len(counts)))
    values /= np.float32(np.linalg.norm(values))
    return indices, values.astype(np.float32)


def dense(texts: list[str]) -> np.ndarray:
    """``[len(texts), DIM]`` float32: the model's input for a batch."""
    out = np.zeros((len(texts), DIM), dtype=np.float32)
    for row, text in enumerate(texts):
        indices, values = hashed(text)
        out[row, indices] = values
    return out
