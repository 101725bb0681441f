"""The filters that keep reported model figures honest (audit 32): a scam-domain test set without
names the model trained on under another suffix, and scam-text test messages with a
near-duplicate twin in train+val."""

from __future__ import annotations

from models.scam_domain.dataset import Domain, disjoint_subsets, fold
from models.scam_text.dataset import Message, twins


def _domain(registrable: str) -> Domain:
    label, _, suffix = registrable.partition(".")
    return Domain(registrable, label, suffix, False)


def test_a_training_name_under_another_suffix_is_not_label_disjoint() -> None:
    trained = [_domain("claim-masa.net"), _domain("stakestone.app")]
    test = [_domain("claim-masa.com"), _domain("stake-stone.xyz"), _domain("uniswap-gift.top")]

    subsets = disjoint_subsets(trained, test)

    assert [d.registrable for d in subsets["all"]] == [d.registrable for d in test]
    assert [d.registrable for d in subsets["label-disjoint"]] == [
        "stake-stone.xyz",
        "uniswap-gift.top",
    ]
    assert [d.registrable for d in subsets["folded-disjoint"]] == ["uniswap-gift.top"]


def test_folding_drops_digits_and_hyphens_only() -> None:
    assert fold("claim-aave-2") == "claimaave"
    assert fold("xn--mtamask-1za") == "xnmtamaskza"
    assert fold("bank") == "bank"


def _message(text: str, split: str, source: str = "s") -> Message:
    return Message(text, 0, "en", source, split)


def test_a_test_message_with_a_reworded_copy_in_training_is_a_twin() -> None:
    messages = [
        _message("Claim your free ringtone now, reply TONE to 80488 from any phone", "train"),
        _message("Lunch at noon tomorrow? I'll bring the documents for the bank", "val"),
        _message("Claim your free ringtone: reply TONE to 80488 from any phone now", "test"),
        _message("The weather in the mountains was cold and wet all week long", "test"),
        # The same text in another source is not its twin: sources are compared apart.
        _message("Lunch at noon tomorrow? I'll bring the documents for the bank", "test", "t"),
    ]

    assert twins(messages) == [False, False, True, False, False]


def test_the_cosine_threshold_decides_what_a_twin_is() -> None:
    messages = [
        _message("Your parcel is waiting, pay the customs fee at the link", "train"),
        _message("Your parcel is waiting: pay the small customs fee today at the link", "test"),
    ]

    assert twins(messages, threshold=0.5) == [False, True]
    assert twins(messages, threshold=0.99) == [False, False]
