"""A warning's summary ends with advice that fits what was checked (review 33 #14): a link is
not to be typed into, a message not to be answered, a picture or a video not to be believed or
passed on. A picture's summary never talks about passwords or addresses. Checked through the
real server, in English, Simplified Chinese and Taiwan's and Hong Kong's Traditional forms."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator

import pytest

from tests.support.server import RunningServer, start_server
from tests.test_known_fakes_api import add_fake, jpeg, multipart, picture, slideshow

LINK_ADVICE_EN = "Do not enter passwords, codes or payment details."
LINK_WORDS = ("password", "address", "密码", "密碼", "网址")


def check_link(server: RunningServer, url: str, lang: str) -> dict:
    quoted = urllib.parse.quote(url, safe="")
    response = server.request("GET", f"/v1/check/link?url={quoted}&lang={lang}")
    assert response.status == 200, response.body
    return response.json()


def check_text(server: RunningServer, text: str, lang: str) -> dict:
    response = server.request(
        "POST", "/v1/check/text", json_body={"text": text}, headers={"Accept-Language": lang}
    )
    assert response.status == 200, response.body
    return response.json()


def check_media(server: RunningServer, data: bytes, lang: str) -> dict:
    body, content_type = multipart({"lang": lang}, data)
    response = server.request(
        "POST", "/v1/check/media", body=body, headers={"Content-Type": content_type}
    )
    assert response.status == 200, response.body
    return response.json()


def test_a_scam_link_still_says_not_to_type_passwords_into_it(server: RunningServer) -> None:
    en = check_link(server, "https://polkadot-dot.info/claim", "en")
    assert en["verdict"] == "likely_scam"
    assert en["summary"].startswith("Likely a scam: ") and en["summary"].endswith(LINK_ADVICE_EN)
    zh = check_link(server, "https://polkadot-dot.info/claim", "zh")
    assert zh["summary"].endswith("不要输入密码、验证码或付款信息。")


def test_a_scam_message_without_links_says_not_to_reply_or_pay(server: RunningServer) -> None:
    police = (
        "您好，我是公安局民警，您的银行账户涉嫌洗钱，请立即将资金转入安全账户配合调查，不得告诉他人"
    )
    zh = check_text(server, police, "zh-CN")
    assert zh["verdict"] == "likely_scam"
    assert zh["summary"].endswith("不要回复或付款，也不要向对方透露验证码或个人信息。")
    tw = check_text(server, police, "zh-TW")
    assert tw["summary"].endswith("不要回覆或付款，也不要向對方透露驗證碼或個人資訊。")
    airdrop = check_text(server, "Claim your free $PEPE airdrop now, limited spots", "en")
    assert airdrop["verdict"] == "suspicious"
    assert airdrop["summary"].endswith(
        "Before you reply or pay, check with the person or company through a channel you trust."
    )
    for verdict in (zh, tw, airdrop):
        assert not any(word in verdict["summary"] for word in LINK_WORDS), verdict["summary"]


def test_a_scam_message_with_a_link_says_not_to_open_its_links(server: RunningServer) -> None:
    text = "Polkadot airdrop is live! Connect at https://polkadot-dot.info/claim today"
    en = check_text(server, text, "en")
    assert en["verdict"] == "likely_scam"
    assert en["summary"].endswith(
        "Do not open its links, reply or pay, and never give out codes or passwords."
    )
    zh = check_text(server, text, "zh")
    assert zh["summary"].endswith("不要打开其中的链接，不要回复或付款，也不要透露验证码或密码。")


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(tmp_path_factory.mktemp("summary_advice"))
    add_fake(running, picture(71), label="Fake minister interview")
    yield running
    running.stop()


def test_a_known_fake_picture_says_not_to_believe_or_pass_it_on(bank: RunningServer) -> None:
    data = jpeg(picture(71), quality=70)
    en = check_media(bank, data, "en")
    assert en["verdict"] == "likely_scam" and en["media"]["kind"] == "image"
    assert en["summary"].endswith(
        "Do not trust the offer or the person shown in this picture, do not pay, and do not"
        " pass it on."
    )
    zh = check_media(bank, data, "zh-Hans")
    assert zh["summary"].endswith("不要相信图中的优惠或人物，不要付款，也不要转发。")
    tw = check_media(bank, data, "zh-TW")
    assert tw["summary"].endswith("不要相信圖中的優惠或人物，不要付款，也不要轉發。")
    hk = check_media(bank, data, "zh-HK")
    assert hk["summary"].endswith("不要相信圖中的優惠或人物，不要付款，也不要轉發。")
    for verdict in (en, zh, tw, hk):
        assert not any(word in verdict["summary"] for word in LINK_WORDS), verdict["summary"]


def test_a_video_with_a_known_fake_says_video_in_each_script(bank: RunningServer) -> None:
    video = slideshow([picture(72), picture(71)])
    en = check_media(bank, video, "en")
    assert en["verdict"] == "likely_scam" and en["media"]["kind"] == "video"
    assert en["summary"].endswith("shown in this video, do not pay, and do not pass it on.")
    zh = check_media(bank, video, "zh")
    assert zh["summary"].endswith("不要相信视频中的优惠或人物，不要付款，也不要转发。")
    # Taiwan's and Hong Kong's word for a video is 影片 (視頻 is the mainland's).
    for region in ("zh-TW", "zh-HK"):
        summary = check_media(bank, video, region)["summary"]
        assert summary.endswith("不要相信影片中的優惠或人物，不要付款，也不要轉發。"), summary


def test_hashes_alone_get_advice_for_a_picture_or_a_video(bank: RunningServer) -> None:
    exported = bank.request("GET", "/v1/known-fakes/export?format=json").json()
    [fake] = exported["known_fakes"]
    full = next(h for h in fake["hashes"] if h["region"] == "full")
    response = bank.request(
        "POST", "/v1/check/media", json_body={"hashes": {"pdq": [full["pdq"]]}, "lang": "zh"}
    )
    verdict = response.json()
    assert verdict["verdict"] == "likely_scam" and verdict["media"]["kind"] == "hashes"
    assert verdict["summary"].endswith("不要相信其中的优惠或人物，不要付款，也不要转发。")
