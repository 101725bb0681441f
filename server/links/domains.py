"""Registrable domains by the Public Suffix List, private section included, never downloaded.

The suffix set comes from tldextract's bundled snapshot (``suffix_list_urls=()``, no cache
dir: zero network calls). We keep our own set lookup over it because ``tldextract.extract``
costs ~8 µs a host and link checks run at tens of thousands a second.

Shared-hosting suffixes that the PSL lacks (polkadot-js's allow list) are added as private
suffixes, so ``metamask-io.pages.dev`` is its own site and never ``pages.dev``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import tldextract


@dataclass(frozen=True, slots=True)
class DomainParts:
    """``a.b.example.co.uk`` → subdomain ``a.b``, label ``example``, suffix ``co.uk``.

    ``registrable`` is ``label.suffix`` (empty when the host *is* a suffix or has no known
    suffix); ``private_suffix`` is true when the suffix is a shared-hosting one.
    """

    subdomain: str
    label: str
    suffix: str
    private_suffix: bool
    #: Worked out once: every link detector reads it, several times a link.
    registrable: str = field(init=False, compare=False)

    def __post_init__(self) -> None:
        label, suffix = self.label, self.suffix
        object.__setattr__(self, "registrable", f"{label}.{suffix}" if label and suffix else "")


class SuffixList:
    """Public Suffix List lookups (ICANN and private sections) over ASCII (punycode) hosts."""

    def __init__(self, extra_private_suffixes: Iterable[str] = ()) -> None:
        with_private = tldextract.TLDExtract(
            suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True
        )
        icann_only = tldextract.TLDExtract(
            suffix_list_urls=(), cache_dir=None, include_psl_private_domains=False
        )
        everything = {_to_ascii_rule(rule) for rule in with_private.tlds}
        icann = {_to_ascii_rule(rule) for rule in icann_only.tlds}
        extra = {s.strip().lower().removeprefix("*.") for s in extra_private_suffixes}
        extra.discard("")
        self._rules = frozenset(everything | extra)
        self._private = frozenset((everything - icann) | (extra - icann))
        # Every right-hand tail of every rule: the walk stops as soon as it leaves this set.
        self._nodes = frozenset(
            ".".join(parts[i:])
            for rule in self._rules
            for parts in [rule.removeprefix("!").removeprefix("*.").split(".")]
            for i in range(len(parts))
        )
        self.split = lru_cache(maxsize=200_000)(self._split)

    def is_suffix(self, host: str) -> bool:
        """True when ``host`` is itself a public suffix (``co.uk``, ``pages.dev``)."""
        parts = self.split(host)
        return not parts.label and bool(parts.suffix)

    def _split(self, host: str) -> DomainParts:
        labels = host.split(".")
        suffix_start = self._suffix_start(labels)
        if suffix_start is None:
            return DomainParts("", "", "", False)
        suffix = ".".join(labels[suffix_start:])
        if suffix_start == 0:
            return DomainParts("", "", suffix, suffix in self._private)
        label = labels[suffix_start - 1]
        subdomain = ".".join(labels[: suffix_start - 1])
        private = suffix in self._private or _wildcard_of(labels, suffix_start) in self._private
        return DomainParts(subdomain, label, suffix, private)

    def _suffix_start(self, labels: list[str]) -> int | None:
        """Index of the first label of the longest matching suffix rule (PSL algorithm)."""
        rules, nodes = self._rules, self._nodes
        best: int | None = None
        candidate = ""
        for start in range(len(labels) - 1, -1, -1):
            parent = candidate
            candidate = labels[start] + "." + parent if parent else labels[start]
            if "!" + candidate in rules:
                return start + 1
            if candidate in rules or (parent and "*." + parent in rules):
                best = start
            if candidate not in nodes:
                break
        if best is None and len(labels) > 1:
            # A TLD missing from the snapshot still ends a name; treat it as a suffix so
            # ``brand.newtld`` has a registrable domain rather than none.
            return len(labels) - 1
        return best


def _wildcard_of(labels: list[str], suffix_start: int) -> str:
    return "*." + ".".join(labels[suffix_start + 1 :])


def _to_ascii_rule(rule: str) -> str:
    """PSL rules are Unicode (``公司.cn``); hosts reach us as punycode, so store both forms."""
    prefix = ""
    if rule.startswith(("!", "*.")):
        prefix = "!" if rule.startswith("!") else "*."
        rule = rule[len(prefix) :]
    try:
        ascii_rule = rule.encode("idna").decode("ascii")
    except UnicodeError:
        return prefix + rule
    return prefix + ascii_rule.lower()
