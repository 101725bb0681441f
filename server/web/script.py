"""Which language and script a page is written in, and its own words in that script.

Pages keep their words once, in English and Simplified Chinese. A reader who asked for
``zh-TW``/``zh-HK`` (``?lang=`` or ``Accept-Language``) gets the Chinese words in Taiwan's or
Hong Kong's Traditional characters (``server/traditional.py``). What people wrote (reports,
notes, the reported item) is never converted: it is evidence and is shown as it was written.
"""

from __future__ import annotations

from collections.abc import Mapping

from server.traditional import to_traditional

_REGION_TAGS = {"tw": "zh-TW", "hk": "zh-HK"}


def lang_tag(lang: str, region: str | None) -> str:
    """The ``lang`` value links, forms and redirects carry so the next page keeps the script."""
    if lang != "zh":
        return "en"
    return _REGION_TAGS.get(region or "", "zh")


class PageWords:
    """A page's words in ``lang`` (``en``/``zh``), Traditional when ``region`` is ``tw``/``hk``."""

    def __init__(self, words: Mapping[str, Mapping[str, str]], lang: str, region: str | None):
        self.words = words
        self.lang = lang
        self.asked = region  # kept on an English page: its link back to Chinese uses it
        self.region = region if lang == "zh" else None

    def __call__(self, text: str) -> str:
        return to_traditional(text, self.region) if self.region else text

    def key(self, key: str) -> str:
        return self(self.words[key][self.lang])

    def name(self, names: Mapping[str, Mapping[str, str]], key: str) -> str:
        """``names[key]`` in this page's language and script."""
        return self(names[key][self.lang])

    @property
    def tag(self) -> str:
        """The ``lang`` value links and forms carry so the next page keeps this script."""
        return lang_tag(self.lang, self.region)

    @property
    def other_tag(self) -> str:
        """The ``lang`` value of the link to the other language (back to the reader's script)."""
        return "en" if self.lang == "zh" else _REGION_TAGS.get(self.asked or "", "zh")

    @property
    def html_lang(self) -> str:
        if self.lang != "zh":
            return "en"
        return _REGION_TAGS.get(self.region or "", "zh-CN")
