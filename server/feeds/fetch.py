"""Read a feed's bytes from a file or an http(s) URL, with a byte cap and a timeout.

``read_source`` is what the CLI calls: it picks the reader from SOURCE, stops at the cap with
a clear error, and unpacks a gzip or single-file zip download (URLhaus ships zips, PhishTank
gzip), capping what unpacking yields too. Every error message names the source through
``public_source``, which drops the query string: feed URLs often carry an API key there.

The downloader follows redirects and talks to whatever host the operator names. That is right
for a command an operator runs. Where the server fetches on its own from a host run by someone
else (federation pulls), ``fetch_url(..., private_redirects=False)`` still connects to the URL
the operator configured, but refuses a redirect to a loopback, private or link-local address
(the webhooks' guard, ``server.alerts.targets``), so a peer cannot point our server at
``127.0.0.1``, the LAN or ``169.254.169.254``. A URL taken from an API request would need the
first hop checked too.
"""

from __future__ import annotations

import asyncio
import io
import re
import time
import zipfile
import zlib
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

import aiohttp
from yarl import URL

from server.alerts.targets import GuardedResolver, NonPublicAddress, PrivateTarget, check_literal
from server.feeds.errors import (
    FetchError,
    FetchTimeout,
    SourceNotFound,
    SourceTooLarge,
)

USER_AGENT = "FakeWatch feed import (self-hosted fraud-alert service)"
#: Redirects a feed host may send us through (mirrors and CDNs use one or two).
MAX_REDIRECTS = 5
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_CHUNK = 1 << 16
#: Gzip members a feed may hold. Feeds are one member; BGZF-style writers make one per 64 KiB
#: (4,096 at the default 256 MiB cap). Tens of thousands of tiny members only waste time.
MAX_GZIP_MEMBERS = 65_536
_FIRST_SLICE = 1 << 10
_MAX_SLICE = 1 << 20
_NOT_ZERO = re.compile(rb"[^\x00]")
_URL_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*)://")
_KEY_LIKE = re.compile(r"[A-Za-z0-9_\-]{32,}")


def public_source(source: str) -> str:
    """``source`` safe to print and store: a URL loses its credentials, query and key-like
    path segments.

    ``https://user:pw@host/path?auth=SECRET#x`` → ``https://host/path?…``. Some feeds put the
    key in the path instead (PhishTank: ``/data/<64 hex>/online-valid.json``), so a path
    segment of 32 or more letters, digits, ``-`` or ``_`` is shown as ``…`` too. A file path
    is kept as given.
    """
    if not _URL_SCHEME.match(source):
        return source
    parts = urlsplit(source)
    netloc = parts.netloc.rpartition("@")[2]
    path = "/".join("…" if _KEY_LIKE.fullmatch(s) else s for s in parts.path.split("/"))
    shown = urlunsplit((parts.scheme, netloc, path, "", ""))
    return shown + ("?…" if parts.query else "")


def read_source(source: str, *, max_bytes: int, timeout_s: float) -> bytes:
    """The bytes of SOURCE (a path, a ``file://`` URL or an http(s) URL), unpacked.

    Raises a ``FetchError`` (see ``server.feeds.errors``) when the source is missing, bigger
    than ``max_bytes``, slower than ``timeout_s`` seconds (downloading, then again unpacking),
    or cannot be read. Runs its own event loop for downloads, so call it from synchronous code
    (the CLI), not from a coroutine; there, await ``fetch_url``.
    """
    match = _URL_SCHEME.match(source)
    scheme = match.group(1).lower() if match else None
    if scheme in ("http", "https"):
        data = asyncio.run(fetch_url(source, max_bytes=max_bytes, timeout_s=timeout_s))
    elif scheme == "file":
        data = read_file(_file_url_path(source), max_bytes=max_bytes)
    elif scheme is None:
        data = read_file(Path(source), max_bytes=max_bytes)
    else:
        raise FetchError(
            f"Cannot read {public_source(source)}: only file paths and http(s) URLs are supported.",
            code="unsupported_source",
        )
    return unpack(data, max_bytes=max_bytes, timeout_s=timeout_s)


def _file_url_path(url: str) -> Path:
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        raise FetchError(
            f"Cannot read {public_source(url)}: file URLs must be local (file:///path).",
            code="unsupported_source",
        )
    return Path(unquote(parts.path))


def read_file(path: Path, *, max_bytes: int) -> bytes:
    """A local file's bytes; ``SourceTooLarge`` past ``max_bytes`` (read no further)."""
    try:
        with path.open("rb") as f:
            data = f.read(max_bytes + 1)
    except FileNotFoundError:
        raise SourceNotFound(f"No such file: {path}.") from None
    except IsADirectoryError:
        raise FetchError(f"{path} is a folder, not a feed file.", code="not_a_file") from None
    except PermissionError:
        raise FetchError(f"No permission to read {path}.", code="permission_denied") from None
    except OSError as exc:
        raise FetchError(f"Cannot read {path}: {exc.strerror}.", code="read_failed") from None
    if len(data) > max_bytes:
        raise _too_large(str(path), max_bytes)
    return data


