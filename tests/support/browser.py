"""Launch Debian's headless chromium through playwright, optionally with an unpacked extension.

Shared by the extension and moderation-page tests. Recipe (checked on this kind of machine) in
``../shared/TESTING.md``: the system ``/usr/bin/chromium`` (never ``playwright install``), a fresh
persistent profile (extensions need one), and a host-resolver rule that maps every name to
nowhere except 127.0.0.1, so test pages linking to ``scam.example`` never leave the machine.
Names a test serves itself are mapped to 127.0.0.1 with ``hosts=[...]``.

Screenshots go to ``test-artifacts/<test module>/`` at the repository root (git-ignored, stable
across runs so a person can look at them after ``make test``); see :func:`screenshot`.

Use it with one browser per test module (a launch costs ~1-2 s)::

    @pytest.fixture(scope="module")
    def browser(tmp_path_factory):
        with launch(tmp_path_factory.mktemp("profile"), extension=EXTENSION) as b:
            yield b
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/lib/chromium/chromium")
SW_DEADLINE_S = 15.0

BASE_FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
    "--lang=en-US",
)


def chromium_path() -> str | None:
    """The system chromium binary, or None when it is not installed."""
    override = os.environ.get("FAKEWATCH_CHROMIUM")
    for candidate in (override, *CHROMIUM_CANDIDATES):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def require_chromium() -> str:
    """Skip the calling test module when chromium or playwright is missing (CI installs both)."""
    pytest.importorskip("playwright.sync_api", reason="pip install -e '.[dev]' adds playwright")
    path = chromium_path()
    if path is None:
        message = "Debian chromium not installed (apt-get install chromium; .ci/run does it)"
        if os.environ.get("FAKEWATCH_REQUIRE_BROWSER"):  # CI: a skipped browser test hides a gap
            pytest.fail(message)
        pytest.skip(message)
    return path


def resolver_rule(hosts: list[str] | tuple[str, ...] = ()) -> str:
    """``--host-resolver-rules``: listed hosts -> 127.0.0.1, every other name -> NOTFOUND."""
    maps = [f"MAP {host} 127.0.0.1" for host in hosts]
    return "--host-resolver-rules=" + " , ".join([*maps, "MAP * ~NOTFOUND", "EXCLUDE 127.0.0.1"])


@dataclass
class Browser:
    """A running chromium: the playwright context, and the extension's worker when loaded."""

    context: Any  # playwright.sync_api.BrowserContext
    service_worker: Any | None  # playwright.sync_api.Worker
    extension_id: str | None
    artifacts: Path

    def extension_url(self, page: str) -> str:
        """``chrome-extension://<id>/<page>`` for the loaded extension."""
        assert self.extension_id, "no extension loaded"
        return f"chrome-extension://{self.extension_id}/{page.lstrip('/')}"

    def sw_eval(self, expression: str, arg: Any = None) -> Any:
        """Evaluate a JS function expression in the extension's service worker."""
        assert self.service_worker is not None, "no extension loaded"
        return self.service_worker.evaluate(expression, arg)

    def refresh_prefixes(self, attempts: int = 3) -> Any:
        """Force the extension's prefix-list download now and return its result. The extension
        gives a request 4 s; on a loaded test machine a first download can miss that, and the
        extension would simply try again at its next refresh: so does this."""
        update = "() => self.fakewatch.updatePrefixes({force: true})"
        for _ in range(attempts - 1):
            with contextlib.suppress(Exception):
                return self.sw_eval(update)
        return self.sw_eval(update)

    def screenshot(self, page: Any, name: str, *, full_page: bool = False) -> Path:
        """Save a PNG of ``page`` under the artifacts folder and return its path."""
        path = self.artifacts / f"{_safe(name)}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "shot"


