"""Verdicts as the API and the CLI show them: the contract other parts rely on.

``{"url", "verdict", "score", "summary", "reasons": [{detector, code, message, details,
weight, role}], "partial", "detectors"}``; ``message`` is one sentence in the request's
language, ``details`` the evidence behind it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from server.i18n import ADVICE, DEFAULT_LANGUAGE, SUMMARIES
from server.scoring.combiner import Outcome, Verdict
from server.scoring.detector import Detector, Messages
from server.scoring.evidence import Evidence, Role
from server.scoring.pipeline import LinkResult

INVALID_URL_MESSAGES: Messages = {
    "invalid_url": {
        "en": "This is not a web address we can read.",
        "zh": "这不是我们能识别的网址。",
    },
    "url_too_long": {"en": "The address is too long to check.", "zh": "网址太长，无法检查。"},
    "unsupported_scheme": {
        "en": "Only http and https links can be checked.",
        "zh": "只能检查 http 和 https 链接。",
    },
    "invalid_host": {
        "en": "The site name in this address is not valid.",
        "zh": "网址中的网站名称无效。",
    },
    "invalid_port": {"en": "The port in this address is not valid.", "zh": "网址中的端口无效。"},
}

_ROLE_TEXT = {role: str(role) for role in Role}
_ALLOW = str(Role.ALLOW)
_SUPPORTING = str(Role.SUPPORTING)
_VERDICT_TEXT = {verdict: str(verdict) for verdict in Verdict}
_UNKNOWN, _NO_KNOWN_SIGNALS = Verdict.UNKNOWN, Verdict.NO_KNOWN_SIGNALS

DETECTOR_FAILED: Mapping[str, str] = {
    "en": "Some checks could not run ({names}); this verdict is based on the others.",
    "zh": "部分检查未能完成（{names}），本结论基于其余检查。",
}


class _Sentences:
    """Every sentence a verdict is written with, in one language: each table's entry for it,
    else English (what ``pick`` returns), looked up once instead of twice per sentence."""

    __slots__ = ("advice", "detector_failed", "messages", "summaries")

    def __init__(self, lang: str, messages: Mapping[str, Mapping[str, str]]) -> None:
        def pick(table: Mapping[str, str]) -> str:
            return table.get(lang) or table[DEFAULT_LANGUAGE]

        #: Evidence code -> template; a table without English is left out (``message``
        #: then raises for it as it always did).
        self.messages = {code: pick(t) for code, t in messages.items() if DEFAULT_LANGUAGE in t}
        self.summaries = {key: pick(table) for key, table in SUMMARIES.items()}
        #: Subject -> verdict -> the advice a warning ends with.
        self.advice = {
            subject: {verdict: pick(table) for verdict, table in by_verdict.items()}
            for subject, by_verdict in ADVICE.items()
        }
        self.detector_failed = pick(DETECTOR_FAILED)


class Renderer:
    """Renders outcomes with the message tables of the detectors that produced them.

    Holds nothing that changes after ``__init__``: the engine renders in more than one thread.
    """

    def __init__(self, detectors: Sequence[Detector]) -> None:
        self._messages: dict[str, Mapping[str, str]] = {}
        for detector in detectors:
            self._messages.update(detector.messages)
        # Each language any table speaks; any other language reads English from every table,
        # so it gets the English sentences.
        spoken = {DEFAULT_LANGUAGE, *DETECTOR_FAILED}
        for tables in (self._messages, SUMMARIES, *ADVICE.values()):
            for table in tables.values():
                spoken.update(table)
        self._sentences = {lang: _Sentences(lang, self._messages) for lang in spoken}
        self._english = self._sentences[DEFAULT_LANGUAGE]

    def message(self, evidence: Evidence, lang: str) -> str:
        table = self._messages.get(evidence.code)
        if table is None:
            return evidence.code
        return (table.get(lang) or table["en"]).format(**evidence.params)

    def reason(self, evidence: Evidence, lang: str) -> dict[str, Any]:
        return {
            "detector": evidence.detector,
            "code": evidence.code,
            "message": self.message(evidence, lang),
            "role": str(evidence.role),
            "weight": evidence.weight,
            "details": dict(evidence.details),
        }

    def outcome(
        self,
        outcome: Outcome,
        lang: str,
        versions: Mapping[str, str],
        extra: Mapping[str, Any] | None = None,
        subject: str = "link",
    ) -> dict[str, Any]:
        """The verdict object for any kind of check; ``extra`` adds kind-specific fields
        (``url``, ``normalized``, ``matches``…) that the summary may also read (``error``);
        ``subject`` picks the advice a warning ends with (``i18n.advice_subject``)."""
        reasons = [self.reason(e, lang) for e in outcome.reasons]
        body: dict[str, Any] = dict(extra or {})
        body.update(
            {
                "verdict": str(outcome.verdict),
                "score": outcome.score,
                "summary": "",
                "reasons": reasons,
                "partial": outcome.partial,
                "detectors": dict(versions),
            }
        )
        if outcome.failed:
            body["failed_detectors"] = list(outcome.failed)
        body["summary"] = self._summary(
            outcome.verdict, reasons, outcome.failed, body, self._in(lang), subject
        )
        return body

    def outcome_json(self, outcome: Outcome, lang: str, versions: Mapping[str, str]) -> bytes:
        """``orjson.dumps(self.outcome(outcome, lang, versions))``, built without the copies
        that guard a returned object (the dict is serialised at once and dropped); a test
        checks the bytes are equal."""
        sentences = self._in(lang)
        templates = sentences.messages
        reasons = []
        for e in outcome.reasons:
            template = templates.get(e.code)
            params = e.params
            if template is None:  # a code without a table, or one without English
                message = self.message(e, lang)
            elif type(params) is dict:  # as ``format(**params)``, without copying them
                message = template.format_map(params)
            else:
                message = template.format(**params)
            details = e.details
            reasons.append(
                {
                    "detector": e.detector,
                    "code": e.code,
                    "message": message,
                    "role": _ROLE_TEXT[e.role],
                    "weight": e.weight,
                    "details": details if type(details) is dict else dict(details),
                }
            )
        failed = outcome.failed
        body: dict[str, Any] = {
            "verdict": _VERDICT_TEXT[outcome.verdict],
            "score": outcome.score,
            "summary": self._summary(outcome.verdict, reasons, failed, _NO_ERROR, sentences),
            "reasons": reasons,
            "partial": outcome.partial,
            "detectors": versions if type(versions) is dict else dict(versions),
        }
        if failed:
            body["failed_detectors"] = list(failed)
        return orjson.dumps(body)

    def link_result(
        self, result: LinkResult, lang: str, versions: Mapping[str, str]
    ) -> dict[str, Any]:
        extra: dict[str, Any] = {"url": result.input}
        if result.link is not None:
            link = result.link
            extra["normalized"] = {
                "url": link.url,
                "host": link.host.ascii,
                "host_unicode": link.host.unicode,
                "registrable_domain": link.host.registrable,
                "unwrapped_from": [w.host for w in link.wrappers],
            }
        if result.error is not None:
            table = INVALID_URL_MESSAGES.get(result.error.code, INVALID_URL_MESSAGES["invalid_url"])
            extra["error"] = {"code": result.error.code, "message": table.get(lang) or table["en"]}
        return self.outcome(result.outcome, lang, versions, extra)

    def _in(self, lang: str) -> _Sentences:
        return self._sentences.get(lang) or self._english

    def _summary(
        self,
        verdict: Verdict,
        reasons: Sequence[Mapping[str, Any]],
        failed: Sequence[str],
        body: Mapping[str, Any],
        sentences: _Sentences,
        subject: str = "link",
    ) -> str:
        top = reasons[0]["message"] if reasons else ""
        summaries = sentences.summaries
        if verdict is _UNKNOWN:
            if "error" in body:
                top = body["error"]["message"]
            elif failed:
                top = sentences.detector_failed.format(names=", ".join(failed))
            return summaries["unknown"].format(reason=top)
        if verdict is _NO_KNOWN_SIGNALS:
            if reasons and reasons[0]["role"] == _ALLOW:
                return summaries["no_known_signals_allowed"].format(reason=top)
            # A weak cue listed under "no known warning signs" reads as a contradiction: the
            # summary names the strongest one and says why it is not a warning.
            weak = next((r for r in reasons if r["role"] == _SUPPORTING and r["weight"] > 0), None)
            if weak is not None:
                return summaries["no_known_signals_weak"].format(reason=weak["message"])
            return summaries["no_known_signals"]
        advice = sentences.advice.get(subject, sentences.advice["link"])[verdict]
        return summaries[verdict].format(reason=top, advice=advice)


#: ``outcome_json``'s verdict has no ``error`` for the summary to read.
_NO_ERROR: Mapping[str, Any] = {}
