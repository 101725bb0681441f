"""The bot's view of ``server.settings.Settings`` (the one typed place for configuration)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from server.settings import Settings, SettingsError

#: Telegram lets a bot download files up to 20 MB through the Bot API.
TELEGRAM_DOWNLOAD_LIMIT = 20 * 1024 * 1024


@dataclass(frozen=True)
class BotConfig:
    token: str
    api_url: str
    server_url: str
    api_key: str
    moderator_ids: frozenset[int]
    state_path: Path
    #: Empty: long polling. Else Telegram posts updates here; the bot listens on ``listen``.
    webhook_url: str = ""
    webhook_listen: tuple[str, int] = ("127.0.0.1", 8443)
    #: The server's ``max_text_chars`` (the same setting): the longest text sent to be checked.
    max_text_chars: int = 10_000

    def __repr__(self) -> str:  # secrets never print
        return (
            f"BotConfig(api_url={self.api_url!r}, server_url={self.server_url!r}, "
            f"moderators={len(self.moderator_ids)}, state_path={str(self.state_path)!r})"
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> BotConfig:
        if not settings.telegram_token:
            raise SettingsError(
                "FAKEWATCH_TELEGRAM_TOKEN is not set: create a bot with @BotFather and set it"
            )
        if not settings.api_key:
            raise SettingsError(
                "FAKEWATCH_API_KEY is not set: create one with "
                "`fakewatch keys create --role moderator --label telegram-bot`"
            )
        if settings.telegram_webhook_url and not settings.telegram_webhook_url.startswith(
            ("https://", "http://")
        ):
            raise SettingsError("FAKEWATCH_TELEGRAM_WEBHOOK_URL must be an https URL")
        for name in ("telegram_api_url", "server_url"):
            value = getattr(settings, name)
            if not value.startswith(("http://", "https://")):
                raise SettingsError(f"FAKEWATCH_{name.upper()} must be an http(s) URL")
        return cls(
            token=settings.telegram_token,
            api_url=settings.telegram_api_url.rstrip("/"),
            server_url=settings.server_url.rstrip("/"),
            api_key=settings.api_key,
            moderator_ids=parse_ids(settings.moderator_ids),
            state_path=settings.data_dir / "bot.db",
            webhook_url=settings.telegram_webhook_url,
            webhook_listen=parse_listen(settings.telegram_webhook_listen),
            max_text_chars=settings.max_text_chars,
        )

    @property
    def webhook_secret(self) -> str:
        """Telegram echoes this in a header on every webhook call; others cannot forge it."""
        return hashlib.sha256(("fakewatch-webhook:" + self.token).encode()).hexdigest()


def parse_ids(raw: str) -> frozenset[int]:
    ids = set()
    for part in raw.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.lstrip("-").isdigit():
            raise SettingsError(
                f"FAKEWATCH_MODERATOR_IDS: {part!r} is not a Telegram user id (a number)"
            )
        ids.add(int(part))
    return frozenset(ids)


def parse_listen(raw: str) -> tuple[str, int]:
    host, _, port = raw.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise SettingsError(
            f"FAKEWATCH_TELEGRAM_WEBHOOK_LISTEN: {raw!r} is not host:port (e.g. 127.0.0.1:8443)"
        )
    return host.strip("[]"), int(port)
