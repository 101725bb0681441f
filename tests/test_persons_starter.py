"""The starter list of protected persons: names scams borrow most, no faces. A fresh install
that imports it calls a borrowed famous name + a scam claim + a link that is not theirs
impersonation, in Chinese and English, and says nothing of news about the same people."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from server.engine import Engine
from server.persons.starter import import_persons, read_persons, starter_path
from server.scoring.detector import ContentKind
from server.settings import Settings
from server.storage.database import connect
from tests.test_cli import fakewatch


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    db = connect(tmp_path_factory.mktemp("starter") / "fakewatch.db")
    built = Engine.build(Settings(), db)
    with db.atomic():
        import_persons(db, read_persons(starter_path(), built.resources.parser), actor="test")
    built.reload_persons(db)
    yield built
    db.close()


def check_text(engine: Engine, text: str, lang: str = "en") -> dict[str, Any]:
    (scored,) = engine.pipeline.score_sync(ContentKind.TEXT, [text])
    return engine.render(scored, lang, [ContentKind.TEXT])


def impersonation(verdict: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in verdict["reasons"] if r["detector"] == "impersonation"]


@pytest.mark.parametrize(
    ("text", "person"),
    [
        (
            "恭喜您获得马斯克官方比特币双倍返还活动资格！转入0.1BTC，立即返还0.2BTC到您的钱包，"
            "活动网址 musk-btc2x.top 仅限今天",
            "Elon Musk",
        ),
        (
            "黃仁勳親自帶你投資AI概念股，免費進群領取飆股，名額有限 https://line.me/ti/g/abc123",
            "黄仁勋",
        ),
        ("钟南山院士推荐：这款保健品三个月根治糖尿病，限时抢购 https://zns-health.shop", "钟南山"),
        (
            "MrBeast is giving away 1,000 iPhones! Claim yours now for $2: https://mrbeast-gift.live",
            "MrBeast",
        ),
    ],
)
def test_a_borrowed_famous_name_with_a_claim_and_a_link_is_likely_scam(
    engine: Engine, text: str, person: str
) -> None:
    verdict = check_text(engine, text, "zh")
    assert verdict["verdict"] == "likely_scam", verdict["reasons"]
    (reason,) = impersonation(verdict)
    assert reason["code"] == "impersonation.name_claim_destination"
    assert reason["details"]["person"] == person


@pytest.mark.parametrize(
    "text",
    [
        "雷军发布小米新车，今晚七点开启预订：https://www.mi.com/su7",
        "马斯克周一表示，特斯拉将在上海投资建厂。https://www.reuters.com/x",
        "Warren Buffett's annual letter is out: https://www.berkshirehathaway.com/letters/2025ltr.pdf",
        "钟南山：冬季注意预防流感，勤洗手，戴口罩。",
        # A name inside a compound surname is someone else: 司马云杰 is not 马云.
        "司马云杰老师今晚直播，带你投资自己，进群领取资料 https://live-sima.example.top",
    ],
)
def test_news_and_official_links_about_the_same_people_say_nothing(
    engine: Engine, text: str
) -> None:
    assert impersonation(check_text(engine, text)) == [], text


def test_importing_the_starter_list_again_adds_nothing(tmp_path: Path) -> None:
    db = str(tmp_path / "fakewatch.db")
    first = fakewatch("persons", "import", "--starter", "--db", db)
    assert first.returncode == 0, first.stderr
    count = len(json.loads(starter_path().read_text(encoding="utf-8"))["persons"])
    assert first.stdout.startswith(f"added {count} persons: Elon Musk, 马云")
    again = fakewatch("persons", "import", "--starter", "--db", db)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("added 0 persons")
    assert f"skipped {count} already registered: Elon Musk (#1 Elon Musk)" in again.stdout


def test_an_operator_file_is_checked_and_a_name_already_registered_is_skipped(
    tmp_path: Path,
) -> None:
    db = str(tmp_path / "fakewatch.db")
    assert fakewatch("persons", "add", "马斯克", "--db", db).returncode == 0
    own = tmp_path / "persons.json"
    own.write_text(
        json.dumps([{"name": "Elon Musk", "aliases": ["马斯克"]}, {"name": "林志玲"}]),
        encoding="utf-8",
    )
    done = fakewatch("persons", "import", str(own), "--db", db)
    assert done.returncode == 0, done.stderr
    assert "added 1 persons: 林志玲" in done.stdout
    assert "skipped 1 already registered: Elon Musk (#1 马斯克)" in done.stdout
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"persons": [{"name": "X", "official_domains": ["not a host"]}]}))
    refused = fakewatch("persons", "import", str(bad), "--db", db)
    assert refused.returncode != 0
    assert "persons[0]" in refused.stderr + refused.stdout
    assert "Traceback" not in refused.stderr


def test_a_retired_starter_person_does_not_come_back(tmp_path: Path) -> None:
    db = str(tmp_path / "fakewatch.db")
    assert fakewatch("persons", "import", "--starter", "--db", db).returncode == 0
    assert fakewatch("persons", "retire", "1", "--db", db).returncode == 0
    again = fakewatch("persons", "import", "--starter", "--db", db)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("added 0 persons")
    assert "Elon Musk (#1 Elon Musk (retired))" in again.stdout


@pytest.mark.parametrize(
    "text",
    [
        "MrBeast giveaway is live, subscribe and claim your prize now: https://www.youtube.com/@MrBeast",
        "雷军宣布新车上市发福利，点击官网预订 https://www.xiaomiev.com/yu7",
    ],
)
def test_a_claim_on_the_person_s_own_channel_weighs_nothing(engine: Engine, text: str) -> None:
    """A reviewer's finds: MrBeast's own YouTube channel and Xiaomi's car site were called
    "not theirs" (the list lacked them); now they are official channels, said and weightless."""
    reasons = impersonation(check_text(engine, text))
    assert [r["code"] for r in reasons] == ["impersonation.official_destination"], reasons
    assert reasons[0]["weight"] == 0
