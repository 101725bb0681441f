"""Turn what a person pasted into a ``Link``: one validated, normalised view of a URL.

Browsers are generous with what they accept and scammers rely on it, so we accept what a
browser would navigate to and describe it precisely: the host in ASCII (punycode) and in
Unicode, its registrable domain, IP literals written as integers or hex, credentials before
an ``@`` (stripped, but remembered as a cue), explicit ports, and well-known redirectors
unwrapped so the destination is judged. Anything we cannot read raises ``InvalidUrl`` with a
stable code; nothing here touches the network.
"""

from __future__ import annotations

import base64
import binascii
import html
import ipaddress
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from urllib.parse import quote, unquote, urlsplit

import idna

from server.links.domains import DomainParts, SuffixList, writable_twin
from server.links.redirectors import Redirectors, Wrapper
from server.text.normalise import INVISIBLE_RANGES


class InvalidUrl(ValueError):
    """The input is not a URL we can judge. ``code`` is stable; the message says why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


_SCHEME = re.compile(r"[a-zA-Z][a-zA-Z0-9+.\-]*")
#: ``http:`` or ``https:`` and every ``/`` or ``\`` after it: WHATWG skips them all.
_SPECIAL_START = re.compile(r"(https?):[/\\]*", re.IGNORECASE)
_SPACE = re.compile(r"\s")
_SCHEME_PREFIX = re.compile(r"([a-zA-Z][a-zA-Z0-9+.\-]*):")
#: Where an http(s) URL's host part ends (WHATWG: ``\`` as ``/``).
_AUTHORITY_END = re.compile(r"[/\\?#]")
#: What WHATWG removes anywhere in a URL before reading it.
_TAB_NEWLINE = str.maketrans("", "", "\t\n\r")
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_\-]{0,61}[a-z0-9_])?")
#: Dot-separated ``_LABEL``s: a whole host checked at once.
_HOST_NAME = re.compile(rf"{_LABEL.pattern}(?:\.{_LABEL.pattern})*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
#: Invisible characters and white space around a link (``normalise.INVISIBLE_RANGES``).
_INVISIBLE_EDGES = re.compile(f"^[\\s{INVISIBLE_RANGES}]+|[\\s{INVISIBLE_RANGES}]+$")
_SURROGATE = re.compile("[\ud800-\udfff]")
_IDEOGRAPHIC_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_NON_WEB_SCHEMES = frozenset(
    {"javascript", "data", "mailto", "tel", "sms", "ftp", "file", "blob", "about", "chrome", "ws"}
)
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = _PATH_SAFE + "?"
#: See ``LinkParser._plain``: characters ``quote`` keeps as they are (``_PATH_SAFE`` plus
#: letters, digits and ``_``), a host of name characters only, an optional fragment.
_PLAIN_URL = re.compile(
    r"([hH][tT][tT][pP][sS]?)://([A-Za-z0-9_.\-]+)"
    r"(/[A-Za-z0-9_/%:@!$&'()*+,;=.\-~]*)?"
    r"(?:\?([A-Za-z0-9_/%:@!$&'()*+,;=.\-~?]*))?"
    r"(?:#[^\x00-\x1f\x7f]*)?",
)
#: A host ``_normalise_host`` would return as it is (after lowercasing and dropping trailing
#: dots) when it is at most 63 characters long: ``_HOST_NAME`` whose last label starts with a
#: letter or ``_``, so it is no IPv4 number in any notation (``_ipv4_number`` reads digits,
#: ``0x`` and octal only). Written without ``_LABEL``'s bounded repeat (the length rule is
#: the caller's) and with possessive repeats: twice as fast, no backtracking.
_NAME_HOST = re.compile(
    r"(?:[a-z0-9_]++(?:-++[a-z0-9_]++)*+\.)*[a-z_][a-z0-9_]*+(?:-++[a-z0-9_]++)*+"
)
#: Schemes whose link carries its destination inside it: ``javascript:location='…'`` and
#: ``data:text/html;base64,…`` (a whole page, its form posting elsewhere). We read the http(s)
#: address inside and judge it, naming the carrier (``url_cues.script_url``).
CARRIER_SCHEMES = ("javascript", "data")
#: http(s) addresses inside a carrier's decoded text, and how many of them are tried.
_CARRIED_URL = re.compile(r"https?:[/\\]*[^\s\"'<>`(){}\[\]|^]+", re.IGNORECASE)
MAX_CARRIED_URLS = 20
_CARRIED_TRAILING = ".,;:!?*"
#: Words just before an address that say the carrier goes or sends there (``location=``,
#: ``window.open(``, ``<form action="``, a meta refresh's ``url=``): the first such address
#: is the destination; else the first ``href``/``src`` (a page's links and pictures, which a
#: stylesheet shares), else the first address.
_NAVIGATES = re.compile(
    r"(?:location|action|open|replace|assign|url|refresh|submit|fetch)\W{0,12}$", re.IGNORECASE
)
_REFERS = re.compile(r"(?:href|src)\W{0,12}$", re.IGNORECASE)
_ATOB = re.compile(r"atob\(\s*[\"'`]([A-Za-z0-9+/=_\-\s]{8,})[\"'`]")
_JS_ESCAPE = re.compile(
    r"\\(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|u\{([0-9a-fA-F]{1,6})\}|([/\\\"']))"
)
MAX_HOST_LENGTH = 253
#: Each layer is strictly shorter than the one around it (at most ``max_length`` long), so
#: this bounds the work, not what a scammer can nest; a link still wrapped here says so.
MAX_UNWRAP_DEPTH = 16
HOST_CACHE_SIZE = 65_536


@dataclass(frozen=True, slots=True)
class Host:
    """A hostname or IP literal, normalised.

    ``ascii`` is lowercase punycode (what DNS sees); ``unicode`` is what a person sees.
    For IP literals ``ip`` holds the canonical address and ``ip_notation`` how it was
    written (``dotted``, ``integer``, ``hex``, ``octal``, ``mixed``, ``ipv6``).
    """

    ascii: str
    unicode: str
    parts: DomainParts
    ip: str | None = None
    ip_notation: str | None = None

    @property
    def is_ip(self) -> bool:
        return self.ip is not None

    @property
    def registrable(self) -> str:
        """The site this host belongs to (``example.co.uk``); the host itself if none."""
        if self.ip is not None:
            return self.ip
        return self.parts.registrable or self.ascii

    @property
    def registrable_unicode(self) -> str:
        return _to_unicode(self.registrable) if self.ip is None else self.registrable


@dataclass(frozen=True, slots=True)
class Link:
    """A URL as FakeWatch judges it: the destination after unwrapping known redirectors.

    ``input`` is what was submitted (echoed back to the client); it may hold a password, so
    it is left out of ``repr`` and never logged.
    """

    input: str = field(repr=False)
    url: str
    scheme: str
    host: Host
    port: int | None
    path: str
    query: str
    #: The part before ``@`` when it looks like a hostname (``paypal.com@evil.top``); a
    #: password is never kept.
    userinfo_host: str | None
    had_userinfo: bool
    #: Redirectors we unwrapped, outermost first.
    wrappers: tuple[Wrapper, ...] = ()
    #: A host name a backslash pushed out of the address's host part: browsers open the
    #: host before the ``\`` while a reader sees this one (``evil.top\@bank.com/`` shows
    #: ``bank.com``, opens ``evil.top``).
    backslash_host: str | None = None
    #: The ``\`` was followed by ``@`` or ``.`` (``evil.top\@bank.com``): a shape made to
    #: show another host, where ``\guidance.html`` is a Windows-style path.
    backslash_marked: bool = False
    #: Still a known wrapper after ``MAX_UNWRAP_DEPTH`` layers: we judge the innermost layer
    #: reached, and hiding a link that deep is itself a cue.
    wrapped_deeper: bool = False
    #: Every http(s) address a ``javascript:``/``data:`` carrier holds (normalised, at most
    #: ``MAX_CARRIED_URLS``) when there are several: ``url`` is the worst of them, so a decoy
    #: beside the real destination cannot hide it.
    carried_urls: tuple[str, ...] = ()


_new = object.__new__
_HostDraft = writable_twin(Host)
_LinkDraft = writable_twin(Link)


def _host(
    ascii_host: str, unicode_host: str, parts: DomainParts, ip: str | None, notation: str | None
) -> Host:
    """``Host(...)``, faster (see ``writable_twin``; a test checks they are equal)."""
    draft = _new(_HostDraft)
    draft.ascii = ascii_host
    draft.unicode = unicode_host
    draft.parts = parts
    draft.ip = ip
    draft.ip_notation = notation
    draft.__class__ = Host
    host: Host = draft
    return host


def _link(
    raw: str,
    url: str,
    scheme: str,
    host: Host,
    port: int | None,
    path: str,
    query: str,
    userinfo_host: str | None,
    had_userinfo: bool,
    wrappers: tuple[Wrapper, ...],
) -> Link:
    """``Link(...)``, faster (see ``writable_twin``; a test checks they are equal)."""
    draft = _new(_LinkDraft)
    draft.input = raw
    draft.url = url
    draft.scheme = scheme
    draft.host = host
    draft.port = port
    draft.path = path
    draft.query = query
    draft.userinfo_host = userinfo_host
    draft.had_userinfo = had_userinfo
    draft.wrappers = wrappers
    draft.backslash_host = None
    draft.backslash_marked = False
    draft.wrapped_deeper = False
    draft.carried_urls = ()
    draft.__class__ = Link
    link: Link = draft
    return link


class LinkParser:
    """Parses URLs with one suffix list and one redirector table, both loaded once."""

    def __init__(
        self, suffixes: SuffixList, redirectors: Redirectors, max_length: int = 4096
    ) -> None:
        self.suffixes = suffixes
        self.redirectors = redirectors
        self.max_length = max_length
        # Hosts repeat far more than URLs do (many pages, one site): normalising a host
        # (IDNA, IP notations, suffix split) is most of parsing, so it is remembered.
        self._host = lru_cache(maxsize=HOST_CACHE_SIZE)(self._normalise_host)
        #: Given a carrier's candidate destinations, the index of the worst (the engine sets
        #: it: judging needs every detector). Unset, the first navigating address is used.
        self.rank_carried: Callable[[Sequence[Link]], int] | None = None

    def parse(self, raw: str) -> Link:
        """Parse and unwrap ``raw``; raise ``InvalidUrl`` when it cannot be judged."""
        link = self._parse_one(raw, typed=True)
        # Not only the query carries targets: AMP's path, translate.goog's host (a few dict
        # lookups turn away every other host).
        unwrapped = self.redirectors.unwrap(link)
        if unwrapped is None:
            return link
        # A ``javascript:`` or ``data:`` carrier, if any, stays the outermost layer.
        wrappers: list[Wrapper] = list(link.wrappers)
        carriers = len(wrappers)
        deeper = False
        while unwrapped is not None:
            wrapper, target = unwrapped
            try:
                inner = self._parse_one(target)
            except InvalidUrl:
                break  # A wrapper around garbage: judge the wrapper itself.
            wrappers.append(wrapper)
            link = inner
            unwrapped = self.redirectors.unwrap(link)
            if unwrapped is not None and len(wrappers) - carriers == MAX_UNWRAP_DEPTH:
                deeper = True
                break
        if len(wrappers) == carriers:
            return link
        return replace(
            link,
            input=raw,
            wrappers=tuple(wrappers),
            wrapped_deeper=deeper or link.wrapped_deeper,
        )

    def parse_host(self, raw_host: str) -> Host:
        """Normalise a bare hostname (for list entries and lookups)."""
        return self._host(raw_host.strip().rstrip("."))

    def _parse_one(self, raw: str, plain: bool = True, typed: bool = False) -> Link:
        text = raw.strip()
        if plain and len(text) <= self.max_length:
            # ``_PLAIN_URL`` admits no control character, so the checks below all pass.
            found = _PLAIN_URL.fullmatch(text)
            if found is not None:
                return self._plain(raw, found)
        if not text.isascii():
            # A zero-width space or a BOM in front of a pasted link hid its scheme: the host
            # became "https". What shows around a link is not part of it.
            text = _INVISIBLE_EDGES.sub("", text)
        if not text:
            raise InvalidUrl("invalid_url", "The URL is empty.")
        if len(text) > self.max_length:
            raise InvalidUrl(
                "url_too_long", f"The URL is longer than {self.max_length} characters."
            )
        if _CONTROL.search(text):
            # Browsers drop tabs and line breaks anywhere in a URL (WHATWG), so a link split
            # over lines opens as one: read it as they do. Other controls stay refused.
            text = text.translate(_TAB_NEWLINE)
            if _CONTROL.search(text):
                raise InvalidUrl("invalid_url", "The URL contains control characters.")
        if _SURROGATE.search(text):  # no UTF-8 for it: percent-encoding the path would raise
            raise InvalidUrl("invalid_url", "The URL contains text that is not valid Unicode.")
        shown, marked = _backslash_host(text) if "\\" in text else (None, False)
        if (
            shown is not None
            and not marked
            and not self.suffixes.is_suffix(shown.rpartition(".")[2])
        ):
            shown = None  # ``\guidance.html``: a file name, not a host a reader would see
        # What a person typed or pasted (``typed``, the outermost address, not a target
        # unwrapped from a redirector, which is read as the redirect sends it) is a link only
        # if a browser would open it as one: written without http(s):, "hello no link",
        # "paypal" or "好的" are searched for, so they name no site to judge.
        bare = typed and _SPECIAL_START.match(text) is None
        text = _with_scheme(text)
        carrier = _carrier(text)
        if carrier is not None:
            return self._carried(raw, carrier, text[len(carrier) + 1 :])
        try:
            parts = urlsplit(text)
        except ValueError as exc:
            raise InvalidUrl("invalid_url", f"The URL cannot be parsed: {exc}.") from None
        scheme = parts.scheme.lower()
        if scheme not in _DEFAULT_PORTS:
            raise InvalidUrl(
                "unsupported_scheme", f"Only http and https links can be checked, not {scheme}:."
            )
        if bare and _SPACE.search(parts.netloc):
            # A space in the path or query is encoded and opened; one in the name is a search.
            raise InvalidUrl("invalid_url", "A web address has no spaces in its site name.")
        userinfo, _, hostport = parts.netloc.rpartition("@")
        raw_host, port = _split_port(hostport)
        host = self._host(raw_host)
        if bare and "." not in host.ascii and ":" not in host.ascii:
            raise InvalidUrl(
                "invalid_url", f"{raw_host!r} is a word, not a site name (those have a dot)."
            )
        if port == _DEFAULT_PORTS[scheme]:
            port = None
        path = quote(parts.path, safe=_PATH_SAFE) if parts.path else "/"
        query = quote(parts.query, safe=_QUERY_SAFE)
        netloc = host.ascii if ":" not in host.ascii else f"[{host.ascii}]"
        if port is not None:
            netloc += f":{port}"
        url = f"{scheme}://{netloc}{path}" + (f"?{query}" if query else "")
        return Link(
            input=raw,
            url=url,
            scheme=scheme,
            host=host,
            port=port,
            path=path,
            query=query,
            userinfo_host=_host_like(userinfo),
            had_userinfo=bool(userinfo),
            backslash_host=shown if shown != host.ascii else None,
            backslash_marked=marked and shown != host.ascii,
        )

    def _carried(self, raw: str, scheme: str, payload: str) -> Link:
        """The http(s) address a ``javascript:`` or ``data:`` link leads to, as a ``Link``
        wrapped by the carrier (``Wrapper(…, "javascript:")``). The payload is decoded a
        bounded number of times (percent, base64, one ``atob``, JS and HTML escapes) from a
        URL already at most ``max_length`` long; no address inside: ``unsupported_scheme``."""
        target: Link | None = None
        refers: Link | None = None
        first: Link | None = None
        every: dict[str, Link] = {}
        decoded = _decode_carried(scheme, payload)
        for count, found in enumerate(_CARRIED_URL.finditer(decoded)):
            if count == MAX_CARRIED_URLS:
                break
            candidate = found.group().rstrip(_CARRIED_TRAILING)
            try:
                inner = self._parse_one(candidate, plain=True)
            except InvalidUrl:
                continue
            every.setdefault(inner.url, inner)
            if first is None:
                first = inner
            before = max(0, found.start() - 40)
            if target is None and _NAVIGATES.search(decoded, before, found.start()):
                target = inner
            if refers is None and _REFERS.search(decoded, before, found.start()):
                refers = inner
        link = target or refers or first
        if link is None:
            what = "runs code" if scheme == "javascript" else "holds a whole page or file"
            raise InvalidUrl(
                "unsupported_scheme",
                f"This {scheme}: link {what} instead of naming a site, and no http(s) address"
                " in it could be read; only http and https links can be checked.",
            )
        wrapper = Wrapper(f"a {scheme}: link", f"{scheme}:")
        if len(every) == 1:
            return _carried_by(raw, wrapper, link, ())
        # The likeliest destination first, so that a tie keeps it; a decoy (a comment, a
        # ``fetch`` of a famous site) loses to a worse address anywhere in the payload.
        urls = (link.url, *(url for url in every if url != link.url))
        options = [_carried_by(raw, wrapper, every[url], urls) for url in urls]
        rank = self.rank_carried
        return options[rank(options) if rank is not None else 0]

    def _plain(self, raw: str, found: re.Match[str]) -> Link:
        """The common case, without ``urlsplit`` and ``quote``: an http(s) URL with a plain
        host, no port or credentials, and a path and query ``quote`` would leave unchanged.
        Same result as the general path (a test compares both on generated URLs)."""
        scheme, raw_host, path, query = found.group(1, 2, 3, 4)
        scheme = scheme.lower()
        host = self._host(raw_host)
        path = path or "/"
        # The host has name characters only: a name or an IPv4 address, never IPv6's ``:``.
        url = f"{scheme}://{host.ascii}{path}"
        if query:
            url += "?" + query
        else:
            query = ""
        return _link(raw, url, scheme, host, None, path, query, None, False, ())

    def _normalise_host(self, raw_host: str) -> Host:
        if raw_host.isascii() and "%" not in raw_host:
            # Most hosts are plain ASCII names: ``unquote``, the ideographic dots and IDNA
            # leave them as they are, ``_NAME_HOST`` rules out every IPv4 notation, and
            # without ``xn--`` the Unicode form is the ASCII one. The result is what the
            # general steps below return (a test compares both).
            host = raw_host.lower().rstrip(".")
            if len(host) <= 63 and "xn--" not in host and _NAME_HOST.fullmatch(host):
                return _host(host, host, self.suffixes.split(host), None, None)
        return self._normalise_host_general(raw_host)

    def _normalise_host_general(self, raw_host: str) -> Host:
        if not raw_host:
            raise InvalidUrl("invalid_host", "The URL has no host name.")
        if raw_host.startswith("["):
            return _ipv6_host(raw_host)
        host = unquote(raw_host).translate(_IDEOGRAPHIC_DOTS).lower().rstrip(".")
        # IDNA mapping first, as browsers do: a fullwidth or superscript digit becomes an
        # ASCII one, and only then can the host turn out to be an IPv4 address.
        ascii_host = _to_ascii(host).rstrip(".")
        ipv4 = _parse_ipv4(ascii_host)
        if ipv4 is not None:
            address, notation = ipv4
            return Host(address, address, DomainParts("", "", "", False), address, notation)
        if len(ascii_host) > MAX_HOST_LENGTH:
            raise InvalidUrl("invalid_host", "The host name is longer than 253 characters.")
        if not _HOST_NAME.fullmatch(ascii_host):  # one pass; the loop only names the bad part
            for label in ascii_host.split("."):
                if not _LABEL.fullmatch(label):
                    raise InvalidUrl(
                        "invalid_host", f"The host name has an invalid part: {label!r}."
                    )
        unicode_host = _to_unicode(ascii_host)
        return Host(ascii_host, unicode_host, self.suffixes.split(ascii_host))


def _carried_by(raw: str, wrapper: Wrapper, link: Link, urls: tuple[str, ...]) -> Link:
    """``link`` as the destination of a carrier (``wrapper``) holding ``urls``."""
    return replace(link, input=raw, wrappers=(wrapper, *link.wrappers), carried_urls=urls)


def _with_scheme(text: str) -> str:
    """``example.com/x`` → ``http://example.com/x``, and an http(s) URL written the way a
    browser would still open it into the one form ``urlsplit`` reads as the browser does;
    other schemes are kept so we can refuse them."""
    special = _SPECIAL_START.match(text)
    if special is None:
        scheme = _SCHEME_PREFIX.match(text)
        if scheme is not None and (
            scheme.group(1).lower() in _NON_WEB_SCHEMES or text.startswith("//", scheme.end())
        ):
            return text  # ftp://, mailto:, data: ...: refused (or read) by the caller
        # Read as ``http:`` + text: a leading ``//`` (scheme-relative) is skipped like any.
        return _special("http", text.lstrip("/\\"))
    return _special(special.group(1).lower(), text[special.end() :])


def _special(scheme: str, rest: str) -> str:
    r"""``scheme://rest`` read as WHATWG reads an http(s) URL: every ``/`` and ``\`` after
    ``scheme:`` is already dropped (``https:\host``, ``https:/host`` and ``https:host`` all
    open ``host``), and ``\`` before the query or fragment is ``/``. So
    ``https://evil.top\@bank.com/`` opens ``evil.top`` (path ``/@bank.com/``), never
    ``bank.com``, for us as for the browser."""
    if "\\" in rest:
        end = len(rest)
        for mark in "?#":
            found = rest.find(mark, 0, end)
            if found >= 0:
                end = found
        rest = rest[:end].replace("\\", "/") + rest[end:]
    return f"{scheme}://{rest}"


def _backslash_host(text: str) -> tuple[str | None, bool]:
    r"""The host name right after a ``\`` that ends an http(s) URL's host part, if any:
    ``https://evil.top\@bank.com/`` → ``bank.com`` (``_special`` makes the ``\`` a ``/``),
    and whether the ``\`` was followed by ``@`` or ``.`` (made to read as part of a host)."""
    special = _SPECIAL_START.match(text)
    if special is None:
        if _SCHEME_PREFIX.match(text) is not None and not text.startswith("//"):
            return None, False  # another scheme
        start = len(text) - len(text.lstrip("/\\"))
    else:
        start = special.end()
    end = _AUTHORITY_END.search(text, start)
    if end is None or end.group() != "\\":
        return None, False
    after = _AUTHORITY_END.search(text, end.end())
    written = text[end.end() : after.start() if after else len(text)]
    return _host_like(written.lstrip("@.")), written[:1] in ("@", ".")


def _carrier(text: str) -> str | None:
    """``javascript`` or ``data`` when ``text`` is such a link (any case), else ``None``."""
    head = text[:11].lower()
    for scheme in CARRIER_SCHEMES:
        if head.startswith(scheme) and head[len(scheme) : len(scheme) + 1] == ":":
            return scheme
    return None


def _decode_carried(scheme: str, payload: str) -> str:
    """A carrier's payload as text a browser would run or show: ``data:`` base64 decoded,
    percent escapes, JS ``\\x``/``\\u`` escapes and HTML entities read, and the text of one
    ``atob("…")`` appended. Each step runs once, so the work is linear in the payload."""
    if scheme == "data":
        header, _, body = payload.partition(",")
        body = unquote(body)
        if header.lower().rstrip().endswith(";base64"):
            body = _base64_text(body) or body
    else:
        body = unquote(payload)
    body = html.unescape(_JS_ESCAPE.sub(_js_char, body))
    inner = _ATOB.search(body)
    if inner is not None:
        body += "\n" + html.unescape(_JS_ESCAPE.sub(_js_char, _base64_text(inner.group(1))))
    return body


def _base64_text(data: str) -> str:
    compact = "".join(data.split()).replace("-", "+").replace("_", "/").rstrip("=")
    try:
        raw = base64.b64decode(compact + "=" * (-len(compact) % 4))
    except (binascii.Error, ValueError):
        return ""
    return raw.decode("utf-8", errors="replace")


def _js_char(found: re.Match[str]) -> str:
    if found.group(4):  # ``\/``, ``\\``, ``\"``: the character itself
        return found.group(4)
    code = int(found.group(1) or found.group(2) or found.group(3), 16)
    return chr(code) if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else ""


def _split_port(hostport: str) -> tuple[str, int | None]:
    if hostport.startswith("["):
        end = hostport.find("]")
        if end < 0:
            raise InvalidUrl("invalid_host", "The IPv6 address is missing its closing ']'.")
        host, rest = hostport[: end + 1], hostport[end + 1 :]
        if rest and not rest.startswith(":"):
            raise InvalidUrl("invalid_host", "Unexpected text after the IPv6 address.")
        port_text = rest[1:]
    else:
        host, _, port_text = hostport.partition(":")
    if not port_text:
        return host, None
    if not port_text.isascii() or not port_text.isdigit() or int(port_text) > 65535:
        raise InvalidUrl(
            "invalid_port", f"The port {port_text[:10]!r} is not a number from 0 to 65535."
        )
    return host, int(port_text)


def _ipv6_host(raw_host: str) -> Host:
    try:
        address = ipaddress.IPv6Address(raw_host[1:-1].split("%")[0])
    except ValueError:
        raise InvalidUrl("invalid_host", "The IPv6 address is not valid.") from None
    text = address.compressed
    return Host(text, text, DomainParts("", "", "", False), text, "ipv6")


def _parse_ipv4(host: str) -> tuple[str, str] | None:
    """The WHATWG IPv4 parser: ``3232235777``, ``0xC0A80101`` and ``0300.0250.1.1`` are IPs.

    Returns ``None`` when the host is not numeric (it is then a domain name).
    """
    parts = host.split(".")
    if parts and parts[-1] == "":
        parts.pop()
    if not parts or len(parts) > 4:
        return None
    if not _ipv4_number(parts[-1]):
        return None
    numbers: list[int] = []
    notations: set[str] = set()
    for part in parts:
        parsed = _ipv4_number(part)
        if parsed is None:
            raise InvalidUrl("invalid_host", "The host looks like an IP address but is not one.")
        value, notation = parsed
        numbers.append(value)
        notations.add(notation)
    if any(n > 255 for n in numbers[:-1]) or numbers[-1] >= 256 ** (5 - len(numbers)):
        raise InvalidUrl("invalid_host", "The IP address is out of range.")
    value = numbers[-1]
    for index, number in enumerate(numbers[:-1]):
        value += number * 256 ** (3 - index)
    address = str(ipaddress.IPv4Address(value))
    if len(numbers) == 1:
        notation = "integer" if notations == {"decimal"} else notations.pop()
    elif len(numbers) == 4 and notations == {"decimal"}:
        notation = "dotted"
    else:
        notation = "mixed" if len(notations) > 1 else f"{notations.pop()}-short"
    return address, notation


def _ipv4_number(part: str) -> tuple[int, str] | None:
    if not part:
        return None
    if part[:2] in ("0x", "0X"):
        digits = part[2:]
        if digits == "":
            return 0, "hex"
        return (int(digits, 16), "hex") if re.fullmatch(r"[0-9a-fA-F]+", digits) else None
    if len(part) > 1 and part[0] == "0":
        return (int(part, 8), "octal") if re.fullmatch(r"[0-7]+", part) else None
    return (int(part), "decimal") if part.isascii() and part.isdigit() else None


def _to_ascii(host: str) -> str:
    if host.isascii():
        if "xn--" in host:
            _to_unicode_strict(host)  # refuse broken punycode early
        return host
    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError):
        pass
    try:  # IDNA 2003 is more permissive (symbols, some emoji) and browsers still accept it.
        return host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise InvalidUrl(
            "invalid_host", "The host name is not a valid international name."
        ) from None


def _to_unicode_strict(host: str) -> str:
    try:
        return ".".join(
            idna.decode(label) if label.startswith("xn--") else label for label in host.split(".")
        )
    except (idna.IDNAError, UnicodeError, ValueError):
        try:
            return host.encode("ascii").decode("idna")
        except UnicodeError:
            raise InvalidUrl("invalid_host", "The host name has broken punycode (xn--).") from None


def _to_unicode(host: str) -> str:
    return _to_unicode_strict(host) if "xn--" in host else host


_HOSTLIKE = re.compile(r"[a-z0-9\-]+(?:\.[a-z0-9\-]+)+")


def _host_like(userinfo: str) -> str | None:
    """A hostname hidden before the ``@`` (``paypal.com@evil.top``), if any.

    Only a token that reads like a hostname is returned, so a real password is never kept.
    """
    if not userinfo:
        return None
    for token in re.split(r"[:@]", unquote(userinfo).lower()):
        if _HOSTLIKE.fullmatch(token):
            return token
    return None
