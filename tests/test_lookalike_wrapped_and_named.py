"""Brand words in subdomains, wrapped links, pages named in shared hosts' paths and brands'
Chinese names (review 34, #9/#11/#13): what is named, how strongly, and what is left alone."""

from __future__ import annotations

import base64
import urllib.parse

import pytest

from server.detectors.lookalike import LookalikeDetector
from server.links.lookalikes import page_name, read_brand_rows
from server.links.redirectors import MAX_ENCODED_TARGET, Redirectors
from server.links.url import LinkParser
from server.scoring.evidence import Evidence, Role
from server.scoring.resources import Resources
from server.settings import Settings
from tests.support.server import RunningServer


@pytest.fixture(scope="module")
def resources() -> Resources:
    return Resources.load(Settings())


@pytest.fixture(scope="module")
def detector(resources: Resources) -> LookalikeDetector:
    return LookalikeDetector(resources)


def judge(detector: LookalikeDetector, resources: Resources, url: str) -> dict[str, Evidence]:
    return {e.code: e for e in detector.score(resources.parser.parse(url))}


# A brand's word in a subdomain (#9)


@pytest.mark.parametrize(
    "host",
    [
        "paypal-login.evil-site.com",
        "www-paypal-com.evil-site.com",
        "icbc-com-cn.evil-site.com",
        "login-paypal.evil-site.top",
        "login.paypal.evil-site.top",
        "secure-binance.claim-now.xyz",
    ],
)
def test_a_brand_beside_a_lure_or_its_own_ending_in_a_subdomain_is_primary(
    detector: LookalikeDetector, resources: Resources, host: str
) -> None:
    evidence = judge(detector, resources, f"https://{host}/")["lookalike.brand_word_in_subdomain"]
    assert evidence.role is Role.PRIMARY
    assert evidence.details["subdomain"] == host.rsplit(".", 2)[0]
    assert evidence.details["site"] == ".".join(host.rsplit(".", 2)[1:])
    assert evidence.details["lure"] is True


def test_a_bare_brand_word_in_a_subdomain_is_only_supporting(
    detector: LookalikeDetector, resources: Resources
) -> None:
    for url in ("https://icbc.example-news.com/2024/report", "https://paypal.evil-site.top/"):
        evidence = judge(detector, resources, url)["lookalike.brand_word_in_subdomain"]
        assert evidence.role is Role.SUPPORTING, url
        assert evidence.details["lure"] is False


def test_the_subdomain_message_names_the_brand_the_subdomain_and_the_real_site(
    detector: LookalikeDetector, resources: Resources
) -> None:
    evidence = judge(detector, resources, "https://paypal-login.evil-site.com/")[
        "lookalike.brand_word_in_subdomain"
    ]
    en = detector.messages[evidence.code]["en"].format(**evidence.params)
    zh = detector.messages[evidence.code]["zh"].format(**evidence.params)
    assert en == (
        "Looks like paypal.com: its name is only in the subdomain (paypal-login);"
        " the site is really evil-site.com."
    )
    assert "paypal-login" in zh and "evil-site.com" in zh


@pytest.mark.parametrize(
    "url",
    [
        "https://paypal.okta.com/",  # a brand's tenant on a popular service
        "https://binance.zendesk.com/hc/en-us",
        "https://paypalobjects.cdn-example.com/",  # the name run into another word
        "https://applepie.recipes-blog.com/",
        "https://www.paypal.com/",
        "https://developer.paypal.com/",
    ],
)
def test_these_subdomains_are_left_alone(
    detector: LookalikeDetector, resources: Resources, url: str
) -> None:
    assert "lookalike.brand_word_in_subdomain" not in judge(detector, resources, url)


# Wrapped links (#11)

TARGET = "https://paypal-login-verify.top/"
_B64 = base64.urlsafe_b64encode(TARGET.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("wrapped", "wrapper"),
    [
        (f"https://www.google.co.uk/url?q={TARGET}", "Google redirect"),
        (
            f"https://www.google.com.hk/url?q={urllib.parse.quote(TARGET, safe='')}",
            "Google redirect",
        ),
        (f"https://google.de/url?url={TARGET}", "Google redirect"),
        ("https://www.google.com/amp/s/paypal-login-verify.top/", "Google AMP viewer"),
        ("https://www.google.co.jp/amp/s/paypal-login-verify.top/", "Google AMP viewer"),
        (
            "https://www-example-com.cdn.ampproject.org/c/s/paypal-login-verify.top/",
            "AMP cache",
        ),
        (f"https://translate.google.com/translate?sl=auto&u={TARGET}", "Google Translate proxy"),
        (f"https://translate.google.fr/translate?u={TARGET}", "Google Translate proxy"),
        (
            "https://paypal--login--verify-top.translate.goog/?_x_tr_sl=auto",
            "Google Translate proxy",
        ),
        (f"https://www.bing.com/ck/a?!&&p=abc&u=a1{_B64}&ntb=1", "Bing click tracking"),
    ],
)
def test_each_wrapper_is_removed_and_named(
    resources: Resources, wrapped: str, wrapper: str
) -> None:
    link = resources.parser.parse(wrapped)
    assert link.host.ascii == "paypal-login-verify.top", wrapped
    assert [w.name for w in link.wrappers] == [wrapper]
    assert link.wrappers[0].host == urllib.parse.urlsplit(wrapped).hostname


