"""Chinese bank and shopping phishing names: a brand beside pinyin lure words.

Found dogfooding: ``boc-ebank-cn.com`` (Bank of China e-banking) and ``jd-baitiao-refund.xyz``
(JD's 白条 credit, refund) were no_known_signals, because ``ebank`` and ``baitiao`` were no
lure words. The words added (``lookalike_words.txt``; the asks among them in
``TOKEN_LURES``) and the banks' service numbers (``SERVICE_NUMBERS``) were each measured on
every legitimate name we hold: none newly named. Each test below pairs what is now named with
honest names beside it that stay clean, so each fails before the change.
"""

from __future__ import annotations

import pytest

from server.detectors.lookalike import LookalikeDetector
from server.engine import Engine
from server.links.lookalikes import SERVICE_NUMBERS, TOKEN_LURES, read_brand_rows
from server.scoring.combiner import Verdict, combine
from server.scoring.evidence import Evidence, Role
from server.scoring.resources import Resources, read_lines
from server.settings import Settings

#: The words this change added to ``lookalike_words.txt``.
NEW_WORDS = (
    "ebank", "etoken", "xinyongka", "kaika", "jifen", "duihuan", "baitiao", "lipei", "peifu",
    "fanxian", "jiefeng", "tuihuo", "tuipiao", "zhuxiao", "jihuo",
    "shengji", "renzheng",
)  # fmt: skip
#: Of those, the ones that also name a two- or three-letter brand (``TOKEN_LURES``).
NEW_TOKEN_WORDS = (
    "ebank", "etoken", "xinyongka", "kaika", "jifen", "lipei", "peifu", "tuihuo", "tuipiao",
    "zhuxiao",
)  # fmt: skip


@pytest.fixture(scope="module")
def resources() -> Resources:
    return Resources.load(Settings())


@pytest.fixture(scope="module")
def detector(resources: Resources) -> LookalikeDetector:
    return LookalikeDetector(resources)


def judge(
    detector: LookalikeDetector, resources: Resources, host: str, *, unlisted: bool = True
) -> list[Evidence]:
    """The lookalike evidence for ``host``; ``unlisted``: a host the top-sites list does not
    protect, so the rules, not the list, decide."""
    assert not unlisted or host not in resources.top_sites
    return list(detector.score(resources.parser.parse(f"https://{host}/")))


def named(detector: LookalikeDetector, resources: Resources, host: str) -> Evidence:
    """The one primary combosquat ``host`` is named by."""
    found = judge(detector, resources, host)
    assert [(e.code, e.role) for e in found] == [("lookalike.combosquat", Role.PRIMARY)], host
    return found[0]


def said(detector: LookalikeDetector, evidence: Evidence, lang: str) -> str:
    return detector.messages[evidence.code][lang].format(**evidence.params)


# The dogfooding names and their kind, each with the brand and the lure word it names


@pytest.mark.parametrize(
    ("host", "brand", "word"),
    [
        ("boc-ebank-cn.com", "boc.cn", "ebank"),
        ("jd-baitiao-refund.xyz", "jd.com", "baitiao"),
        ("icbc-ebank.top", "icbc.com.cn", "ebank"),
        ("ccb-etoken-update.com", "ccb.com", "etoken"),
        ("boc-etoken.com", "boc.cn", "etoken"),
        ("ccb-xinyongka.top", "ccb.com", "xinyongka"),
        ("ccb-jifen.cc", "ccb.com", "jifen"),
        ("jd-zhuxiao.com", "jd.com", "zhuxiao"),
        ("cmbchina-kaika.cc", "cmbchina.com", "kaika"),
        ("cebbank-kaika.com", "cebbank.com", "kaika"),
        ("taobao-lipei.xyz", "taobao.com", "lipei"),
        ("pingan-lipei.com", "pingan.com", "lipei"),
        ("sf-express-lipei.com", "sf-express.com", "lipei"),
        ("taobao-peifu.com", "taobao.com", "peifu"),
        ("taobao-tuihuo.top", "taobao.com", "tuihuo"),
        ("pinduoduo-fanxian.com", "pinduoduo.com", "fanxian"),
        ("douyin-fanxian.top", "douyin.com", "fanxian"),
        ("weixin-jiefeng.com", "weixin.qq.com", "jiefeng"),
        ("abchina-shengji.top", "abchina.com", "shengji"),
        ("ccb-ebank-shengji.com", "ccb.com", "shengji"),
        ("icbc-renzheng.com", "icbc.com.cn", "renzheng"),
        ("psbc-ebank.com", "psbc.com", "ebank"),
        ("abchina-ebank.cn", "abchina.com", "ebank"),
        ("bankcomm-xinyongka.com", "bankcomm.com", "xinyongka"),
        ("10086-jifen.cn", "10086.cn", "jifen"),
        ("cmbchina-jifen-duihuan.top", "cmbchina.com", "duihuan"),
        ("12306-tuipiao.cn", "12306.cn", "tuipiao"),
        ("icbc-etoken-jihuo.com", "icbc.com.cn", "jihuo"),
    ],
)
def test_a_brand_beside_chinese_lure_words_is_named_with_both(
    detector: LookalikeDetector, resources: Resources, host: str, brand: str, word: str
) -> None:
    evidence = named(detector, resources, host)
    assert evidence.details["brand_domain"] == brand
    assert word in evidence.details["words"]
    # Alone it makes the link suspicious; the reason says which brand and which word, in
    # English and in Chinese.
    assert combine([evidence]).verdict is Verdict.SUSPICIOUS
    english, chinese = said(detector, evidence, "en"), said(detector, evidence, "zh")
    assert english.startswith(f"Looks like {brand}: the brand name with extra words (")
    assert word in english
    assert chinese.startswith(f"仿冒 {brand}：在品牌名称上加了其他词（")
    assert word in chinese


