"""A confirmed message's wording is not enough when the checked text is plainly not the scam,
through the real server (review 16 #1, #2):

- the real notice a scam copied: every link goes to a site we know is legitimate (the bank's
  own domain, a top site, the operator's allowlist), so the copy's template is the notice's
  but the message is not the confirmed scam: no decisive match, an INFO reason says why; a
  copy with another unknown domain (scams rotate them) still decides;
- an anti-fraud warning quoting a confirmed script and asking for nothing: a cue, as the
  text patterns and the classifier read it there, not a confirmed scam.
"""

from __future__ import annotations

from tests.support.server import RunningServer
from tests.test_confirmed_items import check_text, confirmed_reasons, file_and_confirm

BOC_SCAM = (
    "【中国银行】尊敬的客户，您的信用卡积分12680分将于本月底清零，请及时登录 http://boc-jfdh.top"
    " 兑换礼品。"
)
BOC_REAL = (
    "【中国银行】尊敬的客户，您的信用卡积分3200分将于本月底清零，请及时登录 https://www.boc.cn"
    " 兑换礼品。"
)
BOC_ROTATED = (
    "【中国银行】尊敬的客户，您的信用卡积分9050分将于本月底清零，请及时登录 https://boc-jifen.xyz"
    " 兑换礼品。"
)
ROYAL_SCAM = (
    "Royal Mail: your parcel could not be delivered because of an unpaid shipping fee. Please"
    " pay the fee within 24 hours at https://royalmail-redelivery-fee.com or it will be returned."
)
ROYAL_REAL = (
    "Royal Mail: your parcel could not be delivered because of an unpaid shipping fee. Please"
    " pay the fee within 24 hours at https://www.royalmail.com/pay-a-fee or it will be returned."
)
YIBAO_SCRIPT = (
    "您好，这里是市医保局，您的医保卡因异地违规使用已被冻结，涉嫌骗取医保基金，案件现已移交"
    "公安机关处理，稍后会有警官给您来电核实情况。"
)
YIBAO_WARNING = (
    "【反诈提醒】近期多名市民接到这样的电话：“" + YIBAO_SCRIPT + "”这是诈骗！医保局不会电话通知"
    "冻结，更不会转接公安。"
)


def only_reason(verdict: dict) -> dict:
    reasons = confirmed_reasons(verdict)
    assert len(reasons) == 1, verdict["reasons"]
    return reasons[0]


def test_the_banks_real_notice_is_not_the_confirmed_copy_but_a_rotated_domain_is(
    community_server: RunningServer,
) -> None:
    case_id = file_and_confirm(community_server, "text", BOC_SCAM, "ctx1")

    real = check_text(community_server, BOC_REAL, lang="zh")
    assert real["verdict"] != "likely_scam", real
    reason = only_reason(real)
    assert reason["code"] == "confirmed_items.official_links"
    assert reason["role"] == "info"
    assert reason["details"]["case"] == case_id
    assert reason["details"]["official_sites"] == ["boc.cn"]
    assert "boc.cn" in reason["message"] and f"社区案件 {case_id}" in reason["message"]

    rotated = check_text(community_server, BOC_ROTATED, lang="zh")
    assert rotated["verdict"] == "likely_scam", rotated
    reason = only_reason(rotated)
    assert reason["code"] == "confirmed_items.message" and reason["role"] == "decisive"
    assert reason["details"]["case"] == case_id

    # An official link beside an unknown one is a scam borrowing the bank's name.
    mixed = check_text(community_server, BOC_ROTATED + " 详见 https://www.boc.cn", lang="zh")
    assert mixed["verdict"] == "likely_scam", mixed
    # A shortener or an open site (anyone's page) is no official link.
    for elsewhere in ("https://bit.ly/3xYz9Qp", "https://t.me/boc_jifen"):
        hidden = check_text(community_server, BOC_REAL.replace("https://www.boc.cn", elsewhere))
        assert only_reason(hidden)["code"] == "confirmed_items.message", elsewhere


def test_official_links_excuse_nothing_the_confirmed_message_did_not_link_to_differently(
    community_server: RunningServer,
) -> None:
    # The confirmed scam itself cites the real site: the same wording with that link is the
    # same scam (the case's shown text is compared).
    jd = (
        "您好，这里是京东客服，您的京东白条账户存在异常需要注销，否则影响个人征信，请登录官方网站"
        " https://www.jd.com 后下载会议软件配合我们操作，编号 {n}。"
    )
    case_id = file_and_confirm(community_server, "text", jd.format(n=4471), "ctx4")
    again = check_text(community_server, jd.format(n=9023), lang="zh")
    reason = only_reason(again)
    assert reason["code"] == "confirmed_items.message" and reason["details"]["case"] == case_id
    assert again["verdict"] == "likely_scam"


def test_royal_mails_own_link_is_not_the_confirmed_fee_scam(
    community_server: RunningServer,
) -> None:
    case_id = file_and_confirm(community_server, "text", ROYAL_SCAM, "ctx2")
    real = check_text(community_server, ROYAL_REAL)
    assert real["verdict"] != "likely_scam", real
    reason = only_reason(real)
    assert reason["code"] == "confirmed_items.official_links"
    assert "royalmail.com" in reason["message"] and "legitimate" in reason["message"]
    assert f"community case {case_id}" in reason["message"]

    copy = check_text(community_server, ROYAL_SCAM.replace("fee.com", "fees.info"))
    assert only_reason(copy)["role"] == "decisive"

    # The real notice forwarded with a line of its own is still the real notice.
    forwarded = check_text(community_server, "Is this one real? " + ROYAL_REAL)
    assert forwarded["verdict"] != "likely_scam", forwarded
    assert only_reason(forwarded)["code"] == "confirmed_items.official_links"


def test_a_warning_quoting_a_confirmed_script_is_a_cue_not_a_confirmed_scam(
    community_server: RunningServer,
) -> None:
    case_id = file_and_confirm(community_server, "text", YIBAO_SCRIPT, "ctx3")

    warning = check_text(community_server, YIBAO_WARNING, lang="zh")
    assert warning["verdict"] != "likely_scam", warning
    reason = only_reason(warning)
    assert reason["code"] == "confirmed_items.message_in_warning"
    assert reason["role"] == "supporting"
    assert reason["details"]["case"] == case_id
    assert reason["details"]["role_without_warning"] == "decisive"
    assert reason["details"]["warning"]
    assert "防诈骗提醒" in reason["message"] and f"社区案件 {case_id}" in reason["message"]
    english = check_text(community_server, YIBAO_WARNING, lang="en")
    assert "reads as a warning" in only_reason(english)["message"]

    # The same script forwarded with a line of its own is still the confirmed scam (an
    # official link added beside a script that held none excuses nothing), and a
    # "warning" that asks the reader to act is a scam with warning words pasted on.
    forward = check_text(
        community_server,
        "刚接到这个电话，大家看看：" + YIBAO_SCRIPT + " 官网 https://www.nhsa.gov.cn",
        lang="zh",
    )
    assert only_reason(forward)["code"] == "confirmed_items.message_inside"
    assert forward["verdict"] == "likely_scam"
    asks = check_text(
        community_server, YIBAO_WARNING + "详情请加微信 yibao_kefu88 咨询。", lang="zh"
    )
    assert only_reason(asks)["code"] == "confirmed_items.message_inside", asks
