"""An alert's verdict link, made absolute the same way for pollers and webhooks.

The stored payload holds a path (``/r/c<id>``). ``GET /v1/alerts`` joins it to
FAKEWATCH_PUBLIC_URL, else to the request's own origin; a webhook delivery has no request, so
it joins it to FAKEWATCH_PUBLIC_URL and, when that is unset, sends the path as stored.
"""

from __future__ import annotations

from typing import Any


def with_base(payload: dict[str, Any], base: str) -> dict[str, Any]:
    """``payload`` with ``verdict_url`` prefixed by ``base`` (its trailing ``/`` dropped);
    unchanged when ``base`` is empty or the link is not a path."""
    base = base.rstrip("/")
    link = payload.get("verdict_url")
    if base and isinstance(link, str) and link.startswith("/"):
        payload["verdict_url"] = base + link
    return payload