@pytest.mark.parametrize("word", NEW_WORDS)
def test_each_new_word_makes_a_bank_combosquat_primary(
    detector: LookalikeDetector, resources: Resources, word: str
) -> None:
    # cmbchina is an 'any' brand: before, any word beside it was a supporting cue only.
    evidence = named(detector, resources, f"cmbchina-{word}.com")
    assert evidence.details["words"] == [word]


@pytest.mark.parametrize("word", NEW_TOKEN_WORDS)
def test_each_new_ask_names_a_short_bank_name(
    detector: LookalikeDetector, resources: Resources, word: str
) -> None:
    assert word in TOKEN_LURES
    evidence = named(detector, resources, f"boc-{word}.com")
    assert evidence.details["brand_domain"] == "boc.cn"
    # Still a whole word between hyphens only: run into the name, or beside another word,
    # three letters are someone else's.
    assert judge(detector, resources, f"boc{word}.com") == []
    assert judge(detector, resources, f"boc-{word}-gases.com") == []


# What stays clean beside them


@pytest.mark.parametrize(
    ("scam", "honest", "why"),
    [
        ("boc-ebank-cn.com", "boc-online.co.uk", "BOC, the British gases firm"),
        ("jd-baitiao-refund.xyz", "jd-sports.com", "JD Sports, the UK retailer"),
        ("jd-baitiao-refund.xyz", "jd-baitiao.com", "JD's own product name, no ask beside it"),
        ("jd-zhuxiao.com", "qq-shengji.com", "升级 is also a card game on QQ Games"),
        (
            "jd-zhuxiao.com",
            "jd-jiefeng.com",
            "杰峰 is a given name: jiefeng only beside longer names",
        ),
        ("pingan-lipei.com", "pinganjiedong.cn", "平安揭东: a district's police campaign"),
        ("jd-zhuxiao.com", "jd-renzheng.com", "认证: firms selling certification"),
        ("jd-zhuxiao.com", "jd-fanxian.com", "返现: honest cashback sites"),
        ("ccb-xinyongka.top", "boc-credit.com", "'credit' is no lure: BOC Credit Card is BOC's"),
        ("ccb-jifen.cc", "dbs-check-online.co.uk", "a UK criminal-record check"),
        ("psbc-ebank.com", "cib-online.com.eg", "CIB Egypt"),
    ],
)
def test_honest_names_beside_the_new_words_stay_clean(
    detector: LookalikeDetector, resources: Resources, scam: str, honest: str, why: str
) -> None:
    named(detector, resources, scam)
    assert judge(detector, resources, honest) == [], why


@pytest.mark.parametrize(
    ("scam", "honest"),
    [
        ("icbc-ebank.top", "ebank.icbc.com.cn"),
        ("icbc-ebank.top", "icbc.com.cn"),
        ("boc-ebank-cn.com", "ebsnew.boc.cn"),
        ("ccb-etoken-update.com", "ebank.ccb.com"),
        ("cmbchina-kaika.cc", "ccclub.cmbchina.com"),
        ("jd-baitiao-refund.xyz", "baitiao.jd.com"),
    ],
)
def test_the_brands_own_sites_stay_clean(
    detector: LookalikeDetector, resources: Resources, scam: str, honest: str
) -> None:
    named(detector, resources, scam)
    assert judge(detector, resources, honest, unlisted=False) == []


def test_words_left_out_stay_cues_at_most(
    detector: LookalikeDetector, resources: Resources
) -> None:
    named(detector, resources, "bankofchina-ebank.com")
    # paypalcredit.com is PayPal's own; 过期 (guoqi) is also 国企, a state-owned firm.
    for host in ("paypalcredit.com", "bankofchina-guoqi.com"):
        assert all(e.role is Role.SUPPORTING for e in judge(detector, resources, host)), host
    words = set(read_lines(resources.data_dir / "lookalike_words.txt"))
    assert not words & {"credit", "guoqi", "shiming", "daikuan", "jinrong", "hongbao"}
    # Every new ask is a shared lure word too, or it could never name anything.
    assert set(NEW_WORDS) <= words
    assert set(NEW_TOKEN_WORDS) <= TOKEN_LURES


