"""The engine: resources, detectors, pipeline and renderer built once, used by API and CLI.

``fakewatch check`` and ``POST /v1/check/links`` go through the same object, so the CLI's
verdict is the API's verdict.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from typing import Any, TypeVar

import orjson
from sqlite_utils import Database

from server.community.store import load_confirmed
from server.i18n import advice_subject
from server.links.carried import worst_of
from server.links.url import Host
from server.list_sources import bundled_entries, load_index
from server.lists import ListEntry, ListIndex
from server.persons.store import load_index as load_persons
from server.scoring.combiner import Outcome
from server.scoring.detector import ContentKind, Detector
from server.scoring.pipeline import LinkResult, Pipeline, Scored
from server.scoring.registry import build_detectors
from server.scoring.render import Renderer
from server.scoring.resources import Resources
from server.settings import Settings
from server.storage import known_fakes as known_fakes_queries
from server.storage.database import snapshot

_T = TypeVar("_T")
log = logging.getLogger("fakewatch.engine")


class Engine:
    def __init__(
        self,
        settings: Settings,
        resources: Resources,
        detectors: Sequence[Detector],
        bundled: Sequence[ListEntry] = (),
    ) -> None:
        self.settings = settings
        self._bundled = tuple(bundled)
        self._reload_lock = threading.Lock()
        self.resources = resources
        self.detectors = tuple(detectors)
        self.pipeline = Pipeline(
            self.detectors,
            timeout_s=settings.detector_timeout_ms / 1000,
            link_cache_size=settings.link_cache_size,
        )
        # A javascript:/data: link with several addresses is judged by the worst of them.
        resources.parser.rank_carried = worst_of(self.pipeline)
        self.renderer = Renderer(self.detectors)
        self._link_versions = self.versions(ContentKind.LINK)
        # Rendered link verdicts (see ``link_json``), as many as the verdict cache holds.
        self._rendered: OrderedDict[
            tuple[str, str, int], tuple[bytes, bytes, bytes | None, str | None]
        ] = OrderedDict()
        self._rendered_size = self.pipeline.link_cache.size  # 0 when a detector opts out
        # The rendered verdict part of shared outcomes, by outcome and language; the outcome
        # is held so that its id cannot be reused while the entry lives.
        self._outcome_json: OrderedDict[tuple[int, str], tuple[Outcome, bytes]] = OrderedDict()
        self._outcome_json_size = max(self._rendered_size, 1)
        # The JSON of a link's host fields, by host (held, so its id is not reused meanwhile).
        self._host_json: dict[int, tuple[Any, bytes]] = {}

    @classmethod
    def build(cls, settings: Settings, db: Database | None = None) -> Engine:
        """Load every resource and list (seconds of CPU: call it off the event loop)."""
        resources = Resources.load(settings)
        bundled = tuple(bundled_entries(resources.data_dir)) if settings.bundled_blocklist else ()
        index = load_index(db, bundled) if db is not None else ListIndex(bundled)
        resources.lists.swap(index)
        if db is not None:
            resources.persons.swap(load_persons(db, settings.face_match_distance))
            resources.known_fakes.swap(known_fakes_queries.load_index(db))
            resources.confirmed_items.swap(load_confirmed(db))
        return cls(settings, resources, build_detectors(resources), bundled)

    @property
    def lists_version(self) -> int:
        return self.resources.lists.current.version

    def reload_lists(self, db: Database) -> None:
        """Rebuild the list index from the database and swap it in (worker thread)."""
        index, confirmed = _read_whole(
            db, lambda db: (load_index(db, self._bundled), load_confirmed(db))
        )
        if self._swap_if_newer(self.resources.lists, index):
            log.info(
                "lists reloaded", extra={"lists_version": index.version, "entries": index.size}
            )
        # Confirmed message, phone and wallet cases move the lists version too.
        self._swap_if_newer(self.resources.confirmed_items, confirmed)

    @property
    def persons_version(self) -> int:
        return self.resources.persons.current.version

    def reload_persons(self, db: Database) -> None:
        """Rebuild the protected-person index from the database and swap it in (worker thread)."""
        index = _read_whole(db, lambda db: load_persons(db, self.settings.face_match_distance))
        if self._swap_if_newer(self.resources.persons, index):
            log.info(
                "persons reloaded",
                extra={"persons_version": index.version, "persons": len(index.persons)},
            )

    @property
    def known_fakes_version(self) -> int:
        return self.resources.known_fakes.current.version

    def reload_known_fakes(self, db: Database) -> None:
        """Rebuild the known-fakes index from the database and swap it in (worker thread)."""
        index = _read_whole(db, known_fakes_queries.load_index)
        if self._swap_if_newer(self.resources.known_fakes, index):
            log.info(
                "known fakes reloaded",
                extra={"known_fakes_version": index.version, "hashes": index.index.size},
            )

    def _swap_if_newer(self, holder: Any, index: Any) -> bool:
        """Swap ``index`` in unless the one in use is newer. Two reloads can race (the periodic
        refresh and a write's own reload): the slower must not put back the state the faster
        replaced. Versions only grow, so an older version is a stale read."""
        with self._reload_lock:
            if index.version < holder.current.version:
                return False
            holder.swap(index)
            return True

    def versions(self, *kinds: ContentKind) -> dict[str, str]:
        """``{detector: version}`` behind a verdict over these kinds (links by default)."""
        found: dict[str, str] = {}
        for kind in kinds or (ContentKind.LINK,):
            found.update(self.pipeline.versions(kind))
        return found

    def render(
        self,
        scored: Scored,
        lang: str,
        kinds: Sequence[ContentKind],
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Combine merged evidence once and render the verdict object (text, media checks)."""
        media = (extra or {}).get("media")
        subject = advice_subject(kinds, media.get("kind") if isinstance(media, Mapping) else None)
        return self.renderer.outcome(
            scored.outcome(), lang, self.versions(*kinds), extra, subject=subject
        )

    def render_links(self, results: Sequence[LinkResult], lang: str) -> list[dict[str, Any]]:
        versions = self.versions()
        return [self.renderer.link_result(result, lang, versions) for result in results]

    def check_links_sync(self, urls: Sequence[str]) -> list[LinkResult]:
        return self.pipeline.check_links_sync(urls, self.resources.parser.parse, self.lists_version)

    async def check_links(
        self, urls: Sequence[str], executor: Executor | None = None, state: int | None = None
    ) -> list[LinkResult]:
        """Verdicts for ``urls``; ``state`` is the list version to key caches by (the current
        one by default; pass it when the results will be rendered with ``link_json``)."""
        return await self.pipeline.check_links(
            urls,
            self.resources.parser.parse,
            executor,
            self.lists_version if state is None else state,
        )

    def _link_parts(
        self, result: LinkResult, lang: str, versions: Mapping[str, str]
    ) -> tuple[bytes, bytes]:
        """``renderer.link_result`` as JSON in two pieces: the link's own fields (from the
        opening brace, with a comma after them) and the verdict part (reasons, summary…, up
        to the closing brace, which is left off). The verdict part of an outcome shared by
        many links (every page of a host whose path adds nothing) is rendered once per
        language and shared; a test checks the pieces joined equal rendering the whole
        result."""
        link = result.link
        if link is None or result.error is not None:
            return orjson.dumps(self.renderer.link_result(result, lang, versions))[:-1], b""
        outcome = result.outcome
        key = (id(outcome), lang)
        outcome_json = self._outcome_json
        shared = outcome_json.get(key)
        if shared is not None and shared[0] is outcome:
            outcome_json.move_to_end(key)
        else:  # not rendered yet, or the id of a freed outcome, reused
            body = self.renderer.outcome_json(outcome, lang, versions)
            shared = (outcome, body[1:-1])  # without its braces
            outcome_json[key] = shared
            if len(outcome_json) > self._outcome_json_size:
                outcome_json.popitem(last=False)
        # The fields after the normalised URL read only the host (shared by the links of a
        # host, so kept by host) and the redirectors unwrapped (most links: none).
        host = link.host
        wrappers = link.wrappers
        if wrappers:
            host_fields = _host_fields(host, [w.host for w in wrappers])
        else:
            cached = self._host_json.get(id(host))
            if cached is not None and cached[0] is host:
                host_fields = cached[1]
            else:
                host_fields = _host_fields(host, [])
                if len(self._host_json) >= self._outcome_json_size:
                    self._host_json.clear()
                self._host_json[id(host)] = (host, host_fields)
        dumps = orjson.dumps
        own = b"".join(
            (
                _URL_KEY,
                dumps(result.input),
                _NORMALIZED_KEY,
                dumps(link.url),
                b",",
                host_fields,
                b",",
            )
        )
        return own, shared[1]

    def _render_link(
        self,
        result: LinkResult,
        lang: str,
        key: tuple[str, str, int],
        versions: Mapping[str, str],
    ) -> tuple[bytes, bytes, bytes | None, str | None]:
        """The rendering of a result not in the cache (``key``), kept there: its JSON object
        in two pieces (see ``_link_parts``: neither holds the closing brace), the rest of its
        verdict page's address after the server's origin (the path, closing quote and brace;
        ``None`` for an unreadable URL), and the normalised URL."""
        own, shared = self._link_parts(result, lang, versions)
        link = result.link
        normalized = link.url if link is not None else None
        # The page path is base64url: nothing in it needs escaping in a JSON string.
        path = (_link_path(normalized) + '"}').encode() if normalized else None
        found = (own, shared, path, normalized)
        if self._rendered_size > 0 and not result.outcome.partial:
            rendered = self._rendered
            rendered[key] = found
            if len(rendered) > self._rendered_size:
                rendered.popitem(last=False)
        return found

    def link_pieces(
        self, results: Sequence[LinkResult], lang: str, state: int, origin: str
    ) -> list[bytes]:
        """The check endpoints' answer for ``results`` as pieces to join (``b"".join``): each
        verdict object with ``verdict_url``, the page on ``origin`` (``scheme://host`` of this
        server) built from the normalised URL, so credentials a person pasted (user:pass@)
        never reach a shared link; commas between the objects. Joined once, at the end.

        Rendering (messages, summary, JSON) costs more than answering a repeated link from
        the verdict cache, so complete verdicts are kept rendered, by submitted string,
        language and the list version the verdict was computed at.
        """
        quoted = orjson.dumps(origin)[:-1]  # the origin as the start of a JSON string
        versions = self._link_versions
        rendered = self._rendered
        out: list[bytes] = []
        extend = out.extend
        for result in results:
            key = (result.input, lang, state)
            found = rendered.get(key)
            if found is None:
                found = self._render_link(result, lang, key, versions)
            else:
                rendered.move_to_end(key)
            own, shared, path, _ = found
            if path is None:
                extend((own, shared, _NO_VERDICT_URL, b","))
            else:
                extend((own, shared, _VERDICT_URL, quoted, path, b","))
        if out:
            out.pop()  # no comma after the last one
        return out

    def link_json(
        self, results: Sequence[LinkResult], lang: str, state: int
    ) -> list[tuple[bytes, str | None]]:
        """Each result as its JSON object without ``verdict_url`` (bytes ending in ``}``) and
        the normalised URL its verdict page shows (``None`` for an unreadable URL); from the
        same cache as ``link_pieces``."""
        versions = self._link_versions
        rendered = self._rendered
        join = b"".join
        # The cache lookup is link_pieces', written out again: a method call a link was ~1 %
        # of rendering a new host, on the path every bulk check and batch takes.
        out: list[tuple[bytes, str | None]] = []
        append = out.append
        for result in results:
            key = (result.input, lang, state)
            found = rendered.get(key)
            if found is None:
                found = self._render_link(result, lang, key, versions)
            else:
                rendered.move_to_end(key)
            own, shared, _, normalized = found
            # One copy of the ~1 KB object (``own + shared + b"}"`` made it twice).
            append((join((own, shared, b"}")), normalized))
        return out


_URL_KEY = b'{"url":'
_NORMALIZED_KEY = b',"normalized":{"url":'
_VERDICT_URL = b',"verdict_url":'
_NO_VERDICT_URL = b',"verdict_url":null}'


def _host_fields(host: Host, unwrapped_from: list[str]) -> bytes:
    """The JSON of a link's fields after its normalised URL, from after the opening brace of
    their object to the closing one (the end of ``normalized``)."""
    return orjson.dumps(
        {
            "host": host.ascii,
            "host_unicode": host.unicode,
            "registrable_domain": host.registrable,
            "unwrapped_from": unwrapped_from,
        }
    )[1:]


def _link_path(url: str) -> str:
    """``server.web.urls.link_path``, imported on first use (the web layer imports the
    engine)."""
    global _link_path
    from server.web.urls import link_path

    _link_path = link_path
    return link_path(url)


def _read_whole(db: Database, load: Callable[[Database], _T]) -> _T:
    """``load(db)`` in one read snapshot: the version it stamps and the rows it reads come from
    one committed state (read apart, a write between them gave rows newer than their version)."""
    with snapshot(db):
        return load(db)
