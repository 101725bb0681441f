"""CPU per text check, end to end, on hostile 10,000-character messages (review 35 #10), beside
peers (other checkouts: the base commit, the tree before a change) measured in the same run.

    git worktree add /tmp/fw-e8e3c04 e8e3c04   # or: git archive e8e3c04 | tar -x -C DIR
    flock /work/bench.lock .venv/bin/python bench/text_check_cpu.py [--peer DIR ...]
        [--runs 7] [--rounds 3] [--check-same]

One text check is what ``POST /v1/check/text`` runs, in process: extraction and URL parsing,
the TEXT detectors, the LINK detectors over the links found, one merge and one render. Each
checkout runs in its own process (``--worker``); rounds alternate between them so a change
of load hits all alike. Figures are CPU time (``time.process_time``: all of the process's
threads), which a busy machine inflates far less than wall time. A cell is the median of ``runs`` checks of one input (after one
warm-up; each run's message differs in its first and last characters, so nothing kept per
message is reused), and the figure printed is the median over rounds. ``--check-same`` also says
whether each peer's verdicts (JSON, ``verdict_url`` aside) equal this checkout's.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
LENGTH = 10_000


def inputs(length: int = LENGTH, seed: int = 35) -> dict[str, str]:
    """Hostile messages: review 35 #10's shapes and a few more (emoji, full-width forms, IDN
    hosts, defanged and chained links)."""
    rng = random.Random(seed)

    def mix(alphabet: str, share: float = 1.0, other: str = "") -> str:
        return "".join(
            rng.choice(alphabet) if rng.random() < share else rng.choice(other)
            for _ in range(length)
        )

    words = re.findall(
        r"\w+",
        "the your account has been verify claim reward bitcoin send double police warrant "
        "click link now urgent bank transfer",
    )
    prose: list[str] = []
    while sum(map(len, prose)) < length:
        prose.append(rng.choice(words) + rng.choice([" ", " ", ". ", ", "]))
    return {
        "mix (review 35)": mix("刷单返利转账.。 ,*~-_/\\:[]()0123456789abcxyz@"),
        "zh + fillers": mix(
            "您好我是公安局民警账户涉嫌洗钱请配合调查并保密刷单返利日结佣金转账安全",
            0.7,
            "\u3164\u200b .\u00ad",
        ),
        "Traditional": mix(
            "您好我是公安局民警帳戶涉嫌洗錢請配合調查並保密刷單返利日結傭金轉賬安全點擊鏈接領取獎勵",
            0.9,
            "，。 1",
        ),
        "English prose": "".join(prose)[:length],
        "dots, digits, emoji, full-width": mix(
            "abc.xyz0123456789 ．，。🔗😀🎁ＡＢＣｈｔｔｐｓ：／／刷单.com-_@支付宝аре"
        ),
        "IDN hosts": " ".join(
            f"支付宝-{i}.com аpple{i}.com https://登录{i}.top/x" for i in range(2000)
        )[:length],
        "links flush against Chinese": ("https://a.cn领www.a.cn领" * 1000)[:length],
        "defanged x[.]io": ("x[.]io\n" * 1500)[:length],
    }


def worker(runs: int) -> None:
    """Time every input in this checkout (the current directory); print JSON."""
    sys.path.insert(0, os.getcwd())
    from server.api.text import _extract_links
    from server.engine import Engine
    from server.scoring.detector import ContentKind
    from server.settings import Settings

    engine = Engine.build(Settings())

    def check(text: str) -> dict[str, Any]:
        extracted, links = _extract_links(engine, text)
        [text_part] = engine.pipeline.score_sync(ContentKind.TEXT, [text])
        parsed = [link for _, link in links]
        link_parts = engine.pipeline.score_sync(ContentKind.LINK, parsed) if parsed else []
        kinds = (ContentKind.TEXT, ContentKind.LINK) if parsed else (ContentKind.TEXT,)
        verdict: dict[str, Any] = engine.render(
            text_part.merge(*link_parts), "en", kinds, {"extracted": extracted.as_details()}
        )
        return verdict

    check("warm up: 请登录 https://example.com 领取")
    out: dict[str, Any] = {}
    for name, text in inputs().items():
        verdict = check(text)
        times = []
        for run in range(runs):
            # A new message each time (its first and last characters numbered, so the
            # classifier's head and tail windows are new too), as requests are: what a
            # checkout keeps per message must not make a repeat look cheap.
            mark = f"{run}:"
            variant = mark + text[len(mark) : -len(mark)] + mark
            started = time.process_time()
            check(variant)
            times.append((time.process_time() - started) * 1000)
        out[name] = {
            "ms": statistics.median(times),
            "verdict": json.dumps(verdict, sort_keys=True, ensure_ascii=False, default=str),
        }
    print(json.dumps(out))


def _measure(checkout: Path, runs: int) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--worker", "--runs", str(runs)],
        cwd=checkout,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peer", action="append", type=Path, default=[])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--check-same", action="store_true")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.runs)
        return
    checkouts = [REPO, *args.peer]
    rounds: list[list[dict[str, Any]]] = [[] for _ in checkouts]
    loads = []
    for _ in range(args.rounds):
        for i, checkout in enumerate(checkouts):
            rounds[i].append(_measure(checkout, args.runs))
            loads.append(os.getloadavg()[0])
    names = list(inputs())
    labels = ["this checkout", *(str(p) for p in args.peer)]
    print("| input (10,000 chars) | " + " | ".join(f"{label} CPU ms" for label in labels) + " |")
    print("|---|" + "---:|" * len(labels))
    for name in names:
        cells = [statistics.median(r[name]["ms"] for r in rs) for rs in rounds]
        # In a peer's cell: this checkout's time ÷ the peer's.
        ratios = [f" ({cells[0] / c:.2f}x)" if j and c else "" for j, c in enumerate(cells)]
        row = " | ".join(f"{c:.1f}{r}" for c, r in zip(cells, ratios, strict=True))
        print(f"| {name} | {row} |")
    if args.check_same:
        for label, rs in zip(labels[1:], rounds[1:], strict=True):
            same = [n for n in names if rs[0][n]["verdict"] == rounds[0][0][n]["verdict"]]
            print(f"\nsame verdict JSON as this checkout ({label}): {len(same)} of {len(names)}")
    print(f"\nload {min(loads):.2f}-{max(loads):.2f} (1-min average, sampled after each checkout)")


if __name__ == "__main__":
    main()
