"""A Traditional-Chinese alert converts the server's sentences, never what people wrote: the
item and the reporter's "impersonates" words are shown as they were given."""

from __future__ import annotations

from bot.render import alert_message


def test_a_zh_hant_alert_keeps_the_reporters_words_and_the_item_as_written() -> None:
    item = "https://中国银行发.example/登录"
    alert = {
        "title": {"zh": f"已确认冒充公检法/政府机关诈骗：网站 {item}", "en": "Confirmed scam"},
        "impersonates": "中国银行 发发 后台",
        "item": item,
    }
    text = alert_message(alert, "zh-Hant")
    assert "冒充對象：中国银行 发发 后台。" in text  # our words Traditional, theirs untouched
    assert "已確認冒充" in text and "中国银行发[.]example/登录" in text
