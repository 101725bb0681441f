"""``fakewatch check --from FILE``: a list of links judged on several cores, without a server."""

from __future__ import annotations

import io
import json
import os
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from server.bulk import read_lines, text_stream, tsv_cell
from tests.support.server import cli_env

FAKEWATCH = (sys.executable, "-m", "server")


def fakewatch(
    *args: str, stdin: str | bytes | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "server", *args],
        input=stdin.encode() if isinstance(stdin, str) else stdin,
        capture_output=True,
        env=cli_env(env),
        timeout=180,
    )
    return subprocess.CompletedProcess(
        done.args, done.returncode, done.stdout.decode(), done.stderr.decode()
    )


def rows(stdout: str) -> list[list[str]]:
    return [line.split("\t") for line in stdout.split("\n") if line]


def lines_of(data: bytes, max_url_length: int = 4096) -> list[tuple[int, str]]:
    return list(read_lines(text_stream(io.BufferedReader(io.BytesIO(data))), max_url_length))


# --- reading the input -----------------------------------------------------------------------


def test_a_byte_order_mark_crlf_and_invisible_edges_do_not_change_the_link() -> None:
    data = (
        b"\xef\xbb\xbfhttps://a.example/\r\n# a comment\r\n\r\n\xe2\x80\x8bhttps://b.example/ \r\n"
    )
    assert lines_of(data) == [(1, "https://a.example/"), (4, "https://b.example/")]


def test_a_utf16_file_as_powershell_writes_it_is_read_as_text() -> None:
    data = "https://a.example/\r\n# note\r\nhttps://b.example/\r\n".encode("utf-16")
    assert lines_of(data) == [(1, "https://a.example/"), (3, "https://b.example/")]


def test_an_overlong_line_is_cut_in_characters_and_the_rest_skipped() -> None:
    chinese_path = "https://x.example/" + "路" * 2000  # 2,018 characters, 6,018 bytes
    data = (chinese_path + "\n" + "a" * 100_000 + "\nhttps://c.example/\n").encode()
    found = lines_of(data, max_url_length=4096)
    assert found[0] == (1, chinese_path)  # whole: under the limit in characters
    assert found[1][0] == 2 and len(found[1][1]) == 4 * 4096
    assert found[2] == (3, "https://c.example/")


def test_control_characters_never_reach_the_terminal_raw() -> None:
    hostile = "https://a.example/\x1b[31mred\r\x00\u202eexe.txt\u2028"
    cell = tsv_cell(hostile)
    assert cell == "https://a.example/\\x1b[31mred\\x0d\\x00\\u202eexe.txt\\u2028"
    assert cell.isprintable()


# --- the command -----------------------------------------------------------------------------


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
    db = str(tmp_path / "x.db")
    result = fakewatch("check", "--from", str(listing), "--jobs", "2", "--db", db)
    assert result.returncode == 0, result.stderr
    found = rows(result.stdout)
    assert [row[3] for row in found] == links  # the comment and the blank line are skipped
    assert [row[0] for row in found] == [str(n) for n in range(3, 2603)]  # file line numbers
    single = fakewatch("check", "--json", *[links[i] for i in (0, 7, 1500, 2599)], "--db", db)
    for i, expected in zip((0, 7, 1500, 2599), json.loads(single.stdout)["results"], strict=True):
        _, verdict, score, _, reason = found[i]
        assert verdict == expected["verdict"]
        assert float(score) == round(expected["score"], 2)
        assert reason == (expected["reasons"][0]["message"] if expected["reasons"] else "")
    assert found[7][1] == "likely_scam" and "polkadot" in found[7][4]
    assert found[1500][1] == "suspicious" and "paypal.com" in found[1500][4]
    assert "checked 2600 links" in result.stderr and "2 processes" in result.stderr
    assert not (tmp_path / "x.db").exists(), "a check must not create a database"
    alone = fakewatch("check", "--from", str(listing), "--jobs", "1", "--db", db)
    assert alone.stdout == result.stdout  # one process or two: the same rows


def test_links_inside_chat_lines_and_defanged_feeds_are_found_and_judged(tmp_path: Path) -> None:
    export = (
        "[20/11/2026, 10:01] Alice: look https://polkadot-dot.info/claim and www.paypal-secure-login.com\n"
        "- <https://www.wikipedia.org/>\n"
        '"https://polkadot-dot.info/x",\n'
        "hxxps://polkadot-dot[.]info/claim\n"
        "see you at 6\n"
    )
    result = fakewatch("check", "--from", "-", "--db", str(tmp_path / "x.db"), stdin=export)
    assert result.returncode == 0, result.stderr
    assert [(row[0], row[1], row[3]) for row in rows(result.stdout)] == [
        ("1", "likely_scam", "https://polkadot-dot.info/claim"),
        ("1", "suspicious", "www.paypal-secure-login.com"),
        ("2", "no_known_signals", "https://www.wikipedia.org/"),
        ("3", "likely_scam", "https://polkadot-dot.info/x"),
        ("4", "likely_scam", "https://polkadot-dot.info/claim"),
        ("5", "unknown", "see you at 6"),
    ]
    assert "1 line held no readable link" in result.stderr


