"""POST /v1/check/text on the scams FakeWatch exists for, written the way they arrive, and on
the everyday messages that must stay quiet.

Written by hand (session 15's dogfooding), not drawn from the data set: the fake doctor selling
a diabetes cure, the stock-tip group, the prize that costs a tax to collect, the fake virus
alert and sextortion each got `no_known_signals` before their patterns existed; so did (session
16) the refund or cancel-order callback, the romance "army doctor" parcel of cash and gold, and
the "I made 300% with my mentor, DM me" testimonial, in English.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.server import RunningServer


def check(server: RunningServer, text: str, lang: str) -> dict[str, Any]:
    response = server.request("POST", "/v1/check/text", json_body={"text": text, "lang": lang})
    assert response.status == 200, response.body
    verdict: dict[str, Any] = response.json()
    return verdict


def patterns(verdict: dict[str, Any]) -> set[str]:
    return {
        r["details"]["pattern"] for r in verdict["reasons"] if r["code"] == "text_patterns.match"
    }


@pytest.mark.parametrize(
    ("text", "lang", "pattern"),
    [
        (
            "【健康提醒】钟南山院士推荐：这款降糖神药三个月根治糖尿病，无效全额退款！"
            "今日限时特价199元，点击 http://jiangtang-shenyao.shop 立即抢购",
            "zh",
            "miracle_cure",
        ),
        (
            "Dr. Oz reveals: this one supplement reverses type 2 diabetes in 30 days. "
            "Doctors hate it! Limited stock, order now at https://glucose-miracle.store",
            "en",
            "miracle_cure",
        ),
        (
            "Elon Musk is giving away 5,000 BTC to celebrate! Send 0.1 to 2 BTC to "
            "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh and receive double back.",
            "en",
            "send_one_get_two",
        ),
        (
            "老师带你炒股，每天推荐一只涨停牛股，内部消息稳赚不赔，加微信 gupiao8888 进群免费领取",
            "zh",
            "tip_group",
        ),
        (
            "恭喜您被抽中二等奖，奖金8万元及笔记本电脑一台，请先缴纳个人所得税3000元领取",
            "zh",
            "prize_fee",
        ),
        (
            "WARNING: Your computer is infected with 5 viruses. Call Microsoft Support "
            "immediately at 1-888-555-0142 to avoid data loss",
            "en",
            "tech_support",
        ),
        (
            "I have recorded you through your webcam. Pay 1500 USD in bitcoin to "
            "1BoatSLRHtKNngkdXEeobR76b53LETtpyT within 48 hours or I send the video to all your "
            "contacts",
            "en",
            "sextortion",
        ),
        ("股市老師帶你飆股，加入LINE群組免費領取明牌，保證獲利", "zh-TW", "tip_group"),
        (
            "Geek Squad: your annual subscription has been auto-renewed for $399.99. To cancel "
            "and get your money back call our billing team at 1-877-555-0190.",
            "en",
            "refund_callback",
        ),
        (
            "Hi, this is Amazon customer support. We owe you a refund of $149.50 for a duplicate "
            "charge, please call us back on 1-844-555-0111 to receive it.",
            "en",
            "refund_callback",
        ),
        (
            "您好，我是亚马逊客服，您的订单退款186元未领取，请拨打 400-820-5573 领取，逾期作废。",
            "zh",
            "refund_callback",
        ),
        (
            "【momo購物】您上月的訂單因作業疏失被誤設為分期付款，每月將重複扣款，"
            "請撥打客服專線 02-2765-8899 或至ATM操作解除。",
            "zh-TW",
            "refund_callback",
        ),
        (
            "Norton: thank you for your renewal. $389.99 has been debited from your account. To "
            "cancel or dispute this charge, please contact our support at +1 (888) 555-0143.",
            "en",
            "refund_callback",
        ),
        (
            "【淘寶】親，您的訂單因系統升級錯誤被設成經銷商，每月自動扣款3000元，"
            "請盡快撥打客服 02-2567-1234 取消",
            "zh-TW",
            "refund_callback",
        ),
        (
            "Hello dear, I am Dr. James, a US Army doctor on a UN peacekeeping mission in Syria. "
            "I have sent you a parcel containing $500,000 cash and gold bars. The diplomatic agent "
            "is at the airport and needs you to pay the clearance fee of $3,500 so he can deliver "
            "it to you.",
            "en",
            "riches_parcel_fee",
        ),
        (
            "Honey the diplomat has arrived with your consignment box (gold and 1.5 million "
            "dollars). He just needs you to pay the security keeping fee, send it by gift cards.",
            "en",
            "riches_parcel_fee",
        ),
        (
            "我是美军军医，正在叙利亚执行联合国维和任务。我给你寄了一个包裹，里面有金条和50万美金，"
            "外交官说需要你先交清关费8000元才能送到你家。",
            "zh",
            "riches_parcel_fee",
        ),
        (
            "I made 300% in two weeks with this crypto platform, my mentor shows you how, DM me",
            "en",
            "profit_testimonial",
        ),
        (
            "Honestly I was skeptical but I made $12,000 in just 10 days trading with Mrs. Anna's "
            "signals. Message her on WhatsApp +1 415 555 0199 and tell her I sent you!",
            "en",
            "profit_testimonial",
        ),
        (
            "My friend turned $1,000 into $25,000 in 30 days with a forex trading expert! I was "
            "skeptical but I invested and withdrew $6,400 last week. Contact her on WhatsApp "
            "+1 415 555 0100",
            "en",
            "profit_testimonial",
        ),
        ("跟着导师一个月赚了300%，想学的私信我", "zh", "profit_testimonial"),
    ],
    ids=[
        "fake-doctor-zh",
        "fake-doctor-en",
        "musk-giveaway",
        "tip-group",
        "prize-tax",
        "tech-support",
        "sextortion",
        "tip-group-tw",
        "renewal-callback",
        "refund-callback",
        "refund-callback-zh",
        "instalment-callback-tw",
        "renewal-contact-dispute",
        "dealer-callback-tw",
        "army-doctor-parcel",
        "diplomat-consignment",
        "army-doctor-parcel-zh",
        "testimonial",
        "testimonial-signals",
        "testimonial-friend",
        "testimonial-zh",
    ],
)
def test_each_genre_is_at_least_suspicious_and_names_its_script(
    server: RunningServer, text: str, lang: str, pattern: str
) -> None:
    verdict = check(server, text, lang)
    assert verdict["verdict"] in ("suspicious", "likely_scam"), verdict["summary"]
    assert pattern in patterns(verdict)


def test_a_daily_percentage_in_chinese_is_a_guaranteed_return(server: RunningServer) -> None:
    verdict = check(server, "我舅舅在做内部项目，一天能赚30%，你先投一万试试", "zh")
    assert "guaranteed_returns" in patterns(verdict)


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        (
            "We reviewed your resume! Part-time remote job, earn $300-$500 per day, no "
            "experience needed. Contact our HR on WhatsApp +1 (347) 555-0199",
            "easy_money_job",
        ),
        (
            "【中華郵政】您的包裹地址不完整，請點擊連結補填資料並支付1.5元運費，逾期退回",
            "parcel_fee",
        ),
        (
            "Hi mum, I've dropped my phone in the toilet, this is my new number. Can you help "
            "with a bill today, I'll pay you back tomorrow x",
            "impersonating_acquaintance",
        ),
    ],
    ids=["remote-job", "parcel-tw", "hi-mum"],
)
def test_cues_that_honest_senders_share_are_shown_but_do_not_warn_alone(
    server: RunningServer, text: str, pattern: str
) -> None:
    # Job boards and carriers write some of these words too: the reason is shown, the verdict
    # needs a second sign (a flagged link, the classifier, another script).
    verdict = check(server, text, "zh" if not text.isascii() else "en")
    assert pattern in patterns(verdict)


@pytest.mark.parametrize(
    "text",
    [
        "Hi mum, I've dropped my phone in the toilet, this is my new number. Can you send "
        "£450 to my mate's account, I'll pay you back tomorrow x",
        "Dad it's me, my old phone broke. Could you transfer $800 to this account for my rent?",
        "妈，我手机丢了，这是我的新号码，房东催房租，你先帮我转3000，周末还你",
        "爸，我换号了，急用钱，给我转2000到这个卡上，晚点跟你解释",
        "媽，我手機掉了，這是新號碼，可以先匯八千給我朋友嗎？我明天還你",
    ],
    ids=["hi-mum", "dad-en", "mum-zh", "dad-zh", "mum-tw"],
)
def test_a_new_number_asking_for_a_sum_warns(server: RunningServer, text: str) -> None:
    """The family scam reviewers found shown but not warned about: a new or broken phone plus a
    sum to send now is two cues (session 16), alone a warning; the same words without a sum
    asked for, or with money the sender sends, stay quiet (``near_misses.txt``)."""
    verdict = check(server, text, "en" if text.isascii() else "zh")
    assert "new_number_money" in patterns(verdict), verdict["reasons"]
    assert verdict["verdict"] in ("suspicious", "likely_scam"), verdict["summary"]


def test_a_parcel_fee_beside_a_lookalike_link_warns(server: RunningServer) -> None:
    text = "您的包裹因地址不详被退回，请点击 http://sf-express-cn.vip 补填地址并支付2元手续费"
    verdict = check(server, text, "zh")
    assert "parcel_fee" in patterns(verdict)
    assert verdict["verdict"] in ("suspicious", "likely_scam")


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Your verification code is 482913. Do not share this code with anyone. — Chase", "en"),
        ("【招商银行】您尾号8812的信用卡本期账单金额3,215.60元，到期还款日12月5日。", "zh"),
        ("Reminder: your dentist appointment is tomorrow at 3pm. Reply C to confirm.", "en"),
        ("研究人员希望找到根治糖尿病的方法，新药已进入临床试验", "zh"),
        ("今天大盘涨停板数量创新高，分析师认为市场情绪回暖", "zh"),
        ("Lottery winners in the UK pay no tax on their prize", "en"),
        ("The meeting moved to 4pm, link here https://zoom.us/j/123456789", "en"),
    ],
    ids=["otp", "card-bill", "dentist", "cure-research", "market-news", "lottery-tax", "zoom"],
)
def test_everyday_messages_that_share_their_words_stay_quiet(
    server: RunningServer, text: str, lang: str
) -> None:
    verdict = check(server, text, lang)
    assert verdict["verdict"] == "no_known_signals", verdict["reasons"]
    assert verdict["reasons"] == []


FIXTURES = Path(__file__).parent / "fixtures" / "text"


def _lines(name: str) -> list[str]:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip() and not line.startswith("#")]


def test_everyday_chats_get_no_reason_at_all(server: RunningServer) -> None:
    # Never trained on (scam_text 1.1 trained on models/scam_text/data, another set); the
    # model before it called 3 of these 40 scam-like ("妈，我到学校了，宿舍挺好的…").
    for text in _lines("everyday_chats.txt"):
        lang = "en" if text.isascii() else "zh"
        verdict = check(server, text, lang)
        assert verdict["reasons"] == [], (text, verdict["reasons"])


def test_honest_messages_that_share_a_script_s_words_get_no_reason(server: RunningServer) -> None:
    # Refund notices, parcels held for duty, friends' gains, brokers' newsletters and fund
    # statements: 9 of these 49 got a reason before session 16 (tip_group on the newsletters,
    # guaranteed_returns on "余额宝日收益 0.52元"). 17 more are a reviewer's, each read
    # as scams by that day's new patterns: renewals that offer Settings beside the phone, a
    # refund to collect in a store, 刚打客服电话…取消了, parcels of gold with duty or insurance
    # already paid, a bake sale's takings, loan interest (信用卡逾期日息0.5%).
    for text in _lines("near_misses.txt"):
        lang = "en" if text.isascii() else "zh"
        verdict = check(server, text, lang)
        assert verdict["reasons"] == [], (text, verdict["reasons"])


def test_family_money_chats_are_never_a_warning(server: RunningServer) -> None:
    # The model before scam_text 1.1 made 12 of these 31 suspicious by itself.
    for text in _lines("money_chats.txt"):
        lang = "en" if text.isascii() else "zh"
        verdict = check(server, text, lang)
        assert verdict["verdict"] == "no_known_signals", (text, verdict["reasons"])
        assert "scam_text.classifier" not in {r["code"] for r in verdict["reasons"]}


def test_a_gig_worker_s_earnings_are_no_testimonial(server: RunningServer) -> None:
    # A sum earned driving, with an app and "DM me" for a referral code: profit_testimonial read
    # it as "I made $3,000 with this platform, DM me" and the verdict was likely_scam. It now
    # needs an investment (a named one, or a gain in percent or a multiple). The classifier
    # alone still calls it suspicious; that is the model's reading, not a script's.
    text = "I made $3,000 this month driving for Uber, the app is great, DM me for my referral code"
    verdict = check(server, text, "en")
    assert patterns(verdict) == set(), verdict["reasons"]
    assert verdict["verdict"] != "likely_scam", verdict["reasons"]
