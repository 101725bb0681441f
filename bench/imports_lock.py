"""How long `feeds import` and `known-fakes import` hold SQLite's write lock, before and after.

While an import holds the write lock every other writer waits (the server's give up after the
busy timeout and answer 503 busy), so the figure that matters is the longest stretch a second
connection could not take the lock, beside the import's total time.

Each case runs the real CLI (`python -m server feeds import ...`) in a subprocess on a fresh
SQLite file, once with the code of ``--before`` (a git revision, extracted with `git archive`
into a scratch folder, the working tree untouched) and once with the working tree. A probe
process beside it tries ``BEGIN IMMEDIATE`` with a zero busy timeout every millisecond and
records the longest run of refusals (resolution ~1-2 ms): the lock hold as another writer sees it.
Each feed is then imported a second time into the same file (the idempotent re-import:
every entry's ``seen_at`` moves) and measured again.

Inputs: polkadot-js `all.json` built from ``polkadot_deny_before_2025-07-01.txt`` (46,834 deny
hosts), the scamsniffer list as a plain one-domain-per-line file (324,223 lines), a synthetic
plain list (``--synthetic`` lines, random names), and a ThreatExchange-style CSV of random PDQ
hashes (``--hash-rows`` rows, one known fake each) for `known-fakes import`.

Figures are printed, never asserted. Run it under the shared lock:

    flock /work/bench.lock .venv/bin/python bench/imports_lock.py
"""

from __future__ import annotations

import argparse
import json
import os
import random
import string
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The last commit before imports took the write lock only for their final apply step.
BEFORE = "3b8d8ba"

PROBE = r"""
import os, sqlite3, sys, time
db, stop = sys.argv[1], sys.argv[2]
conn = sqlite3.connect(db, isolation_level=None, timeout=0)
conn.execute("PRAGMA busy_timeout = 0")
longest = blocked_total = 0.0
blocked_since = None
probes = refused = 0
while not os.path.exists(stop):
    t = time.perf_counter()
    probes += 1
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
    except sqlite3.OperationalError:
        refused += 1
        if blocked_since is None:
            blocked_since = t
    else:
        if blocked_since is not None:
            longest = max(longest, t - blocked_since)
            blocked_total += t - blocked_since
            blocked_since = None
    time.sleep(0.001)
if blocked_since is not None:
    longest = max(longest, time.perf_counter() - blocked_since)
print(f"{longest} {blocked_total} {probes} {refused}")
"""


@dataclass(frozen=True)
class Case:
    name: str
    command: list[str]
    #: Import a second time into the same database and measure that too (idempotent path).
    reimport: bool


@dataclass(frozen=True)
class Measured:
    total_s: float
    hold_s: float
    ok: bool


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", default=BEFORE, help="git revision measured as 'before'")
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--synthetic", type=int, default=500_000, help="lines of the plain list")
    parser.add_argument("--hash-rows", type=int, default=100_000, help="rows of the hash CSV")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--only", help="run the cases whose name contains one of these texts (comma-separated)"
    )
    parser.add_argument(
        "--trees",
        default="before,after",
        help="which code to run: before, after or both (comma-separated)",
    )
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()}")
    with tempfile.TemporaryDirectory(prefix="fw-imports-") as scratch:
        work = Path(scratch)
        cases = _cases(work, args)
        if args.only:
            cases = [c for c in cases if any(t in c.name for t in args.only.split(","))]
        wanted = args.trees.split(",")
        trees = {
            label: _extract(args.before, work / "before") if label == "before" else ROOT
            for label in ("before", "after")
            if label in wanted
        }
        results: dict[tuple[str, str], Measured] = {}
        rows: list[str] = []
        for case in cases:
            for label, tree in trees.items():
                for name, shown in zip(_names(case), _run(case, tree, work), strict=False):
                    results[(name, label)] = shown
                    print(
                        f"  {name:<34} {label:<6} total {shown.total_s:6.2f} s  lock held"
                        f" {shown.hold_s * 1000:8.1f} ms{'' if shown.ok else '  FAILED'}",
                        flush=True,
                    )
            rows += _names(case)
        _table(rows, list(trees), results)
    print(f"load average at end: {os.getloadavg()}")
    return 0


