"""Traditional Chinese for API clients that ask for it (``zh-TW``, ``zh-Hant``, ``zh-HK``).

The conversion itself is ``server/traditional.py``; this middleware applies it to every JSON
answer that holds verdicts: their ``summary`` and each reason's ``message``.
"""

from __future__ import annotations

import asyncio
import json

from aiohttp import web

from server.api.middleware import Handler
from server.i18n import chinese_script
from server.traditional import LOADED, convert_verdicts

#: Request key: the Traditional region a handler negotiated itself (from a JSON body's ``lang``).
CHINESE_SCRIPT = "chinese_script"
#: Request key: the language (``en``/``zh``) a handler answered its verdicts in.
VERDICT_LANG = "verdict_lang"
#: ``Content-Language`` of verdicts, by language and Traditional region (as errors have it).
_CONTENT_LANGUAGE = {"en": "en", "zh": "zh-CN", "tw": "zh-TW", "hk": "zh-HK"}
#: Below this many characters of JSON the conversion runs on the loop; above, in a thread.
INLINE_LIMIT = 4_000


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
        type(response) is not web.Response
        or response.content_type != "application/json"
        or not isinstance(response.body, bytes)
        or b'"reasons"' not in response.body
    ):
        return response
    if region is None:
        # Verdicts say which language they are in, as errors do (a client that asked for
        # Chinese and got English, e.g. from an older server, can tell).
        lang = request.get(VERDICT_LANG)
        if lang in _CONTENT_LANGUAGE:
            response.headers["Content-Language"] = _CONTENT_LANGUAGE[lang]
        return response
    body = response.body
    if len(body) <= INLINE_LIMIT and region in LOADED:
        converted = _converted_body(body, region)
    else:
        # The first use loads OpenCC's dictionaries, and big batches take a while: off the loop.
        loop = asyncio.get_running_loop()
        converted = await loop.run_in_executor(None, _converted_body, body, region)
    response.body = converted
    response.headers["Content-Language"] = _CONTENT_LANGUAGE["hk" if region == "hk" else "tw"]
    return response
