"""Every setting in one typed place.

The environment is read once, in ``cli.py``; everything below receives a frozen ``Settings``.
``SETTINGS`` is the table the README, ``fakewatch serve --help`` and a test are checked against:
each setting has an environment variable, a default and help text. A bad value raises
``SettingsError`` naming the flag that gave it (``--port``), else its variable
(``FAKEWATCH_PORT``); secrets are never printed.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any


class SettingsError(ValueError):
    """A setting has a value we cannot use; the message names the variable and what it expects."""


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str
    secret: bool = False

    @property
    def env(self) -> str:
        return "FAKEWATCH_" + self.name.upper()


SETTINGS: tuple[Setting, ...] = (
    Setting("data_dir", "var", "Folder for the database and other local state."),
    Setting("db", "", "SQLite database file (default: DATA_DIR/fakewatch.db)."),
    Setting("host", "127.0.0.1", "Address `fakewatch serve` binds to."),
    Setting("port", 8470, "Port `fakewatch serve` binds to (0 picks a free one)."),
    Setting(
        "workers",
        1,
        "Server processes sharing the port (`fakewatch serve --workers N`); rate limits and "
        "/metrics then count per process.",
    ),
    Setting(
        "reuse_port",
        False,
        "Bind with SO_REUSEPORT so several `fakewatch serve` processes share one port.",
    ),
    Setting(
        "scheduled_jobs",
        True,
        "Run federation pulls and webhook deliveries in this process (off in all but the first "
        "of `--workers N`).",
    ),
    Setting(
        "admin_key",
        "",
        "When set, accepted as an admin API key (besides keys made with `fakewatch keys create`).",
        secret=True,
    ),
    Setting(
        "open_checks",
        False,
        "Allow check endpoints without a key; then per-IP rate limits apply.",
    ),
    Setting(
        "open_checks_per_minute",
        120,
        "Checks per minute per IP when checks are open (per worker with `--workers N`).",
    ),
    Setting("key_requests_per_minute", 6000, "Requests per minute per API key."),
    Setting(
        "auth_failures_per_minute",
        20,
        "Requests with a wrong key per minute per IP before 429 (per worker with `--workers N`).",
    ),
    Setting(
        "trust_forwarded_for",
        False,
        "Take the client IP from X-Forwarded-For (only behind a reverse proxy you run): the"
        " entry FAKEWATCH_FORWARDED_FOR_HOPS from the right, and only on connections from"
        " FAKEWATCH_TRUSTED_PROXIES.",
    ),
    Setting(
        "trusted_proxies",
        "127.0.0.1/8,::1",
        "Comma-separated addresses or networks of your reverse proxies; X-Forwarded-For is read"
        " only on connections from them.",
    ),
    Setting(
        "forwarded_for_hops",
        1,
        "Reverse proxies in front of the server that append to X-Forwarded-For (1: one proxy;"
        " the client is that many entries from the right).",
    ),
    Setting("max_body_bytes", 1_048_576, "Largest JSON request body, in bytes."),
    Setting("max_urls_per_request", 100, "Most URLs in one POST /v1/check/links."),
    Setting("max_url_length", 4096, "Longest URL accepted, in characters."),
    Setting(
        "max_media_bytes",
        20_971_520,
        "Largest media upload (image or video), in bytes; JSON bodies stay at MAX_BODY_BYTES.",
    ),
    Setting(
        "max_media_pixels",
        40_000_000,
        "Most pixels in an image or video frame before decoding (decompression-bomb guard).",
    ),
    Setting("max_video_seconds", 600, "Longest video (by its declared duration) a check accepts."),
    Setting(
        "max_video_keyframes",
        16,
        "Most frames sampled from one video, at evenly spaced times (a keyframe, or a frame"
        " decoded on the way in a long keyframe gap).",
    ),
    Setting(
        "max_animation_pixels",
        64_000_000,
        "Most pixels decoded over all the frames read from one animated GIF/WebP/APNG (frames"
        " x canvas); frames past it are not read (the check's media.animation says how many"
        " were). The first frame is always read.",
    ),
    Setting(
        "max_media_checks",
        4,
        "Media checks decoded and scored at once; one more is refused at once with 503 busy and"
        " Retry-After instead of queueing (0: no limit).",
    ),
    Setting(
        "pdq_scan_slot_rows",
        200_000,
        "Bank rows from which a hashes-only media check that sends PDQ takes a media slot: its"
        " PDQ is scanned against every row (~29 ms a hash at 10M rows; below this, under a"
        " millisecond).",
    ),
    Setting(
        "known_fakes_keep_media",
        False,
        "Keep the media file of a known fake on disk (default: only its hashes are stored).",
    ),
    Setting("detector_timeout_ms", 2000, "Time a detector may take before the verdict is partial."),
    Setting("link_cache_size", 20_000, "Link verdicts kept for repeated links (0 turns it off)."),
    Setting(
        "bundled_blocklist",
        True,
        "Use the blocklist shipped with FakeWatch (polkadot-js and MetaMask lists).",
    ),
    Setting(
        "celebrity_names_file",
        "",
        "Text file of celebrity names (one per line) used as a URL cue; default: the bundled list.",
    ),
    Setting("feed_max_bytes", 268_435_456, "Largest feed download or file `feeds import` reads."),
    Setting("feed_timeout_s", 60, "Seconds a feed download may take."),
    Setting("lists_refresh_s", 5.0, "How often the server looks for list changes made elsewhere."),
    Setting(
        "gc_freeze_s",
        1.0,
        "How often the server freezes what survived young garbage collections, so full"
        " collections stay short with full caches (0 turns it off; see server/gc_policy.py).",
    ),
    Setting(
        "gc_sweep_s",
        3600.0,
        "How often frozen objects get one full collection, which frees the reference cycles"
        " frozen while alive (closed connections); 0: only at shutdown.",
    ),
    Setting(
        "face_match_distance",
        0.6,
        "Largest face-embedding distance taken as the same person (similarity = 1 - distance);"
        " measured by bench/face_threshold.py.",
    ),
    Setting(
        "public_url",
        "",
        "Base URL people reach this server at, for verdict_url and alert links (default: the"
        " request's own; links relayed to Telegram use the address the connection reached, never"
        " the Host header). An https URL also marks the moderator cookie Secure.",
    ),
    Setting("anonymous_reports_per_minute", 10, "Reports per minute per IP without a key."),
    Setting(
        "reporter_reports_per_minute", 30, "Reports per minute from one reporter (a key or IP)."
    ),
    Setting("report_media_max_bytes", 10_485_760, "Largest media file a report may attach."),
    Setting(
        "key_reports_per_minute",
        600,
        "Reports per minute from one client key, across all the reporter ids it sends.",
    ),
    Setting(
        "report_media_quota_bytes",
        5_368_709_120,
        "Total size of kept report media (report_media/); past it reports are stored without"
        " their file (media_kept: false). 0 keeps none.",
    ),
    Setting(
        "report_batch_wait_ms",
        2.0,
        "Milliseconds a busy report writer (many concurrent reports) waits to gather more into"
        " one commit (0: only those that queued during the previous commit).",
    ),
    Setting(
        "brigade_window_s",
        3600,
        "Seconds in which a surge of reports from new or low-weight reporters on one case"
        " sends it to quarantine.",
    ),
    Setting(
        "brigade_min_reporters",
        10,
        "New or low-weight reporters within FAKEWATCH_BRIGADE_WINDOW_S that make a surge.",
    ),
    Setting(
        "webhook_allow_private",
        False,
        "Allow webhooks to private, loopback and link-local addresses (tests, closed networks).",
    ),
    Setting(
        "federation_pull_interval_s",
        0.0,
        "Seconds between the server's pulls of configured federation peers (0: off).",
    ),
    Setting(
        "federation_allow_private",
        False,
        "Let federation pulls follow a peer's redirect to a private, loopback or link-local "
        "address (peers on a closed network).",
    ),
    Setting("report_retention_days", 365, "Days report texts, URLs and kept media are held."),
    Setting("alert_subscription_days", 30, "Days a retroactive alert subscription lives."),
    Setting(
        "alert_subscriptions_per_key",
        1000,
        "Live retroactive alert subscriptions one client key may hold (each becomes an alert"
        " row when its item is confirmed).",
    ),
    Setting("appeal_due_days", 7, "Days moderators have to answer an appeal."),
    Setting("webhook_timeout_s", 5.0, "Seconds a webhook delivery may take."),
    Setting("log_level", "info", "Log level: debug, info, warning or error."),
    Setting(
        "models_dir",
        "",
        "Folder holding the ONNX model folders (default: the `models/` installed with FakeWatch,"
        " beside the `server` package; a checkout's own in an editable install).",
    ),
    Setting("onnx_threads", 1, "Threads one ONNX inference may use (2 cores: keep 1)."),
    Setting(
        "ocr",
        "auto",
        "Read text in checked media: auto (a face or text seen, or the client asks), asked, off.",
    ),
    Setting("ocr_timeout_s", 10.0, "Seconds a media check waits for OCR before going without."),
    Setting("ocr_max_side", 960, "Long side, in pixels, pictures are reduced to before OCR."),
    Setting(
        "max_text_chars", 10_000, "Longest message POST /v1/check/text accepts, in characters."
    ),
    Setting(
        "telegram_token", "", "Telegram bot token from @BotFather (`fakewatch bot`).", secret=True
    ),
    Setting(
        "telegram_api_url",
        "https://api.telegram.org",
        "Telegram Bot API base URL (a local Bot API server, or the tests' fake).",
    ),
    Setting("server_url", "http://127.0.0.1:8470", "FakeWatch server the bot asks for verdicts."),
    Setting(
        "api_key",
        "",
        "The bot's key for the FakeWatch server (moderator role: moderation buttons and /link).",
        secret=True,
    ),
    Setting(
        "moderator_ids",
        "",
        "Telegram user ids (comma-separated) who get new cases with Confirm/Reject buttons.",
    ),
    Setting(
        "telegram_webhook_url",
        "",
        "Public https URL Telegram posts the bot's updates to (via your reverse proxy); unset: long polling.",
    ),
    Setting(
        "telegram_webhook_listen",
        "127.0.0.1:8443",
        "host:port the bot's webhook server binds to when FAKEWATCH_TELEGRAM_WEBHOOK_URL is set.",
    ),
)

_BY_NAME = {s.name: s for s in SETTINGS}


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("var")
    db: Path = Path("var/fakewatch.db")
    host: str = "127.0.0.1"
    port: int = 8470
    workers: int = 1
    reuse_port: bool = False
    scheduled_jobs: bool = True
    admin_key: str = ""
    open_checks: bool = False
    open_checks_per_minute: int = 120
    key_requests_per_minute: int = 6000
    auth_failures_per_minute: int = 20
    trust_forwarded_for: bool = False
    trusted_proxies: str = "127.0.0.1/8,::1"
    forwarded_for_hops: int = 1
    max_body_bytes: int = 1_048_576
    max_urls_per_request: int = 100
    max_url_length: int = 4096
    max_media_bytes: int = 20_971_520
    max_media_pixels: int = 40_000_000
    max_video_seconds: int = 600
    max_video_keyframes: int = 16
    max_animation_pixels: int = 64_000_000
    max_media_checks: int = 4
    pdq_scan_slot_rows: int = 200_000
    known_fakes_keep_media: bool = False
    detector_timeout_ms: int = 2000
    link_cache_size: int = 20_000
    bundled_blocklist: bool = True
    celebrity_names_file: str = ""
    feed_max_bytes: int = 268_435_456
    feed_timeout_s: float = 60.0
    lists_refresh_s: float = 5.0
    gc_freeze_s: float = 1.0
    gc_sweep_s: float = 3600.0
    face_match_distance: float = 0.6
    public_url: str = ""
    anonymous_reports_per_minute: int = 10
    reporter_reports_per_minute: int = 30
    report_media_max_bytes: int = 10_485_760
    key_reports_per_minute: int = 600
    report_media_quota_bytes: int = 5_368_709_120
    report_batch_wait_ms: float = 2.0
    brigade_window_s: int = 3600
    brigade_min_reporters: int = 10
    webhook_allow_private: bool = False
    federation_pull_interval_s: float = 0.0
    federation_allow_private: bool = False
    report_retention_days: int = 365
    alert_subscription_days: int = 30
    alert_subscriptions_per_key: int = 1000
    appeal_due_days: int = 7
    webhook_timeout_s: float = 5.0
    log_level: str = "info"
    models_dir: str = ""
    onnx_threads: int = 1
    ocr: str = "auto"
    ocr_timeout_s: float = 10.0
    ocr_max_side: int = 960
    max_text_chars: int = 10_000
    telegram_token: str = ""
    telegram_api_url: str = "https://api.telegram.org"
    server_url: str = "http://127.0.0.1:8470"
    api_key: str = ""
    moderator_ids: str = ""
    telegram_webhook_url: str = ""
    telegram_webhook_listen: str = "127.0.0.1:8443"

    def __repr__(self) -> str:
        shown = {
            f.name: (
                "***"
                if _BY_NAME[f.name].secret and getattr(self, f.name)
                else getattr(self, f.name)
            )
            for f in fields(self)
        }
        return "Settings(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"


def _parse_bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("expected true or false")


def _parser_for(default: Any) -> Callable[[str], Any]:
    if isinstance(default, bool):
        return _parse_bool
    if isinstance(default, int):
        return int
    if isinstance(default, float):
        return float
    return str


_LOG_LEVELS = ("debug", "info", "warning", "error")


def proxy_networks(text: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """FAKEWATCH_TRUSTED_PROXIES as networks (``ValueError`` names a bad entry)."""
    networks = []
    for part in text.split(","):
        if part.strip():
            try:
                networks.append(ipaddress.ip_network(part.strip(), strict=False))
            except ValueError:
                raise ValueError(f"{part.strip()!r} is not an address or network") from None
    return tuple(networks)


def _check(settings: Settings, named: Callable[[str], str] | None = None) -> None:
    """Raise ``SettingsError`` for the first value out of range; ``named(setting)`` is what
    the message calls it: the flag that gave the value, else its environment variable."""
    named = named or given_as
    positive = (
        "open_checks_per_minute",
        "key_requests_per_minute",
        "auth_failures_per_minute",
        "max_body_bytes",
        "max_urls_per_request",
        "max_url_length",
        "max_media_bytes",
        "max_media_pixels",
        "max_video_seconds",
        "max_video_keyframes",
        "max_animation_pixels",
        "detector_timeout_ms",
        "feed_max_bytes",
        "anonymous_reports_per_minute",
        "reporter_reports_per_minute",
        "report_media_max_bytes",
        "key_reports_per_minute",
        "brigade_window_s",
        "brigade_min_reporters",
        "report_retention_days",
        "alert_subscription_days",
        "alert_subscriptions_per_key",
        "appeal_due_days",
        "webhook_timeout_s",
        "onnx_threads",
        "max_text_chars",
        "ocr_timeout_s",
        "ocr_max_side",
    )
    for name in positive:
        if getattr(settings, name) <= 0:
            raise SettingsError(f"{named(name)} must be a positive number")
    if not 0 <= settings.port <= 65535:
        raise SettingsError(f"{named('port')} must be between 0 and 65535")
    if not 1 <= settings.workers <= 64:
        raise SettingsError(f"{named('workers')} must be between 1 and 64 (about one per core)")
    if settings.log_level not in _LOG_LEVELS:
        raise SettingsError(f"{named('log_level')} must be one of {', '.join(_LOG_LEVELS)}")
    if settings.report_media_quota_bytes < 0:
        raise SettingsError(f"{named('report_media_quota_bytes')} must be 0 (keep none) or more")
    if settings.max_media_checks < 0:
        raise SettingsError(f"{named('max_media_checks')} must be 0 (no limit) or more")
    if settings.pdq_scan_slot_rows < 0:
        raise SettingsError(f"{named('pdq_scan_slot_rows')} must be 0 (always take a slot) or more")
    if settings.ocr not in ("auto", "asked", "off"):
        raise SettingsError(f"{named('ocr')} must be auto, asked or off")
    if not 0.0 < settings.face_match_distance < 2.0:
        raise SettingsError(f"{named('face_match_distance')} must be between 0 and 2 (default 0.6)")
    if not 0 <= settings.report_batch_wait_ms <= 100:
        raise SettingsError(f"{named('report_batch_wait_ms')} must be between 0 and 100")
    if settings.gc_freeze_s < 0 or settings.gc_sweep_s < 0:
        raise SettingsError(
            "FAKEWATCH_GC_FREEZE_S and FAKEWATCH_GC_SWEEP_S must be 0 (off) or more"
        )
    if settings.federation_pull_interval_s < 0:
        raise SettingsError(f"{named('federation_pull_interval_s')} must be 0 (off) or positive")
    if not 1 <= settings.forwarded_for_hops <= 10:
        raise SettingsError(f"{named('forwarded_for_hops')} must be between 1 and 10")
    try:
        proxy_networks(settings.trusted_proxies)
    except ValueError as exc:
        raise SettingsError(f"{named('trusted_proxies')}: {exc}") from None
    if settings.admin_key and len(settings.admin_key) < 16:
        raise SettingsError(f"{named('admin_key')} must be at least 16 characters long")


def load_settings(
    environ: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
) -> Settings:
    """Build settings from the environment (``FAKEWATCH_*``) and the command line's flags,
    then validate them.

    ``overrides`` are the flags' typed values by setting name (``None``: the flag was not
    given); a flag wins over its variable. The database is ``--db``, else FAKEWATCH_DB, else
    ``fakewatch.db`` in the data folder, wherever that came from (``--data-dir``,
    FAKEWATCH_DATA_DIR or the default).
    """
    environ = os.environ if environ is None else environ
    defaults = Settings()
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = environ.get(setting.env)
        if raw is None:
            continue
        current = getattr(defaults, setting.name)
        try:
            values[setting.name] = _parser_for(current)(raw)
        except ValueError as exc:
            shown = "***" if setting.secret else repr(raw)
            expected = {int: "a whole number", float: "a number"}.get(type(current))
            why = f"must be {expected}" if expected else str(exc)
            raise SettingsError(f"{setting.env}={shown}: {why}") from None
    values.update({name: value for name, value in (overrides or {}).items() if value is not None})
    data_dir = Path(values.pop("data_dir", defaults.data_dir))
    db_raw = values.pop("db", "")
    db = Path(db_raw) if db_raw else data_dir / "fakewatch.db"
    settings = replace(defaults, data_dir=data_dir, db=db, **values)
    _check(settings, lambda name: given_as(name, overrides))
    return settings


def flag_for(name: str) -> str:
    """The command-line flag of a setting that has one (``--data-dir`` for ``data_dir``)."""
    return "--" + name.replace("_", "-")


def given_as(name: str, overrides: Mapping[str, Any] | None = None) -> str:
    """What gave setting ``name`` its value, as a message should call it: the flag (``--port``)
    when ``overrides`` holds one, else the environment variable (``FAKEWATCH_PORT``), also for
    a default (an operator changes it there)."""
    if (overrides or {}).get(name) is not None:
        return flag_for(name)
    return _BY_NAME[name].env


def validate(settings: Settings) -> None:
    """Raise ``SettingsError`` when a value is out of range (named by its variable)."""
    _check(settings)
