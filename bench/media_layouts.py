"""Known fakes in layouts: template false matches, edited fakes, pictures inside layouts.

Review 36 measured where the known-fakes bank fails once pictures sit in layouts; its scripts
were lost. This bench rebuilds its three findings so a fix can be measured against them:

- **F1, template false matches**: a whole ad (a generated template: header bar with a
  headline, body text, a button, a footer; the face fills 30/40/50 % of the width) is
  enrolled; the same template with a *different* face (JPEG q80) must not match. Recall: the
  enrolled ad itself, resized to 70 % and re-encoded, must still match.
- **F2, the genuine original of an edited fake**: the bank holds a fake made from a genuine
  photo (a) with the mouth pasted from another face, (b) with the inner face swapped in
  (a feathered ellipse); the untouched original (JPEG q80) must not match. Recall: the
  edited fake re-encoded must still match.
- **F3, a bank picture inside a layout (recall)**: the bare picture is enrolled; the query
  places it in an ad template at 30/40/50 % of the width (templates not in the bank), in an
  ad template that *is* in the bank (F1's, 40 %), on a 9:16 canvas padded with a blurred
  enlarged copy of itself, in a phone screenshot (status bar, app header, caption, buttons),
  and in a two-up collage of two bank pictures (is each one found?).

Everything goes through the product's own path, in process: entries are hashed by
``server.media.enrol.hash_for_bank`` (decode, YuNet, every bank region with mirrors), stored
as ``StoredHash`` rows and loaded with ``KnownFakesIndex.build`` (as ``load_index`` does from
the database); each query is decoded by ``decode_media`` and judged by
``KnownFakesDetector(resources).score``. A decisive match is evidence with role DECISIVE and
code ``known_fakes.match``; every other evidence code the detector returns is counted too
(``other codes``), so the bench keeps measuring when the detector learns to say "same layout,
different face" some other way. ``bank match`` counts queries where ``detector.matches`` found
any entry, whatever the evidence made of it.

Faces come from ``../shared/data/images`` (read there, generated layouts kept in memory, never
written anywhere). Every file is put in the **development** or the **held-out** half by a hash
of its folder and name; each half gets its own bank and its own queries, so figures from the
held-out half were never looked at while a fix was tuned on the development half. The bank of
one half holds, all together (so a query can meet a wrong entry): the bare known fakes
(StyleGAN2, SD 2.1 and CIPLAB fakes; F3), the whole ads of F1 (faces not in the bank: Unsplash
and CIPLAB reals, fakes outside the sample) and the edited fakes of F2 (genuine originals from
the Unsplash and CIPLAB reals, donors from the same reals).

Columns: ``right named`` the evidence's reason names an entry that holds the query's picture;
``right listed`` such an entry is among the evidence's listed matches (at most
``MAX_SHOWN``); ``wrong named/listed`` the same for any other entry; ``target`` (false-match
rows) names the entry the finding is about: an ad on the same template (F1), the fake made
from this original (F2).

    flock /work/bench.lock nice -n 5 .venv/bin/python bench/media_layouts.py \
        [--per-source 50] [--json PATH]
"""

from __future__ import annotations

import os

# As the server does (server/__init__.py), before numpy is first imported.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import hashlib
import io
import json
import random
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from server.detectors.known_fakes import MAX_SHOWN, KnownFakesDetector  # noqa: E402
from server.media.bank import KnownFake, KnownFakesIndex, Status, StoredHash  # noqa: E402
from server.media.decode import DecodeLimits, decode_media  # noqa: E402
from server.media.enrol import EnrolError, hash_for_bank  # noqa: E402
from server.media.faces import MODEL_NAME, Face, FaceDetector  # noqa: E402
from server.media.hashing import HashKind  # noqa: E402
from server.scoring.evidence import Evidence, Role  # noqa: E402
from server.scoring.resources import Resources  # noqa: E402
from server.settings import Settings  # noqa: E402

SPLITS = ("development", "held-out")
#: Known fakes (the bare entries of F3).
BANK_SOURCES = ("stylegan2_vs_real/fake", "sd21_faces", "ciplab_photoshop/fake")
#: Genuine photos (F2's originals and donors).
REAL_SOURCES = ("stylegan2_vs_real/real", "ciplab_photoshop/real")
MATCH_CODE = "known_fakes.match"
SHARES = (0.30, 0.40, 0.50)
#: Queries are re-encoded as a repost would be.
QUERY_QUALITY = 80
#: F1's ad entries per template and width (each a different face).
ADS_PER_CELL = 5