def artifacts_dir(group: str) -> Path:
    """``test-artifacts/<group>/``, emptied at first use in a run so stale shots never linger."""
    path = ARTIFACTS / _safe(group)
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def extension_for(folder: Path, server_url: str) -> Path:
    """A copy of the extension whose default server is ``server_url``: what it sends as it
    installs, before the test configures it, must not reach a real server a developer runs
    on the default port."""
    copy = folder / "extension"
    shutil.copytree(REPO / "extension", copy, ignore=shutil.ignore_patterns("test", "node_modules"))
    background = copy / "background.js"
    source = background.read_text(encoding="utf-8")
    default = 'serverUrl: "http://127.0.0.1:8470"'
    assert default in source  # the default this replaces
    background.write_text(source.replace(default, f"serverUrl: {json.dumps(server_url)}"))
    return copy


@contextmanager
def launch(
    profile_dir: Path,
    *,
    extension: Path | None = None,
    hosts: list[str] | tuple[str, ...] = (),
    artifacts: str = "browser",
    extra_args: list[str] | tuple[str, ...] = (),
    viewport: tuple[int, int] = (1100, 760),
    locale: str = "en-US",
) -> Iterator[Browser]:
    """Start headless chromium with a fresh profile; yield a :class:`Browser`; close it after.

    ``extension`` is an unpacked extension folder; the context waits for its service worker
    and reads the extension id from the worker's URL (it depends on the absolute path).
    """
    executable = require_chromium()
    from playwright.sync_api import sync_playwright

    args = [*BASE_FLAGS, resolver_rule(hosts), *extra_args]
    if extension is not None:
        ext = str(Path(extension).resolve())
        args += [f"--disable-extensions-except={ext}", f"--load-extension={ext}"]
    shots = artifacts_dir(artifacts)
    profile_dir.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile_dir),
            executable_path=executable,
            headless=True,
            args=args,
            ignore_default_args=["--disable-extensions"],
            viewport={"width": viewport[0], "height": viewport[1]},
            locale=locale,
        )
        try:
            worker = _service_worker(context) if extension is not None else None
            ext_id = worker.url.split("/")[2] if worker is not None else None
            yield Browser(context, worker, ext_id, shots)
        finally:
            context.close()


@contextmanager
def ready_extension(
    tmp_path_factory: pytest.TempPathFactory,
    server_url: str,
    *,
    hosts: list[str] | tuple[str, ...],
    artifacts: str,
    **settings: str,
) -> Iterator[tuple[Browser, Any]]:
    """Chromium with the extension loaded and pointed at ``server_url``, ``settings`` stored
    (``chrome.storage.local``) and its prefix list downloaded; yields the browser and what
    the download returned."""
    with launch(
        tmp_path_factory.mktemp("profile"),
        extension=extension_for(tmp_path_factory.mktemp("extension"), server_url),
        hosts=hosts,
        artifacts=artifacts,
    ) as running:
        # The worker exists before onInstalled has finished: wait for what it creates.
        wait_until(
            lambda: running.sw_eval(
                "async () => (await chrome.storage.session.get('menusReady')).menusReady"
            )
        )
        running.sw_eval("s => chrome.storage.local.set(s)", {"serverUrl": server_url, **settings})
        yield running, running.refresh_prefixes()


def _service_worker(context: Any) -> Any:
    deadline = time.monotonic() + SW_DEADLINE_S
    while time.monotonic() < deadline:
        for worker in context.service_workers:
            if worker.url.startswith("chrome-extension://"):
                return worker
        # playwright's TimeoutError: poll again until the deadline
        with contextlib.suppress(Exception):
            context.wait_for_event("serviceworker", timeout=1000)
    raise RuntimeError("extension service worker did not start (check the manifest loads)")


def wait_until(predicate: Any, *, timeout: float = 10.0, interval: float = 0.05) -> Any:
    """Poll ``predicate()`` until it returns a truthy value; fail with a clear message.

    Playwright's sync API learns of events (navigations, new pages) only while one of its calls
    runs: a predicate that only reads ``page.url`` never sees it change; use
    ``page.wait_for_url`` for that, or make the predicate call into the browser (``evaluate``).
    """
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s (last value: {last!r})")
