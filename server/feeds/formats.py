"""Blocklist feed formats: one small parser per format, ``bytes -> Iterator[FeedItem]``.

Parsers only read the shape of a feed and hand values on *as given*; the importer normalises
and judges them with the same ``LinkParser`` link checks use, so an entry and a check always
agree on what a host is. A value a parser cannot make sense of inside an otherwise readable
feed (a short CSV row, a record without a URL) is still yielded, so the importer counts it as
invalid instead of it vanishing; a feed whose overall shape is wrong raises
``FeedFormatError``.

Domain feeds (polkadot, metamask, scamsniffer, plain) yield domain items; URL feeds (urlhaus,
phishtank-json, phishtank-csv, openphish) yield URL items, because one bad page on a big host
must not block the whole host.
"""

from __future__ import annotations

import csv
import ipaddress
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Any

from server.feeds.errors import FeedFormatError
from server.lists import Action, EntryKind


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One entry as a feed states it.

    ``value`` is a domain or a URL exactly as given; ``added`` the feed's own date for it
    (``YYYY-MM-DD``) when it has one; ``reference`` a page about the entry (a PhishTank detail
    page, a URLhaus link).
    """

    value: str
    kind: EntryKind
    added: str | None = None
    reference: str | None = None


FeedParser = Callable[[bytes], Iterator[FeedItem]]


# --- shared helpers ---------------------------------------------------------------------------


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FeedFormatError(
            f"The feed is not UTF-8 text (bad byte at offset {exc.start})."
        ) from None


def _json(data: bytes, what: str) -> Any:
    try:
        return json.loads(_text(data))
    except json.JSONDecodeError as exc:
        raise FeedFormatError(
            f"{what} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
        ) from None
    except RecursionError:
        raise FeedFormatError(f"{what} is not valid JSON: nested too deeply.") from None
    except ValueError as exc:  # an integer of more than 4,300 digits
        raise FeedFormatError(f"{what} is not valid JSON: {str(exc)[:200]}.") from None


def _json_object(data: bytes, what: str) -> dict[str, Any]:
    doc = _json(data, what)
    if not isinstance(doc, dict):
        raise FeedFormatError(f"{what} should be a JSON object, not a {type(doc).__name__}.")
    return doc


def _strings(value: Any, where: str) -> list[str]:
    """A JSON list of strings; anything else means the file is not the format we were told."""
    if not isinstance(value, list):
        raise FeedFormatError(f"{where} should be a list, not a {type(value).__name__}.")
    for position, item in enumerate(value):
        if not isinstance(item, str):
            raise FeedFormatError(
                f"{where}[{position}] should be a string, not a {type(item).__name__}."
            )
    return value


def _domains(values: Iterable[str]) -> Iterator[FeedItem]:
    for value in values:
        yield FeedItem(value, EntryKind.DOMAIN)


def _date(text: Any) -> str | None:
    """``2024-06-01 12:00:00`` or ``2024-06-01T12:00:00+00:00`` → ``2024-06-01``."""
    if not isinstance(text, str) or len(text) < 10:
        return None
    day = text[:10]
    try:
        date.fromisoformat(day)
    except ValueError:
        return None
    return day


def _optional(text: Any) -> str | None:
    return text.strip() or None if isinstance(text, str) else None


def _lines(data: bytes, *, inline_comments: bool) -> Iterator[str]:
    """Stripped lines without blanks and ``#`` comments.

    ``inline_comments`` also cuts ``evil.com # note``; never for URL lists, where ``#``
    starts a fragment.
    """
    for raw in _text(data).splitlines():
        line = raw.split("#", 1)[0] if inline_comments else raw
        line = line.strip()
        if line and not line.startswith("#"):
            yield line


# --- domain feeds -----------------------------------------------------------------------------


def parse_polkadot(data: bytes) -> Iterator[FeedItem]:
    """polkadot-js/phishing ``all.json``: the ``deny`` and ``denySub`` lists (hosts)."""
    doc = _json_object(data, "polkadot-js all.json")
    if "deny" not in doc and "denySub" not in doc:
        raise FeedFormatError("polkadot-js all.json should have a 'deny' list.")
    for key in ("deny", "denySub"):
        yield from _domains(_strings(doc.get(key, []), key))


def parse_polkadot_allow(data: bytes) -> Iterator[FeedItem]:
    """polkadot-js/phishing ``all.json``: the ``allow`` list (for an allowlist import)."""
    doc = _json_object(data, "polkadot-js all.json")
    if "allow" not in doc:
        raise FeedFormatError("polkadot-js all.json should have an 'allow' list.")
    yield from _domains(_strings(doc["allow"], "allow"))


def _metamask(data: bytes, keys: Sequence[str]) -> Iterator[FeedItem]:
    doc = _json_object(data, "MetaMask config.json")
    present = [key for key in keys if key in doc]
    if not present:
        raise FeedFormatError(
            f"MetaMask config.json should have a {' or '.join(map(repr, keys))} list."
        )
    for key in present:
        yield from _domains(_strings(doc[key], key))


def parse_metamask(data: bytes) -> Iterator[FeedItem]:
    """MetaMask eth-phishing-detect ``config.json``: ``blacklist`` (old) or ``blocklist`` (new).

    ``fuzzylist`` names the sites lookalikes are measured against, not bad sites, and the
    allow side is for allowlist imports: both are ignored here.
    """
    return _metamask(data, ("blacklist", "blocklist"))


def parse_metamask_allow(data: bytes) -> Iterator[FeedItem]:
    """MetaMask ``config.json``: ``whitelist`` (old) or ``allowlist`` (new)."""
    return _metamask(data, ("whitelist", "allowlist"))


def parse_scamsniffer(data: bytes) -> Iterator[FeedItem]:
    """scamsniffer/scam-database in any of its three shapes.

    ``blacklist/domains.json`` is an array of domains, a daily ``archive/YYYY-MM-DD.json``
    is ``{"domains": [...]}``, and ``combined.json`` maps each domain to drainer wallet
    addresses (the addresses are not list entries and are ignored).
    """
    doc = _json(data, "The scamsniffer file")
    if isinstance(doc, list):
        yield from _domains(_strings(doc, "the domain array"))
    elif isinstance(doc, dict) and isinstance(doc.get("domains"), list):
        yield from _domains(_strings(doc["domains"], "domains"))
    elif isinstance(doc, dict):
        yield from _domains(doc)
    else:
        raise FeedFormatError(
            'The scamsniffer file should be a JSON array, {"domains": [...]} or an object'
            " mapping domains to addresses."
        )


#: Names a hosts file maps to itself, not entries (``127.0.0.1 localhost``).
_HOSTS_FILE_LOCAL_NAMES = frozenset(
    {
        "localhost",
        "localhost.localdomain",
        "local",
        "broadcasthost",
        "ip6-localhost",
        "ip6-loopback",
        "ip6-localnet",
        "ip6-mcastprefix",
        "ip6-allnodes",
        "ip6-allrouters",
        "ip6-allhosts",
    }
)


def _is_ip(token: str) -> bool:
    try:
        ipaddress.ip_address(token.split("%", 1)[0])
    except ValueError:
        return False
    return True


def parse_plain(data: bytes) -> Iterator[FeedItem]:
    """One domain per line; ``#`` comments and blank lines are skipped.

    Hosts-file lines (``0.0.0.0 evil.com other.evil``) give every name after the address;
    on any other line only the first word counts, so trailing notes are not read as domains.
    """
    for line in _lines(data, inline_comments=True):
        words = line.split()
        if len(words) > 1 and _is_ip(words[0]):
            names = [
                w for w in words[1:] if w.lower() not in _HOSTS_FILE_LOCAL_NAMES and not _is_ip(w)
            ]
        else:
            names = words[:1]
        yield from _domains(names)


# --- URL feeds --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Columns:
    """Where the fields we read sit in one CSV layout."""

    url: int
    added: int | None
    reference: int | None

    def item(self, row: list[str]) -> FeedItem:
        if len(row) <= self.url:
            # A short row: keep it visible as an invalid entry rather than dropping it.
            return FeedItem(",".join(row), EntryKind.URL)
        return FeedItem(
            row[self.url].strip(),
            EntryKind.URL,
            added=_date(_cell(row, self.added)),
            reference=_optional(_cell(row, self.reference)),
        )


def _cell(row: list[str], index: int | None) -> str | None:
    return row[index] if index is not None and index < len(row) else None


@dataclass(frozen=True, slots=True)
class _CsvLayout:
    """A CSV feed: the columns we read and the headers it is known to have had."""

    what: str
    url: str
    added: str
    reference: str
    #: Known headers, for files that come without one; told apart by their width.
    known_headers: tuple[tuple[str, ...], ...]

    def columns(self, header: Sequence[str]) -> _Columns:
        """Column positions in ``header``, which ``is_header`` has accepted."""
        names = [name.strip().lower() for name in header]
        return _Columns(
            url=names.index(self.url),
            added=names.index(self.added) if self.added in names else None,
            reference=names.index(self.reference) if self.reference in names else None,
        )

    def is_header(self, row: Sequence[str]) -> bool:
        return self.url in {cell.strip().lower() for cell in row}

    def guess(self, row: Sequence[str]) -> _Columns:
        for header in self.known_headers:
            if len(header) == len(row):
                return self.columns(header)
        widths = " or ".join(str(len(h)) for h in self.known_headers)
        raise FeedFormatError(
            f"The {self.what} file has no header and {len(row)} columns (expected {widths})."
        )

    def items(self, rows: Iterator[list[str]], header: Sequence[str] | None) -> Iterator[FeedItem]:
        columns = self.columns(header) if header is not None else None
        for row in rows:
            if columns is None:
                if self.is_header(row):
                    columns = self.columns(row)
                    continue
                columns = self.guess(row)
            yield columns.item(row)


_URLHAUS = _CsvLayout(
    what="URLhaus CSV",
    url="url",
    added="dateadded",
    reference="urlhaus_link",
    known_headers=(
        (
            "id",
            "dateadded",
            "url",
            "url_status",
            "last_online",
            "threat",
            "tags",
            "urlhaus_link",
            "reporter",
        ),
        # Older dumps, before ``last_online`` was added.
        ("id", "dateadded", "url", "url_status", "threat", "tags", "urlhaus_link", "reporter"),
    ),
)

_PHISHTANK = _CsvLayout(
    what="PhishTank CSV",
    url="url",
    added="submission_time",
    reference="phish_detail_url",
    known_headers=(
        (
            "phish_id",
            "url",
            "phish_detail_url",
            "submission_time",
            "verified",
            "verification_time",
            "online",
            "target",
        ),
    ),
)


def _csv_rows(lines: Iterable[str], what: str) -> Iterator[list[str]]:
    """``csv.reader`` over ``lines``, with what it refuses (a cell over its 131,072-character
    field limit, a stray quote or line break) as a ``FeedFormatError`` naming the row, not a
    ``csv.Error`` the CLI would show as a traceback. The limit is left as it is: it is
    process-wide, and no feed cell needs more."""
    reader = csv.reader(lines)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise FeedFormatError(
                f"{what}: CSV row {reader.line_num:,} cannot be read ({exc})."
            ) from None
        yield row


def _comment_header(line: str, layout: _CsvLayout) -> list[str] | None:
    """``# id,dateadded,url,...`` → its cells, when the comment is the CSV header."""
    cells = next(_csv_rows([line.lstrip("#").strip()], layout.what), [])
    return cells if layout.is_header(cells) and len(cells) > 1 else None


