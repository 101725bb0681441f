"""The shareable verdict page (``GET /r/{id}``): plain HTML, readable on a phone, in zh or en.

It says what the verdict is, why in words, and what to do (96110, the 国家反诈中心 app; for
readers who ask for zh-TW or zh-HK, Traditional characters and 165 or 18222). It
never shows who reported, what they wrote, or stored media: only counts and the item itself
(a message with its digits masked).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from server.community.words import (
    ADVICE,
    ADVICE_BY_REGION,
    CATEGORY_NAMES,
    IMPERSONATES,
    KIND_NAMES,
    public_item,
)
from server.i18n import VERDICT_NAMES
from server.traditional import convert_verdicts
from server.web.html import PAGE, Markup, join, render, tag
from server.web.script import PageWords

WORDS: Mapping[str, Mapping[str, str]] = {
    "title": {"en": "FakeWatch verdict", "zh": "FakeWatch 风险结论"},
    "why": {"en": "Why", "zh": "原因"},
    "what_to_do": {"en": "What to do", "zh": "怎么办"},
    "community": {"en": "Community reports", "zh": "社区举报"},
    "reporters": {
        "en": "Reported by {n} independent reporter(s); first {first}, last {last}.",
        "zh": "共有 {n} 位独立举报人举报；首次 {first}，最近 {last}。",
    },
    "no_case": {
        "en": "Nobody has reported this to this server yet. That does not make it safe.",
        "zh": "尚无人向本服务器举报此内容。这并不代表它是安全的。",
    },
    "auto": {"en": "Automatic check now", "zh": "当前自动检测"},
    "not_found": {"en": "No such verdict page.", "zh": "找不到这个结论页面。"},
    "other_lang": {"en": "中文", "zh": "English"},
    "footer": {
        "en": "FakeWatch explains warning signs; it cannot prove something is safe.",
        "zh": "FakeWatch 只解释风险信号，无法证明某样东西是安全的。",
    },
}

STATUS_NAMES: Mapping[str, Mapping[str, str]] = {
    "confirmed": {"en": "Confirmed scam", "zh": "已确认为诈骗"},
    "pending": {"en": "Reported, under review", "zh": "已被举报，审核中"},
    "quarantined": {"en": "Reported, under review", "zh": "已被举报，审核中"},
    "rejected": {"en": "Reviewed: not confirmed as a scam", "zh": "已审核：未确认为诈骗"},
    "retired": {"en": "No longer listed", "zh": "已不再列入名单"},
    "merged": {"en": "Merged into another case", "zh": "已合并到其他案件"},
}


def _shell(w: PageWords, path: str, title: str, body: Markup) -> str:
    # Back from English to Chinese keeps the reader's script (Traditional asked for by ?lang=).
    nav = tag("nav", tag("a", w.key("other_lang"), href=f"{path}?lang={w.other_tag}"))
    footer = tag("p", w.key("footer"), class_="muted")
    return render(PAGE, lang=w.html_lang, title=title, body=join([nav, body, footer]))


def _reasons(verdict: Mapping[str, Any]) -> Markup:
    items = [tag("li", r["message"]) for r in verdict.get("reasons", [])]
    return tag("ul", join(items)) if items else Markup("")


def _advice(w: PageWords, impersonates: str | None) -> Markup:
    parts: list[str] = []
    if impersonates:  # the name as reported, unconverted: it is evidence
        parts.append(tag("p", w(IMPERSONATES[w.lang]).format(who=impersonates)))
    advice = ADVICE_BY_REGION[w.region] if w.region else ADVICE[w.lang]
    parts.append(tag("p", advice))
    return join([tag("h2", w.key("what_to_do")), tag("div", join(parts), class_="advice")])


def case_section(case: Mapping[str, Any], lang: str, region: str | None = None) -> Markup:
    w = PageWords(WORDS, lang, region)
    status = case["status"]
    category = w(CATEGORY_NAMES.get(case["category"], CATEGORY_NAMES["other"])[lang])
    kind = w(KIND_NAMES[case["kind"]][lang])
    return join(
        [
            tag("h2", w.key("community")),
            tag("div", f"{w(STATUS_NAMES[status][lang])} · {category}", class_=f"verdict {status}"),
            tag("p", kind),
            tag("p", public_item(case["kind"], case["display"]), class_="item"),
            tag(
                "p",
                w.key("reporters").format(
                    n=case["reporters"], first=case["first_at"][:10], last=case["last_at"][:10]
                ),
            ),
        ]
    )


def page(
    lang: str,
    path: str,
    *,
    case: Mapping[str, Any] | None,
    verdict: Mapping[str, Any] | None,
    item: str | None = None,
    region: str | None = None,
) -> str:
    """A verdict page from a community case and/or an automatic verdict (either may be absent).

    ``region`` (``"tw"``/``"hk"``) writes a Chinese page in Traditional characters with that
    region's hotlines; the item and quoted addresses stay as they were reported."""
    w = PageWords(WORDS, lang, region)
    parts: list[str] = [tag("h1", w.key("title"))]
    if item:
        parts.append(tag("p", item, class_="item"))
    if verdict is not None:
        if w.region:
            verdict = convert_verdicts(copy.deepcopy(dict(verdict)), w.region)
        name = w(VERDICT_NAMES[verdict["verdict"]][lang])
        parts += [
            tag("h2", w.key("auto")),
            tag("div", name, class_=f"verdict {verdict['verdict']}"),
            tag("p", verdict.get("summary", "")),
            tag("h2", w.key("why")),
            _reasons(verdict),
        ]
    if case is not None:
        parts.append(case_section(case, lang, region))
    else:
        parts.append(tag("p", w.key("no_case")))
    dangerous = (
        case is not None and case["status"] in {"confirmed", "pending", "quarantined"}
    ) or (verdict is not None and verdict["verdict"] in {"likely_scam", "suspicious"})
    if dangerous or case is None:
        parts.append(_advice(w, case.get("impersonates") if case else None))
    return _shell(w, path, w.key("title"), join(parts))


def not_found(lang: str, path: str, region: str | None = None) -> str:
    w = PageWords(WORDS, lang, region)
    return _shell(w, path, w.key("title"), tag("h1", w.key("not_found")))