async def fetch_url(
    url: str,
    *,
    max_bytes: int,
    timeout_s: float,
    session: aiohttp.ClientSession | None = None,
    private_redirects: bool = True,
) -> bytes:
    """Download ``url`` (http or https), streaming, stopping at ``max_bytes``.

    ``timeout_s`` bounds the whole download, body included. Pass ``session`` to reuse a
    client (the server's); otherwise one is opened and closed here. With
    ``private_redirects=False`` a redirect to a non-public address is a ``FetchError``
    (``private_redirect``).
    """
    shown = public_source(url)
    if session is not None:
        return await _download(session, url, shown, max_bytes, timeout_s, private_redirects)
    async with aiohttp.ClientSession(headers={"User-Agent": USER_AGENT}) as own:
        return await _download(own, url, shown, max_bytes, timeout_s, private_redirects)


async def _download(
    session: aiohttp.ClientSession,
    url: str,
    shown: str,
    max_bytes: int,
    timeout_s: float,
    private_redirects: bool,
) -> bytes:
    timeout = aiohttp.ClientTimeout(total=timeout_s)
    # The messages below are built by hand: aiohttp's own include the full URL, query and all.
    try:
        if not private_redirects:
            async with asyncio.timeout(timeout_s):
                return await _download_public_hops(session, url, shown, max_bytes, timeout)
        async with session.get(url, timeout=timeout, max_redirects=MAX_REDIRECTS) as response:
            return await _body(response, shown, max_bytes)
    except TimeoutError:
        raise FetchTimeout(f"{shown} did not finish downloading within {timeout_s:g} s.") from None
    except aiohttp.TooManyRedirects:
        raise FetchError(
            f"{shown} redirected more than {MAX_REDIRECTS} times.", code="too_many_redirects"
        ) from None
    except aiohttp.InvalidURL:
        raise FetchError(f"{shown} is not a valid URL.", code="invalid_url") from None
    except aiohttp.ClientConnectorError as exc:
        if isinstance(exc.os_error, NonPublicAddress):  # a redirect hop, private_redirects off
            raise _private_redirect(shown, str(exc.os_error).removesuffix("; refused")) from None
        reason = exc.os_error.strerror or str(exc.os_error) or type(exc.os_error).__name__
        raise FetchError(
            f"Cannot connect to {exc.host}:{exc.port} for {shown}: {reason}.", code="unreachable"
        ) from None
    except aiohttp.ClientError as exc:
        raise FetchError(
            f"Downloading {shown} failed ({type(exc).__name__}).", code="fetch_failed"
        ) from None


async def _body(response: aiohttp.ClientResponse, shown: str, max_bytes: int) -> bytes:
    _check_status(response, shown)
    if response.content_length is not None and response.content_length > max_bytes:
        raise _too_large(shown, max_bytes, declared=response.content_length)
    return await _read_capped(response, shown, max_bytes)


async def _download_public_hops(
    session: aiohttp.ClientSession,
    url: str,
    shown: str,
    max_bytes: int,
    per_request: aiohttp.ClientTimeout,
) -> bytes:
    """Follow redirects by hand, refusing a hop to a non-public address: the first URL is the
    operator's choice, where its host sends us next is not. A hop to an IP literal is checked
    here (aiohttp connects to literals without asking a resolver); a hop to a name goes
    through a session whose resolver drops non-public addresses, so DNS cannot get round it."""
    target = URL(url)
    guarded: aiohttp.ClientSession | None = None
    try:
        for _ in range(MAX_REDIRECTS + 1):
            client = session if guarded is None else guarded
            async with client.get(target, timeout=per_request, allow_redirects=False) as response:
                location = response.headers.get("Location")
                if response.status not in _REDIRECT_STATUSES or not location:
                    return await _body(response, shown, max_bytes)
                target = response.url.join(URL(location))
            if target.scheme not in ("http", "https"):
                raise FetchError(
                    f"{shown} redirected to a {target.scheme or 'relative'} URL, not http(s).",
                    code="invalid_url",
                )
            try:
                check_literal(str(target))
            except PrivateTarget as exc:
                raise _private_redirect(shown, str(exc)) from None
            if guarded is None:
                guarded = aiohttp.ClientSession(
                    headers=session.headers,
                    connector=aiohttp.TCPConnector(resolver=GuardedResolver()),
                    trust_env=False,
                )
        raise aiohttp.TooManyRedirects(response.request_info, ())
    finally:
        if guarded is not None:
            await guarded.close()


