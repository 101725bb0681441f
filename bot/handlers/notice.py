"""``Notice``: something to tell the person instead of a verdict.

On its own, below ``services`` (whose media turns raise it) and the checks, reports and
handlers that catch it.
"""

from __future__ import annotations


class Notice(Exception):
    """Something to tell the person instead of a verdict (a text key)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key