def test_json_lines_are_the_apis_verdict_objects_in_the_language_asked(tmp_path: Path) -> None:
    result = fakewatch(
        "check",
        "--from",
        "-",
        "--json",
        "--lang",
        "zh-TW",
        "--db",
        str(tmp_path / "x.db"),
        stdin="https://polkadot-dot.info/\nnot a link at all\nhttps://example.com/\n",
    )
    assert result.returncode == 0, result.stderr
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(o["line"], o["url"]) for o in objects] == [
        (1, "https://polkadot-dot.info/"),
        (2, "not a link at all"),
        (3, "https://example.com/"),
    ]
    assert [o["verdict"] for o in objects] == ["likely_scam", "unknown", "no_known_signals"]
    assert "黑名單" in objects[0]["reasons"][0]["message"]  # Traditional, as over HTTP
    assert objects[1]["error"]["code"] == "invalid_url"


def test_the_workers_read_the_operators_lists_from_the_database(tmp_path: Path) -> None:
    db = str(tmp_path / "fw.db")
    added = fakewatch("lists", "block", "claim-gift.top", "--note", "reported twice", "--db", db)
    assert added.returncode == 0, added.stderr
    listing = tmp_path / "links.txt"
    listing.write_text("https://a.claim-gift.top/x\nhttps://example.org/\n" * 600)
    result = fakewatch("check", "--from", str(listing), "--jobs", "2", "--db", db)
    assert result.returncode == 0, result.stderr
    assert [row[1] for row in rows(result.stdout)] == ["likely_scam", "no_known_signals"] * 600
    assert "2 processes" in result.stderr


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_database_that_cannot_be_read_is_named_without_a_traceback(
    tmp_path: Path, jobs: str
) -> None:
    broken = tmp_path / "broken.db"
    broken.write_bytes(os.urandom(8192))
    listing = tmp_path / "links.txt"
    listing.write_text("https://example.org/\n" * 1500)
    result = fakewatch("check", "--from", str(listing), "--jobs", jobs, "--db", str(broken))
    assert result.returncode == 1
    assert f"cannot open the database {broken}" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_killed_parent_takes_its_workers_with_it(tmp_path: Path) -> None:
    listing = tmp_path / "links.txt"
    listing.write_text("".join(f"https://host-{i}.example/\n" for i in range(400_000)))
    check = subprocess.Popen(
        [
            *FAKEWATCH,
            "check",
            "--from",
            str(listing),
            "--jobs",
            "2",
            "--db",
            str(tmp_path / "x.db"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=cli_env(),
    )
    try:
        workers: list[int] = []
        deadline = time.monotonic() + 60
        while len(workers) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
            workers = _children(check.pid)
        assert len(workers) >= 2, "the workers never started"
        check.kill()  # SIGKILL: no handler of the parent's runs
        check.wait(timeout=10)
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in workers if _alive(pid)]
    finally:
        if check.poll() is None:
            check.kill()


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if (
                int(stat.rsplit(")", 1)[1].split()[1]) == pid
                and b"spawn_main" in (entry / "cmdline").read_bytes()
            ):
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_an_output_that_cannot_be_written_is_said_so(tmp_path: Path) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    with open("/dev/full", "wb") as full:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "server",
                "check",
                "--from",
                "-",
                "--db",
                str(tmp_path / "x.db"),
            ],
            input=b"https://example.org/\n",
            stdout=full,
            stderr=subprocess.PIPE,
            env=cli_env(),
            timeout=120,
        )
    error = done.stderr.decode()
    assert done.returncode == 1 and "cannot write the output" in error
    assert "Traceback" not in error


def test_mistakes_are_said_plainly(tmp_path: Path) -> None:
    missing = fakewatch("check", "--from", str(tmp_path / "nope.txt"))
    assert missing.returncode == 1 and "cannot read" in missing.stderr
    both = fakewatch("check", "https://example.com", "--from", "-", stdin="")
    assert both.returncode == 1 and "not both" in both.stderr
    nothing = fakewatch("check")
    assert nothing.returncode == 1 and "--from FILE" in nothing.stderr
    negative = fakewatch("check", "--from", "-", "--jobs", "-1", stdin="")
    assert negative.returncode == 1 and "--jobs" in negative.stderr
    stray = fakewatch("check", "https://example.com", "--jobs", "4")
    assert stray.returncode == 1 and "--jobs goes with --from" in stray.stderr
    for result in (missing, both, nothing, negative, stray):
        assert "Traceback" not in result.stderr


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_pipe_that_pauses_gets_its_verdicts_as_the_lines_arrive(
    tmp_path: Path, jobs: str
) -> None:
    watcher = subprocess.Popen(
        [*FAKEWATCH, "check", "--from", "-", "--jobs", jobs, "--db", str(tmp_path / "x.db")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=cli_env(),
    )
    assert watcher.stdin is not None and watcher.stdout is not None
    try:
        watcher.stdin.write(b"https://polkadot-dot.info/claim\n")
        watcher.stdin.flush()
        # `tail -f chat.log | fakewatch check --from -`: the first verdict comes while the
        # input is still open, not after 1,000 lines or the end of it.
        ready, _, _ = select.select([watcher.stdout], [], [], 90)
        assert ready, "no verdict while the input stayed open"
        first = watcher.stdout.readline().decode().split("\t")
        assert first[:2] == ["1", "likely_scam"]
        watcher.stdin.write(b"https://www.wikipedia.org/\n")
        watcher.stdin.close()
        rest = watcher.stdout.read().decode()
        assert watcher.wait(timeout=60) == 0
        assert rows(rest) == [["2", "no_known_signals", "0.00", "https://www.wikipedia.org/", ""]]
    finally:
        if watcher.poll() is None:
            watcher.kill()
