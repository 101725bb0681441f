"""Pictures reporters consented to keep for moderators, in ``report_media/`` beside the database.

What is kept is a re-encoded copy of the picture's first frame, never the upload's bytes: an
upload may carry anything after the image's end (a PNG with 5 MB of other data appended
decodes fine), and EXIF (GPS position, camera serial) is the reporter's, not evidence. JPEGs
stay JPEG (quality 92), everything else becomes PNG; videos are not kept (their hashes are).

A file is written only inside the transaction that stores its report (``KeptMedia.write``,
called by ``store.insert_reports``), and removed again if that transaction rolls back, so a
refused, duplicate or failed report leaves nothing on disk. Files are named by the SHA-256
of the copy: the same picture is kept once. ``orphans`` lists files no report points to (the
retention purge deletes those older than ``ORPHAN_GRACE_S``). ``MediaQuota`` caps the folder's
total size (``FAKEWATCH_REPORT_MEDIA_QUOTA_BYTES``).
"""

from __future__ import annotations

import hashlib
import io
import os
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageOps

from server.media.item import MediaItem
from server.storage.database import make_private_dir, write_private_file

FOLDER_NAME = "report_media"
#: A file younger than this is never an orphan: its report's transaction may still be open,
#: or another process may just have written it.
ORPHAN_GRACE_S = 3600
#: JPEG quality of a kept copy: visually the picture the reporter saw, without its extra bytes.
JPEG_QUALITY = 92
#: How old the quota's idea of the folder size may get before it looks at the disk again
#: (files written or purged by other processes: `serve --workers`, `community purge`).
QUOTA_RESCAN_S = 60.0


def folder_for(db_path: Path) -> Path:
    return db_path.parent / FOLDER_NAME


def kept_copy(item: MediaItem) -> bytes | None:
    """A re-encoded copy of a decoded picture's first frame at its full size, or ``None``
    for a video or a picture whose full decode fails. Call after ``decode_media`` accepted the upload (its format, size and pixel
    limits hold); CPU work for the CPU executor."""
    if item.is_video or not item.raw:
        return None
    try:
        return _reencode(item)
    # The check decodes a reduced draft; the full picture can still fail (a truncated scan):
    # then the report is stored without its file rather than refused.
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError):
        return None


def _reencode(item: MediaItem) -> bytes:
    with Image.open(io.BytesIO(item.raw), formats=[item.format]) as img:
        img.seek(0)
        frame = ImageOps.exif_transpose(img)
        out = io.BytesIO()
        if item.format == "JPEG":
            if frame.mode not in ("RGB", "L"):
                frame = frame.convert("RGB")
            frame.save(out, format="JPEG", quality=JPEG_QUALITY)
        else:
            if frame.mode not in ("RGB", "RGBA", "L", "LA", "P"):
                frame = frame.convert("RGBA")
            frame.save(out, format="PNG")
    return out.getvalue()


def digest_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class KeptMedia:
    """The files one report transaction wrote, so a rollback can take them back."""

    folder: Path
    created: list[Path] = field(default_factory=list)

    def write(self, name: str, data: bytes) -> None:
        """Keep ``data`` as ``name`` (its digest); an existing file is only touched, so the
        orphan purge's grace period counts from its newest report. ``OSError`` when the disk
        refuses (full, read-only): the caller stores the report without its file."""
        path = self.folder / name
        if path.exists():
            os.utime(path)
            return
        make_private_dir(self.folder)
        tmp = path.with_suffix(".part")
        try:
            write_private_file(tmp, data)
            tmp.replace(path)
        except OSError:
            tmp.unlink(missing_ok=True)
            raise
        self.created.append(path)

    def rollback(self) -> None:
        """The transaction that wrote these files did not commit: remove them."""
        for path in self.created:
            path.unlink(missing_ok=True)
        self.created.clear()


def orphans(folder: Path, referenced: Iterable[str], grace_s: float = ORPHAN_GRACE_S) -> list[Path]:
    """Files (and left-over ``.part`` files) in ``folder`` that no report points to and that
    are older than ``grace_s`` seconds."""
    if not folder.is_dir():
        return []
    keep = set(referenced)
    cutoff = time.time() - grace_s
    found = []
    with os.scandir(folder) as entries:
        for entry in entries:
            if not entry.is_file(follow_symlinks=False) or entry.name in keep:
                continue
            if entry.stat(follow_symlinks=False).st_mtime <= cutoff:
                found.append(Path(entry.path))
    return found


def folder_bytes(folder: Path) -> int:
    if not folder.is_dir():
        return 0
    with os.scandir(folder) as entries:
        return sum(
            e.stat(follow_symlinks=False).st_size
            for e in entries
            if e.is_file(follow_symlinks=False)
        )


class MediaQuota:
    """The folder's size against ``limit`` bytes (0: keep nothing). The size is read from the
    disk at most every ``QUOTA_RESCAN_S`` and counted up in between, so concurrent uploads may
    overshoot the limit by a few files (at most FAKEWATCH_MAX_MEDIA_CHECKS of them)."""

    def __init__(self, folder: Path, limit: int) -> None:
        self.folder = folder
        self.limit = limit
        self._used = 0
        self._scanned = -QUOTA_RESCAN_S
        self._lock = threading.Lock()

    def room_for(self, size: int) -> bool:
        """Whether ``size`` more bytes fit; counts them as used when they do."""
        with self._lock:
            now = time.monotonic()
            if now - self._scanned >= QUOTA_RESCAN_S:
                self._used = folder_bytes(self.folder)
                self._scanned = now
            if self._used + size > self.limit:
                return False
            self._used += size
            return True
