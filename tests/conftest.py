from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.engine import Engine
from server.settings import Settings
from tests.support.server import RunningServer, start_server

SHARED = Path(__file__).resolve().parents[2] / "shared"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # schemathesis names each operation's test "test_x[GET /path]", but pytest 9 builds a node id
    # from a name by dropping the bracket (a callspec supplies it; schemathesis has none): all 62
    # operations shared one id, and pytest-xdist, which hands tests out by id, ran one of them.
    from _pytest.nodeid import NodeId

    for item in items:
        if "[" in item.name and not item.nodeid.endswith("]") and item.parent is not None:
            item._id = NodeId.parse(f"{item.parent.nodeid}::{item.name}")
    shared = sorted(i for i, n in Counter(item.nodeid for item in items).items() if n > 1)
    assert not shared, f"tests sharing one id would be run once under -n: {shared[:5]}"


@pytest.fixture(scope="session")
def engine() -> Engine:
    """One in-process engine with the bundled lists (building it takes ~1 s)."""
    return Engine.build(Settings())


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """The real server, started once for the session on a real port with a real SQLite file."""
    running = start_server(tmp_path_factory.mktemp("server"))
    yield running
    assert running.stop() == 0, running.stderr()


@pytest.fixture
def fresh_server(tmp_path: Path) -> Iterator[RunningServer]:
    """A server of its own, for tests that change settings or state."""
    running = start_server(tmp_path)
    yield running
    running.stop()


@pytest.fixture(scope="session")
def community_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """One server for the community tests (reports, cases, alerts, pages): tests tell their
    reporters apart by key, ``reporter`` id or X-Forwarded-For, so they share it safely."""
    running = start_server(
        tmp_path_factory.mktemp("community"),
        env={
            "FAKEWATCH_TRUST_FORWARDED_FOR": "true",
            "FAKEWATCH_ANONYMOUS_REPORTS_PER_MINUTE": "5",
            "FAKEWATCH_REPORTER_REPORTS_PER_MINUTE": "20",
            # The tests' webhook receivers listen on 127.0.0.1.
            "FAKEWATCH_WEBHOOK_ALLOW_PRIVATE": "true",
        },
    )
    yield running
    assert running.stop() == 0, running.stderr()
    assert "Traceback" not in running.stderr()
