"""The one middleware every request passes: request id, error shape, access log, metrics."""

from __future__ import annotations

import logging
import re
import secrets
import sqlite3
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from server.api.state import METRICS
from server.errors import ApiError, RateLimited, ServerBusy

log = logging.getLogger("fakewatch.http")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
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


def _internal_error(request: web.Request, request_id: str) -> web.Response:
    """The 500: logged with the traceback of the exception being handled."""
    log.exception("unhandled error", extra={"request_id": request_id, "route": _route_of(request)})
    return web.json_response(
        error_body(
            500,
            "internal_error",
            "Something broke on our side; the request id identifies it in the log.",
            request_id,
        ),
        status=500,
    )


@web.middleware
async def request_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    incoming = request.headers.get("X-Request-Id", "")
    request_id = incoming if _REQUEST_ID.fullmatch(incoming) else secrets.token_hex(8)
    request["request_id"] = request_id
    started = time.perf_counter()
    try:
        response = await handler(request)
    except ApiError as exc:
        response = _render_api_error(exc, request_id)
    except web.HTTPException as exc:
        response = _render_http_exception(exc, request_id)
    except sqlite3.OperationalError as exc:
        if not _locked(exc):
            response = _internal_error(request, request_id)
        else:
            # Another process held the write lock past busy_timeout (a long import, another
            # `serve --workers` worker, the CLI): nothing was written, so retrying is safe.
            busy = ServerBusy(
                "The database is busy with another write; try again after Retry-After seconds.",
                retry_after=1,
            )
            response = _render_api_error(busy, request_id)
    except Exception:
        response = _internal_error(request, request_id)
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


def _render_api_error(exc: ApiError, request_id: str) -> web.Response:
    response = web.json_response(
        error_body(exc.status, exc.code, exc.message, request_id, **exc.extra), status=exc.status
    )
    if isinstance(exc, RateLimited):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def _render_http_exception(exc: web.HTTPException, request_id: str) -> web.Response:
    status = exc.status
    code = _HTTP_CODES.get(status, "bad_request" if status < 500 else "internal_error")
    messages = {
        404: "No such route. See /openapi.json for the API.",
        405: "This route does not accept that method. See /openapi.json.",
        413: "The request body is too large.",
    }
    message = messages.get(status, exc.reason or "Request failed.")
    response = web.json_response(error_body(status, code, message, request_id), status=status)
    if status == 405 and "Allow" in exc.headers:
        response.headers["Allow"] = exc.headers["Allow"]
    return response
