"""The moderator pages: the queue, one case, the login form, in English or Chinese
(Simplified, or Taiwan's or Hong Kong's Traditional for moderators who ask for zh-TW/zh-HK).
Every value is escaped (``server/web/html.py``); reporter ids are never shown, what reporters
wrote is (escaped, in the script they wrote it in)."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from server.community.appeals import APPEAL_STATUS, reason_words
from server.community.words import CATEGORY_NAMES, KIND_NAMES, UNCHECKED_HASH
from server.i18n import VERDICT_NAMES
from server.traditional import convert_verdicts
from server.web.html import PAGE, Markup, esc, join, render, tag
from server.web.script import PageWords
from server.web.verdict_page import STATUS_NAMES

WORDS: Mapping[str, Mapping[str, str]] = {
    "title": {"en": "FakeWatch moderation", "zh": "FakeWatch 审核"},
    "login": {"en": "Moderator key", "zh": "审核员密钥"},
    "sign_in": {"en": "Sign in", "zh": "登录"},
    "sign_out": {"en": "Sign out", "zh": "退出"},
    "bad_key": {
        "en": "That key is not a moderator key.",
        "zh": "该密钥不是审核员密钥。",
    },
    "queue": {"en": "Queue", "zh": "队列"},
    "case": {"en": "Case", "zh": "案件"},
    "item": {"en": "Item", "zh": "举报对象"},
    "category": {"en": "Category", "zh": "类别"},
    "reporters": {"en": "Reporters", "zh": "举报人数"},
    "reach": {"en": "Weighted reach", "zh": "加权影响"},
    "last": {"en": "Last report", "zh": "最近举报"},
    "auto": {"en": "Automatic verdict now", "zh": "当前自动结论"},
    "reason_details": {"en": "details", "zh": "详细依据"},
    "evidence": {"en": "What reporters said", "zh": "举报内容"},
    "audit": {"en": "Audit log", "zh": "操作记录"},
    "note": {"en": "Note", "zh": "备注"},
    "confirm": {"en": "Confirm scam", "zh": "确认诈骗"},
    "reject": {"en": "Reject", "zh": "驳回"},
    "reject_allow": {"en": "Reject and allowlist", "zh": "驳回并加入白名单"},
    "retire": {"en": "Retire", "zh": "撤销"},
    "merge": {"en": "Merge into case", "zh": "合并到案件"},
    "none": {"en": "Nothing here.", "zh": "暂无内容。"},
    "impersonates": {"en": "Impersonates", "zh": "冒充对象"},
    "seen_on": {"en": "Seen on", "zh": "出现位置"},
    "kept_pictures": {
        "en": "The picture, as reporters let moderators keep it",
        "zh": "举报人允许审核员保留的图片",
    },
    "kept_picture": {"en": "Picture of report {report}", "zh": "举报 {report} 的图片"},
    "weight": {"en": "Weight", "zh": "权重"},
    "public_page": {"en": "Public page", "zh": "公开页面"},
    "other_lang": {"en": "中文", "zh": "English"},
    "appeals": {"en": "Appeals", "zh": "申诉"},
    "due": {"en": "answer by {due}", "zh": "须于 {due} 前答复"},
    "open_appeals": {"en": "Open appeals", "zh": "待处理申诉"},
    "appeal": {"en": "Appeal", "zh": "申诉"},
    "role": {"en": "Who appeals", "zh": "申诉人身份"},
    "appeal_reason": {"en": "Their reason, as written", "zh": "申诉理由（原文）"},
    "due_by": {"en": "Due", "zh": "期限"},
    "answer": {"en": "Answer", "zh": "答复"},
    "overdue": {"en": "overdue", "zh": "已逾期"},
    "case_status": {"en": "Case status", "zh": "案件状态"},
    "appeal_status": {"en": "Appeal status", "zh": "申诉状态"},
    "uphold": {"en": "Uphold: take the case down", "zh": "支持申诉：撤下案件"},
    "dismiss": {"en": "Dismiss: keep the case", "zh": "驳回申诉：保留案件"},
    "answer_on_case": {
        "en": "Open the case to uphold or dismiss an appeal.",
        "zh": "打开案件页面以支持或驳回申诉。",
    },
}
#: Who appeals (``server/community/appeals.py: ROLES``), as the page names them.
ROLE_NAMES: Mapping[str, Mapping[str, str]] = {
    "site_owner": {"en": "Site owner", "zh": "网站所有者"},
    "named_person": {"en": "Person the case names", "zh": "案件点名的人"},
    "visitor": {"en": "Visitor who saw the warning", "zh": "看到警告的访问者"},
}

QUEUE_TABS = ("pending", "quarantined", "confirmed", "rejected", "retired")
#: A case's state as moderators need it: the public page says "under review" for both pending
#: and quarantined (a reader needs no more), but a moderator must tell them apart.
MODERATOR_STATUS_NAMES: Mapping[str, Mapping[str, str]] = {
    **STATUS_NAMES,
    "pending": {"en": "Pending review", "zh": "待审核"},
    "quarantined": {
        "en": "Held: part of a sudden surge of reports",
        "zh": "暂扣：属于突然激增的一批举报",
    },
}


def _category(w: PageWords, category: str) -> str:
    return w.name(CATEGORY_NAMES, category if category in CATEGORY_NAMES else "other")


def _shell(w: PageWords, other_path: str, body: Markup) -> str:
    nav = tag("nav", tag("a", w.key("other_lang"), href=f"{other_path}lang={w.other_tag}"))
    return render(
        PAGE,
        lang=w.html_lang,
        title=w.key("title"),
        body=join([nav, tag("h1", w.key("title")), body]),
    )


def login(lang: str, failed: bool = False, region: str | None = None) -> str:
    """The sign-in form; ``region`` (``"tw"``/``"hk"``) writes a Chinese page in Traditional."""
    w = PageWords(WORDS, lang, region)
    parts: list[str] = []
    if failed:
        parts.append(tag("p", w.key("bad_key"), class_="advice", role="alert"))
    form = tag(
        "form",
        join(
            [
                tag("label", w.key("login"), for_="key"),
                " ",
                Markup('<input id="key" name="key" type="password" autocomplete="off" required>'),
                tag("input", type="hidden", name="lang", value=w.tag),
                " ",
                tag("button", w.key("sign_in"), type="submit", id="sign-in"),
            ]
        ),
        method="post",
        action="/moderate/login",
    )
    parts.append(form)
    return _shell(w, "/moderate?", join(parts))


def _verdict_cell(verdict: Mapping[str, Any] | None, w: PageWords) -> Markup:
    if verdict is None:
        return Markup("—")
    name = w.name(VERDICT_NAMES, verdict["verdict"])
    return tag("span", name, class_=f"v-{verdict['verdict']}")


def queue(
    lang: str,
    status: str,
    cases: Sequence[Mapping[str, Any]],
    counts: Mapping[str, int],
    verdicts: Mapping[int, Mapping[str, Any]],
    csrf: str,
    region: str | None = None,
    open_appeals: int = 0,
) -> str:
    """The queue of ``status``; ``open_appeals`` counts the appeals view's rows (linked)."""
    w = PageWords(WORDS, lang, region)
    tabs = join(
        tag(
            "a",
            f"{w.name(MODERATOR_STATUS_NAMES, s)} ({counts.get(s, 0)})",
            href=f"/moderate?status={s}&lang={w.tag}",
            class_="tab" + (" current" if s == status else ""),
        )
        for s in QUEUE_TABS
    )
    head = tag(
        "tr",
        join(
            tag("th", w.key(k))
            for k in ("case", "item", "category", "reporters", "reach", "auto", "last")
        ),
    )
    rows = []
    for case in cases:
        category = _category(w, case["category"])
        rows.append(
            tag(
                "tr",
                join(
                    [
                        tag(
                            "td",
                            tag(
                                "a",
                                f"#{case['id']}",
                                href=f"/moderate/cases/{case['id']}?lang={w.tag}",
                            ),
                        ),
                        tag(
                            "td",
                            join(
                                [
                                    w.name(KIND_NAMES, case["kind"]),
                                    ": ",
                                    tag("span", case["display"], class_="item"),
                                ]
                            ),
                        ),
                        tag("td", category + (" ⚡" if case["urgency"] else "")),
                        tag("td", case["reporters"]),
                        tag("td", f"{case['reach']:.1f}"),
                        tag("td", _verdict_cell(verdicts.get(case["id"]), w)),
                        tag("td", case["last_at"]),
                    ]
                ),
                class_="case-row",
                data_case=case["id"],
            )
        )
    table = (
        tag("table", join([head, *rows]), id="queue")
        if rows
        else tag("p", w.key("none"), id="queue")
    )
    return _shell(
        w,
        f"/moderate?status={status}&",
        join([_nav(w, csrf, open_appeals, tabs), tag("h2", w.key("queue")), table]),
    )