def _private_redirect(shown: str, why: str) -> FetchError:
    return FetchError(
        f"{shown} redirected to a non-public address ({why}); refused."
        " Set FAKEWATCH_FEDERATION_ALLOW_PRIVATE=true if its peers are on your own network.",
        code="private_redirect",
    )


def _check_status(response: aiohttp.ClientResponse, shown: str) -> None:
    if response.status in (404, 410):
        raise SourceNotFound(f"{shown} answered HTTP {response.status}: no feed there.")
    if response.status >= 400:
        raise FetchError(
            f"{shown} answered HTTP {response.status} {response.reason or ''}".rstrip() + ".",
            code="http_error",
        )


async def _read_capped(response: aiohttp.ClientResponse, shown: str, max_bytes: int) -> bytes:
    body = bytearray()
    async for chunk in response.content.iter_chunked(_CHUNK):
        body += chunk
        if len(body) > max_bytes:
            raise _too_large(shown, max_bytes)
    return bytes(body)


def _too_large(shown: str, max_bytes: int, *, declared: int | None = None) -> SourceTooLarge:
    size = f" ({declared:,} bytes)" if declared is not None else ""
    return SourceTooLarge(
        f"{shown} is larger than the {max_bytes:,}-byte limit{size};"
        " raise FAKEWATCH_FEED_MAX_BYTES if you trust it."
    )


# --- unpacking --------------------------------------------------------------------------------


def unpack(data: bytes, *, max_bytes: int, timeout_s: float | None = None) -> bytes:
    """Gunzip or unzip ``data`` when it is compressed (told by its magic bytes), else return it.

    What unpacking yields is capped at ``max_bytes`` too, so a small archive cannot expand
    into gigabytes; and gunzipping stops after ``timeout_s`` seconds (``FetchTimeout``) or
    ``MAX_GZIP_MEMBERS`` members, so a file of many tiny members cannot keep it busy.
    """
    if data[:2] == b"\x1f\x8b":
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        return _gunzip(data, max_bytes, deadline, timeout_s)
    if data[:4] == b"PK\x03\x04":
        return _unzip(data, max_bytes)
    return data


def _gunzip(data: bytes, max_bytes: int, deadline: float | None, timeout_s: float | None) -> bytes:
    # The input is fed in slices that start small and double: ``unused_data`` copies what is
    # left of the slice, so handing each member the whole rest of the file (as this once did)
    # made a file of empty 20-byte members cost time in the square of its size (4 MB: 15 s).
    out = bytearray()
    view = memoryview(data)
    pos, end, members = 0, len(data), 0
    try:
        while pos < end:  # A gzip file may hold several members, one after another.
            members += 1
            if members > MAX_GZIP_MEMBERS:
                raise FetchError(
                    f"The gzip data holds more than {MAX_GZIP_MEMBERS:,} members;"
                    " a feed is one gzip stream (or a few), refusing it.",
                    code="bad_archive",
                )
            member = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
            size = _FIRST_SLICE
            while not member.eof:
                if pos >= end:
                    raise FetchError("The gzip data is truncated.", code="bad_archive")
                if deadline is not None and time.monotonic() > deadline:
                    raise FetchTimeout(
                        f"Unpacking the gzip data took longer than {timeout_s:g} s"
                        " (FAKEWATCH_FEED_TIMEOUT_S)."
                    )
                piece = view[pos : pos + size]
                out += member.decompress(piece, max_bytes + 1 - len(out))
                if len(out) > max_bytes or member.unconsumed_tail:
                    raise _too_large("the unpacked gzip data", max_bytes)
                pos += len(piece) - len(member.unused_data)
                size = min(size * 2, _MAX_SLICE)
            # Some writers pad the file with zeros after the last member.
            found = _NOT_ZERO.search(data, pos)
            pos = found.start() if found else end
    except zlib.error as exc:
        raise FetchError(f"The gzip data is corrupt ({exc}).", code="bad_archive") from None
    return bytes(out)


def _unzip(data: bytes, max_bytes: int) -> bytes:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            files = [info for info in archive.infolist() if not info.is_dir()]
            if len(files) != 1:
                raise FetchError(
                    f"The zip holds {len(files)} files; a feed archive should hold exactly one.",
                    code="bad_archive",
                )
            if files[0].file_size > max_bytes:
                raise _too_large(f"{files[0].filename} in the zip", max_bytes)
            with archive.open(files[0]) as member:
                # The declared size can lie: read at most one byte past the cap.
                out = member.read(max_bytes + 1)
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError) as exc:
        # RuntimeError: an encrypted member; NotImplementedError: an unknown compression.
        raise FetchError(f"The zip cannot be read ({exc}).", code="bad_archive") from None
    if len(out) > max_bytes:
        raise _too_large("the unpacked zip data", max_bytes)
    return out
