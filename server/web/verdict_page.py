"""The shareable verdict page (``GET /r/{id}``): plain HTML, readable on a phone, in zh or en.

It says what the verdict is, why in words, and what to do (96110, the 国家反诈中心 app; for
readers who ask for zh-TW or zh-HK, Traditional characters and 165 or 18222). It
never shows who reported or stored media. A community case shows itself only once a moderator
decided it (``PUBLIC_STATUSES``): before that anyone could accuse any phone number or site, so
an undecided case reads like no case at all. Reporter-written words (who the scam pretends to
be) appear only on a confirmed case; counts only on a confirmed case; a rejected case shows no
category (that would repeat the accusation the moderator turned down).
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
from server.media.bank import KnownFake, Status
from server.traditional import convert_verdicts
from server.web.case_links import PUBLIC_STATUSES
from server.web.html import PAGE, Markup, join, render, tag
from server.web.script import PageWords

WORDS: Mapping[str, Mapping[str, str]] = {
    "title": {"en": "FakeWatch verdict", "zh": "FakeWatch 风险结论"},
    "why": {"en": "Why", "zh": "原因"},
    "what_to_do": {"en": "What to do", "zh": "怎么办"},
    "community": {"en": "Community reports", "zh": "社区举报"},
    "reporters": {
        "en": "Reported by {n} reporter(s); first {first}, last {last}.",
        "zh": "共有 {n} 位举报人举报；首次 {first}，最近 {last}。",
    },
    "no_case": {
        "en": "No moderator of this server has confirmed this as a scam. That does not make it safe.",
        "zh": "本服务器的审核员尚未确认此内容为诈骗。这并不代表它是安全的。",
    },
    "not_reviewed": {
        "en": "This case has not been reviewed yet. Its details appear here once a moderator has"
        " decided it.",
        "zh": "此案件尚未审核。审核员作出决定后，这里才会显示详情。",
    },
    "auto": {"en": "Automatic check now", "zh": "当前自动检测"},
    # ``no_known_signals`` with a warning sign (``has_weak_signs``): the bot's and extension's words.
    "weak_signs": {
        "en": "Some warning signs, not enough for a warning",
        "zh": "有一些风险迹象，但不足以发出警告",
    },
    "status_title": {"en": "FakeWatch: moderation status", "zh": "FakeWatch：审核状态"},
    "status_about": {
        "en": "This page shows only what this server's moderators decided about this message or"
        " picture. It does not repeat the automatic check: FakeWatch does not keep what you"
        " sent, so the verdict that came with this link is the automatic check's answer.",
        "zh": "本页只显示本服务器审核员对这条消息或这张图片作出的决定，不重复自动检测："
        "FakeWatch 不保存你发送的内容，所以和这个链接一起收到的结论就是自动检测的结果。",
    },
    "status_none": {
        "en": "No moderator of this server has decided about it yet. That does not make it safe:"
        " if the automatic check warned you, follow that warning.",
        "zh": "本服务器的审核员尚未对它作出决定。这并不代表它是安全的：如果自动检测提醒了你，请按提醒处理。",
    },
    "fake_title": {"en": "FakeWatch: known fake", "zh": "FakeWatch：已知伪造内容"},
    "fake_confirmed": {
        "en": "Known fake, confirmed by this server's moderators",
        "zh": "已知伪造内容，已由本服务器审核员确认",
    },
    "fake_retired": {"en": "Known fake, retired", "zh": "已知伪造内容，已撤下"},
    "fake_entry": {"en": "Known fake #{id}: “{label}”", "zh": "已知伪造 #{id}：“{label}”"},
    "fake_added": {"en": "Added on {date}.", "zh": "收录于 {date}。"},
    "fake_about": {
        "en": "The picture or video you checked is a copy of this entry (perhaps resized, cropped"
        " or re-encoded). Moderators add media here only once they have confirmed it is used"
        " in a scam.",
        "zh": "你检查的图片或视频是这个条目的副本（可能经过缩放、裁剪或重新压缩）。"
        "只有在审核员确认某张图片或某段视频被用于诈骗后，它才会被加入这里。",
    },
    "fake_retired_about": {
        "en": "Moderators retired this entry{on}: copies of it no longer count as a known fake.",
        "zh": "审核员已撤下此条目{on}：它的副本不再算作已知伪造内容。",
    },
    "not_found": {"en": "No such verdict page.", "zh": "找不到这个结论页面。"},
    "too_many": {
        "en": "Too many checks from your network; try again in {wait} s.",
        "zh": "来自您网络的检测过多，请 {wait} 秒后再试。",
    },
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


def has_weak_signs(verdict: Mapping[str, Any]) -> bool:
    """A verdict that names a warning sign (a reason with weight above 0 that is not an allow
    reason, e.g. ``domain_model.scam_like_weak``): under ``no_known_signals`` its bar must not
    read "no known warning signs" in green above a summary naming that sign. The same rule as
    the bot's ``has_weak_signs`` and the extension's ``FW.hasWeakSigns``."""
    return any(
        isinstance(r, Mapping)
        and r.get("role") not in ("allow", "ALLOW")
        and float(r.get("weight") or 0) > 0
        for r in verdict.get("reasons", [])
    )


def _verdict_bar(w: PageWords, verdict: Mapping[str, Any]) -> Markup:
    name = verdict["verdict"]
    if name == "no_known_signals" and has_weak_signs(verdict):
        return tag("div", w.key("weak_signs"), class_="verdict no_known_signals_weak")
    return tag("div", w(VERDICT_NAMES[name][w.lang]), class_=f"verdict {name}")


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


def public_case(case: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """The case if a moderator decided it, else None: an undecided case is not shown."""
    return case if case is not None and case["status"] in PUBLIC_STATUSES else None


def case_section(case: Mapping[str, Any], lang: str, region: str | None = None) -> Markup:
    """A decided case (``PUBLIC_STATUSES``); the caller checks."""
    w = PageWords(WORDS, lang, region)
    status = case["status"]
    confirmed = status == "confirmed"
    headline = w(STATUS_NAMES[status][lang])
    if confirmed:
        category = w(CATEGORY_NAMES.get(case["category"], CATEGORY_NAMES["other"])[lang])
        headline += f" · {category}"
    parts = [
        tag("h2", w.key("community")),
        tag("div", headline, class_=f"verdict {status}"),
        tag("p", w(KIND_NAMES[case["kind"]][lang])),
        tag("p", public_item(case["kind"], case["display"]), class_="item"),
    ]
    if confirmed:
        first, last = case["first_at"][:10], case["last_at"][:10]
        parts.append(
            tag("p", w.key("reporters").format(n=case["reporters"], first=first, last=last))
        )
    return join(parts)


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
        parts += [
            tag("h2", w.key("auto")),
            _verdict_bar(w, verdict),
            tag("p", verdict.get("summary", "")),
            tag("h2", w.key("why")),
            _reasons(verdict),
        ]
    case = public_case(case)
    if case is not None:
        parts.append(case_section(case, lang, region))
    else:
        parts.append(tag("p", w.key("no_case")))
    confirmed = case is not None and case["status"] == "confirmed"
    dangerous = confirmed or (
        verdict is not None and verdict["verdict"] in {"likely_scam", "suspicious"}
    )
    if dangerous or case is None:
        # Who it pretends to be is a reporter's words: shown only once a moderator confirmed.
        parts.append(_advice(w, case.get("impersonates") if confirmed and case else None))
    return _shell(w, path, w.key("title"), join(parts))


def moderation_status(
    lang: str, path: str, *, case: Mapping[str, Any] | None, region: str | None = None
) -> str:
    """The page of a message's or picture's item hash (``/r/i…``): what moderators decided,
    said to be only that. The check that gave out the address is not repeated here (a text is
    never stored), so the page must not read like a second, milder verdict."""
    w = PageWords(WORDS, lang, region)
    parts: list[str] = [tag("h1", w.key("status_title")), tag("p", w.key("status_about"))]
    shown = public_case(case)
    if shown is not None:
        parts.append(case_section(shown, lang, region))
    else:
        parts.append(tag("p", w.key("status_none")))
    if shown is None or shown["status"] == "confirmed":
        who = shown.get("impersonates") if shown is not None else None
        parts.append(_advice(w, who))
    return _shell(w, path, w.key("status_title"), join(parts))


def known_fake(lang: str, path: str, entry: KnownFake, region: str | None = None) -> str:
    """The page of a known-fakes entry: its moderator-written label and person as written
    (evidence, like an item), when it was added, and what a match means."""
    w = PageWords(WORDS, lang, region)
    confirmed = entry.status is Status.CONFIRMED
    headline = w.key("fake_confirmed" if confirmed else "fake_retired")
    parts: list[str] = [
        tag("h1", w.key("fake_title")),
        tag("div", headline, class_="verdict likely_scam" if confirmed else "verdict retired"),
        tag("p", w.key("fake_entry").format(id=entry.id, label=entry.label), class_="item"),
    ]
    if entry.added_at[:10]:
        parts.append(tag("p", w.key("fake_added").format(date=entry.added_at[:10])))
    if confirmed:
        parts.append(tag("p", w.key("fake_about")))
        parts.append(_advice(w, entry.person))
    else:
        retired = (entry.retired_at or "")[:10]
        on = (f" on {retired}" if lang == "en" else f"（{retired}）") if retired else ""
        parts.append(tag("p", w.key("fake_retired_about").format(on=on)))
    return _shell(w, path, w.key("fake_title"), join(parts))


def not_reviewed(lang: str, path: str, region: str | None = None) -> str:
    """The page of a case no moderator decided yet: no item, category, reporter words or counts
    (an anonymous report alone must not put an accusation on a public page)."""
    w = PageWords(WORDS, lang, region)
    body = join([tag("h1", w.key("title")), tag("p", w.key("not_reviewed")), _advice(w, None)])
    return _shell(w, path, w.key("title"), body)


def not_found(lang: str, path: str, region: str | None = None) -> str:
    w = PageWords(WORDS, lang, region)
    return _shell(w, path, w.key("title"), tag("h1", w.key("not_found")))


def too_many(lang: str, path: str, region: str | None, wait: int) -> str:
    w = PageWords(WORDS, lang, region)
    return _shell(w, path, w.key("title"), tag("h1", w.key("too_many").format(wait=wait)))
