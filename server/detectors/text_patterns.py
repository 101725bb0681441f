"""Named scam patterns in a message, each its own explained piece of evidence.

The patterns live in ``server/data/text_patterns.yaml`` (a moderator can read and extend
them); each match becomes evidence with the pattern's role and weight and the text it
matched, rendered with the pattern's own name and reason in the reader's language.

Two more things this detector says about the wording:

- ``text_patterns.match_in_warning`` (SUPPORTING, half the pattern's weight, so an advisory
  quoting one script stays below ``suspicious``; review 34 #6): a pattern matched,
  but the text reads as a warning about scams ("【反诈提醒】刷单返利都是诈骗") and asks for no
  action, so the script counts only as a cue: at most ``suspicious``, never cancelled (a
  scammer can paste "谨防诈骗" under a script; review 31 #1). With an action asked (a link,
  a phone, 加微信…) the pattern keeps its full strength.
- ``text_patterns.hidden_characters`` (SUPPORTING, 0.25): invisible characters split words
  or pad the message. Every reader drops them first (``server/text/normalise.py``), so they
  no longer hide anything; but an ordinary message has no reason to carry them, and putting
  them there is how keyword filters are dodged. Alone it never makes a verdict; beside the
  classifier it corroborates, as a second, independent sign would. Soft hyphens between Latin
  letters (left by hyphenated web pages and PDFs) are not counted.
- ``text_patterns.interleaved`` (SUPPORTING, 0.25): a pattern fires only because the reader
  joined single characters split by the same filler ("安🔥全🔥账🔥户", "s.a.f.e"); the
  details list the runs joined and the patterns they revealed. Spaced-out writing that reveals
  no scam script is no cue.

The patterns and the classifier read the same words (``reads = WORDING``): a generic cue
pattern (``cue: true`` in the file: urgency + payment, prize + claim, which fire on ordinary
messages too) does not corroborate the classifier, nor a demoted pattern; a named script does,
supporting or primary (it fires on at most 2 of 5,118 telecom ham in train+val). The hidden-character and interleaved cues read how the text was written, not its
words, so they keep corroborating (review 34 #7).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from server.scoring.detector import ContentKind, Example, Messages
from server.scoring.evidence import Evidence, Role
from server.scoring.resources import Resources
from server.text.normalise import hidden_counts, warm
from server.text.patterns import QUOTE_CHARS, PatternMatch, PatternSet, Reading, read_form
from server.text.references import reference_check

PATTERNS_FILE = "text_patterns.yaml"
#: What the text detectors read: the words of a message (``Evidence.reads``).
WORDING = "wording"
#: Invisible characters inside words (between two letters or digits) that make a cue: one or
#: two can be a copy-paste accident, three is a word split on purpose.
HIDDEN_INSIDE_WORDS = 3
#: Or this many invisible characters anywhere (padding that pushes a script down).
HIDDEN_ANYWHERE = 32
HIDDEN_WEIGHT = 0.25
#: Characters split apart by a filler, only the joined reading matching a scam script.
INTERLEAVED_WEIGHT = 0.25
#: A pattern quoted in a warning weighs this share of its weight: 0.6 × 0.5 = 0.3, so a
#: police advisory quoting 安全账户 is no verdict alone (a demoted 0.6 was ``suspicious``
#: by itself: demotion moved no verdict; review 34 #6), and three quoted scripts still are.
DEMOTED_SHARE = 0.5


class TextPatternsDetector:
    name: ClassVar[str] = "text_patterns"
    version: ClassVar[str] = "1.0"
    kinds: ClassVar[frozenset[ContentKind]] = frozenset({ContentKind.TEXT})
    reads: ClassVar[str] = WORDING
    messages: ClassVar[Messages] = {
        "text_patterns.match": {
            "en": "Matches the scam script “{name_en}”: {why_en}.",
            "zh": "符合诈骗话术“{name_zh}”：{why_zh}。",
        },
        "text_patterns.match_in_warning": {
            "en": "Matches the scam script “{name_en}”: {why_en}. It also reads like a warning "
            "about scams (“{warning}”) and asks for nothing, so this counts only as a cue.",
            "zh": "符合诈骗话术“{name_zh}”：{why_zh}。但文中也像一则防诈骗提醒（“{warning}”），"
            "且未要求你做任何事，因此只作参考。",
        },
        "text_patterns.hidden_characters": {
            "en": "It contains {count} invisible characters ({inside} of them inside words): "
            "ordinary messages have no use for them, hiding words from filters does.",
            "zh": "文中含有 {count} 个不可见字符（其中 {inside} 个夹在字词之间）：正常消息用不到"
            "它们，躲避关键词过滤才会这样做。",
        },
        "text_patterns.interleaved": {
            "en": "Its letters are split apart by filler characters (“{sample}”): only read "
            "joined up does it match a scam script. Ordinary messages are not written this way, "
            "dodging keyword filters is.",
            "zh": "文中的字被填充符号隔开（“{sample}”）：连起来读才符合诈骗话术。正常消息不会这样写，"
            "躲避关键词过滤才会这样做。",
        },
    }

    def __init__(self, resources: Resources) -> None:
        self.patterns = PatternSet.load(
            resources.data_dir / PATTERNS_FILE, reference_check(resources)
        )
        warm()

    def score(self, content: Any) -> Sequence[Evidence]:
        text = str(content)
        reading = read_form(text)
        search = self.patterns.search(reading.text, text)
        found = []
        hidden = self._hidden(text)
        if hidden is not None:
            found.append(hidden)
        if reading.interleaved and (search.found or search.demoted):
            found.extend(self._interleaved(reading, search.found + search.demoted, text))
        for match in search.found:
            details: dict[str, Any] = {"pattern": match.pattern.id, "matched": match.matched}
            if search.warning is not None:
                # Kept whole despite a warning phrase: say which action kept it.
                details |= {"warning": search.warning, "action_asked": search.ask}
            found.append(self._evidence(match, "text_patterns.match", match.pattern.role, details))
        for match in search.demoted:
            details = {
                "pattern": match.pattern.id,
                "matched": match.matched,
                "warning": search.warning,
                "role_without_warning": match.pattern.role.value,
                "weight_without_warning": match.pattern.weight,
            }
            found.append(
                self._evidence(match, "text_patterns.match_in_warning", Role.SUPPORTING, details)
            )
        return found

    def _evidence(
        self, match: PatternMatch, code: str, role: Role, details: dict[str, Any]
    ) -> Evidence:
        pattern = match.pattern
        params = {
            "name_en": pattern.name["en"],
            "name_zh": pattern.name["zh"],
            "why_en": pattern.why["en"],
            "why_zh": pattern.why["zh"],
        }
        weight = pattern.weight
        if code == "text_patterns.match_in_warning":
            params["warning"] = str(details["warning"])
            weight = round(weight * DEMOTED_SHARE, 4)
        # A named script is a reading of its own; a generic cue or a quoted (demoted) script
        # reads the same words as the classifier and corroborates nothing there.
        reads = self.reads if pattern.cue or code == "text_patterns.match_in_warning" else ""
        return Evidence(self.name, code, weight, role, params=params, details=details, reads=reads)

    def _interleaved(
        self, reading: Reading, matches: list[PatternMatch], text: str
    ) -> list[Evidence]:
        """A cue when joining interleaved characters (``read_form``) is what made a pattern
        fire: "安 全 账 户" written for a reader, not for a filter, matches nothing new."""
        # Only the patterns that fired can have gained, and a warning does not change whether
        # one fires: no full search of the unfolded text (review 35 #10).
        had = self.patterns.firing(reading.unfolded(), [m.pattern for m in matches])
        gained = sorted({m.pattern.id for m in matches} - had)
        if not gained:
            return []
        sample = reading.interleaved[0][:QUOTE_CHARS]
        details = {"joined": [r[:QUOTE_CHARS] for r in reading.interleaved[:5]], "patterns": gained}
        return [
            Evidence(
                self.name,
                "text_patterns.interleaved",
                INTERLEAVED_WEIGHT,
                Role.SUPPORTING,
                params={"sample": sample},
                details=details,
            )
        ]

    def _hidden(self, text: str) -> Evidence | None:
        dropped, inside = hidden_counts(text)
        if dropped == 0:
            return None
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
            Example(
                ContentKind.TEXT,
                "【反诈提醒】刷单返利都是诈骗！",
                expect=frozenset({"text_patterns.match_in_warning"}),
                forbid=code,
                why="a warning quoting 刷单返利 asks for nothing: only a cue",
            ),
        )