def _nav(w: PageWords, csrf: str, open_appeals: int, tabs: str = "") -> Markup:
    """The queue's tabs (none: the appeals view, which links back to the queue), the appeals
    view's link with its count, and sign-out."""
    appeals_link = tag(
        "a",
        f"{w.key('open_appeals')} ({open_appeals})",
        href=f"/moderate/appeals?lang={w.tag}",
        class_="tab" + ("" if tabs else " current"),
        id="appeals-link",
    )
    logout = tag(
        "form",
        join([_csrf(csrf), tag("button", w.key("sign_out"), type="submit")]),
        method="post",
        action="/moderate/logout",
        class_="inline",
    )
    if not tabs:  # the appeals view: back to the queue
        tabs = tag("a", "← " + w.key("queue"), href=f"/moderate?lang={w.tag}", class_="tab")
    return join([tag("nav", join([tabs, " ", appeals_link]), class_="tabs"), logout])


def _due_cell(due_at: str, w: PageWords, now: str) -> Markup:
    """The due date; past it, also the word "overdue" (``now``: ISO time, UTC)."""
    late = due_at < now
    due = w.key("due").format(due=due_at[:10])
    shown = join([due, " ", tag("strong", w.key("overdue"))]) if late else due
    return tag("td", shown, class_="due overdue" if late else "due")


