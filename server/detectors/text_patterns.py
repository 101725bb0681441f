"""Named scam patterns in a message, each its own explained piece of evidence.

The patterns live in ``server/data/text_patterns.yaml`` (a moderator can read and extend
them); each match becomes evidence with the pattern's role and weight and the text it
matched, rendered with the pattern's own name and reason in the reader's language.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from server.scoring.detector import ContentKind, Example, Messages
from server.scoring.evidence import Evidence
from server.scoring.resources import Resources
from server.text.patterns import PatternSet

PATTERNS_FILE = "text_patterns.yaml"


class TextPatternsDetector:
    name: ClassVar[str] = "text_patterns"
    version: ClassVar[str] = "1.0"
    kinds: ClassVar[frozenset[ContentKind]] = frozenset({ContentKind.TEXT})
    messages: ClassVar[Messages] = {
        "text_patterns.match": {
            "en": "Matches the scam script “{name_en}”: {why_en}.",
            "zh": "符合诈骗话术“{name_zh}”：{why_zh}。",
        },
    }

    def __init__(self, resources: Resources) -> None:
        self.patterns = PatternSet.load(resources.data_dir / PATTERNS_FILE)

    def score(self, content: Any) -> Sequence[Evidence]:
        found = []
        for match in self.patterns.match(str(content)):
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
