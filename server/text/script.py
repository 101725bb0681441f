"""Which language a message is written in, from its script, for clients that do not say.

``POST /v1/check/text`` answers in the language the client asks for (``lang``, ``?lang=``,
``Accept-Language``). A client that sends none (a script, a bot relaying a forwarded message)
would otherwise get English for a Chinese message; the message's own script is then the best
guess of what its reader reads.

Han characters outnumbering Latin letters means Chinese. Traditional characters are told
apart by a short list of frequent characters that exist only in Traditional script (the
Simplified form differs): two or more such characters, and more than Simplified-only ones,
means Traditional (Taiwan's standard, the most common Traditional reader here).
"""

from __future__ import annotations

from server.text.normalise import strip_hidden

#: Frequent Traditional-only characters (their Simplified forms differ).
_TRADITIONAL = frozenset(
    "們這個會來說時國對點機帳戶請電話號碼銀錢資訊連結領獎詐騙與問題關於實買賣裡東車見開門"
    "麼為沒過還進動後從現發經長頭體認識讓給應該當學習愛歡覺業務費額證記錄網頁線準備隨幣幫"
    "間區將單價億萬寶貝優獲財產緊無專員碼簡親愛聯繫絡驗視聽讀寫買賣貸罰鍰繳"
)
#: Frequent Simplified-only characters (the Traditional counterparts of some of the above).
_SIMPLIFIED = frozenset(
    "们这个会来说时国对点机账户请电话号码银钱资讯连结领奖诈骗与问题关于实买卖里东车见开门"
    "么为没过还进动后从现发经长头体认识让给应该当学习爱欢觉业务费额证记录网页线准备随币帮"
    "间区将单价亿万宝贝优获财产紧无专员码简亲爱联络验视听读写买卖贷罚缓缴"
)


def _is_han(char: str) -> bool:
    code = ord(char)
    return 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF


def language_of(text: str) -> str | None:
    """``"zh"`` when Han characters outnumber Latin letters, ``"en"`` when Latin letters do,
    ``None`` when the text has neither (digits, emoji)."""
    han = latin = 0
    for char in strip_hidden(text)[0][:2000]:  # invisible padding must not hide the script
        if _is_han(char):
            han += 1
        elif char.isascii() and char.isalpha():
            latin += 1
    if han == 0 and latin == 0:
        return None
    # A Chinese word is one character, an English one about five letters.
    return "zh" if han * 5 >= latin else "en"


def is_traditional(text: str) -> bool:
    """Whether Chinese ``text`` is written in Traditional characters (see the module doc)."""
    traditional = simplified = 0
    for char in strip_hidden(text)[0][:2000]:
        if char in _TRADITIONAL:
            traditional += 1
        elif char in _SIMPLIFIED:
            simplified += 1
    return traditional >= 2 and traditional > simplified
