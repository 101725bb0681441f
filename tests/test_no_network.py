"""Nothing FakeWatch does opens a socket to anything but loopback (no PSL fetch, no feed
fetch, no model download): an audit hook in a real subprocess records every connect."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.server import cli_env

HOOKED_RUN = r"""
import ipaddress, json, socket, sys, threading, urllib.request
seen = []
def hook(event, args):
    if event == "socket.connect":
        address = args[1]
        host = address[0] if isinstance(address, tuple) else str(address)
        seen.append(host)
sys.addaudithook(hook)

from server.cli import main
# 1. the CLI check (loads the PSL snapshot, lists, every detector)
assert main(["check", "https://paypa1.com/login", "http://xn--80ak6aa92e.com", "--db", sys.argv[1] + "/none.db"]) == 0
# 2. the server: start it in a thread, call it over loopback, stop it
import asyncio
from aiohttp import web
from server.api.app import create_app
from server.settings import Settings
async def serve():
    settings = Settings(db=__import__("pathlib").Path(sys.argv[1]) / "fw.db", admin_key="x" * 20)
    runner = web.AppRunner(create_app(settings))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    def call():
        req = urllib.request.Request(
            f"http://127.0.0.1:{port}/v1/check/links", method="POST",
            data=json.dumps({"urls": ["https://polkadot-dot.info/", "https://paypal-secure-login.com/"]}).encode(),
            headers={"Content-Type": "application/json", "Authorization": "Bearer " + "x" * 20})
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        return json.loads(opener.open(req, timeout=30).read())
    body = await asyncio.get_running_loop().run_in_executor(None, call)
    assert body["results"][0]["verdict"] == "likely_scam", body
    await runner.cleanup()
asyncio.run(serve())
outside = [h for h in seen if not (h.startswith("/") or ipaddress.ip_address(h.split("%")[0]).is_loopback)]
print("CONNECTS", json.dumps(seen))
print("OUTSIDE", json.dumps(outside))
"""


def test_only_loopback_sockets_are_ever_opened(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", HOOKED_RUN, str(tmp_path)],
        capture_output=True,
        text=True,
        env=cli_env(),
        cwd=Path(__file__).resolve().parents[1],
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = dict(
        line.split(" ", 1)
        for line in result.stdout.splitlines()
        if line.startswith(("CONNECTS", "OUTSIDE"))
    )
    assert lines["OUTSIDE"] == "[]", lines
    assert "127.0.0.1" in lines["CONNECTS"], "the hook saw no connection at all: it is not working"
