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
from typing import Any

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
        self._flags = _walk_flags(self._rules, self._nodes)
        #: ``x`` for every private ``*.x`` rule (a wildcard's own label is private too).
        self._private_wildcards = frozenset(
            rule[2:] for rule in self._private if rule.startswith("*.")
        )
        self.split = lru_cache(maxsize=200_000)(self._split)

    def is_suffix(self, host: str) -> bool:
        """True when ``host`` is itself a public suffix (``co.uk``, ``pages.dev``)."""
        parts = self.split(host)
        return not parts.label and bool(parts.suffix)

    def _split(self, host: str) -> DomainParts:
        """The PSL walk from the rightmost label, one table lookup a label.

        ``_flags`` answers at once what the rule set was asked three times a label: is this
        tail a rule, an exception (``!tail``), the parent of a wildcard (``*.tail``), and does
        any longer rule end with it. Same answers as asking the set (a test compares both).
        """
        labels = host.split(".")
        flags_of = self._flags
        best: int | None = None
        suffix = candidate = ""
        parent_flags = 0
        start = len(labels)
        while start:
            start -= 1
            parent = candidate
            candidate = labels[start] + "." + parent if parent else labels[start]
            flags = flags_of.get(candidate, 0)
            if flags & _EXCEPTION:
                best, suffix = start + 1, parent
                break
            if flags & _RULE or parent_flags & _WILDCARD:
                best, suffix = start, candidate
            if not flags & _NODE:
                break
            parent_flags = flags
        if best is None:
            if len(labels) < 2:
                return _NO_PARTS
            # A TLD missing from the snapshot still ends a name; treat it as a suffix so
            # ``brand.newtld`` has a registrable domain rather than none.
            best = len(labels) - 1
            suffix = labels[best]
        elif not labels[-1]:
            # ``host.`` builds its tails without the empty label; the suffix keeps it.
            suffix = ".".join(labels[best:])
        if best == 0:
            return _domain_parts("", "", suffix, suffix in self._private)
        label = labels[best - 1]
        subdomain = ".".join(labels[: best - 1]) if best > 1 else ""
        private = suffix in self._private or (suffix.partition(".")[2] in self._private_wildcards)
        return _domain_parts(subdomain, label, suffix, private)


_RULE, _EXCEPTION, _WILDCARD, _NODE = 1, 2, 4, 8


def _walk_flags(rules: frozenset[str], nodes: frozenset[str]) -> dict[str, int]:
    """For every string the walk can ask about: ``_RULE`` if it is a rule, ``_EXCEPTION`` if
    ``!it`` is one, ``_WILDCARD`` if ``*.it`` is one, ``_NODE`` if it is a tail of a rule."""
    flags: dict[str, int] = dict.fromkeys(nodes, _NODE)
    for rule in rules:
        flags[rule] = flags.get(rule, 0) | _RULE
        if rule.startswith("!"):
            flags[rule[1:]] = flags.get(rule[1:], 0) | _EXCEPTION
        # ``*.`` alone is never asked for: the walk only checks a wildcard over a real parent.
        if rule.startswith("*.") and len(rule) > 2:
            flags[rule[2:]] = flags.get(rule[2:], 0) | _WILDCARD
    return flags


def writable_twin(cls: type) -> Any:
    """A class with ``cls``'s slots and nothing else, whose attributes plain stores can set.

    A filled-in twin becomes a real ``cls`` by ``twin.__class__ = cls`` (Python allows it
    between classes of the same slot layout): equal, hashable and frozen like what ``cls(...)``
    makes, at a third of the cost of a frozen dataclass's ``__init__`` (one
    ``object.__setattr__`` call a field). For the few objects made for every new URL.
    """
    return type(f"{cls.__name__}Draft", (), {"__slots__": vars(cls)["__slots__"]})


_new = object.__new__
_DomainPartsDraft = writable_twin(DomainParts)


def _domain_parts(subdomain: str, label: str, suffix: str, private_suffix: bool) -> DomainParts:
    """``DomainParts(...)``, faster (see ``writable_twin``; a test checks they are equal)."""
    draft = _new(_DomainPartsDraft)
    draft.subdomain = subdomain
    draft.label = label
    draft.suffix = suffix
    draft.private_suffix = private_suffix
    draft.registrable = f"{label}.{suffix}" if label and suffix else ""
    draft.__class__ = DomainParts
    parts: DomainParts = draft
    return parts


_NO_PARTS = DomainParts("", "", "", False)


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
