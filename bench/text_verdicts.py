"""What the text check decides, per source and label of the text data set, and on hand-written
family / friend money chats (``tests/fixtures/text/money_chats.txt``, all ham).

    flock /work/bench.lock .venv/bin/python bench/text_verdicts.py [--shared ../shared]
        [--splits val] [--text-only] [--hostile]

Each message goes through what ``POST /v1/check/text`` runs: the TEXT detectors, the LINK
detectors over the links extracted from it, one combine (``--text-only`` leaves the links out,
as ``bench/models.py``'s "text detectors together" table and the model card do). Rows: share
``suspicious`` or worse and share ``likely_scam``. Choose rules on ``train,val`` (the classifier
trained on ``train``, so ``val`` is the honest one for its scores); read ``test`` once, for the
report. The split is ``models/scam_text/dataset.py``'s. ``--hostile`` times the two text
detectors on 10,000-character inputs built to make regexes backtrack (the patterns read the
whole message since review 34 #5).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from models.scam_text import dataset as text_data  # noqa: E402
from server.engine import Engine  # noqa: E402
from server.links.url import InvalidUrl  # noqa: E402
from server.scoring.detector import ContentKind  # noqa: E402
from server.settings import Settings  # noqa: E402
from server.text.extract import extract  # noqa: E402

CHATS = REPO / "tests" / "fixtures" / "text" / "money_chats.txt"
FLAGGED = {"suspicious", "likely_scam"}


def chats(path: Path = CHATS) -> list[str]:
    """The hand-written money chats: one a line, ``#`` lines are comments."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


def verdicts(engine: Engine, texts: Iterable[str], links: bool = True) -> list[str]:
    out = []
    parser = engine.resources.parser
    for text in texts:
        [scored] = engine.pipeline.score_sync(ContentKind.TEXT, [text])
        if links:
            parsed = []
            for raw in extract(text, parser.suffixes.is_suffix).links:
                try:
                    parsed.append(parser.parse(raw))
                except InvalidUrl:
                    continue
            if parsed:
                scored = scored.merge(*engine.pipeline.score_sync(ContentKind.LINK, parsed))
        out.append(str(scored.outcome().verdict))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=text_data.DEFAULT_SHARED)
    parser.add_argument("--splits", default="val", help="comma-separated: train,val,test")
    parser.add_argument("--text-only", action="store_true", help="leave extracted links out")
    parser.add_argument(
        "--hostile", action="store_true", help="only time both text detectors on hostile inputs"
    )
    args = parser.parse_args()
    if args.hostile:
        hostile(Engine.build(Settings()))
        return
    splits = set(args.splits.split(","))
    engine = Engine.build(Settings())
    messages = [m for m in text_data.load(args.shared) if m.split in splits]
    started = time.perf_counter()
    found = verdicts(engine, (m.text for m in messages), links=not args.text_only)
    elapsed = time.perf_counter() - started
    cells: Counter[tuple[str, str, str]] = Counter()
    for message, verdict in zip(messages, found, strict=True):
        key = (message.source, text_data.LABELS[message.label])
        cells[(*key, "n")] += 1
        cells[(*key, "flagged")] += verdict in FLAGGED
        cells[(*key, "likely")] += verdict == "likely_scam"
    chat_texts = chats()
    chat_verdicts = verdicts(engine, chat_texts, links=not args.text_only)
    print(
        f"splits {sorted(splits)}, links {'off' if args.text_only else 'scored'}, "
        f"{elapsed * 1000 / max(len(messages), 1):.2f} ms/message, "
        f"load {os.getloadavg()[0]:.2f}\n"
    )
    print("| source | label | n | suspicious or worse | likely_scam |")
    print("|---|---|---:|---:|---:|")
    for source in text_data.SOURCES:
        for label in text_data.LABELS:
            n = cells[(source, label, "n")]
            if n:
                print(
                    f"| {source} | {label} | {n} | {cells[(source, label, 'flagged')] / n:.1%} "
                    f"| {cells[(source, label, 'likely')] / n:.1%} |"
                )
    for lang, pick in (("zh", _is_chinese), ("en", lambda t: not _is_chinese(t))):
        rows = [v for t, v in zip(chat_texts, chat_verdicts, strict=True) if pick(t)]
        flagged = sum(v in FLAGGED for v in rows)
        likely = sum(v == "likely_scam" for v in rows)
        print(
            f"| money chats (hand-written, {lang}) | ham | {len(rows)} | "
            f"{flagged} ({flagged / len(rows):.1%}) | {likely} ({likely / len(rows):.1%}) |"
        )


#: Inputs as long as the API accepts, built to make regexes backtrack: repeated openers of the
#: patterns' groups, warnings and asks, with nothing that completes them.
HOSTILE = {
    "send ": "send ",
    "send 1.": "send 1.",
    "transfer money ": "transfer money ",
    "转": "转",
    "安全": "安全",
    "，转入1": "，转入1",
    "vx:": "vx:",
    "tg:abcd ": "tg:abcd ",
    "请": "请",
    "谨防": "谨防",
    "not scammers ": "not scammers ",
    "支付宝": "支付宝",
    "a.": "a.",
    "hello world ": "hello world ",
}


def hostile(engine: Engine, length: int = 10_000) -> None:
    """Milliseconds per text detector on ``length``-character hostile inputs (best of 3)."""
    detectors = [d for d in engine.detectors if d.name in ("text_patterns", "scam_text")]
    print(f"| input ({length} chars) | " + " | ".join(f"{d.name} ms" for d in detectors) + " |")
    print("|---|" + "---:|" * len(detectors))
    for name, unit in HOSTILE.items():
        text = (unit * (length // len(unit) + 1))[:length]
        cells = []
        for detector in detectors:
            best = float("inf")
            for _ in range(3):
                started = time.perf_counter()
                detector.score(text)
                best = min(best, time.perf_counter() - started)
            cells.append(f"{best * 1000:.1f}")
        print(f"| `{name}` | " + " | ".join(cells) + " |")
    print(f"\nload {os.getloadavg()[0]:.2f}")


def _is_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


if __name__ == "__main__":
    main()
