"""Words the community features say (alerts, verdict pages), in English and Chinese."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

CATEGORY_NAMES: Mapping[str, Mapping[str, str]] = {
    "investment": {"en": "investment scam", "zh": "投资理财诈骗"},
    "giveaway": {"en": "giveaway scam", "zh": "抽奖/赠送诈骗"},
    "celebrity": {"en": "celebrity impersonation", "zh": "冒充名人诈骗"},
    "romance": {"en": "romance scam", "zh": "网恋交友诈骗"},
    "official": {"en": "fake police or official", "zh": "冒充公检法/政府机关诈骗"},
    "shopping": {"en": "shopping scam", "zh": "网购诈骗"},
    "other": {"en": "scam", "zh": "诈骗"},
}

#: A media case only client-sent hashes name (``hash_checked: false``).
UNCHECKED_HASH: Mapping[str, str] = {
    "en": "No picture: this server never saw the picture; the reporters' hash cannot be checked"
    " against it. Confirming records the decision and alerts, but banks nothing.",
    "zh": "没有图片：服务器从未见过该图片，举报人发来的哈希无法与图片核对。"
    "确认会记录决定并发出提醒，但不会加入已知伪造库。",
}

KIND_NAMES: Mapping[str, Mapping[str, str]] = {
    "link": {"en": "website", "zh": "网站"},
    "text": {"en": "message", "zh": "消息"},
    "phone": {"en": "phone number", "zh": "电话号码"},
    "wallet": {"en": "wallet address", "zh": "钱包地址"},
    "media": {"en": "image or video", "zh": "图片或视频"},
}

ALERT_TITLE: Mapping[str, str] = {
    "en": "Confirmed {category}: {kind} {item}",
    "zh": "已确认{category}：{kind} {item}",
}
IMPERSONATES: Mapping[str, str] = {
    "en": "It pretends to be {who}.",
    "zh": "冒充对象：{who}。",
}
ADVICE: Mapping[str, str] = {
    "en": (
        # English readers are anywhere: each region's own line, not the mainland's alone.
        "Do not pay, do not share verification codes or passwords, and stop replying. "
        "Report it to your police or national fraud line (mainland China: 96110 or the "
        "国家反诈中心 app; Taiwan: 165; Hong Kong: 18222; UK: Action Fraud, 0300 123 2040, or "
        "Police Scotland, 101; "
        "US: reportfraud.ftc.gov). If you already paid, call your bank and the police now."
    ),
    "zh": (
        "不要转账，不要提供验证码或密码，停止回复。"
        "可拨打 96110 反诈专线咨询，或在“国家反诈中心”App 举报；如已付款，请立即拨打 110 报警。"
    ),
}
#: What to do in Taiwan and Hong Kong, for readers who asked for Traditional Chinese: their own
#: hotlines, not the mainland's.
ADVICE_BY_REGION: Mapping[str, str] = {
    "tw": (
        "不要轉帳，不要提供驗證碼或密碼，停止回覆。"
        "可撥打 165 反詐騙諮詢專線，或上「165 全民防騙網」檢舉；如已付款，請立即撥打 110 報案。"
    ),
    "hk": (
        "不要轉賬，不要提供驗證碼或密碼，停止回覆。"
        "可致電 18222「防騙易」熱線查詢；如已付款，請立即致電 999 或到警署報案。"
    ),
}

_DIGITS = re.compile(r"\d")
#: A character that reads as a digit once folded: ① ² ⑴ ⒈ (full-width １ and 𝟏 are ``\d``).
_DIGIT_LIKE = re.compile(r"[^\x00-\x7f]")


def public_item(kind: str, display: str) -> str:
    """The item as anyone may see it: a message's digits are masked (they may be a victim's
    phone or account number), whichever way they are written (the text is kept as it was
    sent); links, numbers and wallets are the scam's own."""
    if kind == "text":
        masked = _DIGITS.sub("•", display[:160])
        return _DIGIT_LIKE.sub(_mask_if_digit, masked)
    return display


def _mask_if_digit(found: re.Match[str]) -> str:
    char = found.group(0)
    return "•" if _DIGITS.search(unicodedata.normalize("NFKC", char)) else char


def alert_payload(case: Mapping[str, Any], verdict_path: str) -> dict[str, Any]:
    """What subscribers receive when a case is confirmed."""
    item = public_item(case["kind"], case["display"])
    title = {}
    advice = {}
    for lang in ("en", "zh"):
        category = CATEGORY_NAMES.get(case["category"], CATEGORY_NAMES["other"])[lang]
        kind = KIND_NAMES[case["kind"]][lang]
        title[lang] = ALERT_TITLE[lang].format(category=category, kind=kind, item=item)
        said = ADVICE[lang]
        if case.get("impersonates"):
            said = IMPERSONATES[lang].format(who=case["impersonates"]) + " " + said
        advice[lang] = said
    return {
        "case_id": case["id"],
        "kind": case["kind"],
        "item": item,
        "category": case["category"],
        "impersonates": case.get("impersonates"),
        "title": title,
        "advice": advice,
        "verdict_url": verdict_path,
    }
