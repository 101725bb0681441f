"""``fakewatch check --from FILE``: a list of links judged on several cores, without a server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support.server import cli_env


def fakewatch(
    *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=cli_env(env),
        timeout=180,
    )


def tsv(stdout: str) -> list[list[str]]:
    return [line.split("\t") for line in stdout.splitlines()]


def test_two_workers_answer_every_link_in_input_order_as_the_single_check_does(
    tmp_path: Path,
) -> None:
    # 2,600 links: three chunks of 1,000 spread over two worker processes.
    links = [f"https://shop-{i}.example/item" for i in range(2600)]
    links[7] = "https://polkadot-dot.info/claim"
    links[1500] = "https://paypal-secure-login.com/"
    links[2599] = "https://xn--pypal-4ve.com/login"
    listing = tmp_path / "links.txt"
    listing.write_text(
        "# links from the family group, 2026-11-20\n\n" + "\n".join(links) + "\n",
        encoding="utf-8",
    )
    result = fakewatch(
        "check", "--from", str(listing), "--jobs", "2", "--db", str(tmp_path / "x.db")
    )
    assert result.returncode == 0, result.stderr
    rows = tsv(result.stdout)
    assert [row[2] for row in rows] == links  # the comment and the blank line are skipped
    assert all(len(row) == 4 for row in rows)
    single = fakewatch("check", "--json", *[links[i] for i in (0, 7, 1500, 2599)])
    for i, expected in zip((0, 7, 1500, 2599), json.loads(single.stdout)["results"], strict=True):
        verdict, score, _, reason = rows[i]
        assert verdict == expected["verdict"]
        assert float(score) == round(expected["score"], 2)
        assert reason == (expected["reasons"][0]["message"] if expected["reasons"] else "")
    assert rows[7][0] == "likely_scam" and "polkadot" in rows[7][3]
    assert rows[1500][0] == "suspicious" and "paypal.com" in rows[1500][3]
    assert "checked 2600 links" in result.stderr and "2 processes" in result.stderr
    assert not (tmp_path / "x.db").exists(), "a check must not create a database"


def test_json_lines_are_the_apis_verdict_objects_in_the_language_asked(tmp_path: Path) -> None:
    result = fakewatch(
        "check",
        "--from",
        "-",
        "--json",
        "--lang",
        "zh-TW",
        "--jobs",
        "2",
        stdin="https://polkadot-dot.info/\nnot a link at all\nhttps://example.com/\n",
    )
    assert result.returncode == 0, result.stderr
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["url"] for o in objects] == [
        "https://polkadot-dot.info/",
        "not a link at all",
        "https://example.com/",
    ]
    assert [o["verdict"] for o in objects] == ["likely_scam", "unknown", "no_known_signals"]
    assert "黑名單" in objects[0]["reasons"][0]["message"]  # Traditional, as over HTTP
    assert objects[1]["error"]["code"] == "invalid_host"


def test_the_workers_read_the_operators_lists_from_the_database(tmp_path: Path) -> None:
    db = str(tmp_path / "fw.db")
    added = fakewatch("lists", "block", "claim-gift.top", "--note", "reported twice", "--db", db)
    assert added.returncode == 0, added.stderr
    listing = tmp_path / "links.txt"
    listing.write_text("https://a.claim-gift.top/x\nhttps://example.org/\n" * 600)
    result = fakewatch("check", "--from", str(listing), "--jobs", "2", "--db", db)
    assert result.returncode == 0, result.stderr
    verdicts = [row[0] for row in tsv(result.stdout)]
    assert verdicts == ["likely_scam", "no_known_signals"] * 600


def test_an_overlong_line_is_judged_too_long_without_being_held(tmp_path: Path) -> None:
    listing = tmp_path / "links.txt"
    listing.write_bytes(
        b"https://polkadot-dot.info/\nhttps://x.example/" + b"a" * 5_000_000 + b"\n\xff\xfe\n"
    )
    result = fakewatch("check", "--from", str(listing), "--jobs", "1")
    assert result.returncode == 0, result.stderr
    rows = tsv(result.stdout)
    assert [row[0] for row in rows] == ["likely_scam", "unknown", "unknown"]
    assert "too long" in rows[1][3]
    assert len(result.stdout) < 20_000  # the line was cut as it was read, not echoed whole


def test_mistakes_are_said_plainly(tmp_path: Path) -> None:
    missing = fakewatch("check", "--from", str(tmp_path / "nope.txt"))
    assert missing.returncode == 1 and "cannot read" in missing.stderr
    both = fakewatch("check", "https://example.com", "--from", "-", stdin="")
    assert both.returncode == 1 and "not both" in both.stderr
    nothing = fakewatch("check")
    assert nothing.returncode == 1 and "--from FILE" in nothing.stderr
    negative = fakewatch("check", "--from", "-", "--jobs", "-1", stdin="")
    assert negative.returncode == 1 and "--jobs" in negative.stderr
    for result in (missing, both, nothing, negative):
        assert "Traceback" not in result.stderr
