"""What can go wrong importing a feed: one small tree the CLI catches at the top.

::

    FeedError                 the import did not happen; nothing was written
    ├── FetchError            SOURCE could not be read; ``code`` says why
    │   ├── SourceNotFound    no such file, or HTTP 404 / 410
    │   ├── SourceTooLarge    more bytes than the cap (downloaded, read or unpacked)
    │   └── FetchTimeout      the download (or gunzipping it) took longer than the timeout
    ├── FeedFormatError       the data is not in the format named, or no such format
    └── EmptyFeed             no usable entry: refusing to mark every entry of the feed removed

Every message is safe to print: a URL in it never carries its query string (feed URLs often
hold an API key there).
"""

from __future__ import annotations


class FeedError(Exception):
    """Base of every feed error. ``code`` is stable snake_case; the message says why."""

    code: str = "feed_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class FetchError(FeedError):
    """The source could not be read (unreachable host, HTTP error, unsupported scheme…)."""

    code = "fetch_failed"


class SourceNotFound(FetchError):
    """No file at that path, or the server answered 404 / 410."""

    code = "source_not_found"


class SourceTooLarge(FetchError):
    """The source is bigger than the byte cap (``FAKEWATCH_FEED_MAX_BYTES``)."""

    code = "source_too_large"


class FetchTimeout(FetchError):
    """The download, or gunzipping it, did not finish within ``FAKEWATCH_FEED_TIMEOUT_S``."""

    code = "fetch_timeout"


class FeedFormatError(FeedError):
    """The data does not have the shape of the format named (or the format is unknown)."""

    code = "bad_feed_format"


class EmptyFeed(FeedError):
    """No entry of the feed could be used.

    Importing it would mark every entry of the feed removed; an empty download is far more
    often a broken feed than an all-clear, so the import is refused instead.
    """

    code = "empty_feed"
