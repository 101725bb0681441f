"""The scam-text classifier as a detector: P(scam) of a message, Chinese or English.

Role: PRIMARY. Alone it makes a verdict ``suspicious`` at most; a second detector agreeing
(a named scam pattern, a flagged link in the same message) makes ``likely_scam``. That is the
right strength for a model whose held-out precision at the threshold is 0.90 on English X
posts and 0.99 on Chinese telecom fraud (``models/scam_text/MODEL_CARD.md``): good enough to
ask a person to look, never enough to condemn a message by itself.

The threshold is the validation-chosen cut recorded in the model's ``metadata.json``.

The model saw texts of at most ``MAX_CHARS`` (2,000) characters. A longer message is read in two
windows, its first and its last 2,000 visible characters, and the higher P(scam) counts
(``details.window``: ``whole``, ``head`` or ``tail``): a scam script after a long benign preamble
is still read (review 34 #5). The features themselves do not change.

A text that reads as a warning about scams (the shared ``warnings`` of
``server/data/text_patterns.yaml``: "【反诈提醒】…", "never transfer money to a safe account")
uses a scam's words by design; the model cannot tell quoting from doing, so there its score
is only a SUPPORTING cue (``scam_text.classifier_in_warning``): still ``suspicious`` alone.
Unless the text also asks for an action (a link, a phone, a wallet, 加微信, "DM me"…): then
it is a scam with a warning pasted on, and the score keeps its full strength (review 31 #1).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from server.detectors.text_patterns import DEMOTED_SHARE, PATTERNS_FILE, WORDING
from server.scoring.detector import ContentKind, Example, Messages
from server.scoring.evidence import Evidence, Role
from server.scoring.resources import Resources
from server.text.features import MAX_CHARS, dense, normalize
from server.text.normalise import strip_hidden
from server.text.patterns import PatternSet
from server.text.references import reference_check

#: Fewer characters than this (spaces aside) is too little to judge: abstain.
MIN_CHARS = 8
#: Evidence weight: a strong cue, below what one lookalike or pattern adds.
WEIGHT = 0.5
MODEL = "scam_text"


class ScamTextDetector:
    name: ClassVar[str] = "scam_text"
    version: ClassVar[str] = "1.0"
    kinds: ClassVar[frozenset[ContentKind]] = frozenset({ContentKind.TEXT})
    #: The patterns read the same words: their supporting cues do not corroborate this one.
    reads: ClassVar[str] = WORDING
    messages: ClassVar[Messages] = {
        "scam_text.classifier": {
            # Plain words for the person; the score, the threshold and the model are in
            # ``details`` (the moderator page and ``--json`` show them).
            "en": "The wording reads like scam messages our model learned from.",
            "zh": "这段文字的写法与我们的模型学过的诈骗信息很像。",
        },
        "scam_text.classifier_in_warning": {
            "en": "The wording reads like scam messages our model learned from, but the text "
            "reads as a warning about scams (“{warning}”), so this is only a cue.",
            "zh": "这段文字的写法与我们的模型学过的诈骗信息很像，但读起来是一则防诈骗提醒"
            "（“{warning}”），因此只作参考。",
        },
    }

    def __init__(self, resources: Resources) -> None:
        self.model = resources.models.get(MODEL)
        labels = list(self.model.metadata.raw.get("labels", []))
        self._scam = labels.index("scam")
        self._spam = labels.index("spam")
        self.threshold = self.model.metadata.thresholds["scam"]
        self.patterns = PatternSet.load(
            resources.data_dir / PATTERNS_FILE, reference_check(resources)
        )

    def score(self, content: Any) -> Sequence[Evidence]:
        text = str(content)
        if len(normalize(text).replace(" ", "")) < MIN_CHARS:
            return ()
        window, probs = self._best_window(text)
        p_scam = float(probs[self._scam])
        if p_scam < self.threshold:
            return ()
        params: dict[str, str] = {}
        warning, ask = self.patterns.context(text)
        if ask is not None:
            warning = None
        if warning is not None:
            params["warning"] = warning
        return (
            Evidence(
                self.name,
                "scam_text.classifier" if warning is None else "scam_text.classifier_in_warning",
                WEIGHT if warning is None else WEIGHT * DEMOTED_SHARE,
                Role.PRIMARY if warning is None else Role.SUPPORTING,
                params=params,
                details={
                    "p_scam": round(p_scam, 4),
                    "p_spam": round(float(probs[self._spam]), 4),
                    "threshold": self.threshold,
                    "window": window,
                    "model": MODEL,
                    "model_version": self.model.version,
                    "model_sha256": self.model.metadata.sha256[:16],
                }
                | ({"warning": warning} if warning is not None else {}),
                reads=self.reads,
            ),
        )

    def _best_window(self, text: str) -> tuple[str, Any]:
        """The window with the highest P(scam) and the model's probabilities on it."""
        visible, _ = strip_hidden(text)
        if len(visible) <= MAX_CHARS:
            return "whole", self.model.run({"features": dense([text])})["probs"][0]
        # The head is exactly what a short text's features are (``clean`` cuts after dropping
        # invisible characters); the tail is cut the same way from the other end.
        both = self.model.run({"features": dense([text, visible[-MAX_CHARS:]])})["probs"]
        tail = float(both[1][self._scam]) > float(both[0][self._scam])
        return ("tail", both[1]) if tail else ("head", both[0])

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
