"""The extension in headless Chromium: added time per navigation, requests for unlisted pages,
and the time to scan a page with 1,000 links. Needs Debian's chromium and playwright.

Measured against the real server (bundled lists, ~88k hosts) through a counting proxy:

1. Check cost in the service worker (``checkUrl``) for unlisted pages in private mode, with
   the real set and with a synthetic 500k-prefix set (cold = first check after the worker lost
   its memory and reloads the set from chrome.storage; warm = every later check).
2. Navigation time (goto → DOMContentLoaded) for unlisted pages, with the extension loaded and,
   as the peer, in a browser without it; plus the number of requests the server saw.
3. "Scan this page" on a page with 1,000 links (5 of them listed), private and enhanced mode.

    .venv/bin/python bench/extension_browser.py [--navigations 60]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.browser import extension_for, launch, wait_until  # noqa: E402
from tests.support.pages import page, start_sites  # noqa: E402
from tests.support.server import start_server  # noqa: E402

LISTED = [f"listed-{i}-bench.example" for i in range(5)]
HOSTS = [*LISTED, "bench-links.example", "plain-news.example"]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def nav_times(browser_obj: object, sites: object, n: int) -> list[float]:
    tab = browser_obj.context.new_page()  # type: ignore[attr-defined]
    times = []
    for i in range(n):
        url = sites.url("plain-news.example", f"/article/{i}?ref=home")  # type: ignore[attr-defined]
        start = time.perf_counter()
        tab.goto(url, wait_until="domcontentloaded")
        times.append((time.perf_counter() - start) * 1000)
    tab.close()
    return times[3:]  # the first loads warm up the renderer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--navigations", type=int, default=60)
    args = parser.parse_args()
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    tmp = Path(tempfile.mkdtemp(prefix="fw-ext-bench-"))
    server = start_server(tmp / "server")
    for host in LISTED:
        server.request("POST", "/v1/lists/entries", json_body={"value": host, "action": "block"})
    sites = start_sites(server.url)
    links = "".join(
        f"<a href='https://site-{i}.example/p/{i}?q={i}'>link {i}</a> " for i in range(995)
    ) + "".join(f"<a href='http://{h}/claim'>{h}</a> " for h in LISTED)
    sites.routes["/links"] = lambda _request: page("1,000 links", links)
    ext = extension_for(tmp, sites.proxy_url)
    try:
        with launch(tmp / "peer-profile", hosts=HOSTS, artifacts="bench-peer") as peer:
            peer_nav = nav_times(peer, sites, args.navigations)
        with launch(tmp / "profile", extension=ext, hosts=HOSTS, artifacts="bench") as b:
            wait_until(
                lambda: b.sw_eval(
                    "async () => (await chrome.storage.session.get('menusReady')).menusReady"
                ),
                timeout=30,
            )
            b.sw_eval(
                "s => chrome.storage.local.set(s)",
                {
                    "serverUrl": sites.proxy_url,
                    "apiKey": "test-admin-key-0123456789abcdef",
                    "mode": "private",
                    "lang": "en",
                },
            )
            update = b.sw_eval("() => self.fakewatch.updatePrefixes({force: true})")
            print(f"real set: {update['count']:,} prefixes (lists version {update['version']})")

            # 1. check cost in the worker, real set
            urls = [f"https://shop-{i}.example/item/{i}?colour=red" for i in range(300)]
            timing = b.sw_eval(
                """async (urls) => {
                    const out = [];
                    for (const u of urls) {
                        const t = performance.now();
                        await self.fakewatch.checkUrl(u);
                        out.push(performance.now() - t);
                    }
                    return out;
                }""",
                urls,
            )
            print(
                f"checkUrl, unlisted, private, {update['count']:,} prefixes: "
                f"median {statistics.median(timing):.2f} ms, p95 {pct(timing, 0.95):.2f} ms"
            )

            # 2. navigations with the extension vs without; requests the server saw
            before = len(sites.seen)
            ext_nav = nav_times(b, sites, args.navigations)
            sent = len(sites.seen) - before
            med_ext, med_peer = statistics.median(ext_nav), statistics.median(peer_nav)
            print(
                f"navigation (goto→DOMContentLoaded, {len(ext_nav)} unlisted pages): "
                f"with extension median {med_ext:.1f} ms (p95 {pct(ext_nav, 0.95):.1f}), "
                f"without (peer) {med_peer:.1f} ms (p95 {pct(peer_nav, 0.95):.1f}); "
                f"added {med_ext - med_peer:+.1f} ms median"
            )
            print(f"requests to the server during those navigations: {sent}")

            # 3. scan a page with 1,000 links
            tab = b.context.new_page()
            tab.goto(sites.url("bench-links.example", "/links"), wait_until="domcontentloaded")
            tab_id = b.sw_eval(
                "async () => (await chrome.tabs.query({})).find(t => (t.url||'').includes('/links')).id"
            )
            for mode in ("private", "enhanced"):
                b.sw_eval("m => chrome.storage.local.set({mode: m})", mode)
                b.sw_eval("() => chrome.storage.local.remove(['lookupCache', 'domainCache'])")
                seen = len(sites.seen)
                start = time.perf_counter()
                result = b.sw_eval("id => self.fakewatch.scanTab(id)", tab_id)
                took = (time.perf_counter() - start) * 1000
                print(
                    f"scan 1,000 links, {mode}: {took:.0f} ms, {result['links']} links, "
                    f"{result['flagged']} flagged, {result['marked']} marked, "
                    f"{len(sites.seen) - seen} requests"
                )
            b.sw_eval("() => chrome.storage.local.set({mode: 'private'})")

            # 1b. a synthetic 500k-prefix set: cold load from storage, then warm checks
            rng = random.Random(5)
            big = sorted(set(rng.getrandbits(32) for _ in range(520_000)))[:500_000]
            blob = b"".join(p.to_bytes(4, "big") for p in big)
            import base64

            b.sw_eval(
                """s => chrome.storage.local.set(s)""",
                {
                    "prefixSet": base64.b64encode(blob).decode(),
                    "prefixVersion": 10**9,
                    "prefixServer": sites.proxy_url,
                    "prefixUpdatedAt": int(time.time() * 1000),
                },
            )
            b.sw_eval("() => self.fakewatch.dropCaches()")
            cold = b.sw_eval(
                """async () => { const t = performance.now();
                   await self.fakewatch.checkUrl('https://cold-start.example/a');
                   return performance.now() - t; }"""
            )
            timing = b.sw_eval(
                """async (urls) => { const out = [];
                   for (const u of urls) { const t = performance.now();
                     await self.fakewatch.checkUrl(u); out.push(performance.now() - t); }
                   return out; }""",
                urls,
            )
            print(
                f"checkUrl, unlisted, private, 500,000 prefixes: cold (reload from storage) "
                f"{cold:.1f} ms; warm median {statistics.median(timing):.2f} ms, "
                f"p95 {pct(timing, 0.95):.2f} ms"
            )
    finally:
        sites.stop()
        server.stop()


if __name__ == "__main__":
    main()
