"""The small rules behind impersonation: claims, names, official channels (pure functions)."""

from __future__ import annotations

import numpy as np
import pytest

from server.engine import Engine
from server.lists import ListIndex
from server.persons.channels import Account, Channels, Standing, judge, parse_account
from server.persons.claims import find_accounts, find_claims
from server.persons.registry import EnrolledFace, Person, PersonIndex, PersonInvalid


@pytest.mark.parametrize(
    ("text", "scam"),
    [
        ("张文宏亲自推荐！这款保健品根治糖尿病，限时抢购", True),
        ("马斯克带你投资，日赚3000，稳赚不赔，扫码进群", True),
        ("Elon Musk is giving away 5000 BTC. Send 0.1 BTC and get 0.2 BTC back!", True),
        ("I personally recommend this supplement. It cures diabetes. Order now!", True),
        ("Claim your free BTC from the official airdrop", True),
        # The crypto giveaway in Chinese, with and without the word for "double".
        ("恭喜您获得马斯克官方比特币双倍返还活动资格！转入0.1BTC，立即返还0.2BTC到您的钱包", True),
        ("马斯克官方活动：转入0.5个比特币，返还1个比特币", True),
        ("马斯克送福利，转一返二，仅限今天", True),
        # A transfer in the news is no claim.
        ("马斯克将部分特斯拉股票转入信托基金。", False),
        # As OCR reads small Latin text: the spaces are gone.
        ("Thissupplementcures\ndiabetesin3days\nOrdernow,limitedoffer", True),
        (
            "The company said it will invest in a secure platform. Sign up for our newsletter.",
            False,
        ),
        # Reports, advice and quotes make no scam claim: a promise without an ask, or neither.
        ("今日，钟南山出席论坛并推荐大家接种疫苗。", False),
        ("Elon Musk said Tesla will invest $5bn in a new plant.", False),
        ("张文宏：冬季注意预防流感，勤洗手。", False),
        ("Buy now!", False),
    ],
)
def test_a_scam_claim_is_a_promise_and_an_ask(text: str, scam: bool) -> None:
    assert find_claims(text).is_scam_claim is scam, find_claims(text).found


def test_claims_read_as_a_sentence_in_both_languages() -> None:
    claims = find_claims("这款保健品根治糖尿病，限时抢购")
    assert claims.sentence("en") == "promises a cure and asks you to act"
    assert claims.sentence("zh") == "声称能治病，并要求你采取行动"


def test_written_accounts_are_found() -> None:
    found = find_accounts("加微信：zwh88888 或者 TG @musk_support，邮箱 a@b.com")
    assert Account("wechat", "zwh88888") in found
    assert Account(None, "musk_support") in found
    assert all(a.handle != "b" for a in found)


def _index(*persons: Person) -> PersonIndex:
    return PersonIndex(persons)


def test_names_match_across_scripts_spacing_and_case() -> None:
    musk = Person(1, "Elon Musk", aliases=("马斯克",))
    index = _index(musk)
    # OCR output too: "ElonMusk推荐", "Elon Muskrecommendsit".
    for text in (
        "elon musk says",
        "ElonMusk推荐",
        "听说Elon  Musk的",
        "马斯克带你",
        "Elon Muskrecommends",
    ):
        assert [m.person.id for m in index.mentions(text)] == [1], text
    for text in ("Elongated muskrat", "xelonmusk", "Mr. Musk"):
        assert index.mentions(text) == [], text


def test_faces_match_only_within_the_threshold() -> None:
    base = np.zeros(128, dtype=np.float32)
    near, far = base.copy(), base.copy()
    near[0], far[0] = 0.59, 0.61
    index = PersonIndex([Person(7, "张文宏")], [EnrolledFace(3, 7, base)])
    match = index.match_face(near)
    assert match is not None and match.person.id == 7 and match.face_id == 3
    assert match.similarity == pytest.approx(0.41, abs=1e-6)
    assert index.match_face(far) is None
    retired = PersonIndex([], [EnrolledFace(3, 7, base)])  # a retired person's face is not used
    assert retired.match_face(near) is None


def test_operators_write_accounts_in_many_ways(engine: Engine) -> None:
    parser = engine.resources.parser
    assert parse_account("@ElonMusk", parser) == Account(None, "elonmusk")
    assert parse_account("weibo:张文宏", parser) == Account("weibo.com", "张文宏")
    assert parse_account("https://twitter.com/elonmusk", parser) == Account("x.com", "elonmusk")
    assert parse_account("t.me/durov", parser) == Account("t.me", "durov")
    with pytest.raises(PersonInvalid):
        parse_account("myspace:tom", parser)


def test_destinations_are_judged_against_the_person_s_channels(engine: Engine) -> None:
    parser = engine.resources.parser
    musk = Person(1, "Elon Musk", official_domains=("tesla.com",), official_accounts=("@elonmusk",))
    channels = Channels(musk, parser)
    links = [
        parser.parse(url)
        for url in (
            "https://shop.tesla.com/x",
            "https://x.com/elonmusk/status/1",
            "https://t.me/elon_giveaway",
            "https://www.reuters.com/tech",
            "musk-gift.vip/claim",
        )
    ]
    standings = [
        d.standing for d in judge(channels, links, [], ListIndex(), set(engine.resources.top_sites))
    ]
    assert standings == [
        Standing.OFFICIAL,
        Standing.OFFICIAL,
        Standing.UNOFFICIAL,
        Standing.NEUTRAL,
        Standing.UNOFFICIAL,
    ]
