"""Local HTTP helpers for browser tests: a page server for any host name, and a counting proxy.

Both run on 127.0.0.1 in one background thread with its own event loop. Browser tests map
made-up host names (``wallet-verify.example``) to 127.0.0.1 with ``--host-resolver-rules``
(``tests/support/browser.py``), so the page server answers whatever ``Host`` it is asked for.
The proxy sits between the extension and the real FakeWatch server and records every request,
so a test can prove a page visit sent nothing.
"""

from __future__ import annotations

import asyncio
import html
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import ClientSession, web

PageFn = Callable[[web.Request], web.StreamResponse]


def page(title: str, body: str = "") -> web.Response:
    text = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title></head>"
        f"<body style='font:16px sans-serif;margin:40px'><h1>{html.escape(title)}</h1>"
        f"{body}</body></html>"
    )
    return web.Response(text=text, content_type="text/html")


@dataclass
class Recorded:
    method: str
    path_qs: str
    body: bytes = b""  # what the extension sent (filled in once the proxy has read it)


@dataclass
class LocalSites:
    """The running helpers: ``page_port``, ``proxy_url`` and what the proxy saw."""

    page_port: int = 0
    proxy_url: str = ""
    seen: list[Recorded] = field(default_factory=list)
    down: bool = False  # the proxy drops every connection: "server unreachable"
    routes: dict[str, PageFn] = field(default_factory=dict)
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None
    _runners: list[web.AppRunner] = field(default_factory=list)

    def url(self, host: str, path: str = "/") -> str:
        return f"http://{host}:{self.page_port}{path}"

    def requests(self, prefix: str = "") -> list[Recorded]:
        return [r for r in list(self.seen) if r.path_qs.startswith(prefix)]

    def stop(self) -> None:
        if self._loop is None:
            return
        asyncio.run_coroutine_threadsafe(self._cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread:
            self._thread.join(10)

    async def _cleanup(self) -> None:
        for runner in self._runners:
            await runner.cleanup()


def start_sites(upstream: str) -> LocalSites:
    """Start the page server and a proxy to ``upstream`` (the FakeWatch server's URL)."""
    sites = LocalSites()
    ready = threading.Event()
    errors: list[BaseException] = []

    async def serve_page(request: web.Request) -> web.StreamResponse:
        handler = sites.routes.get(request.path)
        if handler is not None:
            return handler(request)
        return page(f"{request.host.split(':')[0]} — test page", "<p>Nothing to see here.</p>")

    async def proxy(request: web.Request) -> web.StreamResponse:
        recorded = Recorded(request.method, request.path_qs)
        sites.seen.append(recorded)
        if sites.down:
            assert request.transport is not None
            request.transport.abort()
            return web.Response(status=502)
        body = await request.read()
        recorded.body = body
        headers = {
            k: v for k, v in request.headers.items() if k.lower() not in {"host", "content-length"}
        }
        async with (
            ClientSession() as session,
            session.request(
                request.method, upstream + request.path_qs, data=body, headers=headers
            ) as upstream_response,
        ):
            payload = await upstream_response.read()
            out = web.Response(status=upstream_response.status, body=payload)
            out.content_type = upstream_response.content_type
            return out

    async def main() -> None:
        page_app = web.Application()
        page_app.router.add_route("*", "/{tail:.*}", serve_page)
        proxy_app = web.Application(client_max_size=32 * 1024 * 1024)
        proxy_app.router.add_route("*", "/{tail:.*}", proxy)
        for app, name in ((page_app, "page"), (proxy_app, "proxy")):
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            sites._runners.append(runner)
            port = runner.addresses[0][1]
            if name == "page":
                sites.page_port = port
            else:
                sites.proxy_url = f"http://127.0.0.1:{port}"

    def run() -> None:
        loop = asyncio.new_event_loop()
        sites._loop = loop
        try:
            loop.run_until_complete(main())
        except BaseException as exc:
            errors.append(exc)
            ready.set()
            return
        ready.set()
        loop.run_forever()
        loop.close()

    sites._thread = threading.Thread(target=run, name="test-sites", daemon=True)
    sites._thread.start()
    ready.wait(15)
    if errors:
        raise errors[0]
    return sites
