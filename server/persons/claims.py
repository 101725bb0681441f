"""What a message claims on a famous person's behalf, in Chinese and English.

Impersonation ads say the same few things: the person *endorses* a product, shares an
*investment* secret, runs a *giveaway*, has a *cure* — and the reader must act *now*. A
news story about the same person reports; an ad *asks*. So a scam claim needs both:

- a promise (endorsement, investment, giveaway or health-cure), and
- an ask: a call to act (buy, join, send, scan, add WeChat…) or urgency (today only, 限时).

Patterns are kept short and literal on purpose: each one is a phrase seen in real
impersonation scams (see the issue and ``bench/impersonation.py``), and each match is
shown in the evidence, so a false positive is easy to spot and to fix.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from server.persons.channels import Account
from server.text.normalise import fold_traditional

#: Claim kinds that promise something, in the order explanations list them.
PROMISES = ("health_cure", "investment", "giveaway", "endorsement")
#: Claim kinds that ask the reader to act.
ASKS = ("call_to_action", "urgency")

_PATTERNS: Mapping[str, Sequence[str]] = {
    "endorsement": (
        r"\b(?:i|we)\s+(?:personally\s+)?(?:recommend|use|trust|endorse|take)\b",
        r"\brecommend(?:s|ed)?\s+(?:this|these|it|our|my)\b",
        r"\bendorse[sd]?\b",
        r"\bmy\s+(?:secret|formula|method|strategy)\b",
        r"\bofficial\s+partner\b",
        r"推荐",
        r"力荐",
        r"亲测",
        r"代言",
        r"我(?:一直|每天)?(?:在)?(?:用|吃|喝)",
        r"独家秘方",
        r"秘方",
    ),
    "investment": (
        r"\binvest\s+(?:now|today|with\s+(?:me|us)|in\s+(?:this|our|my))\b",
        r"\binvestment\s+(?:opportunity|plan|platform|program|secret)\b",
        r"\b(?:returns?|profits?)\s+(?:of|up\s+to)\s+\d",
        r"\b(?:guaranteed|daily|weekly|monthly|passive)\s+(?:returns?|profits?|income)\b",
        r"\b\d{2,4}\s?%\s+(?:returns?|profits?|gains?)\b",
        r"\btrading\s+(?:platform|bot|app|signals?)\b",
        r"\b(?:double|triple)\s+your\s+(?:money|investment|crypto|btc|eth)\b",
        r"\bquantum\s+(?:ai|trading)\b",
        r"(?:带你|带大家|跟着\S{0,6})投资",
        r"投资(?:理财|机会|平台|项目|回报|秘诀)",
        r"理财",
        r"收益",
        r"回报",
        r"稳赚",
        r"翻倍",
        r"炒股",
        r"荐股",
        r"牛股",
        r"飙股",
        r"明牌",
        r"带(?:你|大家)赚钱",
        r"内幕",
        r"日赚",
        r"月入",
    ),
    "giveaway": (
        r"\bgiveaway\b",
        r"\bgiving\s+away\b",
        r"\bairdrop\b",
        r"\bfree\s+(?:btc|eth|bitcoin|crypto|tokens?|gift|iphone|money)\b",
        r"\bsend\s+\d*\.?\d*\s*(?:btc|eth|usdt|bitcoin|sol)?\b.{0,40}\b(?:get|receive)\b.{0,30}\bback\b",
        r"\bclaim\s+(?:your|free)\b",
        r"赠送",
        r"免费领",
        r"领取",
        r"抽奖",
        r"空投",
        r"福利",
        r"红包",
        # The crypto giveaway in Chinese: "双倍返还", "转一返二", "返还双倍"; and the same with
        # the amounts written out ("转入0.1 BTC，立即返还0.2 BTC").
        r"(?:双倍|两倍|加倍|翻倍)(?:返还|奉还|返现|返给|回馈)",
        r"返(?:还)?(?:双倍|两倍|2倍)",
        r"转一返二|转1返2",
        r"(?:转入|转账|充值|发送)\s*\d+(?:\.\d+)?\s*(?:个)?\s*(?:btc|eth|usdt|比特币|以太坊)[^。！？\n]{0,20}返(?:还)?\s*\d+(?:\.\d+)?\s*(?:个)?\s*(?:btc|eth|usdt|比特币|以太坊)",
    ),
    "health_cure": (
        r"\bcure[sd]?\b",
        r"\bheal(?:s|ed)?\b",
        r"\bmiracle\b",
        r"\breverse[sd]?\s+(?:diabetes|aging|ageing|hair\s+loss)\b",
        r"\b(?:diabetes|cancer|arthritis|hypertension|blood\s+sugar)\b",
        r"\bsupplements?\b",
        r"\blose\s+\d+\s*(?:kg|lbs?|pounds)\b",
        r"治愈",
        r"根治",
        r"特效",
        r"神药",
        r"保健品",
        r"降(?:血糖|血压|血脂)",
        r"抗癌",
        r"糖尿病",
        r"高血压",
        r"偏方",
        r"包治",
        r"药到病除",
    ),
    "call_to_action": (
        r"\b(?:buy|order|shop)\s+(?:now|today|here|it|yours)\b",
        r"\b(?:sign\s+up|register|join|subscribe|enroll)\b",
        r"\bclick\s+(?:here|the\s+link|below)\b",
        r"\bclaim\s+(?:it|yours?|now|here)\b",
        r"\bsend\s+(?:\d|btc|eth|usdt|bitcoin|crypto)",
        r"\b(?:visit|go\s+to)\s+(?:our|the|my)\b",
        r"\b(?:dm|message|contact)\s+(?:me|us)\b",
        r"\bscan\s+the\s+(?:qr|code)\b",
        r"购买",
        r"下单",
        r"抢购",
        r"订购",
        r"扫码",
        r"加(?:微信|v|V|群|赖|line|LINE|Line)",
        r"点击",
        r"注册",
        r"咨询",
        r"私信",
        r"进群",
        r"添加",
        # Send crypto (not "充值", "top up": carrier adverts say it in every other message).
        r"(?:转入|转账|打款|发送)[^。！？\n]{0,6}(?:\d|btc|eth|usdt|比特币|以太坊)",
    ),
    "urgency": (
        r"\b(?:act|hurry|order|buy|join)\s+(?:now|fast|today)\b",
        r"\btoday\s+only\b",
        r"\blimited\s+(?:time|offer|spots|places|supply)\b",
        r"\blast\s+chance\b",
        r"\bonly\s+\d+\s+(?:left|spots|places)\b",
        r"\bends\s+(?:today|tonight|soon)\b",
        r"\bbefore\s+it'?s\s+(?:too\s+late|gone|deleted|removed)\b",
        r"限时",
        r"立即",
        r"马上",
        r"仅剩",
        r"最后\d*(?:天|名|个)",
        r"名额有限",
        r"赶快",
        r"赶紧",
        r"今日(?:特价|特惠|限定|截止|有效)",
        r"仅限(?:今天|今日|当天|本周|\d+\s*(?:小时|天))",
        r"(?:别|不要|莫)错过",
    ),
}

#: The same claims as OCR often reads Latin text: spaces gone ("Ordernow,limitedoffer",
#: "Thissupplementcures"). Matched on the text lowercased with every non-alphanumeric removed,
#: so each phrase is long or specific enough not to occur inside ordinary words.
_SQUASHED: Mapping[str, Sequence[str]] = {
    "endorsement": (
        "recommendsit",
        "irecommend",
        "personallyrecommend",
        "recommendthis",
        "mysecret",
    ),
    "investment": (
        "tradingplatform",
        "dailyreturns",
        "guaranteedreturns",
        "guaranteeddaily",
        "guaranteedprofit",
        "passiveincome",
        "doubleyourmoney",
        "doubleyourcrypto",
        "secrettrading",
    ),
    "giveaway": (
        "givingaway",
        "giveaway",
        "airdrop",
        "doubleback",
        "getdouble",
        "receivedouble",
        "freebtc",
        "freeeth",
        "freecrypto",
        "claimyour",
    ),
    "health_cure": (
        "supplementcures",
        "curesdiabetes",
        "curediabetes",
        "reversediabetes",
        "miraclecure",
        "curescancer",
        "curecancer",
        "lowersbloodsugar",
    ),
    "call_to_action": (
        "ordernow",
        "buynow",
        "shopnow",
        "jointoday",
        "joinnow",
        "registernow",
        "clickhere",
        "claimnow",
        "sendeth",
        "sendbtc",
        "sendusdt",
    ),
    "urgency": (
        "todayonly",
        "limitedoffer",
        "limitedtime",
        "lastchance",
        "hurry",
        "endstoday",
        "endstonight",
        "actnow",
        "spotsleft",
    ),
}
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")

_COMPILED: Mapping[str, re.Pattern[str]] = {
    kind: re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)
    for kind, patterns in _PATTERNS.items()
}

#: Contact accounts written out in a message (not links): ``加微信 zwh8888``, ``TG @musk_x``,
#: ``@handle``. Links, phones and wallets come from the text extractors.
_WECHAT = re.compile(
    r"(?:微信|威信|薇信|vx|v信|wx|wechat|weixin|加v)\s*(?:号)?\s*[:：]?\s*([A-Za-z][-_A-Za-z0-9]{5,19})",
    re.IGNORECASE,
)
_HANDLE = re.compile(r"(?<![\w@.])@([A-Za-z0-9_]{3,32})\b")

#: How each kind reads inside a sentence: "The text {promises a cure} and {asks you to buy}."
PHRASES: Mapping[str, Mapping[str, str]] = {
    "health_cure": {"en": "promises a cure", "zh": "声称能治病"},
    "investment": {"en": "promises investment returns", "zh": "承诺投资收益"},
    "giveaway": {"en": "promises a giveaway", "zh": "声称免费赠送"},
    "endorsement": {"en": "claims a personal endorsement", "zh": "声称本人推荐"},
    "call_to_action": {"en": "asks you to act", "zh": "要求你采取行动"},
    "urgency": {"en": "pushes you to hurry", "zh": "催你赶快行动"},
}
_AND = {"en": " and ", "zh": "，并"}


@dataclass(frozen=True, slots=True)
class Claims:
    """The claim kinds found in a text, with the phrase that showed each."""

    found: Mapping[str, str]

    @property
    def promises(self) -> tuple[str, ...]:
        return tuple(k for k in PROMISES if k in self.found)

    @property
    def asks(self) -> tuple[str, ...]:
        return tuple(k for k in ASKS if k in self.found)

    @property
    def is_scam_claim(self) -> bool:
        """A promise made to the reader *and* a push to act on it."""
        return bool(self.promises) and bool(self.asks)

    def sentence(self, lang: str) -> str:
        """ "promises a cure and asks you to act" / "声称能治病，并要求你采取行动"."""
        kinds = [*self.promises[:2], *self.asks[:1]]
        parts = [PHRASES[k].get(lang) or PHRASES[k]["en"] for k in kinds]
        if len(parts) <= 1:
            return "".join(parts)
        joiner = _AND.get(lang, _AND["en"])
        head = ", ".join(parts[:-1]) if lang != "zh" else "、".join(parts[:-1])
        return head + joiner + parts[-1]


def find_claims(text: str) -> Claims:
    found: dict[str, str] = {}
    # Read in Simplified characters (Taiwan's 帶你投資 is 带你投资), quoted as written: the
    # fold keeps every position.
    folded = fold_traditional(text)
    for kind, pattern in _COMPILED.items():
        match = pattern.search(folded)
        if match:
            found[kind] = text[match.start() : match.end()].strip()[:60]
    if len(found) < len(_COMPILED):
        squashed = _NOT_ALNUM.sub("", text.lower())
        for kind, phrases in _SQUASHED.items():
            if kind not in found:
                hit = next((p for p in phrases if p in squashed), None)
                if hit is not None:
                    found[kind] = hit
    return Claims(found)


def find_accounts(text: str, limit: int = 10) -> list[Account]:
    """Contact accounts written in a message: WeChat IDs and ``@handles``."""
    found: list[Account] = []
    for match in _WECHAT.finditer(text):
        found.append(Account("wechat", match.group(1).lower()))
    for match in _HANDLE.finditer(text):
        found.append(Account(None, match.group(1).lower()))
    unique = list(dict.fromkeys(found))
    return unique[:limit]
