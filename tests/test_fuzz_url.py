"""A bounded atheris run over URL normalisation: any input parses or raises InvalidUrl."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

atheris = pytest.importorskip(
    "atheris", reason="atheris is an optional dev dependency (Linux only)"
)

FUZZ = r"""
import sys
from pathlib import Path
import atheris
# Only the URL code is instrumented: instrumenting everything the server imports took ~30 s
# of the run's time budget on a loaded 2-core machine, and coverage of numpy helps nobody.
with atheris.instrument_imports(include=["server.links"]):
    from server.links.domains import SuffixList
    from server.links.redirectors import Redirectors
    from server.links.url import InvalidUrl, LinkParser
data = Path("server/data/hosting_suffixes.txt").read_text(encoding="utf-8").splitlines()
suffixes = [line.strip() for line in data if line.strip() and not line.startswith("#")]
parser = LinkParser(SuffixList(suffixes), Redirectors(), max_length=4096)  # the default max_url_length

def one(data):
    text = atheris.FuzzedDataProvider(data).ConsumeUnicodeNoSurrogates(300)
    try:
        link = parser.parse(text)
    except InvalidUrl:
        return
    assert link.url.isascii(), link.url
    assert parser.parse(link.url).url == link.url, (text, link.url)

atheris.Setup(sys.argv, one)
atheris.Fuzz()
"""


def test_atheris_finds_no_crash_in_url_parsing(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    # Seeds start with an odd byte so ConsumeUnicodeNoSurrogates reads them as ASCII.
    for i, seed in enumerate(
        [
            "http://paypal.com@evil.example:8080/a?b#c",
            "https://xn--80ak6aa92e.com/",
            "http://0xC0A80101/",
            "例子。中国",
        ]
    ):
        (corpus / f"seed{i}").write_bytes(b"\x01" + seed.encode())
    result = subprocess.run(
        [sys.executable, "-c", FUZZ, "-runs=200000", "-max_total_time=20", str(corpus)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
        timeout=240,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Done" in result.stderr
