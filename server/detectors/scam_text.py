"""The scam-text classifier as a detector: P(scam) of a message, Chinese or English.

Role: PRIMARY. Alone it makes a verdict ``suspicious`` at most; a second detector agreeing
(a named scam pattern, a flagged link in the same message) makes ``likely_scam``. That is the
right strength for a model whose held-out precision at the threshold is 0.90 on English X
posts and 0.99 on Chinese telecom fraud (``models/scam_text/MODEL_CARD.md``): good enough to
ask a person to look, never enough to condemn a message by itself.

The threshold is the validation-chosen cut recorded in the model's ``metadata.json``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from server.scoring.detector import ContentKind, Example, Messages
from server.scoring.evidence import Evidence, Role
from server.scoring.resources import Resources
from server.text.features import dense, normalize

#: Fewer characters than this (spaces aside) is too little to judge: abstain.
MIN_CHARS = 8
#: Evidence weight: a strong cue, below what one lookalike or pattern adds.
WEIGHT = 0.5
MODEL = "scam_text"


class ScamTextDetector:
    name: ClassVar[str] = "scam_text"
    version: ClassVar[str] = "1.0"
    kinds: ClassVar[frozenset[ContentKind]] = frozenset({ContentKind.TEXT})
    messages: ClassVar[Messages] = {
        "scam_text.classifier": {
            "en": "The wording reads like known scam messages (model score {score}; flagged from {threshold}).",
            "zh": "这段文字与已知诈骗信息的措辞相似（模型评分 {score}，阈值 {threshold}）。",
        },
    }

    def __init__(self, resources: Resources) -> None:
        self.model = resources.models.get(MODEL)
        labels = list(self.model.metadata.raw.get("labels", []))
        self._scam = labels.index("scam")
        self._spam = labels.index("spam")
        self.threshold = self.model.metadata.thresholds["scam"]

    def score(self, content: Any) -> Sequence[Evidence]:
        text = str(content)
        if len(normalize(text).replace(" ", "")) < MIN_CHARS:
            return ()
        probs = self.model.run({"features": dense([text])})["probs"][0]
        p_scam = float(probs[self._scam])
        if p_scam < self.threshold:
            return ()
        return (
            Evidence(
                self.name,
                "scam_text.classifier",
                WEIGHT,
                Role.PRIMARY,
                params={"score": f"{p_scam:.2f}", "threshold": f"{self.threshold:.2f}"},
                details={
                    "p_scam": round(p_scam, 4),
                    "p_spam": round(float(probs[self._spam]), 4),
                    "threshold": self.threshold,
                    "model": MODEL,
                    "model_version": self.model.version,
                    "model_sha256": self.model.metadata.sha256[:16],
                },
            ),
        )

    @classmethod
    def examples(cls) -> Sequence[Example]:
        code = frozenset({"scam_text.classifier"})
        return (
            Example(
                ContentKind.TEXT,
                "您好，我是公安局民警，您的银行账户涉嫌洗钱，请立即将资金转入安全账户配合调查，不得告诉他人",
                expect=code,
                why="police-impersonation script (冒充公检法)",
            ),
            Example(
                ContentKind.TEXT,
                "Connect your wallet to claim the airdrop before it ends, limited spots",
                expect=code,
                why="airdrop wallet-drainer lure",
            ),
            Example(
                ContentKind.TEXT,
                "Are we still on for dinner at 7? I can bring the salad",
                forbid=code,
                why="an ordinary message",
            ),
            Example(ContentKind.TEXT, "ok", forbid=code, why="too short to judge: abstain"),
        )