def _cases(work: Path, args: argparse.Namespace) -> list[Case]:
    domains = args.shared / "data" / "domains"
    rng = random.Random(args.seed)
    polkadot = work / "all.json"
    deny = (domains / "polkadot_deny_before_2025-07-01.txt").read_text().split()
    polkadot.write_text(json.dumps({"allow": [], "deny": deny}))
    scamsniffer = domains / "scamsniffer_before_2025-07-01.txt"
    synthetic = work / "synthetic.txt"
    tlds = ("com", "net", "xyz", "top", "io", "app", "site", "online", "shop", "info")
    with synthetic.open("w") as out:
        for n in range(args.synthetic):
            label = "".join(rng.choices(string.ascii_lowercase, k=rng.randint(6, 14)))
            out.write(f"{label}-{n}.{rng.choice(tlds)}\n")
    hashes = work / "hashes.csv"
    with hashes.open("w") as out:
        out.write(
            "signal_type,signal,known_fake_id,label,person,campaign,source,status,region,frame\n"
        )
        for n in range(args.hash_rows):
            pdq = rng.getrandbits(256).to_bytes(32, "big").hex()
            out.write(f"pdq,{pdq},{n},bench fake {n},,bench,bench,confirmed,full,0\n")

    def feed(path: Path, fmt: str) -> list[str]:
        return ["feeds", "import", str(path), "--format", fmt]

    plain = f"plain {args.synthetic // 1000}k synthetic"
    hash_rows = f"known-fakes CSV {args.hash_rows // 1000}k rows"
    return [
        Case("polkadot all.json 47k", feed(polkadot, "polkadot"), True),
        Case("plain scamsniffer 324k", feed(scamsniffer, "plain"), True),
        Case(plain, feed(synthetic, "plain"), True),
        Case(hash_rows, ["known-fakes", "import", str(hashes)], False),
    ]


def _names(case: Case) -> list[str]:
    return [case.name, f"{case.name} re-import"] if case.reimport else [case.name]


def _extract(revision: str, into: Path) -> Path:
    """The ``server`` package as it was at ``revision`` (git archive: the tree is untouched)."""
    into.mkdir(parents=True)
    archive = into / "server.tar"
    with archive.open("wb") as out:
        subprocess.run(
            ["git", "-C", str(ROOT), "archive", revision, "server"], stdout=out, check=True
        )
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    return into


def _cli(tree: Path, command: list[str], db: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(tree), "FAKEWATCH_DATA_DIR": str(db.parent)}
    return subprocess.Popen(
        [sys.executable, "-m", "server", *command, "--db", str(db)],
        env=env,
        cwd=db.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _run(case: Case, tree: Path, work: Path) -> list[Measured]:
    folder = Path(tempfile.mkdtemp(dir=work))
    db = folder / "fakewatch.db"
    # The schema exists before the probe opens the file (a list that changes nothing).
    _cli(tree, ["feeds", "list"], db).wait()
    measured = [_measure(case, tree, db)]
    if case.reimport and measured[0].ok:
        measured.append(_measure(case, tree, db))
    return measured


def _measure(case: Case, tree: Path, db: Path) -> Measured:
    stop = db.parent / "stop"
    stop.unlink(missing_ok=True)
    probe = subprocess.Popen(
        [sys.executable, "-c", PROBE, str(db), str(stop)], stdout=subprocess.PIPE, text=True
    )
    time.sleep(0.3)
    started = time.perf_counter()
    importer = _cli(tree, case.command, db)
    _, err = importer.communicate()
    total = time.perf_counter() - started
    stop.touch()
    out, _ = probe.communicate()
    if importer.returncode != 0:
        sys.stderr.write(err.decode(errors="replace")[-2000:])
    hold = float(out.split()[0])
    return Measured(total, hold, ok=importer.returncode == 0)


def _table(names: list[str], labels: list[str], results: dict[tuple[str, str], Measured]) -> None:
    print()
    head = f"| {'import':<34} |"
    for label in labels:
        head += f" {label} total s | {label} lock held ms |"
    if len(labels) == 2:
        head += " lock held before/after |"
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    missing = Measured(0.0, 0.0, ok=False)
    for name in names:
        row = f"| {name:<34} |"
        for label in labels:
            m = results.get((name, label), missing)
            row += f" {m.total_s:.2f} | {m.hold_s * 1000:.0f} |"
        if len(labels) == 2:
            before, after = (results.get((name, label), missing).hold_s for label in labels)
            row += f" {before / after:.0f}x |" if after > 0 else " - |"
        print(row)
    print(
        "\nlock held = the longest stretch a probe connection's BEGIN IMMEDIATE was refused"
        " (busy timeout 0, one try per ms); total = the CLI process, start to exit."
    )


if __name__ == "__main__":
    sys.exit(main())
