"""FakeWatch Telegram bot: a thin client of the server's HTTP API (arrives with its issue)."""