def parse_urlhaus(data: bytes) -> Iterator[FeedItem]:
    """The URLhaus CSV dump: ``#`` comment lines, then quoted CSV rows.

    The header is read wherever it is (a ``# id,dateadded,url,...`` comment, or a first plain
    row), so dumps with and without ``last_online`` both work; a file without any header is
    told apart by its width. ``dateadded`` becomes the date and ``urlhaus_link`` the reference.
    """
    lines = _text(data).splitlines()
    header: list[str] | None = None
    for line in lines:
        if line.startswith("#"):
            header = _comment_header(line, _URLHAUS) or header
        elif line.strip():
            break  # The header always precedes the data; stop scanning comments here.
    rows = _csv_rows(
        (line for line in lines if line.strip() and not line.startswith("#")), _URLHAUS.what
    )
    yield from _URLHAUS.items(rows, header)


def parse_phishtank_csv(data: bytes) -> Iterator[FeedItem]:
    """PhishTank ``online-valid.csv`` (``phish_id,url,phish_detail_url,submission_time,...``)."""
    rows = _csv_rows((line for line in _text(data).splitlines() if line.strip()), _PHISHTANK.what)
    yield from _PHISHTANK.items(rows, None)


def parse_phishtank_json(data: bytes) -> Iterator[FeedItem]:
    """PhishTank ``online-valid.json``: an array of ``{phish_id, url, phish_detail_url, ...}``."""
    doc = _json(data, "PhishTank online-valid.json")
    if not isinstance(doc, list):
        raise FeedFormatError(
            f"PhishTank online-valid.json should be a JSON array, not a {type(doc).__name__}."
        )
    for record in doc:
        if not isinstance(record, dict):
            raise FeedFormatError("PhishTank online-valid.json should hold objects.")
        url = record.get("url")
        yield FeedItem(
            url if isinstance(url, str) else "",
            EntryKind.URL,
            added=_date(record.get("submission_time")),
            reference=_optional(record.get("phish_detail_url")),
        )


