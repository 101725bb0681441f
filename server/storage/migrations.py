"""The schema, only ever changed by adding a migration at the end of this file."""

from __future__ import annotations

from sqlite_utils import Database, Migrations

migrations = Migrations("fakewatch")


@migrations()
def m001_keys_lists_feeds(db: Database) -> None:
    db.table("api_keys").create(
        {
            "id": int,
            "key_hash": str,
            "prefix": str,
            "role": str,
            "label": str,
            "created_at": str,
            "revoked_at": str,
        },
        pk="id",
        not_null={"key_hash", "prefix", "role", "created_at"},
    )
    db.table("api_keys").create_index(["key_hash"], unique=True)

    db.table("list_entries").create(
        {
            "id": int,
            "list": str,
            "action": str,
            "kind": str,
            "value": str,
            "source": str,
            "added_at": str,
            "seen_at": str,
            "removed_at": str,
            "reference": str,
            "note": str,
        },
        pk="id",
        not_null={"list", "action", "kind", "value", "source", "added_at", "seen_at"},
    )
    db.table("list_entries").create_index(["list", "action", "kind", "value"], unique=True)
    db.table("list_entries").create_index(["value"])

    db.table("feeds").create(
        {
            "name": str,
            "format": str,
            "source": str,
            "action": str,
            "imported_at": str,
            "entries": int,
            "added": int,
            "removed": int,
            "skipped": int,
        },
        pk="name",
    )

    db.table("meta").create({"key": str, "value": str}, pk="key")
    db.table("meta").insert({"key": "lists_version", "value": "0"})

    db.table("audit_log").create(
        {"id": int, "at": str, "actor": str, "action": str, "target": str, "details": str},
        pk="id",
        not_null={"at", "actor", "action"},
    )


