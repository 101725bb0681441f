"""POST /v1/check/text over HTTP with the evasions of review 34 #3, #4, #10, #12, #15:
Traditional characters, filler between characters, defanged links, phones against Han
characters, look-alike letters, soft hyphens."""

from __future__ import annotations

from typing import Any

import pytest

from server.links.domains import SuffixList
from server.text.extract import extract
from tests.support.server import RunningServer

SUFFIXES = SuffixList()


def check(server: RunningServer, text: str) -> dict[str, Any]:
    response = server.request("POST", "/v1/check/text", json_body={"text": text, "lang": "en"})
    assert response.status == 200, response.body
    verdict: dict[str, Any] = response.json()
    return verdict


def patterns(verdict: dict[str, Any], code: str = "text_patterns.match") -> set[str]:
    return {r["details"]["pattern"] for r in verdict["reasons"] if r["code"] == code}


def codes(verdict: dict[str, Any]) -> set[str]:
    return {r["code"] for r in verdict["reasons"]}


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        ("刷單返利，日結佣金三百元，點讚做任務，正規平台，加賴詳聊", "task_rebate"),
        ("無抵押貸款，當天放款，先繳手續費即可辦理，額度最高五十萬", "upfront_fee_loan"),
        ("轉入一個比特幣，立即返還雙倍，限時活動", "send_one_get_two"),
        ("投資穩賺不賠，日收益百分之五，保證獲利", "guaranteed_returns"),
        ("您好，這裡是警察局，請立即將資金轉入安全帳戶配合調查", "safe_account"),
        ("您好，這裡是警察局，請立即將資金轉入安全賬戶配合調查", "safe_account"),
    ],
)
def test_traditional_scripts_are_read_like_their_simplified_twins(
    server: RunningServer, text: str, pattern: str
) -> None:
    assert pattern in patterns(check(server, text))


def test_a_taiwan_police_advisory_is_a_warning_like_its_simplified_twin(
    server: RunningServer,
) -> None:
    advisory = (
        "【165反詐騙提醒】檢警不會要求民眾將資金轉入安全帳戶，凡是要求轉帳到安全帳戶的都是詐騙"
    )
    verdict = check(server, advisory)
    assert "safe_account" in patterns(verdict, "text_patterns.match_in_warning")
    assert "safe_account" not in patterns(verdict)


@pytest.mark.parametrize("filler", ["🔥", "，", "/", "\n", "~"])
def test_a_script_split_by_fillers_is_read_joined_and_the_split_is_named(
    server: RunningServer, filler: str
) -> None:
    verdict = check(server, filler.join("请立即将资金转入安全账户配合调查"))
    assert "safe_account" in patterns(verdict)
    [cue] = [r for r in verdict["reasons"] if r["code"] == "text_patterns.interleaved"]
    assert "safe_account" in cue["details"]["patterns"]
    # Quoted as cleaned (NFKC: the full-width comma is a comma).
    assert len(cue["details"]["joined"][0]) == 31
    assert cue["role"] == "supporting"


def test_runs_of_spaces_are_read_as_one_and_need_no_cue(server: RunningServer) -> None:
    verdict = check(server, "  ".join("请立即将资金转入安全账户配合调查"))
    assert "safe_account" in patterns(verdict)
    assert "text_patterns.interleaved" not in codes(verdict)
    sentence = "Send 0.5 ETH to the address below and get 1 ETH back instantly"
    words = sentence.split()
    verdict = check(server, "  ".join(words[:5]) + "\t" + "  ".join(words[5:]))
    assert "send_one_get_two" in patterns(verdict)


def test_letter_by_letter_english_is_read_joined(server: RunningServer) -> None:
    text = "t r a n s f e r  y o u r  s a v i n g s  t o  a  s a f e  a c c o u n t  n o w"
    verdict = check(server, text)
    assert "safe_account" in patterns(verdict)
    assert "text_patterns.interleaved" in codes(verdict)


@pytest.mark.parametrize(
    "ordinary",
    ["加 油 加 油 ！明天见", "T H A N K  Y O U  for the lovely dinner", "你好，再见，谢谢"],
)
def test_spaced_out_writing_that_hides_no_script_is_no_cue(
    server: RunningServer, ordinary: str
) -> None:
    verdict = check(server, ordinary)
    assert "text_patterns.interleaved" not in codes(verdict)
    assert verdict["verdict"] == "no_known_signals"


@pytest.mark.parametrize(
    "spoof", ["ѕαfε αccουnt", "ꜱᴀꜰᴇ ᴀᴄᴄᴏᴜɴᴛ", "ꮪafe account", "ṡåfé àccóunt", "⒮⒜⒡⒠ account"]
)
def test_look_alike_letters_of_any_script_read_as_latin(server: RunningServer, spoof: str) -> None:
    verdict = check(server, f"Your account is compromised, transfer your savings to a {spoof} now")
    assert "safe_account" in patterns(verdict)


