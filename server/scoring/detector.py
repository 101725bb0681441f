"""The one shape every detector has.

A detector is a small class with a stable ``name``, a ``version``, the content ``kinds`` it
reads, a ``messages`` table (one sentence per evidence code, in every language we speak),
``score(content) -> evidence`` and ``examples()`` that drive its contract tests
(``tests/test_detector_contract.py``). Built-in detectors are listed in ``registry.py``
exactly as a third-party one would be.

``score`` is plain synchronous CPU work over in-memory state: the pipeline runs it in an
executor with a time limit, so it must not do network or database I/O.

Link verdicts are cached by URL and list-index version (``pipeline.LinkResultCache``). A
link detector whose evidence depends on other mutable state sets ``cacheable = False``.

A link detector may split ``score`` in two (optional, a speed-up only): ``score_host(host)``
for evidence that reads the host alone, which the pipeline computes once per host and list
version, and ``score_path(link)`` for the rest; ``score(link)`` must equal the two together.
``score_path`` must stay cheap (a few microseconds, linear in the URL's length): when every
link detector is split, a few links of known hosts are scored on the event loop.
Detectors that read the same thing as another (the patterns and the classifier both read a
message's words) say so with ``reads`` (a class attribute, stamped on their ``Evidence``): a
supporting cue corroborates a primary finding only from another reader (``combiner`` rule 3).

Like ``prime(items)`` (batch work before ``score``, or before ``score_host`` over the new hosts
of a batch), the pipeline finds them with ``getattr``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from server.scoring.evidence import Evidence

if TYPE_CHECKING:
    from server.scoring.resources import Resources


class ContentKind(StrEnum):
    LINK = "link"
    MEDIA = "media"
    TEXT = "text"


@dataclass(frozen=True, slots=True)
class Example:
    """An input and what a detector must (and must not) say about it.

    ``expect`` are evidence codes that must appear; ``forbid`` codes that must not. An
    example with neither states "this detector stays silent here".
    """

    kind: ContentKind
    value: str
    expect: frozenset[str] = field(default_factory=frozenset)
    forbid: frozenset[str] = field(default_factory=frozenset)
    why: str = ""


Messages = Mapping[str, Mapping[str, str]]


@runtime_checkable
class Detector(Protocol):
    name: ClassVar[str]
    version: ClassVar[str]
    kinds: ClassVar[frozenset[ContentKind]]
    messages: ClassVar[Messages]

    def __init__(self, resources: Resources) -> None:
        """Build indexes from the shared resources, once per process."""
        ...

    def score(self, content: Any) -> Sequence[Evidence]:
        """Evidence about ``content`` (a ``server.links.url.Link`` for link detectors).

        An empty sequence means "nothing to say", never "safe".
        """
        ...

    @classmethod
    def examples(cls) -> Sequence[Example]:
        """Inputs with the codes this detector must and must not emit on them."""
        ...


def example(
    value: str, expect: Sequence[str] = (), forbid: Sequence[str] = (), why: str = ""
) -> Example:
    """A link example: the shorthand the built-in detectors use."""
    return Example(ContentKind.LINK, value, frozenset(expect), frozenset(forbid), why)
