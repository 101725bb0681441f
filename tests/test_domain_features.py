"""The scam-domain features: the array path (a batch) and the token path (one domain, and the
readable tokens) give every domain the same slots."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from server.links.domain_features import MAX_LABEL, SHORT_LABEL, SMALL_BATCH, DomainFeaturizer, slot

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