#: The same link written plainly and in each defanged form.
DEFANGED = ["。", "[.]", "(.)", "{.}", "[dot]", "点", " .", ". "]


@pytest.mark.parametrize(
    ("dot", "shape"),
    [
        (dot, shape)
        for dot in DEFANGED
        for shape in ["{h}", "{h}/verify", "https://{h}/verify"]
        # A space ends a link written with its scheme: those two forms are not one link.
        if not (dot in (" .", ". ") and shape.startswith("https"))
    ],
)
def test_every_defanged_form_extracts_the_same_link(dot: str, shape: str) -> None:
    plain = extract(f"请立即登录 {shape.format(h='etc-gov-cn.top')} 办理", SUFFIXES.is_suffix)
    written = shape.format(h=f"etc-gov-cn{dot}top")
    found = extract(f"请立即登录 {written} 办理", SUFFIXES.is_suffix)
    assert found.links == plain.links != ()
    assert found.refanged == ((plain.links[0], written),)


def test_a_defanged_blocklisted_link_is_scored_and_its_written_form_reported(
    server: RunningServer,
) -> None:
    verdict = check(server, "Polkadot airdrop is live! Claim at hxxps://polkadot-dot[.]info/claim")
    assert verdict["extracted"]["links"] == ["https://polkadot-dot.info/claim"]
    assert verdict["extracted"]["refanged"] == [
        {"link": "https://polkadot-dot.info/claim", "written": "hxxps://polkadot-dot[.]info/claim"}
    ]
    assert "lists.blocked_domain" in codes(verdict)


def test_a_link_ends_at_an_emoji(server: RunningServer) -> None:
    verdict = check(server, "您的ETC已失效，请立即登录 https://etc-gov-cn.top🔗 办理")
    [link] = verdict["links"]
    assert link["registrable_domain"] == "etc-gov-cn.top"
    assert verdict["extracted"]["refanged"] == []


def test_prose_full_stops_and_dot_net_are_not_links(server: RunningServer) -> None:
    text = "Learn .net at home. Top marks! 下午3点30分开会。访问abc.com。Thanks"
    assert check(server, text)["extracted"]["links"] == ["abc.com"]


@pytest.mark.parametrize(
    "text",
    [
        "Your parcel has an unpaid fee of $1.99. Pay within 24 hours.",
        "Your verification code is 482913. Do not share this code with anyone.",
        "订单金额 128. Top up 请到APP内完成",
    ],
)
def test_a_number_ending_a_sentence_is_not_a_link(text: str) -> None:
    # ". Pay", ". Do", ". Top" read as top-level domains after a price or a code; a name of
    # digits alone before ". " is the end of a sentence, not "1.99.pay" or "482913.do".
    assert extract(text, SUFFIXES.is_suffix).links == ()


def test_a_spaced_dot_after_a_name_with_letters_and_digits_is_still_a_link() -> None:
    assert extract("登录 etc-gov-cn2. top 办理", SUFFIXES.is_suffix).links == ("etc-gov-cn2.top",)
    assert extract("visit 1688 .com today", SUFFIXES.is_suffix).links == ("1688.com",)


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("请致电13812345678咨询", "13812345678"),
        ("客服电话400-820-0588", "4008200588"),
        ("联系021-62345678办理", "02162345678"),
    ],
)
def test_phones_written_against_han_characters_are_found(
    server: RunningServer, text: str, digits: str
) -> None:
    phones = check(server, text)["extracted"]["phones"]
    assert [p["digits"] for p in phones] == [digits]


def test_soft_hyphens_of_copied_web_text_are_not_hidden_characters(server: RunningServer) -> None:
    shy = "\u00ad"
    news = (
        f"The de{shy}part{shy}ment an{shy}nounced new com{shy}mu{shy}ni{shy}ca{shy}tion "
        f"rules for in{shy}ter{shy}na{shy}tion{shy}al pay{shy}ments on Mon{shy}day."
    )
    assert "text_patterns.hidden_characters" not in codes(check(server, news))
    split = check(server, "请将资金转入安\u200b全\u200b账\u200b户")
    assert "text_patterns.hidden_characters" in codes(split)


@pytest.mark.parametrize(
    "hostile",
    [
        "a." * 5000,
        "a.b," * 2500,
        "安🔥" * 5000,
        "t o  " * 2000,
        "安 全 账 户 " * 1000,
        "x[.]" * 2500,
    ],
    ids=["dotted", "mixed-fillers", "emoji", "spelled", "spaced-han", "defanged"],
)
def test_hostile_10000_character_messages_get_a_verdict(
    server: RunningServer, hostile: str
) -> None:
    # How long they take is measured by bench/text_folds.py, not asserted here.
    assert check(server, hostile[:10_000])["verdict"] in {
        "no_known_signals",
        "suspicious",
        "likely_scam",
    }
