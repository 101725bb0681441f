"""Languages: which one a request wants, and the words the server itself says.

Detector sentences live with their detector (its ``messages`` table); this module holds
only what belongs to no detector: verdict names, summaries and error hints.
"""

from __future__ import annotations

from collections.abc import Mapping

LANGUAGES = ("en", "zh")
DEFAULT_LANGUAGE = "en"


def negotiate(query_lang: str | None, accept_language: str | None) -> str:
    """``?lang=`` wins; then the best ``Accept-Language`` match; then English.

    Every Chinese tag (``zh``, ``zh-CN``, ``zh-Hans``, ``zh-TW``) maps to ``zh``: sentences are
    written in Simplified Chinese, and ``chinese_script`` says when a client that asked for
    Traditional characters should get them converted (``server/api/traditional.py``).
    """
    tag = preferred_tag(query_lang, accept_language)
    return (_match(tag) if tag else None) or DEFAULT_LANGUAGE


def preferred_tag(query_lang: str | None, accept_language: str | None) -> str | None:
    """The language tag that wins: ``?lang=`` if we speak it, else the best-ranked one we do."""
    if query_lang and _match(query_lang):
        return query_lang
    if accept_language:
        ranked = []
        for position, part in enumerate(accept_language.split(",")[:20]):
            tag, _, params = part.strip().partition(";")
            quality = 1.0
            if params.strip().startswith("q="):
                try:
                    quality = float(params.strip()[2:])
                except ValueError:
                    quality = 0.0
            ranked.append((-quality, position, tag.strip()))
        for _, _, tag in sorted(ranked):
            if _match(tag):
                return tag
    return None


def chinese_script(query_lang: str | None, accept_language: str | None) -> str | None:
    """``"tw"`` or ``"hk"`` when the winning tag asks for Traditional characters, else ``None``.

    ``zh-Hant``, ``zh-TW`` and ``zh-Hant-TW`` read Taiwan's standard; ``zh-HK``, ``zh-MO`` and
    ``zh-Hant-HK`` Hong Kong's. ``zh``, ``zh-CN``, ``zh-SG`` and ``zh-Hans-*`` stay Simplified.
    """
    tag = preferred_tag(query_lang, accept_language)
    if not tag or _match(tag) != "zh":
        return None
    subtags = set(tag.lower().replace("_", "-").split("-")[1:])
    if "hans" in subtags:
        return None
    if subtags & {"hk", "mo"}:
        return "hk"
    if subtags & {"hant", "tw"}:
        return "tw"
    return None


def _match(tag: str) -> str | None:
    primary = tag.lower().split("-")[0].split("_")[0]
    return primary if primary in LANGUAGES else None


VERDICT_NAMES: Mapping[str, Mapping[str, str]] = {
    "likely_scam": {"en": "Likely a scam", "zh": "很可能是诈骗"},
    "suspicious": {"en": "Suspicious", "zh": "可疑"},
    "no_known_signals": {"en": "No known warning signs", "zh": "未发现已知风险信号"},
    "unknown": {"en": "Could not be judged", "zh": "无法判断"},
}

SUMMARIES: Mapping[str, Mapping[str, str]] = {
    "likely_scam": {
        "en": "Likely a scam: {reason} Do not enter passwords, codes or payment details.",
        "zh": "很可能是诈骗：{reason}不要输入密码、验证码或付款信息。",
    },
    "suspicious": {
        "en": "Be careful: {reason} Check the address through a channel you trust.",
        "zh": "请谨慎：{reason}请通过您信任的渠道核实。",
    },
    "no_known_signals": {
        "en": "No known warning signs. That is not a guarantee of safety.",
        "zh": "未发现已知风险信号，但这并不代表绝对安全。",
    },
    "no_known_signals_weak": {
        "en": "No strong warning signs, but note: {reason} On its own that is not enough for a"
        " warning.",
        "zh": "未发现明显风险信号，但请留意：{reason}仅凭这一点还不足以发出警告。",
    },
    "no_known_signals_allowed": {
        "en": "No known warning signs: {reason}",
        "zh": "未发现已知风险信号：{reason}",
    },
    "unknown": {
        "en": "This could not be judged: {reason}",
        "zh": "无法判断：{reason}",
    },
}


def pick(table: Mapping[str, Mapping[str, str]], key: str, lang: str) -> str:
    """The sentence for ``key`` in ``lang``, falling back to English."""
    entry = table[key]
    return entry.get(lang) or entry[DEFAULT_LANGUAGE]