def parse_openphish(data: bytes) -> Iterator[FeedItem]:
    """OpenPhish ``feed.txt``: one URL per line."""
    for line in _lines(data, inline_comments=False):
        yield FeedItem(line, EntryKind.URL)


# --- the table --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FeedFormat:
    """A ``--format`` value: its name, a line of help, and its parsers.

    ``parse_allow`` reads the feed's own allow side (MetaMask's whitelist) for an allowlist
    import; formats without one read the same entries either way.
    """

    name: str
    help: str
    kind: EntryKind
    parse: FeedParser
    parse_allow: FeedParser | None = None

    def parser(self, action: Action) -> FeedParser:
        """The parser for a block or an allow import."""
        if action is Action.ALLOW and self.parse_allow is not None:
            return self.parse_allow
        return self.parse


def _table(*formats: FeedFormat) -> Mapping[str, FeedFormat]:
    return MappingProxyType({f.name: f for f in formats})


#: Every format ``fakewatch feeds import --format`` accepts, in the order help lists them.
FORMATS: Mapping[str, FeedFormat] = _table(
    FeedFormat(
        "polkadot",
        "polkadot-js/phishing all.json (deny and denySub; allow for --list allow)",
        EntryKind.DOMAIN,
        parse_polkadot,
        parse_polkadot_allow,
    ),
    FeedFormat(
        "metamask",
        "MetaMask eth-phishing-detect config.json (blacklist/blocklist;"
        " whitelist/allowlist for --list allow)",
        EntryKind.DOMAIN,
        parse_metamask,
        parse_metamask_allow,
    ),
    FeedFormat(
        "scamsniffer",
        'scamsniffer domains.json array, archive {"domains": [...]} or combined.json',
        EntryKind.DOMAIN,
        parse_scamsniffer,
    ),
    FeedFormat(
        "plain",
        "one domain per line; # comments; hosts-file lines (0.0.0.0 evil.example)",
        EntryKind.DOMAIN,
        parse_plain,
    ),
    FeedFormat("urlhaus", "URLhaus CSV dump", EntryKind.URL, parse_urlhaus),
    FeedFormat(
        "phishtank-json", "PhishTank online-valid.json", EntryKind.URL, parse_phishtank_json
    ),
    FeedFormat("phishtank-csv", "PhishTank online-valid.csv", EntryKind.URL, parse_phishtank_csv),
    FeedFormat(
        "openphish", "OpenPhish feed.txt (one URL per line)", EntryKind.URL, parse_openphish
    ),
)


def get_format(name: str) -> FeedFormat:
    """The format called ``name``; ``FeedFormatError`` naming the choices when there is none."""
    try:
        return FORMATS[name]
    except KeyError:
        raise FeedFormatError(
            f"Unknown feed format {name!r}; expected one of {', '.join(FORMATS)}."
        ) from None
