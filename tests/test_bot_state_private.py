"""The bot's database says who subscribed to what and who reported which item: like the
server's, only its owner may read it, whatever the umask."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from bot.state import BotState


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_bot_database_is_private_under_a_permissive_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        path = tmp_path / "data" / "bot.db"
        BotState(path).close()
    finally:
        os.umask(old)
    assert mode(path) == 0o600
    assert mode(path.parent) == 0o700


def test_an_existing_readable_bot_database_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    BotState(path).close()
    os.chmod(path, 0o644)
    BotState(path).close()
    assert mode(path) == 0o600
