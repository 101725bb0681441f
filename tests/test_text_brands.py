"""A brand's name is not a scam word (review 34 #8): 支付 inside 支付宝 is no payment, and a
platform named beside a topic (退款, 征信, 验证码) is what every genuine notice of that platform
says; fake customer service needs the scam's own act."""

from __future__ import annotations

from typing import Any

import pytest

from server.scoring.resources import bundled_data_dir
from server.text.patterns import Pattern, PatternSet, prepare
from tests.support.server import RunningServer

PATTERNS = PatternSet.load(bundled_data_dir() / "text_patterns.yaml")
BRANDS = sorted(PATTERNS.brands.pattern.split("|")) if PATTERNS.brands else []


def _inside(pattern: Pattern) -> list[tuple[int, str]]:
    """(group, brand) where a regex of the group matches a strict part of the brand name."""
    return [
        (index, brand)
        for index, group in enumerate(pattern.all_of)
        for brand in BRANDS
        if any(m.span() != (0, len(brand)) for regex in group for m in regex.finditer(brand))
    ]


CASES = [(p, index, brand) for p in PATTERNS.patterns for index, brand in _inside(p)]


def test_the_brand_list_holds_the_curated_chinese_names_and_the_file_s_own() -> None:
    assert {"支付宝", "微信支付", "中国工商银行", "工商银行"} <= set(BRANDS)
    assert CASES, "some pattern word sits inside a brand name (支付 in 支付宝)"


@pytest.mark.parametrize(
    ("pattern", "index", "brand"), CASES, ids=[f"{p.id}-{i}-{b}" for p, i, b in CASES]
)
def test_a_brand_name_in_place_of_a_pattern_word_does_not_satisfy_its_group(
    pattern: Pattern, index: int, brand: str
) -> None:
    for example in pattern.match_examples:
        prepared = prepare(example)
        matched = pattern.search(prepared)
        if matched is None:
            continue
        swapped = prepared.replace(matched[index], brand)
        spans = [m.span() for m in PATTERNS.brands.finditer(swapped)] if PATTERNS.brands else []
        after = pattern.search(swapped, spans)
        if after is not None:
            word = after[index]
            assert word == brand or word not in brand, (example, swapped, after)


def _check(server: RunningServer, text: str) -> dict[str, Any]:
    response = server.request("POST", "/v1/check/text", json_body={"text": text, "lang": "zh"})
    assert response.status == 200, response.body
    result: dict[str, Any] = response.json()
    return result


def test_genuine_platform_notices_read_clean_and_the_scam_s_act_still_fires(
    server: RunningServer,
) -> None:
    for text in (
        "【支付宝】您的花呗本月账单已出，请于10日前还款，逾期将影响您的征信记录。",
        "【支付宝】验证码482913，您正在登录，客服不会向您索要验证码，请勿泄露。",
        "【京东】您的订单退款已原路退回，预计1-3个工作日到账。",
        "【淘宝】您购买的商品已由中通快递揽收，请留意物流信息。",
    ):
        verdict = _check(server, text)
        assert verdict["verdict"] == "no_known_signals", (text, verdict["reasons"])
        assert verdict["reasons"] == [], text
    scam = _check(server, "您好，我是支付宝客服，您的百万保障即将扣费，请下载会议软件共享屏幕关闭")
    patterns = {r["details"].get("pattern") for r in scam["reasons"]}
    assert "fake_customer_service" in patterns
