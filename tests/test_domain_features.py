"""The scam-domain features: the array path (a batch) and the token path (one domain, and the
readable tokens) give every domain the same slots."""

from __future__ import annotations

import json
import random
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from server.links.domain_features import (
    CHUNK,
    MAX_LABEL,
    SHORT_LABEL,
    SMALL_BATCH,
    DomainFeaturizer,
    slot,
)

BRANDS = ["paypal", "metamask", "uniswap", "bbc", "ledger"]
LURES = ["claim", "airdrop", "wallet", "verify", "support", "connect", "bonus"]

DOMAINS = [
    ("claim-metamask-airdrop", "xyz", False),
    ("metamask", "io", False),
    ("bbc", "co.uk", False),
    ("my-bbc-news", "com", False),  # a short brand only as a whole part
    ("abbcd", "com", False),  # ... so not inside another word
    ("uniswap-rewards", "pages.dev", True),
    ("xn--metamsk-5ya", "com", False),
    ("paypa1-verify-0213", "top", False),
    ("walletconnectsupport", "app", False),  # long words glued together
    ("a", "de", False),
    ("ledger-" + "x" * (SHORT_LABEL + 5), "net", False),  # the long-label group
    ("verify" * 12, "com", False),  # longer than a DNS label: cut
    ("support--claim", "ru", False),  # an empty part between two hyphens
    ("0000-0000", "cn", False),
]


def _featurizer() -> DomainFeaturizer:
    return DomainFeaturizer(BRANDS, LURES)


def _rows(indices: np.ndarray, values: np.ndarray) -> list[set[int]]:
    return [set(row[mask > 0].tolist()) for row, mask in zip(indices, values, strict=True)]


def test_a_batch_gives_each_domain_the_slots_of_its_readable_tokens() -> None:
    featurizer = _featurizer()
    batch = DOMAINS * 3  # past SMALL_BATCH: the array path
    assert len(batch) >= SMALL_BATCH
    indices, values = featurizer.batch_slots(*zip(*batch, strict=True))
    for (label, suffix, private), got in zip(batch, _rows(indices, values), strict=True):
        assert got == {slot(t) for t in featurizer.tokens(label, suffix, private)}, label


def test_one_domain_alone_gets_the_slots_it_gets_in_a_batch() -> None:
    featurizer = _featurizer()
    together = _rows(*featurizer.batch_slots(*zip(*(DOMAINS * 2), strict=True)))
    for (label, suffix, private), expected in zip(DOMAINS, together[: len(DOMAINS)], strict=True):
        alone = featurizer.hashed(label, suffix, private)
        assert set(alone.tolist()) == expected and len(alone) == len(expected), label


def test_tokens_say_what_the_model_reads() -> None:
    tokens = _featurizer().tokens("claim-metamask-airdrop", "xyz", False)
    assert {"sfx:xyz", "tld:xyz", "brand:metamask", "lure:claim", "lure:airdrop"} <= set(tokens)
    assert {"brand+lure", "brand+extra", "<cl", "drop>", "hyp:2"} <= set(tokens)
    assert "brand:bbc" not in _featurizer().tokens("abbcd", "com", False)
    assert "brand:bbc" in _featurizer().tokens("my-bbc-news", "com", False)
    assert len(_featurizer().tokens("verify" * 12, "com", False)) == len(
        _featurizer().tokens(("verify" * 12)[:MAX_LABEL], "com", False)
    )


def test_each_row_lists_a_slot_once_and_pads_with_zero_weight() -> None:
    indices, values = _featurizer().batch_slots(*zip(*(DOMAINS * 2), strict=True))
    for row, weight in zip(indices, values, strict=True):
        kept = row[weight > 0]
        assert len(set(kept.tolist())) == len(kept)
        assert set(weight.tolist()) <= {0.0, 1.0}
        assert not row[weight == 0].any()


def test_the_bundled_vocabulary_finds_the_same_words_in_a_batch_as_token_by_token() -> None:
    # The model's own vocabulary (hundreds of brand and lure words, overlapping ones such as
    # "wallet"/"walletconnect"), over labels that glue, repeat and cut those words.
    meta = json.loads((Path(__file__).parents[1] / "models/scam_domain/metadata.json").read_text())
    featurizer = DomainFeaturizer(meta["features"]["brands"], meta["features"]["lures"])
    words = sorted(featurizer.brands + featurizer.lures, key=len)[-40:]
    labels = [f"{a}{b}" for a, b in zip(words, reversed(words), strict=True)]
    labels += [f"x-{w}-{w[:-1]}{w[1:]}" for w in words] + [f"{w}{w}" for w in words[:10]]
    labels += [f"{w[:2]}-{w[2:]}-claim" for w in words[:10]] + ["walletconnectsupport"]
    batch = [(label, "com", False) for label in labels]
    indices, values = featurizer.batch_slots(*zip(*batch, strict=True))
    for label, got in zip(labels, _rows(indices, values), strict=True):
        assert got == {slot(t) for t in featurizer.tokens(label, "com", False)}, label


def _model_featurizer() -> DomainFeaturizer:
    meta = json.loads((Path(__file__).parents[1] / "models/scam_domain/metadata.json").read_text())
    return DomainFeaturizer(meta["features"]["brands"], meta["features"]["lures"])


