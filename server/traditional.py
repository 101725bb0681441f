"""Simplified Chinese sentences in Traditional characters, for Taiwan and Hong Kong.

Every sentence the server writes is kept once, in Simplified Chinese, beside its English. A
reader in Taiwan or Hong Kong gets the same sentences converted by OpenCC's tables (shipped in
the ``opencc-python-reimplemented`` wheel, nothing is fetched): Taiwan's standard with its
words (软件 → 軟體, 信息 → 資訊) or Hong Kong's characters. The API converts verdicts in
``server/api/traditional.py``; the verdict page converts its own words.

Evidence is quoted as it was where changing its characters would misquote it: a verdict's
``details`` are never touched, and where a sentence quotes an address from the evidence (a
Chinese domain, a URL) that part of the sentence is left as it is.
"""

from __future__ import annotations

import functools
import re
from typing import Any

#: OpenCC configuration per region: Taiwan's standard with phrases, Hong Kong's characters.
CONFIGS = {"tw": "s2twp", "hk": "s2hk"}


#: Regions whose tables are in memory (the first use reads them: ~0.4 s).
LOADED: set[str] = set()


@functools.cache
def _converter(region: str) -> Any:
    from opencc import OpenCC  # loaded on first use: ~0.4 s to read its dictionaries

    converter = OpenCC(CONFIGS[region])
    LOADED.add(region)
    return converter


#: Words OpenCC's Taiwan phrase table gets wrong in our sentences, with the right Taiwan word:
#: 审核 is a moderator's review (審核), not an audit (稽核); 对象 is a target or a person
#: (對象), not a programming object (物件); 图像 is 影像, not the misprint 影象; an account,
#: its number, its bill and a transfer are 帳戶, 帳號, 帳單, 轉帳 in Taiwan (the table writes
#: 賬); a trusted channel is a 管道 (渠道 reads as a ditch or a sales channel).
#: Both regions: the mainland's 公安 (public security) is the police, 警方 (公安部 stays: the
#: ministry's name), quotation marks are corner brackets, 「」 and 『』 inside them, and a
#: reply is 回覆 (the tables write 回復, "recover", in some phrases: 不要回复 → 不要回復).
_BOTH_REGIONS = {
    "回复": "回覆",
    "公安部": "公安部",
    "公安机关": "警察機關",
    "公安局": "警察局",
    "公安": "警方",
    "“": "「",
    "”": "」",
    "‘": "『",
    "’": "』",
}
OVERRIDES: dict[str, dict[str, str]] = {
    "tw": {
        "审核": "審核",
        "对象": "對象",
        "图像": "影像",
        "账户": "帳戶",
        "账号": "帳號",
        "账单": "帳單",
        "转账": "轉帳",
        "渠道": "管道",
        **_BOTH_REGIONS,
    },
    # Hong Kong's table converts characters only: its words for a server and a video.
    "hk": {"服务器": "伺服器", "视频": "影片", **_BOTH_REGIONS},
}
_OVERRIDE_SPLIT = {  # longest first: 公安局 before 公安
    region: re.compile("(" + "|".join(map(re.escape, sorted(words, key=len, reverse=True))) + ")")
    for region, words in OVERRIDES.items()
    if words
}


@functools.lru_cache(maxsize=20_000)
def to_traditional(text: str, region: str) -> str:
    """``text`` in Traditional characters for ``region`` (``"tw"`` or ``"hk"``)."""
    if text.isascii():
        return text
    split = _OVERRIDE_SPLIT.get(region)
    if split is None or not split.search(text):
        return str(_converter(region).convert(text))
    # re.split with one group: the overridden words sit at the odd positions.
    parts = split.split(text)
    words = OVERRIDES[region]
    return "".join(
        words[p] if i % 2 else str(_converter(region).convert(p)) for i, p in enumerate(parts)
    )


@functools.cache
def _simplifier() -> Any:
    from opencc import OpenCC

    return OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional ``text`` in Simplified characters (a sentence written for a Taiwan or Hong
    Kong reader, passed on to one who reads Simplified)."""
    return text if text.isascii() else str(_simplifier().convert(text))


def convert_verdicts(value: Any, region: str) -> Any:
    """Convert, in place, the server's sentences in every verdict object inside ``value``."""
    if isinstance(value, dict):
        reasons = value.get("reasons")
        if isinstance(reasons, list):
            keep = _evidence(value)
            if isinstance(value.get("summary"), str):
                value["summary"] = _convert_keeping(value["summary"], region, keep)
            for reason in reasons:
                if isinstance(reason, dict) and isinstance(reason.get("message"), str):
                    reason["message"] = _convert_keeping(reason["message"], region, keep)
            error = value.get("error")  # why a link could not be read: a server sentence too
            if isinstance(error, dict) and isinstance(error.get("message"), str):
                error["message"] = to_traditional(error["message"], region)
        for child in value.values():
            if isinstance(child, dict | list):
                convert_verdicts(child, region)
    elif isinstance(value, list):
        for child in value:
            if isinstance(child, dict | list):
                convert_verdicts(child, region)
    return value


#: An address: one token with a dot, slash or at sign (a domain, a URL, an e-mail address).
_ADDRESS = re.compile(r"[./@]")
_SPACE = re.compile(r"\s")


def _evidence(verdict: dict[str, Any]) -> tuple[str, ...]:
    """The non-ASCII addresses in a verdict's evidence, longest first.

    Sentences quote them (``中国银行-网上银行.com 在黑名单…``); converted with the sentence, a
    domain would become another domain. Words are different: a matched phrase or a person's
    name reads right in the reader's script, so those are converted with their sentence.
    """
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, str):
            if not value.isascii() and not _SPACE.search(value) and _ADDRESS.search(value):
                found.add(value)
        elif isinstance(value, dict):
            for child in value.values():
                walk(child)
        elif isinstance(value, list):
            for child in value:
                walk(child)

    for key, child in verdict.items():
        if key == "summary":
            continue
        if key == "reasons" and isinstance(child, list):
            for reason in child:
                if isinstance(reason, dict):
                    walk({k: v for k, v in reason.items() if k != "message"})
        else:
            walk(child)
    return tuple(sorted(found, key=len, reverse=True))


def _convert_keeping(text: str, region: str, keep: tuple[str, ...]) -> str:
    """``text`` converted, except where it quotes one of ``keep`` verbatim."""
    quoted = [k for k in keep if k in text]
    if not quoted:
        return to_traditional(text, region)
    parts = re.split("(" + "|".join(map(re.escape, quoted)) + ")", text)
    # re.split with one group: the quotes sit at the odd positions.
    return "".join(p if i % 2 else to_traditional(p, region) for i, p in enumerate(parts))
