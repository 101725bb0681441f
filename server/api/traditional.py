"""Traditional Chinese for clients that ask for it (``zh-TW``, ``zh-Hant``, ``zh-HK``).

Every sentence the server writes is kept once, in Simplified Chinese, beside its English. A
reader in Taiwan or Hong Kong gets the same sentences converted by OpenCC's tables (shipped in
the ``opencc-python-reimplemented`` wheel, nothing is fetched): Taiwan's standard with its
words (软件 → 軟體, 信息 → 資訊) or Hong Kong's characters.

Only the sentences the server wrote are converted: a verdict's ``summary`` and each reason's
``message``. The evidence in ``details`` (the text that was checked, a domain, a list entry)
is quoted as it was, because changing the characters of evidence would misquote it.
"""

from __future__ import annotations

import asyncio
import functools
import json
from typing import Any

from aiohttp import web

from server.api.middleware import Handler
from server.i18n import chinese_script

#: OpenCC configuration per region: Taiwan's standard with phrases, Hong Kong's characters.
CONFIGS = {"tw": "s2twp", "hk": "s2hk"}
#: Request key: the Traditional region a handler negotiated itself (from a JSON body's ``lang``).
CHINESE_SCRIPT = "chinese_script"
#: Below this many characters of JSON the conversion runs on the loop; above, in a thread.
INLINE_LIMIT = 4_000


_LOADED: set[str] = set()


@functools.cache
def _converter(region: str) -> Any:
    from opencc import OpenCC  # loaded on first use: ~0.4 s to read its dictionaries

    converter = OpenCC(CONFIGS[region])
    _LOADED.add(region)
    return converter


@functools.lru_cache(maxsize=20_000)
def to_traditional(text: str, region: str) -> str:
    """``text`` in Traditional characters for ``region`` (``"tw"`` or ``"hk"``)."""
    if text.isascii():
        return text
    return str(_converter(region).convert(text))


def convert_verdicts(value: Any, region: str) -> Any:
    """Convert, in place, the server's sentences in every verdict object inside ``value``."""
    if isinstance(value, dict):
        reasons = value.get("reasons")
        if isinstance(reasons, list):
            if isinstance(value.get("summary"), str):
                value["summary"] = to_traditional(value["summary"], region)
            for reason in reasons:
                if isinstance(reason, dict) and isinstance(reason.get("message"), str):
                    reason["message"] = to_traditional(reason["message"], region)
        for child in value.values():
            if isinstance(child, dict | list):
                convert_verdicts(child, region)
    elif isinstance(value, list):
        for child in value:
            if isinstance(child, dict | list):
                convert_verdicts(child, region)
    return value


def _converted_body(body: bytes, region: str) -> bytes:
    return json.dumps(
        convert_verdicts(json.loads(body), region), ensure_ascii=False, separators=(",", ":")
    ).encode()


@web.middleware
async def traditional_chinese(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    region = (
        request[CHINESE_SCRIPT]
        if CHINESE_SCRIPT in request
        else chinese_script(request.query.get("lang"), request.headers.get("Accept-Language"))
    )
    if (
        region is None
        or type(response) is not web.Response
        or response.content_type != "application/json"
        or not isinstance(response.body, bytes)
        or b'"reasons"' not in response.body
    ):
        return response
    body = response.body
    if len(body) <= INLINE_LIMIT and region in _LOADED:
        converted = _converted_body(body, region)
    else:
        # The first use loads OpenCC's dictionaries, and big batches take a while: off the loop.
        loop = asyncio.get_running_loop()
        converted = await loop.run_in_executor(None, _converted_body, body, region)
    response.body = converted
    response.headers["Content-Language"] = "zh-HK" if region == "hk" else "zh-TW"
    return response