# --- faces ------------------------------------------------------------------------------


def split_of(folder: str, name: str) -> str:
    """The half a file belongs to, fixed by its folder and name (not by the seed)."""
    digest = hashlib.sha256(f"{folder}/{name}".encode()).digest()
    return SPLITS[digest[0] & 1]


def files_of(images: Path, folder: str, split: str, seed: int) -> list[Path]:
    """The folder's pictures in one half, in a seeded order."""
    files = sorted(
        p
        for p in (images / folder).iterdir()
        if p.suffix.lower() in (".jpg", ".jpeg", ".png") and split_of(folder, p.name) == split
    )
    random.Random(f"{seed}:{split}:{folder}").shuffle(files)
    return files


def load(path: Path) -> Image.Image:
    with Image.open(path) as img:
        return img.convert("RGB")


def jpeg(img: Image.Image, quality: int = QUERY_QUALITY) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def as_upload(img: Image.Image) -> bytes:
    """What a moderator uploads to the bank (``bench/media_robustness.py`` does the same)."""
    buffer = io.BytesIO()
    img.save(buffer, "PNG" if img.width * img.height < 300_000 else "JPEG", quality=92)
    return buffer.getvalue()


# --- layouts ----------------------------------------------------------------------------


def font(size: float, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    try:
        return ImageFont.truetype(name, max(8, round(size)))
    except OSError:
        return ImageFont.load_default(max(8, round(size)))


def wrap(draw: ImageDraw.ImageDraw, text: str, face: Any, width: float) -> list[str]:
    lines: list[str] = []
    line = ""
    for word in text.split():
        trial = f"{line} {word}".strip()
        if line and draw.textlength(trial, font=face) > width:
            lines.append(line)
            line = word
        else:
            line = trial
    return [*lines, line] if line else lines


@dataclass(frozen=True)
class Template:
    """An ad layout: everything but the picture is fixed, as in a reused scam template."""

    name: str
    size: tuple[int, int]
    background: tuple[int, int, int]
    header: tuple[int, int, int]
    ink: tuple[int, int, int]
    accent: tuple[int, int, int]
    headline: str
    body: tuple[str, ...]
    button: str
    footer: str
    #: Where the picture sits: ``left`` / ``right`` of a text column, or ``centre`` above it.
    anchor: str

    def render(self, picture: Image.Image, share: float) -> Image.Image:
        width, height = self.size
        out = Image.new("RGB", self.size, self.background)
        draw = ImageDraw.Draw(out)
        bar = round(height * 0.11)
        margin = round(width * 0.04)
        draw.rectangle((0, 0, width, bar), fill=self.header)
        head = font(bar * 0.32, bold=True)
        for i, line in enumerate(wrap(draw, self.headline, head, width - 2 * margin)[:2]):
            draw.text((margin, bar * 0.14 + i * bar * 0.4), line, fill=(255, 255, 255), font=head)
        side = round(width * share)
        pic = picture.resize((side, side), Image.Resampling.LANCZOS)
        top = bar + margin
        text = font(width * 0.027)
        if self.anchor == "centre":
            left = (width - side) // 2
            column = (margin, top + side + margin, width - margin)
        elif self.anchor == "left":
            left = margin
            column = (left + side + margin, top, width - margin)
        else:
            left = width - margin - side
            column = (margin, top, left - margin)
        out.paste(pic, (left, top))
        x, y, right = column
        step = width * 0.036
        for paragraph in self.body:
            if y > top + side:
                # Below the picture: the text runs across the whole width.
                x, right = margin, width - margin
            for line in wrap(draw, paragraph, text, right - x):
                draw.text((x, y), line, fill=self.ink, font=text)
                y += step
            y += step * 0.5
        y = max(y, top + side) + margin
        button = font(width * 0.032, bold=True)
        label = draw.textlength(self.button, font=button)
        draw.rounded_rectangle(
            (margin, y, margin + label + 2 * margin, y + width * 0.075),
            radius=round(width * 0.02),
            fill=self.accent,
        )
        draw.text((2 * margin, y + width * 0.018), self.button, fill=(255, 255, 255), font=button)
        foot = round(height * 0.05)
        draw.rectangle((0, height - foot, width, height), fill=(90, 90, 96))
        draw.text(
            (margin, height - foot * 0.75),
            self.footer,
            fill=(235, 235, 235),
            font=font(foot * 0.4),
        )
        return out


_BODY = (
    "Thousands of families have already joined the programme and receive payments every"
    " week. Registration closes tonight at midnight, places are limited.",
    "Investors who started with only 250 EUR report a steady income without any risk.",
    "Verified by independent experts and featured on national television.",
)
#: F1's templates: enrolled in the bank as whole ads.
BANK_TEMPLATES = (
    Template(
        "news-left",
        (900, 1125),
        (255, 255, 255),
        (18, 42, 96),
        (30, 30, 30),
        (214, 40, 40),
        "BREAKING: central bank chief reveals the trick banks hate",
        _BODY,
        "READ MORE",
        "Sponsored - finance-daily-news.example",
        "left",
    ),
    Template(
        "promo-right",
        (1000, 820),
        (238, 238, 240),
        (200, 30, 45),
        (20, 20, 20),
        (24, 120, 60),
        "Exclusive: she made 12,000 EUR in one month from home",
        _BODY[1:] + _BODY[:1],
        "START NOW",
        "Advertisement  |  Terms apply",
        "right",
    ),
    Template(
        "giveaway-centre",
        (800, 1000),
        (252, 247, 232),
        (30, 120, 70),
        (40, 40, 30),
        (230, 130, 20),
        "Official giveaway: send 1, get 2 back",
        _BODY[2:] + _BODY[:2],
        "CLAIM BONUS",
        "Limited offer. Ends today.",
        "centre",
    ),
)
#: F3's templates: never enrolled, so a match can only come from the picture in them.
QUERY_TEMPLATES = (
    Template(
        "story-left",
        (900, 1100),
        (24, 24, 32),
        (110, 40, 160),
        (230, 230, 235),
        (60, 160, 230),
        "He quit his job after discovering this app",
        (
            "A simple method that works on any phone. No experience needed.",
            "Over 40,000 people signed up this week alone.",
        ),
        "DOWNLOAD",
        "Paid partnership",
        "left",
    ),
    Template(
        "interview-right",
        (1080, 900),
        (255, 250, 245),
        (230, 110, 20),
        (50, 40, 30),
        (20, 90, 200),
        "Famous presenter's last interview before the scandal",
        (
            "In an interview that was quickly taken down, she explained how anyone can",
            " double their savings in 30 days. Watch before it is deleted.",
        ),
        "WATCH",
        "Promoted",
        "right",
    ),
    Template(
        "offer-centre",
        (820, 1050),
        (236, 248, 248),
        (0, 128, 128),
        (20, 50, 50),
        (200, 40, 120),
        "Only today: the crypto platform everyone talks about",
        ("Join now and get a welcome bonus on your first deposit.",),
        "SIGN UP",
        "Offer subject to conditions",
        "centre",
    ),
)


def padded_9x16(picture: Image.Image) -> Image.Image:
    """A 9:16 story: the picture centred on a blurred, enlarged copy of itself."""
    side = 540
    height = round(side * 16 / 9)
    pic = picture.resize((side, side), Image.Resampling.LANCZOS)
    background = picture.resize((height, height), Image.Resampling.BILINEAR)
    offset = (height - side) // 2
    background = background.crop((offset, 0, offset + side, height))
    background = background.filter(ImageFilter.GaussianBlur(side / 30))
    background.paste(pic, (0, (height - side) // 2))
    return background


def phone_screenshot(picture: Image.Image) -> Image.Image:
    """A phone screenshot of a feed post: status bar, app header, the picture, buttons and a
    caption, and the start of the next post."""
    width, height = 540, 1170
    out = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(out)
    draw.text((20, 12), "9:41", fill=(0, 0, 0), font=font(18, bold=True))
    draw.rounded_rectangle((480, 14, 516, 30), radius=4, outline=(0, 0, 0), width=2)
    draw.rectangle((484, 18, 506, 26), fill=(0, 0, 0))
    draw.line((0, 108, width, 108), fill=(219, 219, 219), width=1)
    draw.ellipse((16, 54, 64, 102), fill=(200, 60, 90))
    draw.text((76, 56), "crypto.wealth.daily", fill=(20, 20, 20), font=font(17, bold=True))
    draw.text((76, 80), "Sponsored", fill=(120, 120, 120), font=font(14))
    draw.text((500, 64), "...", fill=(20, 20, 20), font=font(20, bold=True))
    out.paste(picture.resize((width, width), Image.Resampling.LANCZOS), (0, 110))
    y = 110 + width
    draw.rectangle((0, y, width, y + 52), fill=(0, 149, 246))
    draw.text((18, y + 14), "Learn more", fill=(255, 255, 255), font=font(18, bold=True))
    draw.text((500, y + 12), ">", fill=(255, 255, 255), font=font(22, bold=True))
    y += 66
    for i, word in enumerate(("Like", "Comment", "Share")):
        draw.ellipse((18 + i * 120, y, 44 + i * 120, y + 26), outline=(30, 30, 30), width=3)
        draw.text((50 + i * 120, y + 3), word, fill=(30, 30, 30), font=font(15))
    y += 44
    draw.text((18, y), "2,481 likes", fill=(20, 20, 20), font=font(16, bold=True))
    caption = font(16)
    text = (
        "crypto.wealth.daily The secret the banks don't want you to know. Tap the link and"
        " claim your free starter bonus before midnight! #crypto #income #bonus"
    )
    for line in wrap(draw, text, caption, width - 36)[:4]:
        y += 26
        draw.text((18, y), line, fill=(20, 20, 20), font=caption)
    y += 40
    draw.text((18, y), "View all 318 comments", fill=(140, 140, 140), font=font(15))
    y += 40
    draw.line((0, y, width, y), fill=(219, 219, 219), width=1)
    draw.ellipse((16, y + 14, 64, y + 62), fill=(120, 160, 200))
    draw.text((76, y + 24), "news.today.official", fill=(20, 20, 20), font=font(17, bold=True))
    draw.rectangle((0, height - 58, width, height), fill=(250, 250, 250))
    for i in range(5):
        draw.rounded_rectangle(
            (40 + i * 100, height - 44, 68 + i * 100, height - 16), radius=6, outline=(20, 20, 20)
        )
    return out


def collage(first: Image.Image, second: Image.Image) -> Image.Image:
    """Two pictures side by side, 400 px each, an 8 px white gutter."""
    side, gutter = 400, 8
    out = Image.new("RGB", (2 * side + gutter, side), (255, 255, 255))
    out.paste(first.resize((side, side), Image.Resampling.LANCZOS), (0, 0))
    out.paste(second.resize((side, side), Image.Resampling.LANCZOS), (side + gutter, 0))
    return out


# --- edited fakes (F2) ------------------------------------------------------------------


def face_rect(face: Face, left: float, top: float, right: float, bottom: float) -> tuple:
    x, y, w, h = face.box
    return (x + left * w, y + top * h, x + right * w, y + bottom * h)


def edited(
    original: Image.Image, face: Face, donor: Image.Image, donor_face: Face, kind: str
) -> Image.Image:
    """The original with the donor's mouth (``mouth``: the lower-middle rectangle of the
    face box) or inner face (``swap``: the central ellipse) pasted in, feathered; the
    donor's part is cut at the same fractions of its own face box."""
    fractions = (0.25, 0.62, 0.75, 0.95) if kind == "mouth" else (0.14, 0.12, 0.86, 0.98)
    tx0, ty0, tx1, ty1 = (round(v) for v in face_rect(face, *fractions))
    tx0, ty0 = max(0, tx0), max(0, ty0)
    tx1, ty1 = min(original.width, tx1), min(original.height, ty1)
    size = (max(1, tx1 - tx0), max(1, ty1 - ty0))
    part = donor.crop(tuple(round(v) for v in face_rect(donor_face, *fractions)))
    part = part.resize(size, Image.Resampling.LANCZOS)
    mask = Image.new("L", size, 0)
    draw = ImageDraw.Draw(mask)
    feather = max(1.0, face.box[2] * (0.02 if kind == "mouth" else 0.05))
    inset = round(feather)
    shape = (inset, inset, size[0] - 1 - inset, size[1] - 1 - inset)
    if kind == "mouth":
        draw.rectangle(shape, fill=255)
    else:
        draw.ellipse(shape, fill=255)
    mask = mask.filter(ImageFilter.GaussianBlur(feather))
    out = original.copy()
    out.paste(part, (tx0, ty0), mask)
    return out


# --- bank and queries -------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """How one query's evidence is judged. ``right``: entries holding the query's picture;
    ``neutral``: entries that are neither right nor wrong (the other picture of a collage);
    ``target``: for false-match rows, the entries the finding is about."""

    row: str
    right: frozenset[int] = frozenset()
    neutral: frozenset[int] = frozenset()
    target: frozenset[int] = frozenset()
    #: A sub-group counted apart (F1: the template).
    group: str = ""


@dataclass
class Query:
    data: bytes
    targets: tuple[Target, ...]


@dataclass
class Bank:
    entries: list[KnownFake] = field(default_factory=list)
    rows: list[StoredHash] = field(default_factory=list)
    kinds: dict[int, str] = field(default_factory=dict)
    #: ``fake id -> face embeddings`` (``server.media.identity``), as ``load_index`` reads them.
    faces: dict[int, Any] = field(default_factory=dict)
    failed: int = 0

    def add(self, resources: Resources, label: str, kind: str, img: Image.Image) -> int | None:
        """Hash ``img`` as ``POST /v1/known-fakes`` does; the entry's id, or ``None`` when
        the bank refuses it (too little detail)."""
        try:
            hashed = hash_for_bank(as_upload(img), DecodeLimits(), resources)
        except EnrolError:
            self.failed += 1
            return None
        fake_id = len(self.entries) + 1
        self.entries.append(KnownFake(fake_id, label, Status.CONFIRMED, "bench", "now"))
        self.kinds[fake_id] = kind
        if hashed.faces:
            self.faces[fake_id] = np.stack([vector for _, vector in hashed.faces])
        for region in hashed.regions:
            hexes = {k: region.hex(k) for k in region.hashes}
            self.rows.append(
                StoredHash(
                    fake_id,
                    region.region,
                    region.frame,
                    hexes.get(HashKind.PDQ),
                    hexes.get(HashKind.PHASH),
                    hexes.get(HashKind.DHASH),
                )
            )
        return fake_id


class Faces:
    """Pictures of one half, drawn without repetition; ``with_face`` keeps only pictures
    where YuNet finds a face (F2 edits need its box)."""

    def __init__(self, images: Path, split: str, seed: int, detector: FaceDetector) -> None:
        self.images, self.split, self.seed, self.detector = images, split, seed, detector
        self._queues: dict[str, Iterator[Path]] = {}
        self.used: set[Path] = set()
        self.no_face = 0

    def _next(self, folder: str) -> Path:
        if folder not in self._queues:
            self._queues[folder] = iter(files_of(self.images, folder, self.split, self.seed))
        for path in self._queues[folder]:
            if path not in self.used:
                self.used.add(path)
                return path
        raise SystemExit(f"{folder}: not enough pictures in the {self.split} half")

    def take(self, folders: Sequence[str], count: int) -> list[tuple[Path, Image.Image]]:
        """``count`` pictures, round robin over ``folders``."""
        return [
            (path, load(path))
            for path in (self._next(folders[i % len(folders)]) for i in range(count))
        ]

    def with_face(self, folders: Sequence[str], count: int) -> list[tuple[Image.Image, Face]]:
        found: list[tuple[Image.Image, Face]] = []
        i = 0
        while len(found) < count:
            img = load(self._next(folders[i % len(folders)]))
            i += 1
            faces = [f for f in self.detector.detect(img) if f.score >= 0.8]
            if faces:
                found.append((img, max(faces, key=lambda f: f.box[2] * f.box[3])))
            else:
                self.no_face += 1
        return found


def share_name(share: float) -> str:
    return f"{round(share * 100)} %"


def build_half(
    resources: Resources, detector: FaceDetector, images: Path, split: str, args: argparse.Namespace
) -> tuple[Bank, list[Query], dict[str, int]]:
    """One half's bank (all scenarios' entries together) and its queries."""
    half = max(1, args.per_source // 2)
    pool = Faces(images, split, args.seed, detector)
    bank = Bank()
    queries: list[Query] = []
    others = REAL_SOURCES + BANK_SOURCES

    # F3's bare known fakes first: the other roles then draw fakes outside the bank.
    plain: list[tuple[int, Image.Image]] = []
    for path, img in pool.take(BANK_SOURCES, half * len(BANK_SOURCES)):
        fake_id = bank.add(resources, f"fake {path.parent.name}/{path.name}", "plain", img)
        if fake_id is not None:
            plain.append((fake_id, img))

    # F1: whole ads enrolled, ADS_PER_CELL per template and width, faces outside the bank.
    cells = [(t, s) for t in range(len(BANK_TEMPLATES)) for s in SHARES]
    per_cell = max(1, round(ADS_PER_CELL * half / 25))
    ads: dict[int, list[int]] = {t: [] for t in range(len(BANK_TEMPLATES))}
    for i, (_, img) in enumerate(pool.take(others, per_cell * len(cells))):
        t, share = cells[i % len(cells)]
        ad = BANK_TEMPLATES[t].render(img, share)
        name = BANK_TEMPLATES[t].name
        fake_id = bank.add(resources, f"ad {name}", f"ad {name} {share_name(share)}", ad)
        if fake_id is None:
            continue
        ads[t].append(fake_id)
        small = ad.resize((round(ad.width * 0.7), round(ad.height * 0.7)), Image.Resampling.LANCZOS)
        row = f"F1 recall: the enrolled ad at 70 %, q80 ({share_name(share)})"
        queries.append(Query(jpeg(small), (Target(row, right=frozenset({fake_id})),)))
    for _, img in pool.take(others, half):
        for t, share in cells:
            row = f"F1 false: same template, other face ({share_name(share)})"
            ad = BANK_TEMPLATES[t].render(img, share)
            group = BANK_TEMPLATES[t].name
            queries.append(Query(jpeg(ad), (Target(row, target=frozenset(ads[t]), group=group),)))

    # F2: edited fakes of genuine photos enrolled; the originals queried.
    originals = pool.with_face(REAL_SOURCES, 2 * half)
    donors = pool.with_face(REAL_SOURCES, 2 * half)
    for i, ((img, face), (donor, donor_face)) in enumerate(zip(originals, donors, strict=True)):
        kind = "mouth" if i % 2 == 0 else "swap"
        fake = edited(img, face, donor, donor_face, kind)
        fake_id = bank.add(resources, f"edited ({kind})", f"edited {kind}", fake)
        if fake_id is None:
            continue
        words = "pasted mouth" if kind == "mouth" else "swapped inner face"
        queries.append(
            Query(
                jpeg(img),
                (Target(f"F2 false: genuine original of a {words}", target=frozenset({fake_id})),),
            )
        )
        queries.append(
            Query(
                jpeg(fake),
                (Target(f"F2 recall: the {words} fake, q80", right=frozenset({fake_id})),),
            )
        )

    # F3: the bare known fakes inside layouts.
    for i, (fake_id, img) in enumerate(plain):
        right = frozenset({fake_id})
        layouts = [("F3 control: the bare picture, q80", img)]
        template = QUERY_TEMPLATES[i % len(QUERY_TEMPLATES)]
        layouts += [(f"F3 ad template ({share_name(s)})", template.render(img, s)) for s in SHARES]
        layouts += [
            (
                "F3 ad template in the bank (40 %)",
                BANK_TEMPLATES[i % len(BANK_TEMPLATES)].render(img, 0.40),
            ),
            ("F3 9:16 blurred pad", padded_9x16(img)),
            ("F3 phone screenshot", phone_screenshot(img)),
        ]
        for row, layout in layouts:
            queries.append(Query(jpeg(layout), (Target(row, right=right),)))
    for (first_id, first), (second_id, second) in zip(plain[0::2], plain[1::2], strict=False):
        row = "F3 two-up collage (each picture)"
        queries.append(
            Query(
                jpeg(collage(first, second)),
                (
                    Target(row, right=frozenset({first_id}), neutral=frozenset({second_id})),
                    Target(row, right=frozenset({second_id}), neutral=frozenset({first_id})),
                ),
            )
        )
    counts = Counter(bank.kinds.values())
    facts = {
        "entries": len(bank.entries),
        "hash_rows": len(bank.rows),
        "refused_by_bank": bank.failed,
        "skipped_no_face": pool.no_face,
        **{f"entries_{k}": v for k, v in sorted(counts.items())},
    }
    return bank, queries, facts


# --- judging ----------------------------------------------------------------------------


@dataclass
class Outcome:
    bank_match: bool
    #: The entry the decisive evidence names, and the entries its details list.
    named: int | None
    listed: tuple[int, ...]
    #: ``query region -> bank region`` of the named match.
    regions: str | None
    other_codes: tuple[str, ...]


def judge(detector: KnownFakesDetector, data: bytes) -> Outcome:
    item = decode_media(data, DecodeLimits())
    evidence: Sequence[Evidence] = detector.score(item)
    bank_match = bool(detector.matches(item))
    decisive = [e for e in evidence if e.role is Role.DECISIVE and e.code == MATCH_CODE]
    others = tuple(f"{e.code} ({e.role})" for e in evidence if e not in decisive)
    if not decisive:
        return Outcome(bank_match, None, (), None, others)
    first = decisive[0]
    matches = first.details.get("matches", [])
    listed = tuple(int(m["id"]) for m in matches)
    regions = f"{matches[0]['region']} -> {matches[0]['bank_region']}" if matches else None
    return Outcome(bank_match, int(first.params["id"]), listed, regions, others)


@dataclass
class Row:
    n: int = 0
    bank_match: int = 0
    decisive: int = 0
    right_named: int = 0
    right_listed: int = 0
    wrong_named: int = 0
    wrong_listed: int = 0
    target_named: int = 0
    other_codes: Counter[str] = field(default_factory=Counter)
    wrong_kinds: Counter[str] = field(default_factory=Counter)
    wrong_regions: Counter[str] = field(default_factory=Counter)
    #: ``group: [n, decisive]``.
    groups: dict[str, list[int]] = field(default_factory=dict)

    def add(self, target: Target, outcome: Outcome, kinds: dict[int, str]) -> None:
        self.n += 1
        if target.group:
            counts = self.groups.setdefault(target.group, [0, 0])
            counts[0] += 1
            counts[1] += outcome.named is not None
        self.bank_match += outcome.bank_match
        self.other_codes.update(outcome.other_codes)
        if outcome.named is None:
            return
        self.decisive += 1
        fine = target.right | target.neutral
        self.right_named += outcome.named in target.right
        self.right_listed += bool(target.right & set(outcome.listed))
        self.wrong_listed += bool(set(outcome.listed) - fine)
        self.target_named += outcome.named in target.target
        if outcome.named not in fine:
            self.wrong_named += 1
            self.wrong_kinds[kinds.get(outcome.named, "?")] += 1
            if outcome.regions:
                self.wrong_regions[outcome.regions] += 1

    def figures(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "bank_match": self.bank_match,
            "decisive": self.decisive,
            "right_named": self.right_named,
            "right_listed": self.right_listed,
            "wrong_named": self.wrong_named,
            "wrong_listed": self.wrong_listed,
            "target_named": self.target_named,
            "other_codes": dict(self.other_codes),
            "wrong_named_by_entry_kind": dict(self.wrong_kinds),
            "wrong_named_by_region": dict(self.wrong_regions.most_common()),
            "decisive_by_group": {g: {"n": n, "decisive": d} for g, (n, d) in self.groups.items()},
        }


def pct(count: int, n: int) -> str:
    return f"{count} ({count / n * 100:.0f} %)" if n else "-"


def print_table(split: str, rows: dict[str, Row]) -> None:
    print(f"\n### {split} half\n")
    print(
        "| scenario | n | bank match | decisive | right named | right listed | wrong named"
        " | wrong listed | target named | other codes |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for name, row in rows.items():
        false_row = " false:" in name
        codes = ", ".join(f"{c} {k}" for c, k in sorted(row.other_codes.items())) or "-"
        cells = [
            name,
            str(row.n),
            pct(row.bank_match, row.n),
            pct(row.decisive, row.n),
            "-" if false_row else pct(row.right_named, row.n),
            "-" if false_row else pct(row.right_listed, row.n),
            pct(row.wrong_named, row.n),
            pct(row.wrong_listed, row.n),
            pct(row.target_named, row.n) if false_row else "-",
            codes,
        ]
        print("| " + " | ".join(cells) + " |")
    print()
    for name, row in rows.items():
        if row.wrong_named:
            kinds = ", ".join(f"{k} {c}" for k, c in row.wrong_kinds.most_common())
            regions = ", ".join(f"{r} {c}" for r, c in row.wrong_regions.most_common(3))
            groups = "; ".join(f"{g} {d} of {n}" for g, (n, d) in sorted(row.groups.items()))
            print(
                f"- {name}: wrong entries named: {kinds}; regions (query -> bank): {regions}"
                + (f"; decisive by template: {groups}" if groups else "")
            )


def code_state() -> dict[str, Any]:
    """The commit measured, and whether server/ differed from it (a shared checkout)."""

    def git(*cmd: str) -> str:
        try:
            done = subprocess.run(
                ["git", *cmd], cwd=REPO, capture_output=True, text=True, timeout=30, check=False
            )
        except OSError:
            return ""
        return done.stdout.rstrip()

    dirty = [line[3:] for line in git("status", "--porcelain", "server").splitlines()]
    return {
        "code": str(REPO),
        "commit": git("rev-parse", "--short", "HEAD"),
        "server_uncommitted": dirty,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    parser.add_argument(
        "--per-source",
        type=int,
        default=50,
        help="known fakes per source (StyleGAN2, SD 2.1, CIPLAB), half in each split;"
        " the other roles scale with it",
    )
    parser.add_argument("--seed", type=int, default=36)
    parser.add_argument("--splits", default=",".join(SPLITS), help="comma-separated halves to run")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    images = args.shared / "data" / "images"
    if not images.is_dir():
        raise SystemExit(f"{images} not found: pass --shared /path/to/shared")
    started = time.perf_counter()
    state = code_state()
    print(
        f"bench/media_layouts.py in {REPO} at {state['commit'] or '(not a git checkout)'},"
        f" {datetime.now(UTC):%Y-%m-%d %H:%M} UTC,"
        f" --per-source {args.per_source} --seed {args.seed}"
    )
    if state["server_uncommitted"]:
        print(f"server/ differs from the commit: {', '.join(state['server_uncommitted'])}")
    resources = Resources.load(Settings())
    faces = FaceDetector(resources.models.get(MODEL_NAME))
    detector = KnownFakesDetector(resources)
    report: dict[str, Any] = {
        **state,
        "date": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "args": {"per_source": args.per_source, "seed": args.seed},
        "max_shown": MAX_SHOWN,
        "splits": {},
    }
    for split in args.splits.split(","):
        if split not in SPLITS:
            raise SystemExit(f"--splits: {split!r} is not one of {', '.join(SPLITS)}")
        built = time.perf_counter()
        bank, queries, facts = build_half(resources, faces, images, split, args)
        resources.known_fakes.swap(
            KnownFakesIndex.build(bank.entries, bank.rows, 1, faces=bank.faces)
        )
        print(
            f"{split}: bank {facts['entries']} entries ({facts['hash_rows']} hash rows;"
            + ", ".join(f" {k[8:]} {v}" for k, v in facts.items() if k.startswith("entries_"))
            + f"), {len(queries)} queries built in {time.perf_counter() - built:.0f} s",
            flush=True,
        )
        rows: dict[str, Row] = {}
        judged = time.perf_counter()
        for query in queries:
            outcome = judge(detector, query.data)
            for target in query.targets:
                rows.setdefault(target.row, Row()).add(target, outcome, bank.kinds)
        rows = dict(sorted(rows.items(), key=lambda kv: kv[0].replace(" false:", " a:")))
        seconds = time.perf_counter() - judged
        print(
            f"{split}: judged in {seconds:.0f} s ({seconds / len(queries) * 1000:.0f} ms a query)"
        )
        print_table(split, rows)
        report["splits"][split] = {
            "bank": facts,
            "queries": len(queries),
            "rows": {name: row.figures() for name, row in rows.items()},
        }
    elapsed = time.perf_counter() - started
    load_avg = os.getloadavg()
    report["seconds"] = round(elapsed, 1)
    report["load_average"] = [round(v, 2) for v in load_avg]
    print(
        f"\ntotal {elapsed:.0f} s; load average {load_avg[0]:.2f} {load_avg[1]:.2f}"
        f" {load_avg[2]:.2f} ({os.cpu_count()} cores)"
    )
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
        print(f"figures written to {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
