"""Moderators read a reported message exactly as it was sent (review 33 #15): full-width
punctuation and digits are what the scammer wrote, so the case, the moderator page and the
bot's card show them, while reports of the same message in its folded (NFKC) form still merge
into one case."""

from __future__ import annotations

import asyncio
import html
import unicodedata
from pathlib import Path

from server.community.items import item_hash, text_key
from tests.support.bot import running_bot
from tests.support.server import ADMIN_KEY, RunningServer
from tests.test_moderator_sessions import _post_form

MOD = 3771
SENT = "【香港警務處】你的銀行帳戶涉嫌洗黑錢，請立即致電１２３４５６７８，配合調查！"
FOLDED = unicodedata.normalize("NFKC", SENT)


def report_text(server: RunningServer, text: str, ip: str) -> dict:
    response = server.request(
        "POST",
        "/v1/reports",
        json_body={"kind": "text", "value": text, "category": "official"},
        key=None,
        headers={"X-Forwarded-For": ip},
    )
    assert response.status in (200, 201), response.body
    return response.json()


def test_the_case_and_the_moderator_page_show_the_text_as_sent(
    community_server: RunningServer,
) -> None:
    assert FOLDED != SENT and "," in FOLDED and "12345678" in FOLDED
    first = report_text(community_server, SENT, "10.37.0.1")
    again = report_text(community_server, FOLDED, "10.37.0.2")  # the same message, folded
    assert again["case_id"] == first["case_id"]
    case_id = first["case_id"]

    case = community_server.request("GET", f"/v1/cases/{case_id}").json()
    assert case["display"] == SENT

    cookie = _post_form(community_server, "/moderate/login", {"key": ADMIN_KEY, "lang": "zh"})
    page = community_server.request(
        "GET", f"/moderate/cases/{case_id}", key=None, headers={"Cookie": f"fw_mod={cookie}"}
    ).body.decode()
    assert html.escape(SENT) in page and FOLDED not in page


def test_the_bots_moderator_card_quotes_the_text_as_sent(
    server: RunningServer, tmp_path: Path
) -> None:
    sent = SENT.replace("１２３４５６７８", "８７６５４３２１")  # its own case on the shared server

    async def scenario() -> None:
        async with running_bot(tmp_path, server.url, moderator_ids=str(MOD)) as (fake, _):
            fake.message(MOD, MOD, "/start", language_code="zh-hant")
            await fake.wait_for("sendMessage", lambda c: c.chat_id == MOD)
            case_id = (await asyncio.to_thread(report_text, server, sent, "10.37.0.3"))["case_id"]
            card = await fake.wait_for(
                "sendMessage",
                lambda c: c.chat_id == MOD and f"m:confirm:{case_id}" in str(c.params),
            )
            assert sent in card.text
            assert unicodedata.normalize("NFKC", sent) not in card.text

    asyncio.run(scenario())


def test_the_public_page_still_masks_digits_however_they_are_written(
    community_server: RunningServer,
) -> None:
    sent = "【順豐速運】你的包裹地址有誤，請回撥客服：①③⑧ 1234 ５６７８，否則退回！"
    case_id = report_text(community_server, sent, "10.37.0.4")["case_id"]
    confirmed = community_server.request(
        "POST", f"/v1/cases/{case_id}/confirm", json_body={"note": "parcel scam"}
    )
    assert confirmed.status == 200, confirmed.body
    key = text_key(sent).key
    page = community_server.request("GET", f"/r/i{item_hash('text', key)}?lang=zh", key=None)
    shown = page.body.decode()
    # A victim's number may be quoted: anyone may read the page, so no digit of it shows.
    assert "請回撥客服：••• •••• ••••，否則退回！" in shown
    assert community_server.request("GET", f"/v1/cases/{case_id}").json()["display"] == sent
