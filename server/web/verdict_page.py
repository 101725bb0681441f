"""The shareable verdict page (``GET /r/{id}``): plain HTML, readable on a phone, in zh or en.

It says what the verdict is, why in words, and what to do (96110, the 国家反诈中心 app). It
never shows who reported, what they wrote, or stored media: only counts and the item itself
(a message with its digits masked).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from server.community.words import ADVICE, CATEGORY_NAMES, IMPERSONATES, KIND_NAMES, public_item
from server.i18n import VERDICT_NAMES
from server.web.html import PAGE, Markup, join, render, tag

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


def _w(key: str, lang: str) -> str:
    return WORDS[key][lang]


def _shell(lang: str, path: str, title: str, body: Markup) -> str:
    other = "zh" if lang == "en" else "en"
    nav = tag("nav", tag("a", _w("other_lang", lang), href=f"{path}?lang={other}"))
    footer = tag("p", _w("footer", lang), class_="muted")
    return render(
        PAGE, lang="zh-CN" if lang == "zh" else "en", title=title, body=join([nav, body, footer])
    )


def _reasons(verdict: Mapping[str, Any]) -> Markup:
    items = [tag("li", r["message"]) for r in verdict.get("reasons", [])]
    return tag("ul", join(items)) if items else Markup("")


def _advice(lang: str, impersonates: str | None) -> Markup:
    parts: list[str] = []
    if impersonates:
        parts.append(tag("p", IMPERSONATES[lang].format(who=impersonates)))
    parts.append(tag("p", ADVICE[lang]))
    return join([tag("h2", _w("what_to_do", lang)), tag("div", join(parts), class_="advice")])


def case_section(case: Mapping[str, Any], lang: str) -> Markup:
    status = case["status"]
    category = CATEGORY_NAMES.get(case["category"], CATEGORY_NAMES["other"])[lang]
    kind = KIND_NAMES[case["kind"]][lang]
    return join(
        [
            tag("h2", _w("community", lang)),
            tag("div", f"{STATUS_NAMES[status][lang]} · {category}", class_=f"verdict {status}"),
            tag("p", kind),
            tag("p", public_item(case["kind"], case["display"]), class_="item"),
            tag(
                "p",
                _w("reporters", lang).format(
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
) -> str:
    """A verdict page from a community case and/or an automatic verdict (either may be absent)."""
    parts: list[str] = [tag("h1", _w("title", lang))]
    if item:
        parts.append(tag("p", item, class_="item"))
    if verdict is not None:
        name = VERDICT_NAMES[verdict["verdict"]][lang]
        parts += [
            tag("h2", _w("auto", lang)),
            tag("div", name, class_=f"verdict {verdict['verdict']}"),
            tag("p", verdict.get("summary", "")),
            tag("h2", _w("why", lang)),
            _reasons(verdict),
        ]
    if case is not None:
        parts.append(case_section(case, lang))
    else:
        parts.append(tag("p", _w("no_case", lang)))
    dangerous = (
        case is not None and case["status"] in {"confirmed", "pending", "quarantined"}
    ) or (verdict is not None and verdict["verdict"] in {"likely_scam", "suspicious"})
    if dangerous or case is None:
        parts.append(_advice(lang, case.get("impersonates") if case else None))
    return _shell(lang, path, _w("title", lang), join(parts))


def not_found(lang: str, path: str) -> str:
    return _shell(lang, path, _w("title", lang), tag("h1", _w("not_found", lang)))
