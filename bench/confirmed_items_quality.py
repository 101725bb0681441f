"""Confirmed message, phone and wallet cases against the shared text data: does any honest
message gain the new evidence, and what does the lookup cost per check?

    flock /work/bench.lock nice -n 5 .venv/bin/python bench/confirmed_items_quality.py \
        [--shared ../shared] [--splits train,val]

The bank is the worst case for false positives this data can build: every phone number and
wallet address the text extractor finds in the scam messages of the chosen splits, and every
one of those scam messages itself, each a confirmed case. Every ham (and spam) message of the
same splits is then checked by ``ConfirmedItemsDetector``; the table counts, per source and
label, the messages that gain ``confirmed_items.*`` evidence and by which code (``any``: a
code that can move a verdict, i.e. not the INFO ``official_links``). Scam messages are listed
too (they match themselves: a sanity check, not a recall figure); among them,
``official_links`` counts the confirmed scams that no longer match themselves because every
link in them goes to a known-legitimate site, and ``message_in_warning`` those that read as a
warning asking for nothing: what the two exceptions cost.

Framed: every banked scam message of at most 200 characters (its case holds its whole text,
so it is findable inside a longer one) checked again inside a 【反诈提醒】 warning that quotes
it and inside a forward with a line added; the codes each gets (in a warning, a quoted
script that asks for an action, a link, a phone, keeps its full strength).

Cost: ``score`` per message with the bank loaded and with nothing confirmed (the detector's
early return), median and 99th percentile, on the same messages; the extra text extraction the
phone and wallet lookups need is inside the first figure.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from models.scam_text import dataset as text_data  # noqa: E402
from server.community.confirmed import ConfirmedItems  # noqa: E402
from server.community.items import phone_key, text_key, wallet_key  # noqa: E402
from server.detectors.confirmed_items import ConfirmedItemsDetector  # noqa: E402
from server.errors import ValidationFailed  # noqa: E402
from server.scoring.resources import Resources  # noqa: E402
from server.settings import Settings  # noqa: E402
from server.text.extract import extract  # noqa: E402


def _bank(scams: list[str], is_tld: object) -> tuple[ConfirmedItems, Counter[str]]:
    rows: list[dict[str, object]] = []
    kinds: Counter[str] = Counter()
    seen: set[tuple[str, str]] = set()

    def add(kind: str, key: str, display: str, template: str = "") -> None:
        if (kind, key) in seen:
            return
        seen.add((kind, key))
        kinds[kind] += 1
        rows.append(
            {
                "id": len(rows) + 1,
                "kind": kind,
                "key": key,
                "display": display,
                "template": template or None,  # kept with every case since migration m012
                "category": "other",
                "decided_at": "2026-11-24T00:00:00Z",
            }
        )

    for text in scams:
        found = extract(text, is_tld)  # type: ignore[arg-type]
        for _, digits in found.phones:
            with contextlib.suppress(ValidationFailed):
                add("phone", phone_key(digits).key, digits)
        for wallet in found.wallets:
            add("wallet", wallet_key(wallet.address).key, wallet.address)
        try:
            key = text_key(text)
        except ValidationFailed:
            continue
        add("text", key.key, key.display, key.template)
    return ConfirmedItems(rows, version=1), kinds


def _timed(detector: ConfirmedItemsDetector, texts: list[str]) -> list[float]:
    times = []
    for text in texts:
        start = time.perf_counter()
        detector.score(text)
        times.append((time.perf_counter() - start) * 1e6)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=text_data.DEFAULT_SHARED)
    parser.add_argument("--splits", default="train,val", help="comma-separated: train,val,test")
    parser.add_argument("--show", type=int, default=5, help="print this many ham matches")
    parser.add_argument(
        "--bank-labels",
        default="scam",
        help="labels whose messages, phones and wallets are confirmed (scam,spam: a wider bank)",
    )
    args = parser.parse_args()
    splits = set(args.splits.split(","))
    messages = [m for m in text_data.load(args.shared) if m.split in splits]
    resources = Resources.load(Settings())
    is_tld = resources.parser.suffixes.is_suffix
    banked = set(args.bank_labels.split(","))
    scams = [m.text for m in messages if text_data.LABELS[m.label] in banked]
    bank, kinds = _bank(scams, is_tld)
    detector = ConfirmedItemsDetector(resources)

    empty_times = _timed(detector, [m.text for m in messages])
    resources.confirmed_items.swap(bank)
    cells: Counter[tuple[str, str, str]] = Counter()
    shown = 0
    for message in messages:
        label = text_data.LABELS[message.label]
        key = (message.source, label)
        evidence = detector.score(message.text)
        codes = {e.code for e in evidence}
        cells[(*key, "n")] += 1
        cells[(*key, "any")] += any(e.role.value != "info" for e in evidence)
        for code in codes:
            cells[(*key, code.split(".", 1)[1])] += 1
        if codes and label == "ham" and shown < args.show:
            shown += 1
            print(f"[{message.source}/ham] {sorted(codes)}: {message.text[:160]!r}")
    frames = {
        "quoted in a warning": "【反诈提醒】近期有市民收到这样的消息：“{}”这是诈骗，请勿相信。",
        "forwarded with a line": "Got this today, look: {}",
    }
    short = [text for text in scams if len(text) <= 200]
    for frame, form in frames.items():
        framed: Counter[str] = Counter()
        for text in short:
            evidence = detector.score(form.format(text))
            framed.update({e.code.split(".", 1)[1] for e in evidence} or {"nothing"})
        print(f"{frame}: {len(short)} scam messages of at most 200 characters: {dict(framed)}")
    bank_times = _timed(detector, [m.text for m in messages])
    extract_times = []
    for message in messages:
        start = time.perf_counter()
        found = extract(message.text, is_tld)
        extract_times.append((time.perf_counter() - start) * 1e6)
        label = text_data.LABELS[message.label]
        cells[(message.source, label, "exposed")] += bool(found.phones or found.wallets)

    print(
        f"\nsplits {sorted(splits)}, bank from {sorted(banked)}: {dict(kinds)} confirmed cases, "
        f"load {os.getloadavg()[0]:.2f}\n"
    )
    print(f"messages findable inside a longer one: {bank.inside_size}\n")
    columns = (
        "n",
        "exposed",
        "any",
        "message",
        "message_inside",
        "message_in_warning",
        "official_links",
        "phone",
        "wallet",
    )
    print("| source | label | " + " | ".join(columns).replace("exposed", "phone/wallet") + " |")
    print("|---" * (len(columns) + 2) + "|")
    for source, label in sorted({(s, lab) for s, lab, _ in cells}):
        c = [cells[(source, label, k)] for k in columns]
        print(f"| {source} | {label} | " + " | ".join(str(v) for v in c) + " |")
    for name, times in (
        ("nothing confirmed", empty_times),
        ("with the bank", bank_times),
        ("(for scale) extract() alone, as /v1/check/text runs it once already", extract_times),
    ):
        times.sort()
        p99 = times[int(len(times) * 0.99)]
        print(
            f"\n{name}: median {statistics.median(times):.1f} µs, p99 {p99:.1f} µs,"
            f" max {times[-1]:.0f} µs over {len(times)} messages"
        )


if __name__ == "__main__":
    main()
