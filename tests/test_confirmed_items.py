"""A confirmed message, phone number or wallet decides later checks that contain it, through
the real server: confirm → the next check is ``likely_scam`` naming the case; retire or
reject → it stops at once; a different number or address is not matched. The public page
and the alert say what the check says."""

from __future__ import annotations

import io
import secrets
import time
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from tests.support.server import RunningServer, start_server
from tests.test_reports import client_key, report

PHONE = "+44 7700 900456"
TRON = "TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE"
EVM = "0x52908400098527886E0F7030069857D2E4169EE7"  # EIP-55 test vector (mixed case)
HI_MUM = (
    "Hi Mum, it's me, I dropped my phone down the toilet. This is my new number. I need to pay"
    " a bill today and my banking app is locked, can you send £850 to my friend's account?"
    " Sort 20-45-77, account 41207765, I'll pay you back tomorrow xx"
)


@pytest.fixture
def community(community_server: RunningServer) -> RunningServer:
    return community_server


def check_text(server: RunningServer, text: str, lang: str = "en") -> dict:
    response = server.request("POST", "/v1/check/text", json_body={"text": text, "lang": lang})
    assert response.status == 200, response.body
    return response.json()


def confirmed_reasons(verdict: dict) -> list[dict]:
    return [r for r in verdict["reasons"] if r["detector"] == "confirmed_items"]


def file_and_confirm(server: RunningServer, kind: str, value: str, reporter: str) -> int:
    status, filed = report(
        server, client_key(server), kind=kind, value=value, category="other", reporter=reporter
    )
    assert status == 201, filed
    case_id = int(filed["case_id"])
    moderator = client_key(server, "moderator")
    done = server.request(
        "POST", f"/v1/cases/{case_id}/confirm", json_body={"note": "seen it"}, key=moderator
    )
    assert done.status == 200 and done.json()["status"] == "confirmed", done.body
    return case_id


def decide(server: RunningServer, case_id: int, action: str) -> None:
    moderator = client_key(server, "moderator")
    done = server.request(
        "POST", f"/v1/cases/{case_id}/{action}", json_body={"note": "x"}, key=moderator
    )
    assert done.status == 200, done.body


def assert_names_case(reason: dict, case_id: int, code: str) -> None:
    assert reason["code"] == code
    assert reason["role"] == "decisive"
    assert f"community case {case_id}" in reason["message"]
    assert reason["details"]["case"] == case_id
    assert reason["details"]["page"] == f"/r/c{case_id}"
    assert reason["details"]["confirmed_at"][:4].isdigit()


def test_a_confirmed_message_decides_the_next_check_and_retiring_it_stops(
    community: RunningServer,
) -> None:
    text = HI_MUM.replace("Mum", "mum", 1)
    before = check_text(community, HI_MUM)
    assert before["verdict"] != "likely_scam"
    case_id = file_and_confirm(community, "text", text, "m1")

    # A forwarded copy: other spacing, punctuation and amounts, the same message.
    copy = (
        HI_MUM.replace(", ", " ,  ")
        .replace("£850", "£900")
        .replace("Sort 20-45-77", "sort 11 22 33")
    )
    verdict = check_text(community, copy)
    assert verdict["verdict"] == "likely_scam", verdict
    [reason] = confirmed_reasons(verdict)
    assert_names_case(reason, case_id, "confirmed_items.message")
    assert reason is verdict["reasons"][0] or verdict["reasons"][0]["role"] == "decisive"
    assert f"community case {case_id}" in verdict["summary"]

    # Inside a longer forward, although longer than the 200 characters the case shows.
    assert len(HI_MUM) > 200
    forward = "---------- Forwarded message ----------\nFrom: Jo\n\n" + copy + "\n\nIs this real??"
    inside = check_text(community, forward)
    assert inside["verdict"] == "likely_scam", inside
    assert_names_case(confirmed_reasons(inside)[0], case_id, "confirmed_items.message_inside")

    # In Chinese, with the same case.
    zh = check_text(community, copy, lang="zh")
    assert f"社区案件 {case_id}" in confirmed_reasons(zh)[0]["message"]

    # The verdict page the check links to and the alert say the same.
    page = community.request("GET", "/r/" + verdict["verdict_url"].split("/r/")[1], key=None)
    assert "Confirmed scam" in page.body.decode()
    alerts = community.request("GET", "/v1/alerts?since=0&limit=500").json()["alerts"]
    assert any(a["case_id"] == case_id and a["kind"] == "text" for a in alerts)
    case_page = community.request("GET", f"/r/c{case_id}", key=None)
    assert case_page.status == 200 and "Confirmed scam" in case_page.body.decode()

    decide(community, case_id, "retire")
    after = check_text(community, copy)
    assert after["verdict"] != "likely_scam"
    assert confirmed_reasons(after) == []


def test_a_short_confirmed_message_is_found_inside_a_longer_forward(
    community: RunningServer,
) -> None:
    short = "Hi mum, new phone! Can you send £200 to my mate's account today, I'll explain later x"
    case_id = file_and_confirm(community, "text", short, "m2")
    forward = "Fwd from Jo:\n\n" + short.replace("£200", "£350") + "\n\nIs this real??"
    inside = check_text(community, forward)
    assert inside["verdict"] == "likely_scam", inside
    assert_names_case(confirmed_reasons(inside)[0], case_id, "confirmed_items.message_inside")
    # Half of it is not it.
    assert confirmed_reasons(check_text(community, "Hi mum, new phone! Call you later x")) == []
    decide(community, case_id, "retire")
    assert confirmed_reasons(check_text(community, forward)) == []


