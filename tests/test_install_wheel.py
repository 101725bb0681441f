"""A normal install (``pip install .``, not editable) carries what serving reads.

The wheel is built offline from a copy of the source (``pip wheel --no-build-isolation``, the
venv's setuptools), so the test writes no ``build/`` or ``*.egg-info`` into the checkout. Then:
every file each ``models/*/metadata.json`` names, and the licence texts ATTRIBUTION.md points
to, are in it; and the unpacked wheel, with no FAKEWATCH_MODELS_DIR, loads its own models.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: The whole wheel stays small: 4.2 MB on 2026-11-24 (the seven .onnx files are 3.2 MB of it).
MAX_WHEEL_BYTES = 8_000_000


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, source / name)
    skip = shutil.ignore_patterns("__pycache__", "build", "*.egg-info", "*.pyc")
    for package in ("server", "bot", "models"):
        shutil.copytree(ROOT / package, source / package, ignore=skip)
    offline = ["--no-deps", "--no-build-isolation", "--no-index"]
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(source),
            *offline,
            "-q",
            "-w",
            str(tmp / "dist"),
        ],
        capture_output=True,
        text=True,
        cwd=tmp,
        timeout=240,
    )
    assert built.returncode == 0, built.stderr
    (found,) = (tmp / "dist").glob("fakewatch-*.whl")
    return found


def model_folders() -> list[Path]:
    return sorted(p.parent for p in (ROOT / "models").glob("*/metadata.json"))


def test_the_wheel_holds_every_model_file_metadata_names(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    folders = model_folders()
    assert {f.name for f in folders} >= {"ai_face", "scam_domain", "scam_text", "yunet"}
    for folder in folders:
        metadata = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
        wanted = {metadata["file"], *(v["file"] for v in metadata.get("variants", {}).values())}
        wanted |= {"metadata.json", "golden.json"}
        if "card" in metadata:
            wanted.add(metadata["card"])
        for file in sorted(wanted):
            assert f"models/{folder.name}/{file}" in names, f"{folder.name}/{file} not in wheel"
    assert "models/yunet/LICENSE" in names
    # Training code and data stay in the checkout.
    assert not {n for n in names if n.startswith("models/") and n.endswith(".jsonl")}
    assert not {n for n in names if re.match(r"models/\w+/(train|export|dataset)\.py$", n)}
    assert wheel.stat().st_size < MAX_WHEEL_BYTES, wheel.stat().st_size


def test_the_wheel_holds_the_licence_texts_attribution_points_to(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    licences = sorted((ROOT / "server" / "data" / "licenses").iterdir())
    assert licences
    for path in licences:
        assert f"server/data/licenses/{path.name}" in names, path.name
    attribution = (ROOT / "server" / "data" / "ATTRIBUTION.md").read_text(encoding="utf-8")
    for linked in re.findall(r"licenses/[\w.\-]+", attribution):
        assert f"server/data/{linked}" in names, linked


def test_an_unpacked_wheel_checks_a_link_with_its_own_models(wheel: Path, tmp_path: Path) -> None:
    """No FAKEWATCH_MODELS_DIR: the default is site-packages/models, which must hold them."""
    site = tmp_path / "site-packages"
    zipfile.ZipFile(wheel).extractall(site)
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAKEWATCH_")}
    # PYTHONPATH comes before the editable install's finder: the wheel's copy is imported.
    env.update(PYTHONPATH=str(site), FAKEWATCH_DATA_DIR=str(tmp_path / "var"))
    where = subprocess.run(
        [sys.executable, "-c", "import server.onnx_runtime as o; print(o.default_models_dir())"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    assert where.stdout.strip() == str(site / "models"), where.stderr
    checked = subprocess.run(
        [sys.executable, "-m", "server", "check", "--json", "https://paypal-verify-login.top/x"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    assert checked.returncode == 0, checked.stderr
    (result,) = json.loads(checked.stdout)["results"]
    assert result["verdict"] != "unknown", result


def without_settings() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("FAKEWATCH_")}


def fakewatch_command() -> list[str]:
    """The installed ``fakewatch`` script of this venv (``python -m server`` without one)."""
    script = Path(sys.executable).with_name("fakewatch")
    return [str(script)] if script.exists() else [sys.executable, "-m", "server"]


def assert_one_line_naming_the_setting(ran: subprocess.CompletedProcess[str]) -> None:
    assert ran.returncode != 0 and ran.stdout == "", (ran.stdout, ran.stderr)
    lines = ran.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in ran.stderr, ran.stderr
    assert lines[0].startswith("fakewatch: ") and "set FAKEWATCH_MODELS_DIR to" in lines[0]


def test_serve_without_its_models_says_which_setting_in_one_line(tmp_path: Path) -> None:
    env = without_settings()
    env.update(FAKEWATCH_MODELS_DIR="/nonexistent", FAKEWATCH_DATA_DIR=str(tmp_path / "var"))
    ran = subprocess.run(
        [*fakewatch_command(), "serve", "--port", "0"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    assert_one_line_naming_the_setting(ran)
    assert "/nonexistent" in ran.stderr


def test_check_with_a_broken_model_says_which_setting_in_one_line(tmp_path: Path) -> None:
    """A model file that differs from its metadata (a bad copy, a half-done export)."""
    models = tmp_path / "models"
    shutil.copytree(ROOT / "models", models, ignore=shutil.ignore_patterns("*.py", "build", "data"))
    with (models / "scam_domain" / "scam_domain.int8.onnx").open("ab") as handle:
        handle.write(b"\0")
    env = without_settings()
    env.update(FAKEWATCH_MODELS_DIR=str(models))
    ran = subprocess.run(
        [*fakewatch_command(), "check", "https://example.com"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=120,
    )
    assert_one_line_naming_the_setting(ran)
    assert "scam_domain.int8.onnx has sha256" in ran.stderr