# Banks' customer-service numbers


@pytest.mark.parametrize(
    ("host", "brand"),
    [
        ("95588-icbc.cn", "icbc.com.cn"),
        ("icbc95588.com", "icbc.com.cn"),
        ("ccb-95533.com", "ccb.com"),
        ("95566-bankofchina.com", "bankofchina.com"),
        ("alipay-95188.top", "alipay.com"),
    ],
)
def test_a_bank_beside_its_own_service_number_is_named(
    detector: LookalikeDetector, resources: Resources, host: str, brand: str
) -> None:
    evidence = named(detector, resources, host)
    assert evidence.details["brand_domain"] == brand
    assert set(evidence.details["words"]) & SERVICE_NUMBERS[brand]


def test_another_number_is_not_the_banks(detector: LookalikeDetector, resources: Resources) -> None:
    named(detector, resources, "icbc-95588.com")
    # ABC's number beside ICBC, or a number alone, is no brand's own word: a cue at most.
    assert [e.role for e in judge(detector, resources, "icbc-95599.com")] == [Role.SUPPORTING]
    assert judge(detector, resources, "95588.com") == []
    assert judge(detector, resources, "ccb-12345.com") == []


def test_service_numbers_belong_to_curated_brands(resources: Resources) -> None:
    domains = {row.domain for row in read_brand_rows(resources.data_dir / "protected_brands.tsv")}
    assert set(SERVICE_NUMBERS) <= domains
    assert SERVICE_NUMBERS["icbc.com.cn"] == {"95588"}
    assert all(n.isdigit() and len(n) == 5 for ns in SERVICE_NUMBERS.values() for n in ns)


def test_a_service_number_in_a_subdomain_is_a_lure(
    detector: LookalikeDetector, resources: Resources
) -> None:
    [evidence] = judge(detector, resources, "icbc-95588.x-site.com")
    assert evidence.code == "lookalike.brand_word_in_subdomain"
    assert evidence.role is Role.PRIMARY
    [cue] = judge(detector, resources, "icbc.x-site.com")
    assert cue.role is Role.SUPPORTING


# The whole link verdict, as `fakewatch check` prints it


def test_the_dogfooding_links_are_warned_about_in_both_languages(engine: Engine) -> None:
    urls = ["https://boc-ebank-cn.com/", "https://jd-baitiao-refund.xyz/"]
    results = engine.check_links_sync(urls)
    assert [r.outcome.verdict for r in results] == [Verdict.SUSPICIOUS, Verdict.LIKELY_SCAM]
    for lang, brand_word in (("en", "Looks like"), ("zh", "仿冒")):
        rendered = engine.render_links(results, lang)
        for row, (brand, word) in zip(
            rendered, [("boc.cn", "ebank"), ("jd.com", "baitiao")], strict=True
        ):
            messages = [r["message"] for r in row["reasons"] if r["detector"] == "lookalike"]
            assert any(brand_word in m and brand in m and word in m for m in messages), messages
    assert engine.versions()["lookalike"] == "1.5"


# The same words in Chinese characters


@pytest.mark.parametrize(
    ("host", "brand", "word"),
    [
        ("淘宝返现.top", "taobao.com", "返现"),
        ("拼多多退货.com", "pinduoduo.com", "退货"),
        ("中国铁路退票.com", "12306.cn", "退票"),
        ("招商银行开卡.com", "cmbchina.com", "开卡"),
    ],
)
def test_a_chinese_name_beside_the_same_words_in_chinese_is_named(
    detector: LookalikeDetector, resources: Resources, host: str, brand: str, word: str
) -> None:
    evidence = named(detector, resources, host)
    assert evidence.details["brand_domain"] == brand
    assert evidence.details["words"] == [word]
    assert word in said(detector, evidence, "zh")
    # JD's own product (京东白条) and BOE (京东方) are not JD lookalikes.
    assert judge(detector, resources, "京东白条.com") == []
    assert judge(detector, resources, "京东方.com") == []


@pytest.mark.parametrize(
    ("host", "brand"),
    [
        ("royalmail-redelivery-uk.com", "royalmail.com"),
        ("usps-redelivery.com", "usps.com"),
        ("dhl-redelivery.com", "dhl.com"),
        ("ups-logon.com", "ups.com"),
    ],
)
def test_parcel_redelivery_and_logon_names_are_primary(
    detector: LookalikeDetector, resources: Resources, host: str, brand: str
) -> None:
    """A user review: "redelivery" and "logon" were in ``TOKEN_LURES`` but not in
    ``lookalike_words.txt``, so they never counted; the parcel names were a supporting cue
    at most. No legitimate name we hold has either word (Tranco top 20k, MetaMask's lists)."""
    assert named(detector, resources, host).params["brand"] == brand
