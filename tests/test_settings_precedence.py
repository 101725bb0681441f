"""Where the database is: ``--db`` > FAKEWATCH_DB > DATA_DIR/fakewatch.db, whichever of
``--data-dir``, FAKEWATCH_DATA_DIR or the default gave DATA_DIR.

Each case runs the real ``fakewatch keys create`` (no models to load) and looks for the file
it wrote: the place a deployment's env file points at is where the data must go.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from server.settings import load_settings

CASES = {
    # name: (environment, flags, where the database must be)
    "env db beats --data-dir": ({"DB": "env/env.db"}, ["--data-dir", "flag"], "env/env.db"),
    "--db beats env db": ({"DB": "env/env.db"}, ["--db", "flag/flag.db"], "flag/flag.db"),
    "--db beats both": (
        {"DB": "env/env.db", "DATA_DIR": "envdir"},
        ["--data-dir", "flag", "--db", "flag/flag.db"],
        "flag/flag.db",
    ),
    "--data-dir alone": ({}, ["--data-dir", "flag"], "flag/fakewatch.db"),
    "--data-dir beats env data dir": (
        {"DATA_DIR": "envdir"},
        ["--data-dir", "flag"],
        "flag/fakewatch.db",
    ),
    "env data dir alone": ({"DATA_DIR": "envdir"}, [], "envdir/fakewatch.db"),
    "env db with env data dir": ({"DB": "env/env.db", "DATA_DIR": "envdir"}, [], "env/env.db"),
    "defaults": ({}, [], "var/fakewatch.db"),
}


@pytest.mark.parametrize("case", CASES)
def test_the_database_goes_where_flags_then_environment_say(case: str, tmp_path: Path) -> None:
    environment, flags, expected = CASES[case]
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAKEWATCH_")}
    env.update({f"FAKEWATCH_{k}": str(tmp_path / v) for k, v in environment.items()})
    flags = [str(tmp_path / f) if i % 2 else f for i, f in enumerate(flags)]
    created = subprocess.run(
        [sys.executable, "-m", "server", "keys", "create", "--label", "where", *flags],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
    )
    assert created.returncode == 0, created.stderr
    databases = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*.db"))
    assert databases == [expected]


def test_flags_are_checked_like_the_environment() -> None:
    """A flag's value goes through the same checks as its variable, and the message names
    whichever gave the value."""
    from server.settings import SettingsError

    with pytest.raises(SettingsError, match=r"^--workers must be between 1 and 64"):
        load_settings({"FAKEWATCH_WORKERS": "2"}, overrides={"workers": 0})
    with pytest.raises(SettingsError, match=r"^FAKEWATCH_WORKERS must be between 1 and 64"):
        load_settings({"FAKEWATCH_WORKERS": "0"}, overrides={"workers": None})
    settings = load_settings({"FAKEWATCH_PORT": "9000"}, overrides={"port": None, "host": "::1"})
    assert (settings.port, settings.host) == (9000, "::1")
