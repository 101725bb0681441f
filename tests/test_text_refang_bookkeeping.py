"""Refanged links: how they were written is shown as the sender typed it (review 35 #11), and
the bookkeeping stays linear when one defanged name is repeated (review 35 #7: it was spans x
edits, 267 ms per 10,000 characters)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from server.links.domains import SuffixList
from server.scoring.resources import bundled_data_dir, read_lines
from server.text.extract import extract
from tests.support.server import RunningServer

SUFFIXES = SuffixList(read_lines(bundled_data_dir() / "hosting_suffixes.txt"))


@pytest.mark.parametrize(
    ("text", "link", "written"),
    [
        ("请看 ｈｔｔｐｓ：／／bad[.]top 领取", "https://bad.top", "ｈｔｔｐｓ：／／bad[.]top"),
        ("请看 ev\u200bil[.]top 领取", "evil.top", "ev\u200bil[.]top"),
        ("hxxps://polkadot-dot[.]info/claim", "https://polkadot-dot.info/claim", None),
    ],
)
def test_a_refanged_link_is_listed_as_written(
    server: RunningServer, text: str, link: str, written: str | None
) -> None:
    extracted = _check(server, text)["extracted"]
    assert extracted["refanged"] == [{"link": link, "written": written or text}]


@pytest.mark.parametrize("unit", ["x[.]io\n", "a[.]cn,"])
def test_a_repeated_defanged_name_is_read_once(server: RunningServer, unit: str) -> None:
    extracted = _check(server, (unit * 2000)[:10_000])["extracted"]
    assert len(extracted["links"]) == 1
    assert extracted["refanged"] == [{"link": extracted["links"][0], "written": unit.rstrip("\n,")}]


@pytest.mark.parametrize("unit", ["x[.]io\n", "a[.]cn,"])
def test_refang_bookkeeping_grows_linearly(unit: str) -> None:
    # Eight times the text: about 8x the work when linear, 64x when it was spans x edits.
    # A loose ratio of best-of-five CPU times of this thread (not wall time, which a loaded
    # machine inflates at random), never an absolute figure.
    small, large = _best((unit * 8000)[:2_500]), _best((unit * 8000)[:20_000])
    assert large / small < 24, (small, large)


def _best(text: str) -> float:
    times = []
    for _ in range(5):
        start = time.thread_time()
        extract(text, SUFFIXES.is_suffix)
        times.append(time.thread_time() - start)
    return min(times)


def _check(server: RunningServer, text: str) -> dict[str, Any]:
    response = server.request("POST", "/v1/check/text", json_body={"text": text, "lang": "en"})
    assert response.status == 200, response.body
    verdict: dict[str, Any] = response.json()
    return verdict
