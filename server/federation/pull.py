"""Consuming another instance's feed with a per-peer trust level.

- ``block``: a peer we trust like our own moderators — its links go on the blocklist
  ``peer:<name>`` and its media hashes into the known-fakes bank, each traced to the peer's
  case (``reference``/``source``), and its removals take them off again;
- ``review``: every item becomes a report in our own queue (reporter ``peer:<name>``), for
  our moderators to confirm; nothing is listed automatically. The peer's case number is kept
  (``federation_origin_items``) so our confirm or reject goes back to it (``feedback``).

The peer's version is remembered, so each pull fetches only the changes since the last one.
"""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from server.community.items import CaseKey, Category, ItemKind, media_value
from server.community.reputation import BrigadeRule
from server.community.store import NewReport, insert_reports
from server.federation.feedback import remember_origin
from server.lists import Action, EntryKind
from server.media.bank import Status
from server.media.hashing import HashKind, RegionHash
from server.settings import Settings
from server.storage import known_fakes, queries

TRUST_LEVELS = ("block", "review")


def brigade_rule(settings: Settings) -> BrigadeRule:
    """The operator's brigading rule (FAKEWATCH_BRIGADE_*), as the report API applies it."""
    return BrigadeRule(
        window_s=settings.brigade_window_s, min_reporters=settings.brigade_min_reporters
    )


def apply(
    db: Database,
    name: str,
    url: str,
    trust: str,
    data: dict[str, Any],
    brigade: BrigadeRule | None = None,
) -> dict[str, int]:
    """Apply one verified page of changes from peer ``name``; returns what was done. Items
    queued for review count toward brigading like any report, by ``brigade`` (the
    operator's rule: pass ``brigade_rule(settings)``)."""
    done = {"listed": 0, "unlisted": 0, "banked": 0, "queued": 0, "skipped": 0}
    now = queries.now_iso()
    list_name = f"peer:{name}"
    reports: list[NewReport] = []
    origins: list[tuple[int, str, str] | None] = []
    for change in data.get("changes", []):
        kind, value, op = change.get("kind"), change.get("value"), change.get("op")
        if (
            kind not in {k.value for k in ItemKind}
            or not isinstance(value, str)
            or len(value) > 4096
        ):
            done["skipped"] += 1
            continue
        media = media_value(value) if kind == ItemKind.MEDIA else None
        if kind == ItemKind.MEDIA:
            # Checked as the API checks a reported hash: a hash of the wrong size in the bank
            # would stop every later bank build (start-up included), and a longer one would
            # be "near" other cases and join them.
            if media is None:
                done["skipped"] += 1
                continue
            value = media.key
        reference = f"{url}#case:{change.get('case_id')}"
        if trust == "review":
            if op == "add":
                category = change.get("category")
                reports.append(_report(name, ItemKind(kind), value, category, media))
                origin = change.get("case_id")
                # The item as the peer names it: our case may end up with another key.
                ok = isinstance(origin, int) and not isinstance(origin, bool)
                origins.append((origin, kind, value) if ok else None)
                done["queued"] += 1
            continue
        if kind == "link":
            entry_kind = EntryKind.URL if "/" in value else EntryKind.DOMAIN
            if op == "add":
                queries.upsert_list_entry(
                    db,
                    list_name=list_name,
                    action=Action.BLOCK.value,
                    kind=entry_kind.value,
                    value=value,
                    source=f"federation peer {name}",
                    added_at=now,
                    seen_at=now,
                    reference=reference,
                )
                done["listed"] += 1
            else:
                db.execute(
                    "UPDATE list_entries SET removed_at = ? WHERE list = ? AND value = ?"
                    " AND removed_at IS NULL",
                    [now, list_name, value],
                )
                done["unlisted"] += 1
        elif kind == "media" and op == "add":
            hash_kind, hex_value = value.split(":", 1)
            if hash_kind != HashKind.PDQ:
                # The bank matches a pHash only beside its dHash, which a feed does not carry.
                done["skipped"] += 1
                continue
            region = RegionHash("full", {HashKind(hash_kind): bytes.fromhex(hex_value)}, quality=50)
            known_fakes.add(
                db,
                label=f"peer {name} case {change.get('case_id')}",
                added_by=f"peer:{name}",
                hashes=[region],
                source=reference,
                status=Status.CONFIRMED,
            )
            done["banked"] += 1
        else:
            done["skipped"] += 1  # text templates, phones, wallets: no matcher consumes them yet
    if reports:
        # Remember which peer item each of ours came from: our decision is sent back to it.
        stored_reports = insert_reports(db, reports, brigade)
        for stored, origin in zip(stored_reports, origins, strict=True):
            if origin is not None:
                remember_origin(db, stored.case_id, name, *origin)
    if done["listed"] or done["unlisted"]:
        queries.bump_lists_version(db)
    db.execute(
        "INSERT INTO federation_peers (name, url, trust, key, version, pulled_at)"
        " VALUES (?, ?, ?, '', ?, ?) ON CONFLICT(name) DO UPDATE SET url = excluded.url,"
        " trust = excluded.trust, version = excluded.version, pulled_at = excluded.pulled_at",
        [name, url, trust, int(data.get("version", 0)), now],
    )
    queries.audit(db, actor=f"peer:{name}", action="federation.pull", target=url, details=done)
    return done


def _report(
    name: str, kind: ItemKind, value: str, category: object, media: CaseKey | None = None
) -> NewReport:
    display = value if kind is not ItemKind.TEXT else "(text template from a peer)"
    return NewReport(
        item=media or CaseKey(kind, value, display[:200], "url" if "/" in value else "domain"),
        reporter=f"peer:{name}",
        reporter_kind="peer",
        category=Category(category) if category in {c.value for c in Category} else Category.OTHER,
        platform=f"federation:{name}",
    )


def peer_state(db: Database, name: str) -> tuple[int, str, str]:
    """The peer's last version, pinned key and recorded trust ('' before the first pull)."""
    row = db.execute(
        "SELECT version, key, trust FROM federation_peers WHERE name = ?", [name]
    ).fetchone()
    return (int(row[0]), str(row[1] or ""), str(row[2] or "")) if row else (0, "", "")


def pin_key(db: Database, name: str, key: str) -> None:
    db.execute("UPDATE federation_peers SET key = ? WHERE name = ?", [key, name])
