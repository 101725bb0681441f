"""Links, phone numbers and wallet addresses pulled out of a message."""

from __future__ import annotations

from server.links.domains import SuffixList
from server.text.extract import extract

SUFFIXES = SuffixList()


def test_links_with_a_scheme_stop_where_chinese_text_resumes() -> None:
    found = extract("【中国联通】点击https://u.10010.cn/qAE9U立即参与，回复TD退订。")
    assert found.links == ("https://u.10010.cn/qAE9U",)


def test_bare_domains_count_only_with_a_real_top_level_domain() -> None:
    found = extract("claim at btc-x2.top/claim now, see notes.txt", SUFFIXES.is_suffix)
    assert found.links == ("btc-x2.top/claim",)
    assert extract("claim at btc-x2.top/claim now").links == ()


def test_full_width_links_are_read_as_the_link_they_show() -> None:
    assert extract("访问ｗｗｗ．ｅｘａｍｐｌｅ．ｃｏｍ领取").links == ("www.example.com",)


def test_wallets_must_pass_their_checksum() -> None:
    text = (
        "BTC bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq or 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2, "
        "USDT TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t, ETH 0x52908400098527886E0F7030069857D2E4169EE7"
    )
    chains = {(w.chain, w.address) for w in extract(text).wallets}
    assert chains == {
        ("bitcoin", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"),
        ("bitcoin", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"),
        ("tron", "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"),
        ("evm", "0x52908400098527886E0F7030069857D2E4169EE7"),
    }
    # One character changed: the checksum fails, so it is not reported as a wallet.
    assert extract("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3").wallets == ()
    assert extract("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdp").wallets == ()


def test_phone_numbers_but_not_dates_amounts_or_order_numbers() -> None:
    found = extract(
        "Call +44 20 7946 0958 or 13812345678 or 0906 170 1461 before 2024-01-02; "
        "prize 1000000, order 123456789"
    )
    assert [digits for _, digits in found.phones] == ["+442079460958", "13812345678", "09061701461"]


def test_details_are_plain_json() -> None:
    details = extract(
        "pay 0x52908400098527886E0F7030069857D2E4169EE7 via https://x.example/p"
    ).as_details()
    assert details == {
        "links": ["https://x.example/p"],
        "phones": [],
        "wallets": [{"chain": "evm", "address": "0x52908400098527886E0F7030069857D2E4169EE7"}],
        "refanged": [],
    }