def appeals_view(
    lang: str,
    rows: Sequence[Mapping[str, Any]],
    csrf: str,
    region: str | None = None,
    now: str | None = None,
) -> str:
    """Open appeals, most overdue first (``appeals.open_with_cases``): the case, who appeals,
    their reason as written (escaped, never converted between scripts), the due date. Each is
    answered on its case's page, where the evidence is."""
    w = PageWords(WORDS, lang, region)
    now = now or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    head = tag(
        "tr",
        join(
            tag("th", w.key(k))
            for k in ("due_by", "case", "case_status", "role", "appeal_reason", "appeal")
        ),
    )
    body = []
    for a in rows:
        case_link = tag(
            "a", f"#{a['case_id']}", href=f"/moderate/cases/{a['case_id']}?lang={w.tag}"
        )
        item = join(
            [
                case_link,
                " ",
                w.name(KIND_NAMES, a["case_kind"]) if a["case_kind"] in KIND_NAMES else "",
                ": ",
                tag("span", a["case_display"], class_="item"),
            ]
        )
        body.append(
            tag(
                "tr",
                join(
                    [
                        _due_cell(a["due_at"], w, now),
                        tag("td", item),
                        tag("td", w.name(MODERATOR_STATUS_NAMES, a["case_status"])),
                        tag("td", _role(w, a["role"])),
                        tag("td", a["reason"], class_="description"),
                        tag("td", f"#{a['id']}"),
                    ]
                ),
                id=f"appeal-{a['id']}",
                class_="appeal-row",
            )
        )
    table = (
        tag("table", join([head, *body]), id="appeals-queue")
        if body
        else tag("p", w.key("none"), id="appeals-queue")
    )
    return _shell(
        w,
        "/moderate/appeals?",
        join(
            [
                _nav(w, csrf, len(rows)),
                tag("h2", w.key("open_appeals")),
                tag("p", w.key("answer_on_case")),
                table,
            ]
        ),
    )


def _role(w: PageWords, role: str) -> str:
    return w.name(ROLE_NAMES, role) if role in ROLE_NAMES else role


def _csrf(token: str) -> Markup:
    return tag("input", type="hidden", name="csrf", value=token)


def _action_form(
    case_id: int, action: str, label: str, csrf: str, w: PageWords, extra: str = ""
) -> Markup:
    fields: list[str] = []
    if action == "merge":
        fields.append(
            Markup('<input name="into" type="number" min="1" required placeholder="#" size="6">')
        )
    if extra:
        fields.append(tag("input", type="hidden", name="allow", value="true"))
    return _post_form(
        f"/moderate/cases/{case_id}/{action}", fields, label, f"do-{action}{extra}", csrf, w
    )