@migrations()
def m003_community(db: Database) -> None:
    """Community reports merged into cases, moderation, alerts, appeals, federation peers."""
    db.execute(
        "CREATE TABLE reporters (id TEXT PRIMARY KEY, kind TEXT NOT NULL, created_at TEXT NOT NULL,"
        " confirmed INTEGER NOT NULL DEFAULT 0, contested_confirmed INTEGER NOT NULL DEFAULT 0,"
        " false_reports INTEGER NOT NULL DEFAULT 0)"
    )
    db.execute(
        "CREATE TABLE cases (id INTEGER PRIMARY KEY, kind TEXT NOT NULL, key TEXT NOT NULL,"
        " key_hash TEXT NOT NULL, display TEXT NOT NULL, category TEXT NOT NULL,"
        " impersonates TEXT, status TEXT NOT NULL, reports INTEGER NOT NULL DEFAULT 0,"
        " reporters INTEGER NOT NULL DEFAULT 0, new_reporters INTEGER NOT NULL DEFAULT 0,"
        " reach REAL NOT NULL DEFAULT 0, urgency INTEGER NOT NULL DEFAULT 0,"
        " first_at TEXT NOT NULL, last_at TEXT NOT NULL, decided_at TEXT, decided_by TEXT,"
        " note TEXT, merged_into INTEGER, quarantined_at TEXT, list_entry_id INTEGER,"
        " origin TEXT)"
    )
    db.execute("CREATE UNIQUE INDEX cases_item ON cases (kind, key)")
    db.execute("CREATE INDEX cases_queue ON cases (status, urgency DESC, reach DESC, id DESC)")
    db.execute("CREATE INDEX cases_key_hash ON cases (key_hash)")
    db.execute("CREATE INDEX cases_decided ON cases (status, decided_at)")
    db.execute(
        "CREATE TABLE reports (id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL REFERENCES cases(id),"
        " reporter TEXT NOT NULL, created_at TEXT NOT NULL, category TEXT NOT NULL,"
        " impersonates TEXT, platform TEXT, seen_url TEXT, description TEXT,"
        " keep_media INTEGER NOT NULL DEFAULT 0, share_with_authorities INTEGER NOT NULL DEFAULT 0,"
        " hashes TEXT, media_path TEXT, weight REAL NOT NULL)"
    )
    db.execute("CREATE UNIQUE INDEX reports_once ON reports (case_id, reporter)")
    db.execute("CREATE INDEX reports_created ON reports (created_at)")
    db.execute("CREATE INDEX reports_reporter ON reports (reporter)")
    db.execute(
        "CREATE TABLE alerts (id INTEGER PRIMARY KEY AUTOINCREMENT, case_id INTEGER NOT NULL,"
        " created_at TEXT NOT NULL, key_id INTEGER, payload TEXT NOT NULL)"
    )
    db.execute(
        "CREATE TABLE alert_subscriptions (id INTEGER PRIMARY KEY, item_hash TEXT NOT NULL,"
        " subscriber TEXT NOT NULL, key_id INTEGER NOT NULL, expires_at TEXT NOT NULL)"
    )
    db.execute(
        "CREATE UNIQUE INDEX alert_subscriptions_once"
        " ON alert_subscriptions (item_hash, subscriber, key_id)"
    )
    db.execute(
        "CREATE TABLE webhooks (id INTEGER PRIMARY KEY, url TEXT NOT NULL, secret TEXT NOT NULL,"
        " created_at TEXT NOT NULL, revoked_at TEXT, cursor INTEGER NOT NULL DEFAULT 0,"
        " failures INTEGER NOT NULL DEFAULT 0, last_error TEXT)"
    )
    db.execute(
        "CREATE TABLE appeals (id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL,"
        " token_hash TEXT NOT NULL, role TEXT NOT NULL, contact TEXT, reason TEXT NOT NULL,"
        " status TEXT NOT NULL, created_at TEXT NOT NULL, due_at TEXT NOT NULL,"
        " decided_at TEXT, decided_by TEXT, note TEXT)"
    )
    db.execute("CREATE INDEX appeals_queue ON appeals (status, due_at)")
    db.execute(
        "CREATE TABLE federation_peers (name TEXT PRIMARY KEY, url TEXT NOT NULL,"
        " trust TEXT NOT NULL, key TEXT NOT NULL, version INTEGER NOT NULL DEFAULT 0,"
        " pulled_at TEXT)"
    )
    db.execute(
        "CREATE TABLE federation_feed (version INTEGER PRIMARY KEY AUTOINCREMENT,"
        " op TEXT NOT NULL, kind TEXT NOT NULL, value TEXT NOT NULL, case_id INTEGER,"
        " category TEXT, at TEXT NOT NULL)"
    )


@migrations()
def m005_relay(db: Database) -> None:
    """Extension → Telegram relay: one-time link codes, relay tokens, queued items."""
    db.table("relay_codes").create(
        {
            "id": int,
            "code_hash": str,
            "chat_id": int,
            "created_at": str,
            "expires_at": str,
            "used_at": str,
        },
        pk="id",
        not_null={"code_hash", "chat_id", "created_at", "expires_at"},
    )
    db.table("relay_codes").create_index(["code_hash"])
    db.table("relay_tokens").create(
        {
            "id": int,
            "token_hash": str,
            "chat_id": int,
            "label": str,
            "created_at": str,
            "last_used_at": str,
            "revoked_at": str,
        },
        pk="id",
        not_null={"token_hash", "chat_id", "created_at"},
    )
    db.table("relay_tokens").create_index(["token_hash"], unique=True)
    db.table("relay_items").create(
        {
            "id": int,
            "token_id": int,
            "chat_id": int,
            "kind": str,
            "url": str,
            "page_url": str,
            "verdict": str,
            "summary": str,
            "verdict_url": str,
            "created_at": str,
            "delivered_at": str,
        },
        pk="id",
        not_null={"token_id", "chat_id", "kind", "created_at"},
    )
    db.table("relay_items").create_index(["delivered_at", "id"])
    db.table("relay_items").create_index(["token_id", "created_at"])


