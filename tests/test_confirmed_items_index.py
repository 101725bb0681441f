"""The confirmed-items index: items are matched in their case key's form, a message inside a
longer one only at word boundaries and above a length floor, and the page named is the one
alerts carry."""

from __future__ import annotations

from typing import Any

from server.community.confirmed import MIN_INSIDE_CHARS, ConfirmedItems, substance
from server.community.items import phone_key, text_key, text_template, wallet_key
from server.web.urls import case_path

BECH32 = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"  # BIP-173 test vector


def row(case_id: int, kind: str, key: str, display: str = "") -> dict[str, Any]:
    return {
        "id": case_id,
        "kind": kind,
        "key": key,
        "display": display,
        "category": "other",
        "decided_at": "2026-11-24T01:02:03Z",
    }


def text_row(case_id: int, text: str, *, kept: bool = False) -> dict[str, Any]:
    """A confirmed message case; ``kept``: with its template (cases since migration m012)."""
    key = text_key(text)
    return {
        **row(case_id, "text", key.key, key.display),
        "template": key.template if kept else None,
    }


def test_the_page_named_is_the_alerts_page() -> None:
    items = ConfirmedItems([row(7, "phone", "+447700900456")])
    case = items.phone("+447700900456")
    assert case is not None and case.page == case_path(7)


def test_phones_match_in_the_case_keys_form() -> None:
    items = ConfirmedItems([row(1, "phone", phone_key("+44 (0)7700-900 456").key)])
    assert items.phone("+4407700900456") is not None
    items = ConfirmedItems([row(1, "phone", phone_key("0044 7700 900456").key)])
    assert items.phone("+447700900456") is not None
    assert items.phone("+447700900457") is None
    assert items.phone("447700900456") is None  # without + it is not known to be that number


def test_wallets_follow_each_chains_case_rules() -> None:
    evm = "0x52908400098527886E0F7030069857D2E4169EE7"
    tron = "TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE"
    items = ConfirmedItems(
        [
            row(1, "wallet", wallet_key(evm).key),
            row(2, "wallet", wallet_key(tron).key),
            row(3, "wallet", wallet_key(BECH32.upper()).key),
        ]
    )
    assert items.wallet(evm.lower()) is not None and items.wallet(evm.upper()[2:]) is None
    assert items.wallet(tron) is not None and items.wallet(tron.lower()) is None
    assert items.wallet(BECH32) is not None


def test_a_message_matches_its_template_and_inside_only_at_word_boundaries() -> None:
    text = "Hi mum, new phone! Can you send £200 to my mate's account today, I'll explain later x"
    assert substance(text_template(text)) >= MIN_INSIDE_CHARS
    items = ConfirmedItems([text_row(4, text)])
    same = items.message(text_template(text.upper().replace(" ", "  ")))
    assert same is not None and (same.case.id, same.how) == (4, "same")
    inside = items.message(text_template("FW: " + text + " -- Jo"))
    assert inside is not None and inside.how == "inside"
    # Glued to a word, it is another word: not the message.
    assert items.message(text_template("xHi mum, new phone! " + text[20:])) is None
    assert items.message(text_template(text[:-2] + "xyz")) is None


def test_a_short_message_or_a_cut_one_without_its_template_is_matched_whole_only() -> None:
    short = "Hi mum, it's me, new phone"
    long = "Hi mum, it's me, I need £20 today. " * 7  # over 200 characters: display is cut
    items = ConfirmedItems([text_row(1, short), text_row(2, long)])
    assert items.message(text_template(short)) is not None
    assert items.message(text_template("Oh " + short + " indeed")) is None
    assert items.message(text_template(long)) is not None
    assert items.message(text_template("Fwd: " + long)) is None
    kept = ConfirmedItems([text_row(2, long, kept=True)])
    found = kept.message(text_template("Fwd: " + long))
    assert found is not None and found.how == "inside"


def test_a_kept_template_that_is_not_the_keys_is_ignored() -> None:
    text = "Hi mum, new phone! Can you send £200 to my mate's account today, I'll explain later x"
    forged = {**text_row(1, "x" * 300), "template": text_template(text)}
    assert ConfirmedItems([forged]).message(text_template("Fwd: " + text)) is None


def test_a_placeholder_message_decides_nothing() -> None:
    items = ConfirmedItems([text_row(1, "call 123 now http://x.example")])
    assert items.message(text_template("call 999 now https://bank.example")) is None


def test_nothing_confirmed_is_falsy_and_matches_nothing() -> None:
    items = ConfirmedItems()
    assert not items
    assert items.message("anything at all") is None and items.phone("+447700900456") is None