def _post_form(
    action: str, fields: Sequence[str], label: str, button_id: str, csrf: str, w: PageWords
) -> Markup:
    """A moderator's action form: the session's CSRF token, the page's language, ``fields``,
    a note and the button; posted to ``action`` on this server (CSP ``form-action 'self'``)."""
    shown: list[str] = [_csrf(csrf), tag("input", type="hidden", name="lang", value=w.tag)]
    shown.extend(fields)
    shown.append(
        tag("input", type="text", name="note", maxlength="1000", placeholder=w.key("note"))
    )
    shown.append(tag("button", label, type="submit", id=button_id))
    return tag("form", join(shown), method="post", action=action, class_="action")


def _appeal_status(w: PageWords, appeal: Mapping[str, Any]) -> Markup:
    """An appeal's state; a closed one says why (the case retired, rejected or merged)."""
    status = appeal["status"]
    name = w.name(APPEAL_STATUS, status) if status in APPEAL_STATUS else status
    why = reason_words(appeal.get("note")) if status == "closed" else None
    colon = "：" if w.lang == "zh" else ": "
    return join([name, f"{colon}{w(why[w.lang])}" if why else ""])


def _appeal_rows(appeals: Sequence[Mapping[str, Any]], csrf: str, w: PageWords, now: str) -> Markup:
    """The case's appeals; each open one with its uphold and dismiss forms."""
    rows = []
    for a in appeals:
        forms: list[str] = []
        if a["status"] == "open":
            forms = [
                _post_form(
                    f"/moderate/appeals/{a['id']}/{verb}",
                    (),
                    w.key(verb),
                    f"do-{verb}-{a['id']}",
                    csrf,
                    w,
                )
                for verb in ("uphold", "dismiss")
            ]
        due = (
            _due_cell(a["due_at"], w, now)
            if a["status"] == "open"
            else tag("td", (a.get("decided_at") or "")[:10])
        )
        rows.append(
            tag(
                "tr",
                join(
                    [
                        tag("td", f"#{a['id']}"),
                        tag("td", _role(w, a["role"])),
                        tag("td", a["reason"], class_="description"),
                        tag("td", _appeal_status(w, a)),
                        due,
                        tag("td", join(forms)),
                    ]
                ),
                id=f"appeal-{a['id']}",
            )
        )
    head = tag(
        "tr",
        join(
            tag("th", w.key(k))
            for k in ("appeal", "role", "appeal_reason", "appeal_status", "due_by", "answer")
        ),
    )
    return tag("table", join([head, *rows]), id="appeals")


def _reason_item(reason: Mapping[str, Any], w: PageWords) -> Markup:
    """A reason in plain words, with its evidence (list id and entry, distance and threshold)
    folded below it: the public sentence leaves those out, a moderator deciding needs them."""
    details = reason.get("details") or {}
    shown = tag("code", json.dumps(details, ensure_ascii=False, sort_keys=True))
    folded = (
        tag("details", join([tag("summary", w.key("reason_details")), shown])) if details else ""
    )
    return tag("li", join([esc(reason["message"]), folded]))


def _pictures(case_id: int, pictures: Sequence[int], w: PageWords) -> str:
    if not pictures:
        return ""
    shown = join(
        tag(
            "a",
            tag(
                "img",
                "",
                src=f"/moderate/cases/{case_id}/pictures/{report}",
                alt=w.key("kept_picture").format(report=report),
                style="max-width:100%;max-height:360px;margin:4px 0",
            ),
            href=f"/moderate/cases/{case_id}/pictures/{report}",
        )
        for report in pictures
    )
    return tag("div", join([tag("h2", w.key("kept_pictures")), shown]), id="pictures")


