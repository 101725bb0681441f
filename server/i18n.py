"""Languages: which one a request wants, and the words the server itself says.

Detector sentences live with their detector (its ``messages`` table); this module holds
only what belongs to no detector: verdict names, summaries and error hints.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

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
    # ``{advice}``: what to do next, for the kind of thing checked (``ADVICE``).
    "likely_scam": {
        "en": "Likely a scam: {reason} {advice}",
        "zh": "很可能是诈骗：{reason}{advice}",
    },
    "suspicious": {
        "en": "Be careful: {reason} {advice}",
        "zh": "请谨慎：{reason}{advice}",
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


#: The advice that ends a warning, per subject (``advice_subject``) and verdict: a link is not
#: to be typed into, a message not to be answered, a picture or video not to be believed or
#: passed on. Sentences in Simplified Chinese; Taiwan and Hong Kong readers get them converted.
ADVICE: Mapping[str, Mapping[str, Mapping[str, str]]] = {
    "link": {
        "likely_scam": {
            "en": "Do not enter passwords, codes or payment details.",
            "zh": "不要输入密码、验证码或付款信息。",
        },
        "suspicious": {
            "en": "Check the address through a channel you trust.",
            "zh": "请通过您信任的渠道核实。",
        },
    },
    "text": {
        "likely_scam": {
            "en": "Do not reply or pay, and do not give the sender codes or personal details.",
            "zh": "不要回复或付款，也不要向对方透露验证码或个人信息。",
        },
        "suspicious": {
            "en": "Before you reply or pay, check with the person or company through a channel"
            " you trust.",
            "zh": "回复或付款前，请通过您信任的渠道向本人或相关机构核实。",
        },
    },
    "message": {  # text with links in it
        "likely_scam": {
            "en": "Do not open its links, reply or pay, and never give out codes or passwords.",
            "zh": "不要打开其中的链接，不要回复或付款，也不要透露验证码或密码。",
        },
        "suspicious": {
            "en": "Before you open its links or reply, check through a channel you trust.",
            "zh": "打开其中的链接或回复之前，请通过您信任的渠道核实。",
        },
    },
    "image": {
        "likely_scam": {
            "en": "Do not trust the offer or the person shown in this picture, do not pay, and"
            " do not pass it on.",
            "zh": "不要相信图中的优惠或人物，不要付款，也不要转发。",
        },
        "suspicious": {
            "en": "Before you believe or share this picture, check what it claims through a"
            " channel you trust.",
            "zh": "相信或转发之前，请通过您信任的渠道核实图中的说法。",
        },
    },
    "video": {
        "likely_scam": {
            "en": "Do not trust the offer or the person shown in this video, do not pay, and"
            " do not pass it on.",
            "zh": "不要相信视频中的优惠或人物，不要付款，也不要转发。",
        },
        "suspicious": {
            "en": "Before you believe or share this video, check what it claims through a"
            " channel you trust.",
            "zh": "相信或转发之前，请通过您信任的渠道核实视频中的说法。",
        },
    },
    "media": {  # hashes only: a picture or a video, the server cannot tell which
        "likely_scam": {
            "en": "Do not trust the offer or the person shown in it, do not pay, and do not"
            " pass it on.",
            "zh": "不要相信其中的优惠或人物，不要付款，也不要转发。",
        },
        "suspicious": {
            "en": "Before you believe or share it, check what it claims through a channel you"
            " trust.",
            "zh": "相信或转发之前，请通过您信任的渠道核实其中的说法。",
        },
    },
}


def advice_subject(kinds: Collection[str], media_kind: str | None = None) -> str:
    """Which ``ADVICE`` ends a summary: a picture or video (``media_kind``, from the check's
    ``media.kind``) whatever text was read from it, else a message (with links or without),
    else a link."""
    if "media" in kinds:
        return media_kind if media_kind in ("image", "video") else "media"
    if "text" in kinds:
        return "message" if "link" in kinds else "text"
    return "link"


def pick(table: Mapping[str, Mapping[str, str]], key: str, lang: str) -> str:
    """The sentence for ``key`` in ``lang``, falling back to English."""
    entry = table[key]
    return entry.get(lang) or entry[DEFAULT_LANGUAGE]
