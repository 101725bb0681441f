"""The moderator pages: the queue, one case, the login form (zh/en). Every value is escaped
(``server/web/html.py``); reporter ids are never shown, what reporters wrote is (escaped)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from server.community.words import CATEGORY_NAMES, KIND_NAMES
from server.i18n import VERDICT_NAMES
from server.web.html import PAGE, Markup, join, render, tag
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
    "weight": {"en": "Weight", "zh": "权重"},
    "public_page": {"en": "Public page", "zh": "公开页面"},
    "other_lang": {"en": "中文", "zh": "English"},
    "appeals": {"en": "Appeals", "zh": "申诉"},
    "due": {"en": "answer by {due}", "zh": "须于 {due} 前答复"},
}

QUEUE_TABS = ("pending", "quarantined", "confirmed", "rejected", "retired")


def _w(key: str, lang: str) -> str:
    return WORDS[key][lang]


def _shell(lang: str, other_path: str, body: Markup) -> str:
    other = "zh" if lang == "en" else "en"
    nav = tag("nav", tag("a", _w("other_lang", lang), href=f"{other_path}lang={other}"))
    return render(
        PAGE,
        lang="zh-CN" if lang == "zh" else "en",
        title=_w("title", lang),
        body=join([nav, tag("h1", _w("title", lang)), body]),
    )


def login(lang: str, failed: bool = False) -> str:
    parts: list[str] = []
    if failed:
        parts.append(tag("p", _w("bad_key", lang), class_="advice", role="alert"))
    form = tag(
        "form",
        join(
            [
                tag("label", _w("login", lang), for_="key"),
                " ",
                Markup('<input id="key" name="key" type="password" autocomplete="off" required>'),
                tag("input", type="hidden", name="lang", value=lang),
                " ",
                tag("button", _w("sign_in", lang), type="submit", id="sign-in"),
            ]
        ),
        method="post",
        action="/moderate/login",
    )
    parts.append(form)
    return _shell(lang, "/moderate?", join(parts))


def _verdict_cell(verdict: Mapping[str, Any] | None, lang: str) -> Markup:
    if verdict is None:
        return Markup("—")
    return tag("span", VERDICT_NAMES[verdict["verdict"]][lang], class_=f"v-{verdict['verdict']}")


def queue(
    lang: str,
    status: str,
    cases: Sequence[Mapping[str, Any]],
    counts: Mapping[str, int],
    verdicts: Mapping[int, Mapping[str, Any]],
    csrf: str,
) -> str:
    tabs = join(
        tag(
            "a",
            f"{STATUS_NAMES[s][lang]} ({counts.get(s, 0)})",
            href=f"/moderate?status={s}&lang={lang}",
            class_="tab" + (" current" if s == status else ""),
        )
        for s in QUEUE_TABS
    )
    head = tag(
        "tr",
        join(
            tag("th", _w(k, lang))
            for k in ("case", "item", "category", "reporters", "reach", "auto", "last")
        ),
    )
    rows = []
    for case in cases:
        category = CATEGORY_NAMES.get(case["category"], CATEGORY_NAMES["other"])[lang]
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
                                href=f"/moderate/cases/{case['id']}?lang={lang}",
                            ),
                        ),
                        tag(
                            "td",
                            join(
                                [
                                    KIND_NAMES[case["kind"]][lang],
                                    ": ",
                                    tag("span", case["display"], class_="item"),
                                ]
                            ),
                        ),
                        tag("td", category + (" ⚡" if case["urgency"] else "")),
                        tag("td", case["reporters"]),
                        tag("td", f"{case['reach']:.1f}"),
                        tag("td", _verdict_cell(verdicts.get(case["id"]), lang)),
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
        else tag("p", _w("none", lang), id="queue")
    )
    logout = tag(
        "form",
        join([_csrf(csrf), tag("button", _w("sign_out", lang), type="submit")]),
        method="post",
        action="/moderate/logout",
        class_="inline",
    )
    return _shell(
        lang,
        f"/moderate?status={status}&",
        join([tag("nav", tabs, class_="tabs"), logout, tag("h2", _w("queue", lang)), table]),
    )


def _csrf(token: str) -> Markup:
    return tag("input", type="hidden", name="csrf", value=token)


def _action_form(
    case_id: int, action: str, label: str, csrf: str, lang: str, extra: str = ""
) -> Markup:
    fields: list[str] = [_csrf(csrf), tag("input", type="hidden", name="lang", value=lang)]
    if action == "merge":
        fields.append(
            Markup('<input name="into" type="number" min="1" required placeholder="#" size="6">')
        )
    if extra:
        fields.append(tag("input", type="hidden", name="allow", value="true"))
    fields.append(
        tag(
            "input",
            type="text",
            name="note",
            maxlength="1000",
            placeholder=_w("note", "en" if lang == "en" else "zh"),
        )
    )
    fields.append(tag("button", label, type="submit", id=f"do-{action}{extra}"))
    return tag(
        "form",
        join(fields),
        method="post",
        action=f"/moderate/cases/{case_id}/{action}",
        class_="action",
    )


def detail(
    lang: str,
    case: Mapping[str, Any],
    reports: Sequence[Mapping[str, Any]],
    audit: Sequence[Mapping[str, Any]],
    verdict: Mapping[str, Any] | None,
    csrf: str,
    appeals: Sequence[Mapping[str, Any]] = (),
) -> str:
    case_id = int(case["id"])
    status = case["status"]
    category = CATEGORY_NAMES.get(case["category"], CATEGORY_NAMES["other"])[lang]
    facts = tag(
        "table",
        join(
            tag("tr", join([tag("th", k), tag("td", v)]))
            for k, v in (
                (
                    _w("item", lang),
                    join(
                        [
                            KIND_NAMES[case["kind"]][lang],
                            ": ",
                            tag("span", case["display"], class_="item"),
                        ]
                    ),
                ),
                (_w("category", lang), category),
                (_w("impersonates", lang), case.get("impersonates") or "—"),
                (_w("reporters", lang), case["reporters"]),
                (_w("reach", lang), f"{case['reach']:.1f}"),
                (_w("last", lang), case["last_at"]),
            )
        ),
    )
    parts: list[str] = [
        tag("p", tag("a", "← " + _w("queue", lang), href=f"/moderate?lang={lang}")),
        tag("h2", f"{_w('case', lang)} #{case_id}"),
        tag("div", STATUS_NAMES[status][lang], class_=f"verdict {status}", id="status"),
        facts,
        tag("p", tag("a", _w("public_page", lang), href=f"/r/c{case_id}?lang={lang}")),
        tag("h2", _w("auto", lang)),
    ]
    if verdict is not None:
        parts.append(
            tag(
                "div",
                VERDICT_NAMES[verdict["verdict"]][lang],
                class_=f"verdict {verdict['verdict']}",
            )
        )
        parts.append(tag("ul", join(tag("li", r["message"]) for r in verdict.get("reasons", []))))
    else:
        parts.append(tag("p", "—"))
    actions: list[str] = []
    if status in {"pending", "quarantined", "rejected"}:
        actions.append(_action_form(case_id, "confirm", _w("confirm", lang), csrf, lang))
    if status in {"pending", "quarantined", "confirmed"}:
        actions.append(_action_form(case_id, "reject", _w("reject", lang), csrf, lang))
        if case["kind"] == "link":
            actions.append(
                _action_form(case_id, "reject", _w("reject_allow", lang), csrf, lang, "-allow")
            )
    if status == "confirmed":
        actions.append(_action_form(case_id, "retire", _w("retire", lang), csrf, lang))
    if status in {"pending", "quarantined"}:
        actions.append(_action_form(case_id, "merge", _w("merge", lang), csrf, lang))
    parts.append(tag("div", join(actions), id="actions"))
    if appeals:
        parts.append(tag("h2", _w("appeals", lang)))
        parts.append(
            tag(
                "table",
                join(
                    tag(
                        "tr",
                        join(
                            [
                                tag("td", f"#{a['id']}"),
                                tag("td", a["role"]),
                                tag("td", a["reason"], class_="description"),
                                tag("td", a["status"]),
                                tag("td", _w("due", lang).format(due=a["due_at"][:10])),
                            ]
                        ),
                    )
                    for a in appeals
                ),
                id="appeals",
            )
        )
    parts.append(tag("h2", _w("evidence", lang)))
    rows = []
    for r in reports:
        seen = " · ".join(x for x in (r.get("platform"), r.get("seen_url")) if x)
        rows.append(
            tag(
                "tr",
                join(
                    [
                        tag("td", r["created_at"]),
                        tag("td", CATEGORY_NAMES.get(r["category"], CATEGORY_NAMES["other"])[lang]),
                        tag("td", seen or "—"),
                        tag("td", r.get("description") or "—", class_="description"),
                        tag("td", f"{r['weight']:.2f}"),
                    ]
                ),
            )
        )
    parts.append(tag("table", join(rows), id="evidence") if rows else tag("p", _w("none", lang)))
    parts.append(tag("h2", _w("audit", lang)))
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
        tag("table", join(audit_rows), id="audit") if audit_rows else tag("p", _w("none", lang))
    )
    return _shell(lang, f"/moderate/cases/{case_id}?", join(parts))