def detail(
    lang: str,
    case: Mapping[str, Any],
    reports: Sequence[Mapping[str, Any]],
    audit: Sequence[Mapping[str, Any]],
    verdict: Mapping[str, Any] | None,
    csrf: str,
    appeals: Sequence[Mapping[str, Any]] = (),
    region: str | None = None,
    public_path: str | None = None,
    pictures: Sequence[int] = (),
) -> str:
    """One case: facts, the automatic verdict, actions, appeals, what reporters said, audit.

    ``pictures``: ids of the case's reports whose picture a reporter let moderators keep; each
    is shown (``/moderate/cases/<id>/pictures/<report>``) so a picture is never judged blind.

    ``public_path`` is the case's public page (``/r/c<id>-<mac>``, server/web/case_links.py).

    What reporters and moderators wrote is shown as written, never converted between scripts."""
    w = PageWords(WORDS, lang, region)
    case_id = int(case["id"])
    status = case["status"]
    category = _category(w, case["category"])
    facts = tag(
        "table",
        join(
            tag("tr", join([tag("th", k), tag("td", v)]))
            for k, v in (
                (
                    w.key("item"),
                    join(
                        [
                            w.name(KIND_NAMES, case["kind"]),
                            ": ",
                            tag("span", case["display"], class_="item"),
                        ]
                    ),
                ),
                (w.key("category"), category),
                (w.key("impersonates"), case.get("impersonates") or "—"),
                (w.key("reporters"), case["reporters"]),
                (w.key("reach"), f"{case['reach']:.1f}"),
                (w.key("last"), case["last_at"]),
            )
        ),
    )
    parts: list[str] = [
        tag("p", tag("a", "← " + w.key("queue"), href=f"/moderate?lang={w.tag}")),
        tag("h2", f"{w.key('case')} #{case_id}"),
        tag("div", w.name(MODERATOR_STATUS_NAMES, status), class_=f"verdict {status}", id="status"),
        facts,
        # A picture nobody but the reporter saw: the moderator must know before confirming.
        tag("p", w.name({"x": UNCHECKED_HASH}, "x"), class_="verdict suspicious", id="unchecked")
        if case.get("hash_checked") is False
        else "",
        tag(
            "p",
            tag("a", w.key("public_page"), href=f"{public_path or f'/r/c{case_id}'}?lang={w.tag}"),
        ),
        _pictures(case_id, pictures, w),
        tag("h2", w.key("auto")),
    ]
    if verdict is not None:
        if w.region:  # the server's sentences; quoted addresses stay as they were
            verdict = convert_verdicts(copy.deepcopy(dict(verdict)), w.region)
        parts.append(
            tag(
                "div",
                w.name(VERDICT_NAMES, verdict["verdict"]),
                class_=f"verdict {verdict['verdict']}",
            )
        )
        reasons = [_reason_item(r, w) for r in verdict.get("reasons", [])]
        parts.append(tag("ul", join(reasons)))
    else:
        parts.append(tag("p", "—"))
    actions: list[str] = []
    if status in {"pending", "quarantined", "rejected"}:
        actions.append(_action_form(case_id, "confirm", w.key("confirm"), csrf, w))
    if status in {"pending", "quarantined", "confirmed"}:
        actions.append(_action_form(case_id, "reject", w.key("reject"), csrf, w))
        if case["kind"] == "link":
            actions.append(
                _action_form(case_id, "reject", w.key("reject_allow"), csrf, w, "-allow")
            )
    if status == "confirmed":
        actions.append(_action_form(case_id, "retire", w.key("retire"), csrf, w))
    if status in {"pending", "quarantined"}:
        actions.append(_action_form(case_id, "merge", w.key("merge"), csrf, w))
    parts.append(tag("div", join(actions), id="actions"))
    if appeals:
        parts.append(tag("h2", w.key("appeals")))
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        parts.append(_appeal_rows(appeals, csrf, w, now))
    parts.append(tag("h2", w.key("evidence")))
    rows = []
    for r in reports:
        seen = " · ".join(x for x in (r.get("platform"), r.get("seen_url")) if x)
        rows.append(
            tag(
                "tr",
                join(
                    [
                        tag("td", r["created_at"]),
                        tag("td", _category(w, r["category"])),
                        tag("td", seen or "—"),
                        tag("td", r.get("description") or "—", class_="description"),
                        tag("td", f"{r['weight']:.2f}"),
                    ]
                ),
            )
        )
    parts.append(tag("table", join(rows), id="evidence") if rows else tag("p", w.key("none")))
    parts.append(tag("h2", w.key("audit")))
    audit_rows = [
        tag(
            "tr",
            join(
                [
                    tag("td", a["at"]),
                    tag("td", a["actor"]),
                    tag("td", a["action"]),
                    tag("td", json.dumps(a["details"], ensure_ascii=False)),
                ]
            ),
        )
        for a in audit
    ]
    parts.append(
        tag("table", join(audit_rows), id="audit") if audit_rows else tag("p", w.key("none"))
    )
    return _shell(w, f"/moderate/cases/{case_id}?", join(parts))
