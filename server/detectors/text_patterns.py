"""Named scam patterns in a message, each its own explained piece of evidence.

The patterns live in ``server/data/text_patterns.yaml`` (a moderator can read and extend
them); each match becomes evidence with the pattern's role and weight and the text it
matched, rendered with the pattern's own name and reason in the reader's language.

Two more things this detector says about the wording:

- ``text_patterns.warning_context`` (INFO, no weight): patterns matched, but the text reads as
  a warning about scams ("【反诈提醒】刷单返利都是诈骗"), so they were not counted.
- ``text_patterns.hidden_characters`` (SUPPORTING, 0.25): invisible characters split words
  or pad the message. Every reader drops them first (``server/text/normalise.py``), so they
  no longer hide anything; but an ordinary message has no reason to carry them, and putting
  them there is how keyword filters are dodged. Alone it never makes a verdict; beside the
  classifier it corroborates, as a second, independent sign would.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from server.scoring.detector import ContentKind, Example, Messages
from server.scoring.evidence import Evidence, Role
from server.scoring.resources import Resources
from server.text.normalise import hidden_inside_words, strip_hidden
from server.text.patterns import PatternSet, prepare

PATTERNS_FILE = "text_patterns.yaml"
#: Invisible characters inside words (between two letters or digits) that make a cue: one or
#: two can be a copy-paste accident, three is a word split on purpose.
HIDDEN_INSIDE_WORDS = 3
#: Or this many invisible characters anywhere (padding that pushes a script down).
HIDDEN_ANYWHERE = 32
HIDDEN_WEIGHT = 0.25


class TextPatternsDetector:
    name: ClassVar[str] = "text_patterns"
    version: ClassVar[str] = "1.0"
    kinds: ClassVar[frozenset[ContentKind]] = frozenset({ContentKind.TEXT})
    messages: ClassVar[Messages] = {
        "text_patterns.match": {
            "en": "Matches the scam script “{name_en}”: {why_en}.",
            "zh": "符合诈骗话术“{name_zh}”：{why_zh}。",
        },
        "text_patterns.warning_context": {
            "en": "It quotes scam scripts ({patterns_en}) but reads as a warning about scams "
            "(“{warning}”), so they were not counted.",
            "zh": "文中提到了诈骗话术（{patterns_zh}），但读起来是一则防诈骗提醒（“{warning}”），"
            "因此不计入。",
        },
        "text_patterns.hidden_characters": {
            "en": "It contains {count} invisible characters ({inside} of them inside words): "
            "ordinary messages have no use for them, hiding words from filters does.",
            "zh": "文中含有 {count} 个不可见字符（其中 {inside} 个夹在字词之间）：正常消息用不到"
            "它们，躲避关键词过滤才会这样做。",
        },
    }

    def __init__(self, resources: Resources) -> None:
        self.patterns = PatternSet.load(resources.data_dir / PATTERNS_FILE)

    def score(self, content: Any) -> Sequence[Evidence]:
        text = str(content)
        matches, cancelled, warning = self.patterns.search(prepare(text))
        found = []
        if warning is not None:
            quoted = [m.pattern.id for m in cancelled]
            found.append(
                Evidence(
                    self.name,
                    "text_patterns.warning_context",
                    0.0,
                    Role.INFO,
                    params={
                        "patterns_en": ", ".join(m.pattern.name["en"] for m in cancelled),
                        "patterns_zh": "、".join(m.pattern.name["zh"] for m in cancelled),
                        "warning": warning,
                    },
                    details={"warning": warning, "patterns_not_counted": quoted},
                )
            )
        hidden = self._hidden(text)
        if hidden is not None:
            found.append(hidden)
        for match in matches:
            pattern = match.pattern
            found.append(
                Evidence(
                    self.name,
                    "text_patterns.match",
                    pattern.weight,
                    pattern.role,
                    params={
                        "name_en": pattern.name["en"],
                        "name_zh": pattern.name["zh"],
                        "why_en": pattern.why["en"],
                        "why_zh": pattern.why["zh"],
                    },
                    details={"pattern": pattern.id, "matched": match.matched},
                )
            )
        return found

    def _hidden(self, text: str) -> Evidence | None:
        _, dropped = strip_hidden(text)
        if dropped == 0:
            return None
        inside = hidden_inside_words(text)
        if inside < HIDDEN_INSIDE_WORDS and dropped < HIDDEN_ANYWHERE:
            return None
        return Evidence(
            self.name,
            "text_patterns.hidden_characters",
            HIDDEN_WEIGHT,
            Role.SUPPORTING,
            params={"count": str(dropped), "inside": str(inside)},
            details={
                "hidden": dropped,
                "inside_words": inside,
                "threshold_inside_words": HIDDEN_INSIDE_WORDS,
                "threshold_anywhere": HIDDEN_ANYWHERE,
            },
        )

    @classmethod
    def examples(cls) -> Sequence[Example]:
        code = frozenset({"text_patterns.match"})
        return (
            Example(
                ContentKind.TEXT, "请立即将资金转入安全账户配合调查", expect=code, why="安全账户"
            ),
            Example(
                ContentKind.TEXT,
                "Send 0.5 ETH to the address below and get 1 ETH back instantly",
                expect=code,
                why="send 1, get 2",
            ),
            Example(
                ContentKind.TEXT, "刷单返利，日结300元，加微信详聊", expect=code, why="刷单返利"
            ),
            Example(
                ContentKind.TEXT,
                "Never share your seed phrase with anyone",
                forbid=code,
                why="a warning quoting the script",
            ),
        )
