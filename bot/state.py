"""The bot's own small SQLite file: what must survive a restart, and nothing people wrote.

Kept: each chat's language and alert subscription, each group's guard mode, the alert cursor,
which cases moderators were already shown, a hash of each link a chat asked to be alerted
about (to bound and dedupe those requests), which case each chat's reports were filed under
(so the reporter hears the decision once, after a restart too), and the outbox of alert and
outcome messages not yet sent (so a restart in the middle of a fan-out neither loses nor
repeats deliveries).
Never kept: message text, media, or what was checked.

Calls are synchronous and tiny (primary-key reads and writes on a local WAL file); the one
bulk write, queueing an alert for every subscriber, is a single ``executemany``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path

from sqlite_utils import Database, Migrations

from server.storage.database import create_private_file, make_private_dir

migrations = Migrations("fakewatch-bot")

GUARD_MODES = ("warn", "delete", "off")


@migrations()
def m001_bot_state(db: Database) -> None:
    db.table("chats").create({"chat_id": int, "lang": str, "subscribed": int}, pk="chat_id")
    db.table("chats").create_index(["subscribed"])
    db.table("groups").create({"chat_id": int, "guard": str}, pk="chat_id")
    db.table("meta").create({"key": str, "value": str}, pk="key")
    db.table("shown_cases").create({"case_id": int, "shown_at": str}, pk="case_id")
    db.table("outbox").create(
        {"id": int, "chat_id": int, "alert_id": int, "text": str, "url": str}, pk="id"
    )
    db.table("outbox").create_index(["alert_id", "chat_id"], unique=True)


@migrations()
def m002_watches(db: Database) -> None:
    # Which links each chat asked the server to watch (retroactive alerts), so one chat cannot
    # spend the bot key's subscriptions that every chat shares. A hash, not the link.
    db.table("watches").create({"chat_id": int, "item": str, "at": float}, pk=("chat_id", "item"))
    db.table("watches").create_index(["at"])


@migrations()
def m003_watch_expiry(db: Database) -> None:
    # When the server drops each subscription (its ``expires_at``; the server's lifetime is a
    # setting): a chat's share is free again then, not after a lifetime the bot assumed.
    db.table("watches").add_column("expires", float)
    db.execute("UPDATE watches SET expires = at + ?", [30 * 86400])
    db.table("watches").create_index(["expires"])


@migrations()
def m004_seen_lang_and_alerted(db: Database) -> None:
    # The language a chat's Telegram app uses (private chats), or that of the admin who set the
    # bot up (groups): what alerts, relays and warnings use until someone types /lang.
    db.table("chats").add_column("seen_lang", str)
    # Which case each chat was alerted about: a chat both subscribed and watching the item gets
    # the broadcast and a targeted alert for the same case, and must read it once.
    db.table("alerted").create(
        {"chat_id": int, "case_id": int, "at": float}, pk=("chat_id", "case_id")
    )
    db.table("alerted").create_index(["at"])


@migrations()
def m005_filed_reports(db: Database) -> None:
    # Which chat filed a report under which case (the case id, the language the person used,
    # when it was filed and last asked about), and when the chat was told the decision: a chat
    # that reported one case several times is told once; a restart between report and decision
    # loses nothing. What was reported is not kept: the case id is enough to ask the server.
    db.table("filed").create(
        {
            "chat_id": int,
            "case_id": int,
            "lang": str,
            "filed_at": float,
            "checked_at": float,
            "seen_status": str,
            "told_at": float,
        },
        pk=("chat_id", "case_id"),
    )
    db.table("filed").create_index(["case_id"])
    db.table("filed").create_index(["told_at", "checked_at"])


#: An undecided report is asked about for this long (then forgotten); a told one is kept this
#: long so that reporting the same case again does not tell the chat again.
FILED_KEEP_S = 180 * 86400.0
TOLD_KEEP_S = 30 * 86400.0

#: How long "this chat was alerted about this case" is remembered (both copies of one alert
#: come in the same poll; a day covers a bot that was down meanwhile).
ALERTED_KEEP_S = 86400.0


class BotState:
    def __init__(self, path: Path) -> None:
        # Who is subscribed, who reported what, which chats link to which browser: only the
        # bot's own user may read it (SQLite gives -wal/-shm the database's mode).
        make_private_dir(path.parent)
        create_private_file(path)
        conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA busy_timeout = 5000")
        self.db = Database(conn)
        migrations.apply(self.db)
        #: ``seen_lang`` already written, so a chat's every message costs no write.
        self._seen: dict[int, str] = {}

    def close(self) -> None:
        self.db.close()

    # --- chats ----------------------------------------------------------------------------

    def lang(self, chat_id: int) -> str | None:
        row = self.db.execute("SELECT lang FROM chats WHERE chat_id = ?", [chat_id]).fetchone()
        return str(row[0]) if row and row[0] else None

    def seen_lang(self, chat_id: int) -> str | None:
        row = self.db.execute("SELECT seen_lang FROM chats WHERE chat_id = ?", [chat_id]).fetchone()
        return str(row[0]) if row and row[0] else None

    def note_seen_lang(self, chat_id: int, lang: str) -> None:
        """The language this chat's person (or group's admin) uses in Telegram."""
        if self._seen.get(chat_id) == lang:
            return
        self.db.execute(
            "INSERT INTO chats (chat_id, lang, subscribed, seen_lang) VALUES (?, NULL, 0, ?)"
            " ON CONFLICT(chat_id) DO UPDATE SET seen_lang = excluded.seen_lang",
            [chat_id, lang],
        )
        if len(self._seen) > 10_000:
            self._seen.clear()
        self._seen[chat_id] = lang

    def note_seen_lang_if_unset(self, chat_id: int, lang: str) -> None:
        """A group member's language, kept only while nobody better (an admin) was seen."""
        if chat_id in self._seen:
            return
        known = self.seen_lang(chat_id)
        if known:
            self._seen[chat_id] = known
        else:
            self.note_seen_lang(chat_id, lang)

    def reply_lang(self, chat_id: int) -> str:
        """What the bot writes in when no person's message is at hand (alerts, relays, moderator
        cards): the chat's /lang, else the language it was seen using, else English."""
        row = self.db.execute(
            "SELECT lang, seen_lang FROM chats WHERE chat_id = ?", [chat_id]
        ).fetchone()
        if row:
            return str(row[0] or row[1] or "en")
        return "en"

    def set_lang(self, chat_id: int, lang: str) -> None:
        self.db.execute(
            "INSERT INTO chats (chat_id, lang, subscribed) VALUES (?, ?, 0)"
            " ON CONFLICT(chat_id) DO UPDATE SET lang = excluded.lang",
            [chat_id, lang],
        )

    def set_subscribed(self, chat_id: int, subscribed: bool, lang: str) -> None:
        self.db.execute(
            "INSERT INTO chats (chat_id, lang, subscribed) VALUES (?, ?, ?)"
            " ON CONFLICT(chat_id) DO UPDATE SET subscribed = excluded.subscribed",
            [chat_id, lang, int(subscribed)],
        )

    def subscribers(self) -> list[tuple[int, str]]:
        cursor = self.db.execute(
            "SELECT chat_id, COALESCE(lang, seen_lang, 'en') FROM chats WHERE subscribed = 1"
            " ORDER BY chat_id"
        )
        return [(int(c), str(lang)) for c, lang in cursor]

    # --- groups ---------------------------------------------------------------------------

    def guard(self, chat_id: int) -> str:
        row = self.db.execute("SELECT guard FROM groups WHERE chat_id = ?", [chat_id]).fetchone()
        return str(row[0]) if row else "warn"

    def set_guard(self, chat_id: int, mode: str) -> None:
        assert mode in GUARD_MODES
        self.db.execute(
            "INSERT INTO groups (chat_id, guard) VALUES (?, ?)"
            " ON CONFLICT(chat_id) DO UPDATE SET guard = excluded.guard",
            [chat_id, mode],
        )

    # --- retroactive-alert watches ----------------------------------------------------------

    def reserve_watch(self, chat_id: int, item: str, now: float, expires: float, cap: int) -> bool:
        """Claim one of ``chat_id``'s ``cap`` live watches (not expired at ``now``) for
        ``item`` until ``expires`` (corrected by ``watch_expires`` once the server answered);
        ``False`` if it is watched already or the chat holds ``cap``."""
        self.db.execute("DELETE FROM watches WHERE expires <= ?", [now])
        if self.db.execute(
            "SELECT 1 FROM watches WHERE chat_id = ? AND item = ?", [chat_id, item]
        ).fetchone():
            return False
        live = self.db.execute("SELECT COUNT(*) FROM watches WHERE chat_id = ?", [chat_id])
        if int(live.fetchone()[0]) >= cap:
            return False
        self.db.execute(
            "INSERT INTO watches (chat_id, item, at, expires) VALUES (?, ?, ?, ?)",
            [chat_id, item, now, expires],
        )
        return True

    def watch_expires(self, chat_id: int, item: str, expires: float) -> None:
        """The server's own expiry for a watch it accepted."""
        self.db.execute(
            "UPDATE watches SET expires = ? WHERE chat_id = ? AND item = ?",
            [expires, chat_id, item],
        )

    def release_watch(self, chat_id: int, item: str) -> None:
        self.db.execute("DELETE FROM watches WHERE chat_id = ? AND item = ?", [chat_id, item])

    # --- meta -----------------------------------------------------------------------------

    def get(self, key: str, default: str = "") -> str:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return str(row[0]) if row else default

    def put(self, key: str, value: str) -> None:
        self.db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?)"
            " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [key, value],
        )

    # --- moderation -----------------------------------------------------------------------

    def unseen_cases(self, case_ids: Iterable[int]) -> list[int]:
        ids = list(case_ids)
        if not ids:
            return []
        marks = ",".join("?" for _ in ids)
        shown = {
            int(r[0])
            for r in self.db.execute(
                f"SELECT case_id FROM shown_cases WHERE case_id IN ({marks})",  # noqa: S608
                ids,
            )
        }
        return [i for i in ids if i not in shown]

    def mark_shown(self, case_id: int, at: str) -> None:
        self.db.execute(
            "INSERT OR IGNORE INTO shown_cases (case_id, shown_at) VALUES (?, ?)", [case_id, at]
        )

    # --- alert outbox ---------------------------------------------------------------------

    def queue_alert(
        self,
        alert_id: int,
        messages: Iterable[tuple[int, str, str]],
        cursor: str,
        case_id: int | None = None,
        now: float = 0.0,
    ) -> None:
        """Queue one alert for every ``(chat_id, text, url)`` and move the cursor, atomically.
        With ``case_id``: a chat already alerted about that case is left out."""
        with self.db.conn:
            self.db.conn.execute("BEGIN")
            if case_id is not None:
                self.db.conn.execute("DELETE FROM alerted WHERE at < ?", [now - ALERTED_KEEP_S])
                fresh = []
                for message in messages:
                    added = self.db.conn.execute(
                        "INSERT OR IGNORE INTO alerted (chat_id, case_id, at) VALUES (?, ?, ?)",
                        [message[0], case_id, now],
                    )
                    if added.rowcount:
                        fresh.append(message)
                messages = fresh
            self.db.conn.executemany(
                "INSERT OR IGNORE INTO outbox (chat_id, alert_id, text, url) VALUES (?, ?, ?, ?)",
                ((chat_id, alert_id, text, url) for chat_id, text, url in messages),
            )
            self.db.conn.execute(
                "INSERT INTO meta (key, value) VALUES ('alerts_cursor', ?)"
                " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [cursor],
            )

    def outbox(self, limit: int) -> list[tuple[int, int, str, str]]:
        cursor = self.db.execute(
            "SELECT id, chat_id, text, url FROM outbox ORDER BY id LIMIT ?", [limit]
        )
        return [(int(i), int(c), str(t), str(u or "")) for i, c, t, u in cursor]

    def outbox_size(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])

    def sent(self, row_ids: Iterable[int]) -> None:
        self.db.conn.executemany("DELETE FROM outbox WHERE id = ?", ((i,) for i in row_ids))

    def chat_gone(self, chat_id: int) -> None:
        """The chat blocked the bot (or vanished): no more alerts, no report outcomes."""
        self.db.execute("UPDATE chats SET subscribed = 0 WHERE chat_id = ?", [chat_id])
        self.db.execute("DELETE FROM filed WHERE chat_id = ?", [chat_id])

    # --- reports filed through the bot, and their outcome -------------------------------------

    def note_filed(self, chat_id: int, case_id: int, lang: str, now: float) -> None:
        """``chat_id`` reported something that the server filed under ``case_id``; again under
        the same case changes nothing (the chat hears the decision once)."""
        self.db.execute(
            "INSERT OR IGNORE INTO filed (chat_id, case_id, lang, filed_at, checked_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [chat_id, case_id, lang, now, now],
        )

    def reporters(self, case_id: int, *, untold: bool = True) -> list[tuple[int, str]]:
        """The chats that filed ``case_id`` (by default only those not told its outcome yet),
        with the language each used."""
        cursor = self.db.execute(
            "SELECT chat_id, lang FROM filed WHERE case_id = ? AND (told_at IS NULL OR ?)"
            " ORDER BY chat_id",
            [case_id, int(not untold)],
        )
        return [(int(c), str(lang or "en")) for c, lang in cursor]

    def open_filed(self, limit: int, now: float) -> list[tuple[int, str]]:
        """Up to ``limit`` undecided cases (``(case_id, status last seen)``), the longest
        unasked first; reports older than ``FILED_KEEP_S`` and told ones older than
        ``TOLD_KEEP_S`` are forgotten first."""
        self.db.execute(
            "DELETE FROM filed WHERE (told_at IS NULL AND filed_at < ?) OR told_at < ?",
            [now - FILED_KEEP_S, now - TOLD_KEEP_S],
        )
        cursor = self.db.execute(
            "SELECT case_id, MAX(COALESCE(seen_status, '')) FROM filed WHERE told_at IS NULL"
            " GROUP BY case_id ORDER BY MIN(checked_at), case_id LIMIT ?",
            [limit],
        )
        return [(int(c), str(s)) for c, s in cursor]

    def asked(self, case_id: int, status: str, now: float) -> None:
        """The server said ``case_id`` is still ``status`` (undecided, or confirmed without an
        alert yet) at ``now``."""
        self.db.execute(
            "UPDATE filed SET checked_at = ?, seen_status = ?"
            " WHERE case_id = ? AND told_at IS NULL",
            [now, status, case_id],
        )

    def moved(self, case_id: int, into: int) -> None:
        """``case_id`` was merged into ``into``: its reporters wait for that one (once each)."""
        with self.db.conn:
            self.db.conn.execute("BEGIN")
            self.db.conn.execute(
                "UPDATE OR IGNORE filed SET case_id = ?, seen_status = NULL WHERE case_id = ?",
                [into, case_id],
            )
            self.db.conn.execute("DELETE FROM filed WHERE case_id = ?", [case_id])

    def forget_filed(self, case_id: int) -> None:
        self.db.execute("DELETE FROM filed WHERE case_id = ? AND told_at IS NULL", [case_id])

    def queue_outcome(self, case_id: int, messages: Iterable[tuple[int, str]], now: float) -> None:
        """Queue each ``(chat_id, text)`` and mark the chat told about ``case_id``, atomically:
        a chat not waiting for this case any more (told already) is left out."""
        with self.db.conn:
            self.db.conn.execute("BEGIN")
            for chat_id, text in messages:
                told = self.db.conn.execute(
                    "UPDATE filed SET told_at = ? WHERE chat_id = ? AND case_id = ?"
                    " AND told_at IS NULL",
                    [now, chat_id, case_id],
                )
                if told.rowcount:
                    self.db.conn.execute(
                        "INSERT OR IGNORE INTO outbox (chat_id, alert_id, text, url)"
                        " VALUES (?, ?, ?, '')",
                        # ``-case_id``: alert ids are positive; one row per chat and case.
                        [chat_id, -case_id, text],
                    )