@migrations()
def m004_persons(db: Database) -> None:
    """Protected persons: the record, every revision of it, and face embeddings (no photos)."""
    db.execute(
        "CREATE TABLE persons (id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
        " aliases TEXT NOT NULL DEFAULT '[]', description TEXT NOT NULL DEFAULT '',"
        " official_domains TEXT NOT NULL DEFAULT '[]', official_accounts TEXT NOT NULL DEFAULT '[]',"
        " never TEXT NOT NULL DEFAULT '[]', revision INTEGER NOT NULL DEFAULT 1,"
        " created_at TEXT NOT NULL, updated_at TEXT NOT NULL, retired_at TEXT)"
    )
    # Every create, edit, retirement and enrolment appends the whole record as it became, so
    # an edit or a retirement never loses what was there before.
    db.execute(
        "CREATE TABLE person_revisions (id INTEGER PRIMARY KEY, person_id INTEGER NOT NULL"
        " REFERENCES persons(id), revision INTEGER NOT NULL, at TEXT NOT NULL, actor TEXT NOT NULL,"
        " action TEXT NOT NULL, record TEXT NOT NULL)"
    )
    db.execute("CREATE INDEX person_revisions_person ON person_revisions (person_id, revision)")
    db.execute(
        "CREATE TABLE person_faces (id INTEGER PRIMARY KEY, person_id INTEGER NOT NULL"
        " REFERENCES persons(id), model TEXT NOT NULL, embedding BLOB NOT NULL,"
        " photo_sha256 TEXT NOT NULL, face_pixels INTEGER NOT NULL, created_at TEXT NOT NULL,"
        " actor TEXT NOT NULL, removed_at TEXT)"
    )
    db.execute("CREATE INDEX person_faces_person ON person_faces (person_id)")
    db.execute("INSERT INTO meta (key, value) VALUES ('persons_version', '0')")


@migrations()
def m002_known_fakes(db: Database) -> None:
    """Known fakes: label, person, campaign, provenance and status, and their region hashes
    (PDQ/pHash/dHash hex). The media itself is never stored here."""
    db.execute(
        "CREATE TABLE known_fakes (id INTEGER PRIMARY KEY, label TEXT NOT NULL, person TEXT,"
        " campaign TEXT, source TEXT, status TEXT NOT NULL, added_by TEXT NOT NULL,"
        " added_at TEXT NOT NULL, retired_at TEXT, media_sha256 TEXT, media_format TEXT)"
    )
    db.execute("CREATE INDEX known_fakes_status ON known_fakes (status, id)")
    db.execute(
        "CREATE TABLE known_fake_hashes (id INTEGER PRIMARY KEY, fake_id INTEGER NOT NULL"
        " REFERENCES known_fakes(id), region TEXT NOT NULL, frame INTEGER NOT NULL DEFAULT 0,"
        " timestamp_s REAL, pdq TEXT, phash TEXT, dhash TEXT, quality INTEGER)"
    )
    db.execute("CREATE INDEX known_fake_hashes_fake ON known_fake_hashes (fake_id)")
    db.execute("INSERT INTO meta (key, value) VALUES ('known_fakes_version', '0')")


@migrations()
def m006_community_sessions_feedback(db: Database) -> None:
    """Moderator web sessions (hashed tokens with an expiry), federation feedback both ways,
    which peer case each of our cases came from, and the index the brigading window reads."""
    db.execute(
        "CREATE TABLE moderator_sessions (token_hash TEXT PRIMARY KEY, key_hash TEXT NOT NULL,"
        " key_prefix TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT NOT NULL)"
    )
    db.execute("CREATE INDEX moderator_sessions_expiry ON moderator_sessions (expires_at)")
    # A case queued from a peer's feed, and the case number it has at that peer.
    db.execute(
        "CREATE TABLE federation_origins (case_id INTEGER NOT NULL, peer TEXT NOT NULL,"
        " origin_case_id INTEGER NOT NULL, PRIMARY KEY (case_id, peer))"
    )
    # Our moderators' decisions on peer items, waiting to be sent back (sent_at once a 2xx).
    db.execute(
        "CREATE TABLE federation_feedback_out (id INTEGER PRIMARY KEY, peer TEXT NOT NULL,"
        " case_id INTEGER NOT NULL, origin_case_id INTEGER NOT NULL, verdict TEXT NOT NULL,"
        " kind TEXT NOT NULL, value TEXT NOT NULL, created_at TEXT NOT NULL, sent_at TEXT,"
        " attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT)"
    )
    db.execute("CREATE INDEX federation_feedback_out_pending ON federation_feedback_out (sent_at)")
    # Peers' decisions on our items; (peer, feedback_id) makes a resend a no-op.
    db.execute(
        "CREATE TABLE federation_feedback_in (id INTEGER PRIMARY KEY, peer TEXT NOT NULL,"
        " feedback_id TEXT NOT NULL, case_id INTEGER NOT NULL, verdict TEXT NOT NULL,"
        " decided_at TEXT, received_at TEXT NOT NULL, UNIQUE (peer, feedback_id))"
    )
    db.execute("CREATE INDEX federation_feedback_in_case ON federation_feedback_in (case_id)")
    db.execute("CREATE INDEX reports_case_time ON reports (case_id, created_at)")