def _tricky_labels(featurizer: DomainFeaturizer, count: int, seed: int) -> list[str]:
    """Labels that stress every token: vocabulary words glued, split by hyphens and cut
    short, digits, runs of hyphens, punycode, underscores, capitals, empty and over-long."""
    rng = random.Random(seed)
    words = list(featurizer.brands + featurizer.lures)
    pieces = [*words, "-", "--", "0", "42", "xn--", "_", "a", "zz", "Pay", "q9"]
    labels = ["", "-", "--x", "x-", "1", "xn--", "xn--p1ai", "a" * 70, "-" * 63, "wallet" * 11]
    while len(labels) < count:
        parts = [rng.choice(pieces) for _ in range(rng.randint(1, 5))]
        label = "".join(parts)
        if rng.random() < 0.3 and len(label) > 3:  # a word cut at either end
            label = label[rng.randint(0, 2) : len(label) - rng.randint(0, 2)]
        labels.append(label)
    return labels


def _suffixes(count: int, seed: int) -> list[tuple[str, bool]]:
    rng = random.Random(seed)
    public = ["com", "xyz", "co.uk", "com.cn", "top", "io", "gov.cn"]
    private = ["pages.dev", "github.io", "vercel.app"]
    return [
        (rng.choice(private), True) if rng.random() < 0.2 else (rng.choice(public), False)
        for _ in range(count)
    ]


def _check_batch(featurizer: DomainFeaturizer, batch: list[tuple[str, str, bool]]) -> None:
    indices, values = featurizer.batch_slots(*zip(*batch, strict=True))
    for (label, suffix, private), row, weight in zip(batch, indices, values, strict=True):
        expected = sorted({slot(t) for t in featurizer.tokens(label, suffix, private)})
        kept = row[weight > 0].tolist()
        # Each row: its distinct slots ascending, then zero padding with zero weight.
        assert kept == expected and row[len(kept) :].tolist() == [0] * (len(row) - len(kept))
        assert weight[: len(kept)].all() and not weight[len(kept) :].any(), label
    assert indices.shape[1] == max(int(v.sum()) for v in values)


def test_many_tricky_labels_get_the_slots_of_their_readable_tokens() -> None:
    featurizer = _model_featurizer()
    labels = _tricky_labels(featurizer, 600, seed=1)
    suffixes = _suffixes(len(labels), seed=2)
    batch = [(label, sfx, private) for label, (sfx, private) in zip(labels, suffixes, strict=True)]
    _check_batch(featurizer, batch)  # ASCII: words found through the byte stream
    # One label that is not ASCII sends its chunk through the string word search; the others
    # keep their slots. (Non-ASCII n-grams are bytes, not characters: the hosts we featurise
    # are punycode, so only a caller's raw Unicode label ever gets here.)
    _check_batch(featurizer, batch[:99])
    mixed = [("bücher-wallet", "de", False), *batch[:99]]
    rows = _rows(*featurizer.batch_slots(*zip(*mixed, strict=True)))
    assert rows[1:] == _rows(*featurizer.batch_slots(*zip(*batch[:99], strict=True)))
    assert {slot("lure:wallet"), slot("lure*"), slot("hyp:1")} <= rows[0]


def test_a_batch_longer_than_a_chunk_matches_its_parts() -> None:
    featurizer = _model_featurizer()
    labels = _tricky_labels(featurizer, CHUNK + 70, seed=3)
    batch = [(label, "com", False) for label in labels]
    whole = _rows(*featurizer.batch_slots(*zip(*batch, strict=True)))
    parts = [
        row
        for start in range(0, len(batch), 100)
        for row in _rows(*featurizer.batch_slots(*zip(*batch[start : start + 100], strict=True)))
    ]
    assert whole == parts


def test_suffix_slots_are_learnt_once_and_still_right_past_the_cache() -> None:
    featurizer = _featurizer()
    featurizer.suffix_cache = 40
    # 90 distinct suffixes, each new one twice in a row, in a batch and again: past the
    # table's first size and past the cache.
    suffixes = [f"s{i // 2}.example" for i in range(180)]
    for _ in range(2):
        _check_batch(featurizer, [("claim-metamask", sfx, False) for sfx in suffixes])


def test_two_threads_learning_new_suffixes_at_once_give_each_its_own_slots() -> None:
    """The server featurises batches on two threads; the suffix table they share must end up
    as if one thread had learnt every suffix."""
    suffixes = [f"x{i:03d}zz" for i in range(400)]
    batches = [
        [(f"claim-wallet-{j}", suffixes[(j * 7 + k) % 400], False) for k in range(40)]
        for j in range(40)
    ]
    alone = _featurizer()
    expected = [_rows(*alone.batch_slots(*zip(*b, strict=True))) for b in batches]
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # hand the GIL over as often as possible: races show
    try:
        for _ in range(5):  # a race is a matter of timing: several fresh tables
            shared = _featurizer()
            with ThreadPoolExecutor(2) as pool:
                list(pool.map(lambda b, f=shared: f.batch_slots(*zip(*b, strict=True)), batches))
            for batch, want in zip(batches, expected, strict=True):
                assert _rows(*shared.batch_slots(*zip(*batch, strict=True))) == want
    finally:
        sys.setswitchinterval(switch)
