"""What the app holds, reached through typed ``AppKey``s (no module globals)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from aiohttp import web

from server.api.auth import Authenticator
from server.api.metrics import Metrics
from server.engine import Engine
from server.settings import Settings
from server.storage.database import Database

SETTINGS = web.AppKey("settings", Settings)
ENGINE = web.AppKey("engine", Engine)
DB = web.AppKey("db", Database)
METRICS = web.AppKey("metrics", Metrics)
AUTH = web.AppKey("auth", Authenticator)
#: CPU work (scoring, parsing) runs here, off the event loop.
CPU = web.AppKey("cpu", ThreadPoolExecutor)