@migrations()
def m007_known_fakes_ai_labels(db: Database) -> None:
    """The AI-content labels a known fake's original carried (JSON list, empty when none), so
    a copy that matches it without a label can be called out as stripped."""
    db.execute("ALTER TABLE known_fakes ADD COLUMN ai_labels TEXT")


@migrations()
def m008_federation_origin_items(db: Database) -> None:
    """Each peer item a case absorbed, with the peer's own kind/value (a merge or a media
    near-match lands it on a case with another key, and the peer checks its own), one row per
    peer case; and a retry schedule for feedback, which gives up on answers that never change."""
    db.execute(
        "CREATE TABLE federation_origin_items (case_id INTEGER NOT NULL, peer TEXT NOT NULL,"
        " origin_case_id INTEGER NOT NULL, kind TEXT NOT NULL, value TEXT NOT NULL,"
        " PRIMARY KEY (case_id, peer, origin_case_id))"
    )
    # Rows from before this: the case's own key is the best guess of what the peer sent.
    db.execute(
        "INSERT OR IGNORE INTO federation_origin_items (case_id, peer, origin_case_id, kind,"
        " value) SELECT o.case_id, o.peer, o.origin_case_id, c.kind, c.key"
        " FROM federation_origins o JOIN cases c ON c.id = o.case_id"
    )
    db.execute("DROP TABLE federation_origins")
    db.execute("ALTER TABLE federation_feedback_out ADD COLUMN next_attempt_at TEXT")
    db.execute("ALTER TABLE federation_feedback_out ADD COLUMN gave_up_at TEXT")
    db.execute("DROP INDEX federation_feedback_out_pending")
    db.execute(
        "CREATE INDEX federation_feedback_out_pending ON federation_feedback_out (id)"
        " WHERE sent_at IS NULL AND gave_up_at IS NULL"
    )


@migrations()
def m009_alert_subscriptions_by_key(db: Database) -> None:
    """A key's live subscriptions are counted on every new one (the per-key limit)."""
    db.execute(
        "CREATE INDEX alert_subscriptions_by_key ON alert_subscriptions (key_id, expires_at)"
    )


