"""How often each named scam pattern fires, per source, label and split of the text data set.

    .venv/bin/python bench/text_patterns_quality.py [--shared ../shared] [--splits train,val]
        [--patterns server/data/text_patterns.yaml] [--compare other_patterns.yaml]

For every source and label: messages with at least one pattern hit, with a full-strength
PRIMARY hit, with a hit demoted to a cue by a warning phrase (no action asked), and per
pattern. ``--compare`` loads a second patterns file (for example the previous version,
``git show HEAD~1:server/data/text_patterns.yaml > /tmp/old.yaml``) and counts messages that
gain or lose a hit. Choose words on ``train,val``; read ``test`` once, for the report (the
split is ``models/scam_text/dataset.py``'s).

The data set holds almost no anti-fraud warnings, so the warning rule's effect on warnings is
measured by the hand-written texts in ``tests/test_text_warnings.py``; here it shows what the
rule costs on real scams (hits lost) and on ham.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from models.scam_text import dataset as text_data  # noqa: E402
from server.scoring.evidence import Role  # noqa: E402
from server.scoring.resources import bundled_data_dir  # noqa: E402
from server.text.patterns import PatternSet  # noqa: E402


def _hits(patterns: PatternSet, text: str) -> tuple[set[str], bool, bool]:
    search = patterns.read(text)
    ids = {m.pattern.id for m in search.found + search.demoted}
    return ids, any(m.pattern.role is Role.PRIMARY for m in search.found), bool(search.demoted)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=text_data.DEFAULT_SHARED)
    parser.add_argument("--splits", default="train,val", help="comma-separated: train,val,test")
    parser.add_argument("--patterns", type=Path, default=bundled_data_dir() / "text_patterns.yaml")
    parser.add_argument("--compare", type=Path, help="a second patterns file to diff against")
    parser.add_argument("--show", type=int, default=0, help="print this many changed messages")
    args = parser.parse_args()
    splits = set(args.splits.split(","))
    patterns = PatternSet.load(args.patterns)
    other = PatternSet.load(args.compare) if args.compare else None
    messages = [m for m in text_data.load(args.shared) if m.split in splits]
    cells: Counter[tuple[str, str, str]] = Counter()
    per_pattern: Counter[tuple[str, str, str]] = Counter()
    shown = 0
    for message in messages:
        key = (message.source, text_data.LABELS[message.label])
        ids, primary, demoted = _hits(patterns, message.text)
        cells[(*key, "n")] += 1
        cells[(*key, "any")] += bool(ids)
        cells[(*key, "primary")] += primary
        cells[(*key, "demoted")] += demoted
        for pid in ids:
            per_pattern[(*key, pid)] += 1
        if other is not None:
            old_ids, _, _ = _hits(other, message.text)
            lost, gained = old_ids - ids, ids - old_ids
            cells[(*key, "lost")] += bool(lost)
            cells[(*key, "gained")] += bool(gained)
            cells[(*key, "flag_before")] += bool(old_ids)
            if (lost or gained) and shown < args.show:
                shown += 1
                print(
                    f"[{key[0]}/{key[1]}] -{sorted(lost)} +{sorted(gained)}: {message.text[:160]!r}"
                )
    print(f"\nsplits {sorted(splits)}, patterns {args.patterns}, load {os.getloadavg()[0]:.2f}\n")
    head = "| source | label | n | any hit | primary hit | demoted by a warning |"
    if other is not None:
        head += " any hit before | lost a hit | gained a hit |"
    print(head)
    print("|---|---|---:|---:|---:|---:|" + ("---:|---:|---:|" if other is not None else ""))
    for source in text_data.SOURCES:
        for label in text_data.LABELS:
            n = cells[(source, label, "n")]
            if not n:
                continue
            row = f"| {source} | {label} | {n} | {cells[(source, label, 'any')]} "
            row += f"| {cells[(source, label, 'primary')]} | {cells[(source, label, 'demoted')]} |"
            if other is not None:
                row += f" {cells[(source, label, 'flag_before')]} "
                row += f"| {cells[(source, label, 'lost')]} | {cells[(source, label, 'gained')]} |"
            print(row)
    print("\nPer pattern (messages hit):")
    for (source, label, pid), count in sorted(per_pattern.items()):
        print(f"  {source:24} {label:5} {pid:28} {count}")


if __name__ == "__main__":
    main()
