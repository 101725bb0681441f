"""Data the detectors share, loaded once per process and reached through the app.

Detectors build their own indexes from these in ``__init__`` (see ``registry.py``); nothing
here is a module global, so tests and the CLI can build as many independent sets as they like.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources as importlib_resources
from pathlib import Path
from typing import Any

from server.community.confirmed import ConfirmedItemsHolder
from server.links.domains import SuffixList
from server.links.lookalikes import ProtectedSet, read_brand_rows
from server.links.redirectors import Redirectors
from server.links.url import LinkParser
from server.lists import ListIndexHolder
from server.media.bank import KnownFakesHolder
from server.media.ocr import OcrEngine
from server.onnx_runtime import ModelStore
from server.persons.embed import FaceEmbedder
from server.persons.registry import PersonIndexHolder
from server.settings import Settings


def bundled_data_dir() -> Path:
    """``server/data``: lists and tables shipped with FakeWatch (see its ATTRIBUTION.md)."""
    return Path(str(importlib_resources.files("server") / "data"))


def read_lines(path: Path) -> list[str]:
    """Non-empty, non-comment lines of a bundled text file."""
    lines = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            lines.append(line)
    return lines


@dataclass
class Resources:
    """Everything a detector may read: settings, parsers, the list index, bundled tables."""

    settings: Settings
    suffixes: SuffixList
    parser: LinkParser
    lists: ListIndexHolder
    #: Registrable domains of the bundled top-sites list (Tranco top 20k), in rank order.
    top_sites: tuple[str, ...]
    data_dir: Path
    #: ONNX models (``models/<name>/``), each verified and loaded once on first ``get``.
    models: ModelStore
    #: The known-fakes bank (``server/media/bank.py``): swapped whole when the bank changes.
    known_fakes: KnownFakesHolder
    #: Protected persons (``server/persons``): swapped whole when the registry changes.
    persons: PersonIndexHolder
    #: Face embeddings (dlib 5-point + ResNet), loaded on first use and then shared.
    embedder: FaceEmbedder
    #: OCR for text inside media (``server/media/ocr.py``), loaded on first use, cached by hash.
    ocr: OcrEngine
    #: Analyses of a media item's faces, by ``MediaItem.memo`` key, that start on the face
    #: thread as soon as a check starts face work (``server.media.faces.start_face_work``).
    face_work: dict[str, Callable[[Any], object]] = field(default_factory=dict)
    #: Confirmed message, phone and wallet cases (``server/community/confirmed.py``): swapped
    #: whole with the lists, when the lists version moves.
    confirmed_items: ConfirmedItemsHolder = field(default_factory=ConfirmedItemsHolder)

    @cached_property
    def protected(self) -> ProtectedSet:
        """The sites that are ours to protect, never to suspect: ``top_sites``, the curated
        brands' domains (``protected_brands.tsv``) and the known-legit hosts (MetaMask's
        allowlist, ``known_legit.txt``). Built from ``top_sites`` on first use, so a copy
        with other top sites (``dataclasses.replace``) gets its own."""
        data = self.data_dir
        return ProtectedSet(
            self.suffixes,
            self.top_sites,
            read_brand_rows(data / "protected_brands.tsv"),
            read_lines(data / "known_legit.txt"),
        )

    @classmethod
    def load(cls, settings: Settings, lists: ListIndexHolder | None = None) -> Resources:
        data_dir = bundled_data_dir()
        suffixes = SuffixList(read_lines(data_dir / "hosting_suffixes.txt"))
        parser = LinkParser(suffixes, Redirectors(), max_length=settings.max_url_length)
        top_sites = tuple(read_lines(data_dir / "top_sites.txt"))
        return cls(
            settings=settings,
            suffixes=suffixes,
            parser=parser,
            lists=lists if lists is not None else ListIndexHolder(),
            top_sites=top_sites,
            data_dir=data_dir,
            models=ModelStore(
                Path(settings.models_dir) if settings.models_dir else None,
                threads=settings.onnx_threads,
            ),
            persons=PersonIndexHolder(),
            known_fakes=KnownFakesHolder(),
            embedder=FaceEmbedder(),
            ocr=OcrEngine(max_side=settings.ocr_max_side),
        )
