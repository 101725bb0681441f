"""The one middleware every request passes: request id, error shape, access log, metrics.

Errors answer in the request's language as verdicts do: a JSON body's ``lang`` (once
``server/api/body.py`` has read one), then ``?lang=``, then ``Accept-Language``; Traditional
characters for ``zh-TW``/``zh-HK`` through the verdicts' conversion; ``Content-Language`` says
which."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
import sqlite3
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from server.api.state import METRICS
from server.errors import ApiError, RateLimited, Said, ServerBusy, said
from server.i18n import chinese_script, negotiate
from server.traditional import LOADED

log = logging.getLogger("fakewatch.http")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
#: Request key: the ``lang`` of the JSON body being handled, when it has a string one.
BODY_LANG = "body_lang"
#: ``Content-Language`` of an error, by language and Traditional region.
_CONTENT_LANGUAGE = {("en", None): "en", ("zh", None): "zh-CN", ("zh", "tw"): "zh-TW"}
_REQUEST_ID = re.compile(r"[A-Za-z0-9._\-]{1,64}")

#: aiohttp's own HTTP errors, mapped to our stable codes.
_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "rate_limited",
}


def error_body(
    status: int, code: str, message: str, request_id: str, **extra: Any
) -> dict[str, Any]:
    return {
        "ok": False,
        "error": message,
        "code": code,
        "status": status,
        "request_id": request_id,
        **extra,
    }


def _route_of(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


def _locked(exc: sqlite3.OperationalError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)  # the extended code: keep its primary byte
    if isinstance(code, int):
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "database is locked" in str(exc)


def _internal_error(request: web.Request) -> ApiError:
    """The 500: logged with the traceback of the exception being handled."""
    request_id = request["request_id"]
    log.exception("unhandled error", extra={"request_id": request_id, "route": _route_of(request)})
    return ApiError("Something broke on our side; the request id identifies it in the server log.")


def error_language(request: web.Request) -> tuple[str, str | None]:
    """The language an error answers in, and its Traditional region (``"tw"``/``"hk"``)."""
    tag = request.get(BODY_LANG) or request.query.get("lang")
    accept = request.headers.get("Accept-Language")
    return negotiate(tag, accept), chinese_script(tag, accept)


@web.middleware
async def request_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    incoming = request.headers.get("X-Request-Id", "")
    request_id = incoming if _REQUEST_ID.fullmatch(incoming) else secrets.token_hex(8)
    request["request_id"] = request_id
    started = time.perf_counter()
    error: ApiError | None = None
    try:
        response = await handler(request)
    except ApiError as exc:
        error = exc
    except web.HTTPException as exc:
        error = _from_http_exception(exc)
    except sqlite3.OperationalError as exc:
        # Another process held the write lock past busy_timeout (a long import, another
        # `serve --workers` worker, the CLI): nothing was written, so retrying is safe.
        error = (
            ServerBusy(said("database_busy"), retry_after=1)
            if _locked(exc)
            else _internal_error(request)
        )
    except Exception:
        error = _internal_error(request)
    if error is not None:
        response = await _render_api_error(error, request)
    response.headers["X-Request-Id"] = request_id
    elapsed = time.perf_counter() - started
    route = _route_of(request)
    metrics = request.app[METRICS]
    metrics.requests.labels(route, request.method, str(response.status)).inc()
    metrics.latency.labels(route).observe(elapsed)
    log.info(
        "request",
        extra={
            "request_id": request_id,
            "method": request.method,
            "route": route,
            "status": response.status,
            "duration_ms": round(elapsed * 1000, 2),
        },
    )
    return response


async def _render_api_error(exc: ApiError, request: web.Request) -> web.Response:
    lang, region = error_language(request)
    if region is None or region in LOADED:
        message = exc.text(lang, region)
    else:  # the first Traditional answer loads OpenCC's dictionaries (~0.4 s): off the loop
        message = await asyncio.get_running_loop().run_in_executor(None, exc.text, lang, region)
    body = error_body(exc.status, exc.code, message, request["request_id"], **exc.extra)
    response = web.json_response(body, status=exc.status, dumps=_dumps)
    response.headers["Content-Language"] = _CONTENT_LANGUAGE.get((lang, region), "zh-HK")
    if isinstance(exc, RateLimited):
        response.headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, _HttpError) and exc.allow is not None:
        response.headers["Allow"] = exc.allow
    return response


def _dumps(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # A value quoted from the request (a multipart field name aiohttp decoded with
        # surrogateescape) holds a lone surrogate: escaped, it is still valid JSON; raw, the
        # response could not be encoded and the client got a bare 500.
        return json.dumps(value)
    return text


class _HttpError(ApiError):
    """One of aiohttp's own HTTP errors (no route, a method the route lacks, a huge body)."""

    def __init__(self, exc: web.HTTPException, code: str, message: str | Said) -> None:
        super().__init__(message, code=code)
        self.status = exc.status  # type: ignore[misc]  # per instance: aiohttp's status
        self.allow = exc.headers.get("Allow") if exc.status == 405 else None


def _from_http_exception(exc: web.HTTPException) -> ApiError:
    status = exc.status
    code = _HTTP_CODES.get(status, "bad_request" if status < 500 else "internal_error")
    if status == 404 and isinstance(exc, web.HTTPNotFound):
        # A path no route has, told apart from a missing record: a client meeting an older
        # server learns the feature is absent, not that its id was wrong.
        code = "route_not_found"
    messages = {404: said("no_route"), 405: said("no_method"), 413: said("request_too_large")}
    return _HttpError(exc, code, messages.get(status) or exc.reason or "Request failed.")