def test_a_confirmed_phone_decides_a_message_holding_it_and_no_other_number(
    community: RunningServer,
) -> None:
    message = f"Your parcel is held, call our desk on {PHONE} before 5pm to release it."
    other = message.replace("900456", "900457")
    assert confirmed_reasons(check_text(community, message)) == []
    case_id = file_and_confirm(community, "phone", "+44 7700 900456", "p1")

    verdict = check_text(community, message)
    assert verdict["verdict"] == "likely_scam", verdict
    [reason] = confirmed_reasons(verdict)
    assert_names_case(reason, case_id, "confirmed_items.phone")
    assert reason["details"]["item"] == "+447700900456"
    assert {"text": PHONE, "digits": "+447700900456"} in verdict["extracted"]["phones"]
    # Written another way (00 for +, other separators) it is the same number.
    assert confirmed_reasons(check_text(community, "ring 0044 7700-900-456 now"))

    different = check_text(community, other)
    assert confirmed_reasons(different) == []
    assert different["verdict"] != "likely_scam"

    decide(community, case_id, "retire")
    assert confirmed_reasons(check_text(community, message)) == []


def test_confirmed_wallets_match_by_their_chains_case_rules_and_reject_stops_them(
    community: RunningServer,
) -> None:
    tron_case = file_and_confirm(community, "wallet", TRON, "w1")
    evm_case = file_and_confirm(community, "wallet", EVM, "w2")
    message = f"Mum, new number +44 7700 900111. USDT to {TRON} please, or ETH to {EVM.lower()}"
    verdict = check_text(community, message)
    assert verdict["verdict"] == "likely_scam"
    by_case = {r["details"]["case"]: r for r in confirmed_reasons(verdict)}
    assert set(by_case) == {tron_case, evm_case}
    assert_names_case(by_case[tron_case], tron_case, "confirmed_items.wallet")
    assert "TRON" in by_case[tron_case]["message"]
    # A Base58 address is case-sensitive (its checksum is): another case is another address.
    swapped = TRON[:4] + TRON[4].swapcase() + TRON[5:]
    assert confirmed_reasons(check_text(community, f"pay {swapped}")) == []

    decide(community, tron_case, "reject")
    decide(community, evm_case, "retire")
    assert confirmed_reasons(check_text(community, message)) == []


CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc")
LATIN_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")


def _picture_of(lines: list[str]) -> bytes:
    """A generated screenshot of a message (no one's photo)."""
    font = ImageFont.truetype(str(LATIN_FONT), 40)
    image = Image.new("RGB", (1100, 120 + 70 * len(lines)), (250, 250, 250))
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((40, 40 + 70 * i), line, font=font, fill=(10, 10, 10))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _check_media(server: RunningServer, data: bytes) -> dict:
    boundary = "----fw" + secrets.token_hex(8)
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="ocr"\r\n\r\n1\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="lang"\r\n\r\nen\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="m.png"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = server.request(
        "POST",
        "/v1/check/media",
        body=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status == 200, response.body
    return response.json()


@pytest.mark.skipif(not LATIN_FONT.exists(), reason="needs the DejaVu font to draw text")
def test_a_confirmed_phone_read_from_a_picture_decides_the_media_check(
    community: RunningServer,
) -> None:
    pytest.importorskip("rapidocr_onnxruntime")
    picture = _picture_of(["Your account is locked.", "Call support now:", "+44 7700 900789"])
    first = _check_media(community, picture)
    assert first["text"]["status"] == "read", first["text"]
    assert confirmed_reasons(first) == []
    case_id = file_and_confirm(community, "phone", "+447700900789", "o1")
    verdict = _check_media(community, picture)
    assert verdict["verdict"] == "likely_scam", verdict["reasons"]
    assert_names_case(confirmed_reasons(verdict)[0], case_id, "confirmed_items.phone")
    decide(community, case_id, "retire")


def test_every_process_sharing_the_database_follows_a_confirm_and_a_retire(
    tmp_path: Path,
) -> None:
    """``serve --workers 2``: the worker that takes the confirm reloads at once, the other on
    its next list refresh (``FAKEWATCH_LISTS_REFRESH_S``); checks then land on both."""
    refresh_s = 0.5
    server = start_server(
        tmp_path, env={"FAKEWATCH_WORKERS": "2", "FAKEWATCH_LISTS_REFRESH_S": str(refresh_s)}
    )
    try:
        message = "Call the claims desk on +44 7700 900321 to get your refund today"
        case_id = file_and_confirm(server, "phone", "+447700900321", "x1")
        time.sleep(refresh_s * 4)
        verdicts = [check_text(server, message)["verdict"] for _ in range(16)]
        assert verdicts == ["likely_scam"] * 16
        decide(server, case_id, "retire")
        time.sleep(refresh_s * 4)
        after = [confirmed_reasons(check_text(server, message)) for _ in range(16)]
        assert after == [[]] * 16
    finally:
        assert server.stop() == 0