@pytest.mark.parametrize(
    "url",
    [
        f"https://google.top/url?q={TARGET}",  # anyone may register a brand on a new ending
        f"https://google.pages.dev/url?q={TARGET}",  # a hosting tenant
        f"https://mail.google.co.uk/url?q={TARGET}",  # not a host the redirector runs on
        "https://www.bing.com/ck/a?u=a1%%%notbase64",
        f"https://www.bing.com/ck/a?u=b2{_B64}",
        "https://www.google.com/amp/",
    ],
)
def test_these_are_not_unwrapped(resources: Resources, url: str) -> None:
    assert resources.parser.parse(url).wrappers == ()


def test_an_encoded_target_past_the_bound_is_not_decoded(resources: Resources) -> None:
    parser = LinkParser(resources.suffixes, Redirectors(), max_length=4 * MAX_ENCODED_TARGET)
    for size, unwrapped in ((MAX_ENCODED_TARGET // 2, True), (MAX_ENCODED_TARGET, False)):
        long_target = TARGET + "?" + "a" * size
        encoded = base64.urlsafe_b64encode(long_target.encode()).decode().rstrip("=")
        link = parser.parse(f"https://www.bing.com/ck/a?u=a1{encoded}")
        assert bool(link.wrappers) is unwrapped, size


def test_a_wrapped_page_keeps_its_path_and_query(resources: Resources) -> None:
    link = resources.parser.parse("https://www.google.com/amp/s/paypal-login-verify.top/a/b?c=1")
    assert link.url == "https://paypal-login-verify.top/a/b?c=1"
    link = resources.parser.parse("https://www-gov-cn.translate.goog/x?y=1&_x_tr_sl=zh-CN")
    assert link.url == "https://www.gov.cn/x?y=1"


# Pages named in the path of shared hosts (#11)


@pytest.mark.parametrize(
    ("host", "path", "name"),
    [
        ("sites.google.com", "/view/paypal-login/home", "paypal-login"),
        ("storage.googleapis.com", "/paypal-verify/index.html", "paypal-verify"),
        ("s3.eu-west-1.amazonaws.com", "/Binance_Login/index.html", "binance-login"),
        ("firebasestorage.googleapis.com", "/v0/b/paypal-secure.appspot.com/o/x", "paypal-secure"),
        (
            "ipfs.io",
            "/ipfs/QmXoypizjW3WknFiJnKLwHCnL72vedxjQkDDP1mXWo6uco/metamask.html",
            "metamask",
        ),
        (
            "gateway.example",
            "/ipfs/bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi/x",
            "x",
        ),
    ],
)
def test_the_page_name_is_read_from_the_path(host: str, path: str, name: str) -> None:
    assert page_name(host, path) == name


@pytest.mark.parametrize(
    ("host", "path"),
    [
        ("sites.google.com", "/a/example.org/x"),
        ("www.example.com", "/ipfs/notacid/metamask.html"),
        ("www.example.com", "/view/paypal-login"),
        ("storage.googleapis.com", "/"),
    ],
)
def test_other_paths_name_no_page(host: str, path: str) -> None:
    assert page_name(host, path) is None


def test_a_page_named_after_a_brand_with_a_lure_is_primary_and_says_where(
    detector: LookalikeDetector, resources: Resources
) -> None:
    evidence = judge(detector, resources, "https://sites.google.com/view/paypal-login")[
        "lookalike.page_on_shared_host"
    ]
    assert evidence.role is Role.PRIMARY
    assert evidence.details["technique"] == "combosquat"
    assert evidence.details["shared_host"] == "sites.google.com"
    assert evidence.details["page"] == "paypal-login"
    en = detector.messages[evidence.code]["en"].format(**evidence.params)
    assert "paypal-login" in en and "sites.google.com" in en and "paypal.com" in en


@pytest.mark.parametrize(
    "url",
    [
        "https://sites.google.com/view/lincoln-elementary-pta/home",
        "https://storage.googleapis.com/tensorflow/libtensorflow/x.tar.gz",
        "https://ipfs.io/ipfs/QmXoypizjW3WknFiJnKLwHCnL72vedxjQkDDP1mXWo6uco/index.html",
        "https://www.google.com/maps/place/Paypal",
    ],
)
def test_ordinary_pages_on_shared_hosts_are_left_alone(
    detector: LookalikeDetector, resources: Resources, url: str
) -> None:
    assert "lookalike.page_on_shared_host" not in judge(detector, resources, url)


def test_score_is_the_host_part_and_the_path_part_together(
    detector: LookalikeDetector, resources: Resources
) -> None:
    link = resources.parser.parse("https://paypal-login.evil.top/ipfs/Qm" + "a" * 44 + "/metamask")
    assert list(detector.score(link)) == [
        *detector.score_host(link.host),
        *detector.score_path(link),
    ]


# Brands' Chinese names (#13)


def test_chinese_names_and_their_short_forms_are_read_from_the_table(
    resources: Resources,
) -> None:
    rows = {r.domain: r for r in read_brand_rows(resources.data_dir / "protected_brands.tsv")}
    assert rows["icbc.com.cn"].han_names == ("中国工商银行", "工商银行")
    assert rows["icbc.com.cn"].name == "中国工商银行 ICBC"  # short forms are not shown
    assert rows["alipay.com"].han_names == ("支付宝",)
    assert rows["paypal.com"].han_names == ()


@pytest.mark.parametrize(
    ("url", "code", "role"),
    [
        ("https://支付宝.com/", "lookalike.chinese_name", Role.SUPPORTING),
        ("https://工商银行.top/", "lookalike.chinese_name", Role.PRIMARY),
        ("https://支付宝-alipay.com/", "lookalike.combosquat", Role.PRIMARY),
        ("https://支付宝客服.top/", "lookalike.combosquat", Role.PRIMARY),
        ("https://招商银行-登录.cn/", "lookalike.combosquat", Role.PRIMARY),
        ("https://paypal支付.com/", "lookalike.combosquat", Role.PRIMARY),
    ],
)
def test_a_brand_written_in_chinese_is_protected(
    detector: LookalikeDetector, resources: Resources, url: str, code: str, role: Role
) -> None:
    evidence = judge(detector, resources, url)[code]
    assert evidence.role is role, url
    for lang in ("en", "zh"):
        assert "{" not in detector.messages[code][lang].format(**evidence.params)


def test_a_chinese_name_in_a_subdomain_is_named_like_a_latin_one(
    detector: LookalikeDetector, resources: Resources
) -> None:
    bare = judge(detector, resources, "https://支付宝.evil-site.com/")
    lured = judge(detector, resources, "https://支付宝-登录.evil-site.com/")
    assert bare["lookalike.brand_word_in_subdomain"].role is Role.SUPPORTING
    evidence = lured["lookalike.brand_word_in_subdomain"]
    assert evidence.role is Role.PRIMARY
    assert evidence.details["chinese_name"] == "支付宝"
    assert evidence.params["subdomain"] == "支付宝-登录"
    assert judge(detector, resources, "https://新闻.example.com/") == {}


@pytest.mark.parametrize(
    "url",
    [
        "https://中国银行.cn/",  # the registry there reserved brands' Chinese names
        "https://工商银行.中国/",
        "https://小米粥食谱.com/",  # millet porridge recipes
        "https://快手菜谱.com/",  # quick recipes
        "https://京东方.com/",  # BOE, not JD
        "https://北京大学.cn/",
    ],
)
def test_these_chinese_names_are_left_alone(
    detector: LookalikeDetector, resources: Resources, url: str
) -> None:
    assert judge(detector, resources, url) == {}, url


# Over HTTP


def test_a_scam_page_wrapped_in_google_amp_is_judged_over_http(server: RunningServer) -> None:
    wrapped = "https://www.google.co.uk/amp/s/paypal-login-verify.top/signin"
    query = urllib.parse.urlencode({"url": wrapped})
    response = server.request("GET", f"/v1/check/link?{query}")
    assert response.status == 200, response.body
    verdict = response.json()
    assert verdict["verdict"] in ("suspicious", "likely_scam")
    assert verdict["normalized"]["host"] == "paypal-login-verify.top"
    assert verdict["normalized"]["unwrapped_from"] == ["www.google.co.uk"]
    reasons = {r["code"]: r for r in verdict["reasons"]}
    assert reasons["lookalike.combosquat"]["details"]["brand_domain"] == "paypal.com"
    assert "Google AMP viewer" in reasons["url_cues.unwrapped"]["message"]


def test_a_brand_page_on_sites_google_com_is_suspicious_over_http(server: RunningServer) -> None:
    query = urllib.parse.urlencode({"url": "https://sites.google.com/view/binance-airdrop"})
    verdict = server.request("GET", f"/v1/check/link?{query}").json()
    assert verdict["verdict"] in ("suspicious", "likely_scam")
    assert "lookalike.page_on_shared_host" in [r["code"] for r in verdict["reasons"]]
