"""What the pattern reader's folds cost (review 34 #3, #4, #10, #12): ``prepare`` and
``extract`` per message, beside the reader they replaced measured in the same run, on ordinary
messages and on hostile 10,000-character ones.

    .venv/bin/python bench/text_folds.py [--repeat 7]

The peer ("before") is the previous ``prepare``: cleaning, lower case, the 33-letter look-alike
table and single gaps between CJK characters closed; nothing else. Each figure is the best of
``--repeat`` runs (the machine is shared), in microseconds per message.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from server.links.domains import SuffixList  # noqa: E402
from server.text.extract import extract  # noqa: E402
from server.text.normalise import clean, warm  # noqa: E402
from server.text.patterns import MAX_SEARCH_CHARS, prepare  # noqa: E402

_OLD_TABLE = str.maketrans("аеорсухіјѕԁԛԝһɡαοινгԍҽօսոհցզɑɩρυκ", "aeopcyxijsdqwhgaoivrgeounhgqaipuk")
_OLD_WORD = re.compile(r"[^\W\d_]+")
_OLD_LATIN = re.compile(r"[a-z]")
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_OLD_GAP = re.compile(f"(?<=[{_CJK}])(?:[^\\S\\n\\r]|[.·・_*\\-])(?=[{_CJK}])")


def _old_word(match: re.Match[str]) -> str:
    word = match.group(0)
    if word.isascii() or _OLD_LATIN.search(word) is None:
        return word
    return word.translate(_OLD_TABLE)


def old_prepare(text: str) -> str:
    cleaned = clean(text, MAX_SEARCH_CHARS).lower()
    if not cleaned.isascii():
        cleaned = _OLD_WORD.sub(_old_word, cleaned)
    return _OLD_GAP.sub("", cleaned)


ORDINARY = [
    "您好，您的快递已到达小区驿站，请凭取件码 8-2-4417 领取。如有疑问请联系客服 95338。",
    "妈，你微信转我的钱收到了，谢谢妈，周末回家吃饭",
    "您好，這裡是警察局，請立即將資金轉入安全帳戶配合調查，不得告訴他人",
    "Hi mum, this is my new number. Can you send me the money for the rent by Friday?",
    "Your Chase account ending 4417: a payment of $42.10 to NETFLIX.COM was approved.",
    "Polkadot airdrop is live! Connect at https://polkadot-dot.info/claim today",
    "【反诈提醒】刷单返利都是诈骗！公安机关不会要求您转账到安全账户。",
    "请 立 即 将 资 金 转 入 安 全 账 户 配 合 调 查",
    "您的ETC已失效，请立即登录 etc-gov-cn。top/verify 办理",
]
HOSTILE = {
    "dotted letters": "a." * 5000,
    "mixed fillers": "a.b," * 2500,
    "emoji between Han": "安🔥" * 5000,
    "spelled words": "t o  " * 2000,
    "spaced Han": "安 全 账 户 " * 1000,
    "defanged dots": "x[.]" * 2500,
    "Chinese prose": ("您好，您的快递已到达小区驿站，请凭取件码领取。" * 500)[:10_000],
    "Traditional prose": ("您好，您的快遞已到達小區驛站，請憑取件碼領取。" * 500)[:10_000],
    "English prose": ("Hi mum, this is my new number, send the rent by Friday. " * 200)[:10_000],
}


def best_us(fn: Callable[[str], object], texts: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        for text in texts:
            fn(text)
        times.append(time.perf_counter() - started)
    return min(times) * 1e6 / len(texts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    warm()
    suffixes = SuffixList()
    prepare("warm-up 安全帳戶 ѕαfε")
    print(f"load average {os.getloadavg()[0]:.2f}, best of {args.repeat}\n")
    print("| messages | prepare before µs | prepare now µs | ratio | extract µs |")
    print("|---|---:|---:|---:|---:|")
    rows = {"ordinary (9, 30-90 chars)": ORDINARY} | {
        f"hostile: {k} ({len(v)} chars)": [v] for k, v in HOSTILE.items()
    }
    for name, texts in rows.items():
        before = best_us(old_prepare, texts, args.repeat)
        now = best_us(prepare, texts, args.repeat)
        extracting = best_us(lambda t: extract(t, suffixes.is_suffix), texts, args.repeat)
        print(f"| {name} | {before:.0f} | {now:.0f} | {now / before:.2f}x | {extracting:.0f} |")


if __name__ == "__main__":
    main()
