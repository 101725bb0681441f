"""The scam-text data set: ``../shared/data/text/*.jsonl``, labels and a reproducible split.

Labels: ``ham`` 0, ``spam`` 1, ``scam`` 2. Spam (unwanted promotion) is kept as its own class
rather than folded into either side: folding it into ``scam`` would teach the model that every
advert is fraud (the Chinese ``ham`` set is full of carrier promotions), folding it into ``ham``
would teach it that "WINNER!! claim your prize, call 09061…" is benign. The detector reads only
P(scam); spam is reported separately.

The split is by a hash of the normalised text, so duplicates never straddle train and test and
every script (training, export, bench) gets the same split without storing it:
buckets 0-69 train, 70-79 validation (thresholds), 80-99 test (the figures we report).
"""

from __future__ import annotations

import json
import re
import unicodedata
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

LABELS = ("ham", "spam", "scam")
SOURCES = (
    "uci_sms_spam",
    "janitr_x_posts",
    "telecom_fraud_texts_5",
    "nagato_sms_zh_tw",
)
DEFAULT_SHARED = Path(__file__).resolve().parents[3] / "shared"


@dataclass(frozen=True)
class Message:
    text: str
    label: int
    lang: str
    source: str
    split: str


# The split key is the features-v2 normalisation, frozen here: the split must not move when
# the model's features change (a test message would otherwise slip into training and figures
# of two feature versions would be measured on different messages).
_SPLIT_URL = re.compile(
    r"(?:https?://|www\.)\S+|(?<![a-z0-9.-])[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}/\S*", re.I
)


def split_key(text: str) -> str:
    """NFKC, lower case, links and digits folded, spaces collapsed (features v2's rule)."""
    text = unicodedata.normalize("NFKC", text[:2000]).lower()
    text = _SPLIT_URL.sub(" \u2192 ", text)
    text = re.sub(r"\d", "0", text)
    return re.sub(r"\s+", " ", text).strip()


def split_of(text: str) -> str:
    bucket = zlib.crc32(split_key(text).encode("utf-8")) % 100
    return "train" if bucket < 70 else "val" if bucket < 80 else "test"


def load(shared: Path = DEFAULT_SHARED) -> list[Message]:
    """Every message, de-duplicated per source on its normalised text."""
    messages: list[Message] = []
    for path in sorted((shared / "data" / "text").glob("*.jsonl")):
        seen: set[str] = set()
        for row in _rows(path):
            key = split_key(row["text"])
            if not key or key in seen:
                continue
            seen.add(key)
            lang = "zh" if row["lang"].startswith("zh") else row["lang"]
            messages.append(
                Message(
                    row["text"],
                    LABELS.index(row["label"]),
                    lang,
                    row["source"],
                    split_of(row["text"]),
                )
            )
    return messages


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)