@migrations()
def m_review30_community(db: Database) -> None:
    """Review 30: where each media report's hash came from (``hashes_source``: ``server`` when
    this server decoded the picture, ``client`` when the reporter typed it, ``peer`` from a
    federation feed; NULL for reports from before, which are treated as unseen), an exact-chunk
    index of media case keys for near-duplicate lookups (a trigger keeps it in sync with
    ``cases``), and open cases' reach recounted by source (``store.recount_reach``)."""
    db.execute("ALTER TABLE reports ADD COLUMN hashes_source TEXT")
    # Kept files were always re-encoded from the decoded picture: the server hashed those.
    db.execute("UPDATE reports SET hashes_source = 'server' WHERE media_path IS NOT NULL")
    db.execute(
        "UPDATE reports SET hashes_source = 'peer' WHERE reporter LIKE 'peer:%'"
        " AND case_id IN (SELECT id FROM cases WHERE kind = 'media')"
    )
    # Pigeonhole: a hash within d differing bits of another shares at least one of d + 1
    # disjoint chunks exactly. PDQ merges within 20 of 256 bits: 21 chunks of 3 hex digits;
    # pHash within 5 of 64 bits: 6 chunks (3,3,3,3,2,2 digits). ``start`` counts the prefix.
    db.execute(
        "CREATE TABLE case_hash_slots (slot INTEGER PRIMARY KEY, kind TEXT NOT NULL,"
        " start INTEGER NOT NULL, len INTEGER NOT NULL)"
    )
    slots = [(i, "pdq", 5 + 3 * i, 3) for i in range(21)]
    phash = [(0, 3), (3, 3), (6, 3), (9, 3), (12, 2), (14, 2)]
    slots += [(100 + i, "phash", 7 + at, n) for i, (at, n) in enumerate(phash)]
    db.conn.executemany("INSERT INTO case_hash_slots VALUES (?, ?, ?, ?)", slots)
    db.execute(
        "CREATE TABLE case_hash_chunks (slot INTEGER NOT NULL, chunk TEXT NOT NULL,"
        " case_id INTEGER NOT NULL, PRIMARY KEY (slot, chunk, case_id)) WITHOUT ROWID"
    )
    chunks_of = (
        "SELECT s.slot, substr({row}.key, s.start, s.len), {row}.id FROM case_hash_slots s"
        " WHERE {row}.key LIKE s.kind || ':%'"
    )
    db.execute(
        "CREATE TRIGGER case_hash_chunks_add AFTER INSERT ON cases WHEN NEW.kind = 'media'"
        " BEGIN INSERT OR IGNORE INTO case_hash_chunks (slot, chunk, case_id) "
        + chunks_of.format(row="NEW")
        + "; END"
    )
    db.execute(
        "CREATE TRIGGER case_hash_chunks_drop AFTER DELETE ON cases WHEN OLD.kind = 'media'"
        " BEGIN DELETE FROM case_hash_chunks WHERE case_id = OLD.id AND (slot, chunk) IN"
        " (SELECT s.slot, substr(OLD.key, s.start, s.len) FROM case_hash_slots s); END"
    )
    db.execute(
        "INSERT OR IGNORE INTO case_hash_chunks (slot, chunk, case_id) "
        + chunks_of.format(row="cases").replace("case_hash_slots s", "case_hash_slots s, cases")
        + " AND cases.kind = 'media'"
    )
    from server.community.store import recount_reach  # the rule lives with the ingest code

    for (case_id,) in db.execute(
        "SELECT id FROM cases WHERE status IN ('pending', 'quarantined')"
    ).fetchall():
        recount_reach(db, int(case_id))


@migrations()
def m010_known_fake_faces(db: Database) -> None:
    """Face embeddings of known fakes (``server.media.identity``): the largest face of a few
    frames and its mirror, so a match through the layout alone can be told from a copy.
    Entries from before have none and keep matching as before."""
    db.execute(
        "CREATE TABLE known_fake_faces (id INTEGER PRIMARY KEY, fake_id INTEGER NOT NULL"
        " REFERENCES known_fakes(id), frame INTEGER NOT NULL, model TEXT NOT NULL,"
        " embedding BLOB NOT NULL)"
    )
    db.execute("CREATE INDEX known_fake_faces_fake ON known_fake_faces (fake_id)")


@migrations()
def m011_relay_item_reasons(db: Database) -> None:
    """The reasons the server judged a relayed item with (JSON list of ``detector``, ``code``,
    ``message``, ``role``, ``weight``; never a client's), so the bot can headline a picture
    with only a weak reason as "some warning signs" (it cannot judge a picture again, as it
    does a link). NULL for items from before and for items the server did not judge."""
    db.execute("ALTER TABLE relay_items ADD COLUMN reasons TEXT")


@migrations()
def m012_case_templates(db: Database) -> None:
    """The template of a reported message (``items.text_template``: lowercase, numbers ``0``,
    links ``link``, punctuation folded; no victim's digits), so a confirmed message longer
    than the 200 characters ``display`` keeps is still found inside a longer forward
    (``server/community/confirmed.py``). NULL for other kinds and for cases from before (their
    ``display`` serves when it is the whole message)."""
    db.execute("ALTER TABLE cases ADD COLUMN template TEXT")
