"""The README documents every setting, endpoint and error code, and the table of settings
agrees with the typed Settings object."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from server.api.meta import openapi_document
from server.errors import ERROR_CODES
from server.settings import SETTINGS, Settings

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_in_the_readme() -> None:
    missing = [s.env for s in SETTINGS if f"`{s.env}`" not in README]
    assert not missing, f"README lacks: {missing}"


def test_the_settings_table_matches_the_settings_object() -> None:
    assert [s.name for s in SETTINGS] == [f.name for f in fields(Settings)]
    defaults = Settings()
    for setting in SETTINGS:
        if setting.name in ("data_dir", "db"):
            continue
        assert getattr(defaults, setting.name) == setting.default, setting.name


def test_every_endpoint_is_in_the_readme() -> None:
    for path, operations in openapi_document()["paths"].items():
        for method in operations:
            assert f"`{method.upper()} {path}`" in README, f"README lacks `{method.upper()} {path}`"


def test_every_error_code_is_in_the_readme() -> None:
    missing = [code for code in ERROR_CODES if f"`{code}`" not in README]
    assert not missing, f"README lacks error codes: {missing}"


def test_the_readme_opens_with_the_two_commands() -> None:
    head = "\n".join(README.splitlines()[:15])
    assert "make run" in head and "make test" in head
