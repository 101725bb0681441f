"""Celebrity-impersonation benchmark: scam-ad composites vs news-style composites.

Builds a registry of protected persons from the shared celebrity photos (one enrolment photo
each; names are labels for the benchmark, not claims about who is pictured), then composes
pictures on the fly — nothing is written to disk, no photo enters the repository:

- **scam ads**: a *different* photo of an enrolled person on one of four ad layouts (health
  product, investment, giveaway card, live-stream overlay) with a claim and a non-official
  link or WeChat ID, in Chinese or English, at several sizes and JPEG qualities (some
  re-encoded twice);
- **benign**: the same people with news-style captions, no link, a news site or their
  official site, including hard cases ("will invest $5bn", "推荐大家接种疫苗");
- **impostors**: faces that are *not* enrolled (Unsplash portraits of
  ``stylegan2_vs_real/real``) on the same scam layouts: a flag here is a face false match.

Every picture goes the product's way: ``decode_media`` → OCR of the picture
(``server.media.ocr``, RapidOCR) → ``attach_message_text`` → the MEDIA pipeline of an engine
built on a real SQLite registry. A second column gives the ad's text as a caption instead of
OCR, to separate OCR misses from rule misses. CJK text needs a CJK font: Noto Sans CJK
(``apt-get install fonts-noto-cjk``; ``.ci/run`` installs it).

    .venv/bin/python bench/impersonation.py [--shared ../shared] [--per-person 8] [--seed 1]
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
from PIL import Image, ImageDraw, ImageFont  # noqa: E402

from server.detectors.impersonation import attach_message_text  # noqa: E402
from server.engine import Engine  # noqa: E402
from server.errors import ApiError  # noqa: E402
from server.links.url import InvalidUrl  # noqa: E402
from server.media.decode import DecodeLimits, decode_media  # noqa: E402
from server.media.faces import FaceDetector  # noqa: E402
from server.media.item import MediaItem  # noqa: E402
from server.media.ocr import OcrEngine  # noqa: E402
from server.persons import store  # noqa: E402
from server.persons.embed import FaceBox  # noqa: E402
from server.persons.enrol import enrol_photo  # noqa: E402
from server.scoring.detector import ContentKind  # noqa: E402
from server.settings import Settings  # noqa: E402
from server.storage.database import connect  # noqa: E402
from server.text.extract import extract  # noqa: E402

FONT_PATHS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc",
)
#: Index of Simplified Chinese inside the Noto CJK collection.
FONT_INDEX_SC = 2
FLAGGED = frozenset({"suspicious", "likely_scam"})

#: Labels for the benchmark registry: (name, latin slug for fake domains, official domain).
NAMES = (
    ("张文宏", "zwh", "zhangwenhong-official.cn"),
    ("Elon Musk", "musk", "tesla.com"),
    ("钟南山", "zns", "zhongnanshan-official.cn"),
    ("雷军", "leijun", "mi.com"),
    ("Cristiano Ronaldo", "cr7", "cristianoronaldo.com"),
    ("董宇辉", "dyh", "dongyuhui-official.cn"),
    ("Warren Buffett", "buffett", "berkshirehathaway.com"),
    ("刘德华", "ldh", "andylau-official.hk"),
    ("Taylor Swift", "swift", "taylorswift.com"),
    ("马云", "jackma", "alibabagroup.com"),
    ("Bill Gates", "gates", "gatesnotes.com"),
    ("李佳琦", "ljq", "lijiaqi-official.cn"),
    ("Jeff Bezos", "bezos", "aboutamazon.com"),
    ("Barack Obama", "obama", "obama.org"),
    ("Joe Biden", "biden", "whitehouse.gov"),
)

SCAM_TLDS = ("shop", "top", "xyz", "live", "vip", "cc", "site", "online", "club", "icu")


@dataclass
class Person:
    name: str
    slug: str
    official: str
    enrol: Path
    photos: list[Path]
    id: int = 0


@dataclass
class Case:
    group: str  # "scam", "benign", "impostor"
    template: str
    lang: str
    image: bytes
    caption: str
    person: str = ""


@dataclass
class Tally:
    total: int = 0
    flagged_ocr: int = 0
    flagged_caption: int = 0
    imp_ocr: int = 0
    imp_caption: int = 0
    face_ocr: int = 0
    codes: Counter[str] = field(default_factory=Counter)
    misses: list[str] = field(default_factory=list)


# --- people --------------------------------------------------------------------------------


def clusters(shared: Path) -> list[list[Path]]:
    """Photos grouped by person from deepface's labelled pairs, plus Obama and Biden."""
    folder = shared / "data/images/celebrities/deepface"
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            x = parent[x]
        return x

    for name, decision in (("master.csv", "Decision"), ("face-recognition-pivot.csv", "decision")):
        with (folder / name).open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                a, b = row["file_x"].split("/")[-1], row["file_y"].split("/")[-1]
                find(a), find(b)
                if row[decision] == "Yes":
                    parent[find(a)] = find(b)
    groups: dict[str, list[str]] = {}
    for name in list(parent):
        groups.setdefault(find(name), []).append(name)
    out = [
        [folder / n for n in sorted(g, key=lambda s: int(s[3:-4]))]
        for g in groups.values()
        if len(g) >= 2
    ]
    fr = shared / "data/images/celebrities/face_recognition"
    out.append([fr / "obama.jpg", fr / "obama2.jpg", fr / "obama3.jpg", fr / "obama-480p.jpg"])
    out.append([fr / "biden.jpg", fr / "knn_examples/train/biden/biden2.jpg"])
    return sorted(out, key=lambda g: str(g[0]))


def build_registry(shared: Path, db_path: Path) -> tuple[Engine, list[Person]]:
    db = connect(db_path)
    engine = Engine.build(Settings(), db)
    detector = FaceDetector(engine.resources.models.get("yunet"))
    limits = DecodeLimits()
    people: list[Person] = []
    for (name, slug, official), photos in zip(NAMES, clusters(shared), strict=False):
        for i, candidate in enumerate(photos):
            try:
                enrolment = enrol_photo(
                    decode_media(candidate.read_bytes(), limits),
                    detector,
                    engine.resources.embedder,
                )
            except ApiError:
                continue  # several faces in this one: try the next photo
            person = Person(name, slug, official, candidate, photos[:i] + photos[i + 1 :])
            with db.atomic():
                person.id = store.insert_person(
                    db,
                    {"name": name, "official_domains": [official]},
                    actor="bench",
                )
                store.add_face(
                    db,
                    person.id,
                    enrolment.vector,
                    photo_sha256=enrolment.photo_sha256,
                    face_pixels=enrolment.face_pixels,
                    actor="bench",
                )
            people.append(person)
            break
    engine.reload_persons(db)
    return engine, people


# --- pictures -------------------------------------------------------------------------------


def font(size: int) -> ImageFont.FreeTypeFont:
    for path in FONT_PATHS:
        if Path(path).is_file():
            return ImageFont.truetype(path, size, index=FONT_INDEX_SC)
    raise SystemExit("No CJK font found: apt-get install fonts-noto-cjk")


def face_photo(path: Path, side: int) -> Image.Image:
    photo = Image.open(path).convert("RGB")
    photo.thumbnail((side, side))
    return photo


def wrap(draw: ImageDraw.ImageDraw, text: str, fnt: Any, width: int) -> list[str]:
    """Greedy wrap that works for Chinese (per character) and English (per word)."""
    units = text.split(" ") if " " in text else list(text)
    joiner = " " if " " in text else ""
    lines, line = [], ""
    for unit in units:
        trial = f"{line}{joiner}{unit}" if line else unit
        if draw.textlength(trial, font=fnt) <= width:
            line = trial
        else:
            if line:
                lines.append(line)
            line = unit
    if line:
        lines.append(line)
    return lines


def render(
    template: str, photo: Path, lines: list[str], accent: str, rng: random.Random
) -> Image.Image:
    """One ad or news layout, 900×600 before resizing; ``lines[0]`` is the headline."""
    width, height = 900, 600
    if template == "health":
        img = Image.new("RGB", (width, height), (255, 248, 230))
        draw = ImageDraw.Draw(img)
        draw.rectangle((0, 0, width, 70), fill=(200, 30, 30))
        draw.text((20, 14), lines[0][:40], font=font(34), fill="white")
        img.paste(face_photo(photo, 380), (20, 100))
        y = 110
        for text in lines[1:]:
            for row in wrap(draw, text, font(30), 440):
                draw.text((430, y), row, font=font(30), fill=(60, 20, 20))
                y += 44
        draw.rectangle((430, 500, 880, 570), fill=(230, 60, 20))
        draw.text((445, 515), accent, font=font(30), fill="white")
    elif template == "investment":
        img = Image.new("RGB", (width, height), (12, 20, 40))
        draw = ImageDraw.Draw(img)
        face = face_photo(photo, 320)
        img.paste(face, ((width - face.width) // 2, 20))
        y = 360
        for text in lines:
            for row in wrap(draw, text, font(34), 860):
                draw.text((20, y), row, font=font(34), fill=(255, 215, 0))
                y += 46
        draw.text((20, height - 56), accent, font=font(32), fill=(120, 255, 140))
    elif template == "giveaway":
        img = Image.new("RGB", (width, height), (245, 248, 250))
        draw = ImageDraw.Draw(img)
        draw.rounded_rectangle(
            (30, 30, width - 30, height - 30), 24, fill="white", outline=(200, 200, 210)
        )
        avatar = face_photo(photo, 260)
        img.paste(avatar, (60, 60))
        draw.text((340, 70), lines[0][:30], font=font(36), fill=(20, 20, 20))
        y = 140
        for text in lines[1:]:
            for row in wrap(draw, text, font(30), 500):
                draw.text((340, y), row, font=font(30), fill=(30, 30, 30))
                y += 42
        draw.text((60, height - 100), accent, font=font(32), fill=(29, 155, 240))
    elif template == "livestream":
        face = face_photo(photo, 600)
        img = Image.new("RGB", (width, height), (30, 30, 30))
        img.paste(face.resize((int(face.width * 600 / face.height), 600)), (150, 0))
        draw = ImageDraw.Draw(img, "RGBA")
        draw.rectangle((0, 420, width, height), fill=(0, 0, 0, 170))
        draw.text((20, 20), "LIVE 直播中", font=font(28), fill=(255, 60, 60))
        y = 428
        for text in lines:
            for row in wrap(draw, text, font(30), 860):
                draw.text((20, y), row, font=font(30), fill="white")
                y += 40
        draw.text((20, height - 46), accent, font=font(30), fill=(255, 230, 0))
    else:  # "news": a photo with a caption strip under it
        face = face_photo(photo, 470)
        img = Image.new("RGB", (width, height), "white")
        img.paste(face, ((width - face.width) // 2, 10))
        draw = ImageDraw.Draw(img)
        y = 490
        for text in lines:
            for row in wrap(draw, text, font(26), 860):
                draw.text((20, y), row, font=font(26), fill=(40, 40, 40))
                y += 34
        if accent:
            draw.text((20, height - 34), accent, font=font(22), fill=(90, 90, 90))
    return img


def finish(img: Image.Image, rng: random.Random) -> bytes:
    """A size and a recompression, as an ad travels through feeds and chats."""
    width = rng.choice((480, 720, 1080))
    img = img.resize((width, int(img.height * width / img.width)), Image.Resampling.BILINEAR)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=rng.choice((35, 55, 75, 90)))
    if rng.random() < 0.3:  # screenshotted and re-shared: decoded, shrunk, encoded again
        again = Image.open(io.BytesIO(out.getvalue()))
        again = again.resize((int(again.width * 0.8), int(again.height * 0.8)))
        out = io.BytesIO()
        again.save(out, "JPEG", quality=rng.choice((40, 60)))
    return out.getvalue()


def scam_text(template: str, lang: str, p: Person, rng: random.Random) -> tuple[list[str], str]:
    domain = f"{p.slug}-{rng.choice(('vip', 'gift', 'health', 'invest', 'official', 'live'))}.{rng.choice(SCAM_TLDS)}"
    wechat = f"{p.slug}{rng.randint(1000, 9999)}vip"
    n = p.name
    zh = {
        "health": (
            [f"{n}亲自推荐", "这款保健品根治糖尿病，三天见效", "限时特惠 立即抢购"],
            f"官网 {domain}",
        ),
        "investment": (
            [f"{n}带你投资理财", "日赚3000，稳赚不赔", "名额有限 扫码进群"],
            f"加微信 {wechat}",
        ),
        "giveaway": ([n, f"粉丝福利：{n}免费赠送iPhone 16", "仅剩20名，点击领取"], domain),
        "livestream": ([f"{n}直播：内部荐股 收益翻倍", "马上加微信领取"], f"微信 {wechat}"),
    }
    en = {
        "health": (
            [
                f"{n} recommends it",
                "This supplement cures diabetes in 3 days",
                "Order now, limited offer",
            ],
            domain,
        ),
        "investment": (
            [
                f"{n}'s secret trading platform",
                "Guaranteed daily returns of 300%",
                "Join today only",
            ],
            f"www.{domain}",
        ),
        "giveaway": (
            [
                n,
                "I'm giving away 5,000 BTC to my followers",
                "Send 0.1 BTC and get 0.2 BTC back. Claim now",
            ],
            f"https://{domain}/claim",
        ),
        "livestream": (
            [f"LIVE: {n} crypto giveaway", "Send ETH, receive double back. Hurry, ends today"],
            domain,
        ),
    }
    return (zh if lang == "zh" else en)[template]


def benign_text(lang: str, p: Person, rng: random.Random) -> tuple[list[str], str]:
    n = p.name
    if lang == "zh":
        captions = [
            [f"{n}出席上海论坛并发表演讲。", "新华社记者 摄"],
            [f"{n}：冬季注意预防流感，勤洗手，多通风。"],
            [f"{n}推荐大家按时接种疫苗，保护老人和儿童。"],
            [f"{n}表示，公司明年将投资新建工厂。"],
        ]
        accents = ["", "", f"详情：{p.official}", "www.xinhuanet.com/politics/2024"]
    else:
        captions = [
            [f"{n} speaks at a press conference on Monday.", "(Reuters)"],
            [f"{n} visits a hospital in Shanghai."],
            [f"{n} said the company will invest $5bn in new plants next year."],
            [f"{n} recommends getting vaccinated before winter, officials said."],
        ]
        accents = ["", "", f"More: {p.official}", "https://www.reuters.com/world/"]
    return rng.choice(captions), rng.choice(accents)


def cases(
    people: list[Person], impostors: list[Path], per_person: int, rng: random.Random
) -> list[Case]:
    templates = ("health", "investment", "giveaway", "livestream")
    out: list[Case] = []
    for p in people:
        for i in range(per_person):
            photo = p.photos[i % len(p.photos)]
            template, lang = templates[i % 4], ("zh", "en")[(i // 4 + i) % 2]
            lines, accent = scam_text(template, lang, p, rng)
            image = finish(render(template, photo, lines, accent, rng), rng)
            out.append(Case("scam", template, lang, image, "\n".join([*lines, accent]), p.name))
            lines, accent = benign_text(lang, p, rng)
            image = finish(render("news", photo, lines, accent, rng), rng)
            out.append(Case("benign", "news", lang, image, "\n".join([*lines, accent]), p.name))
    for i, photo in enumerate(impostors):
        p = people[i % len(people)]  # the ad uses a protected name; the face is someone else's
        template, lang = templates[i % 4], ("zh", "en")[i % 2]
        lines, accent = scam_text(template, lang, p, rng)
        image = finish(render(template, photo, lines, accent, rng), rng)
        out.append(Case("impostor", template, lang, image, "\n".join([*lines, accent]), p.name))
    return out


def impostor_face_matches(engine: Engine, photos: list[Path]) -> tuple[int, list[float]]:
    """How many unenrolled faces fall within the threshold of someone in the registry."""
    detector = FaceDetector(engine.resources.models.get("yunet"))
    index = engine.resources.persons.current
    matched, distances = 0, []
    for path in photos:
        image = decode_media(path.read_bytes(), DecodeLimits()).frames[0].image
        faces = detector.detect(image)
        if not faces:
            continue
        face = max(faces, key=lambda f: f.box[2] * f.box[3])
        (vector,) = engine.resources.embedder.embed(
            np.asarray(image, dtype=np.uint8), [FaceBox(*face.box)]
        )
        found = index.nearest(vector)
        assert found is not None
        distances.append(found.distance)
        matched += found.matches
    return matched, distances


# --- scoring --------------------------------------------------------------------------------


def score(engine: Engine, item: MediaItem, text: str) -> tuple[str, list[str]]:
    """What ``/v1/check/media`` does with a picture and the text read from it: MEDIA
    detectors with the text attached, TEXT detectors on the text, LINK detectors on its
    links, one verdict. Returns the verdict and the impersonation codes with how the person
    was recognised (``code:face`` / ``code:name``)."""
    attach_message_text(item, text)
    (media,) = engine.pipeline.score_sync(ContentKind.MEDIA, [item])
    (text_part,) = engine.pipeline.score_sync(ContentKind.TEXT, [text])
    links = []
    for raw in extract(text, engine.resources.parser.suffixes.is_suffix).links:
        try:
            links.append(engine.resources.parser.parse(raw))
        except InvalidUrl:
            continue
    link_parts = engine.pipeline.score_sync(ContentKind.LINK, links)
    scored = media.merge(text_part, *link_parts)
    mine = [
        f"{e.code}:{e.details.get('matched_by')}"
        for e in scored.evidence
        if e.detector == "impersonation" and e.role.value in ("decisive", "supporting")
    ]
    return str(scored.outcome().verdict), mine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    parser.add_argument("--per-person", type=int, default=6, help="scam + benign pictures each")
    parser.add_argument("--impostors", type=int, default=30, help="impostor ad composites")
    parser.add_argument(
        "--open-set", type=int, default=200, help="unenrolled photos matched against the registry"
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        engine, people = build_registry(args.shared, Path(tmp) / "bench.db")
        print(f"registry: {len(people)} persons enrolled in {time.perf_counter() - started:.1f} s")
        real = sorted((args.shared / "data/images/stylegan2_vs_real/real").glob("*.jpg"))
        probes = rng.sample(real, min(max(args.open_set, args.impostors), len(real)))
        impostors = probes[: args.impostors]
        all_cases = cases(people, impostors, args.per_person, rng)
        face_fm, nearest = impostor_face_matches(engine, probes[: args.open_set])
        print(f"open set: {len(nearest)} unenrolled faces scored", flush=True)
        ocr = OcrEngine()
        limits = DecodeLimits()
        tallies: dict[str, Tally] = {}
        by_lang: dict[tuple[str, str], Tally] = {}
        decode_s, ocr_s, score_s = [], [], []
        for n, case in enumerate(all_cases):
            t0 = time.perf_counter()
            item = decode_media(case.image, limits)
            t1 = time.perf_counter()
            # As the product reads a picture (server/api/media_text.py): one line per block.
            text = ocr.read(item.frames[0].image).blocks
            t2 = time.perf_counter()
            verdict, mine = score(engine, item, text)
            t3 = time.perf_counter()
            decode_s.append(t1 - t0)
            ocr_s.append(t2 - t1)
            score_s.append(t3 - t2)
            verdict_caption, mine_caption = score(
                engine, decode_media(case.image, limits), case.caption
            )
            for tally in (
                tallies.setdefault(case.group, Tally()),
                by_lang.setdefault((case.group, case.lang), Tally()),
            ):
                tally.total += 1
                tally.flagged_ocr += verdict in FLAGGED
                tally.flagged_caption += verdict_caption in FLAGGED
                tally.imp_ocr += bool(mine)
                tally.imp_caption += bool(mine_caption)
                tally.face_ocr += any(code.endswith(":face") for code in mine)
                tally.codes.update(mine)
            if case.group == "scam" and not mine and len(tallies["scam"].misses) < 6:
                tallies["scam"].misses.append(
                    f"{case.template}/{case.lang}: OCR read {text[:90]!r}"
                )
            if (
                case.group != "scam"
                and (mine or verdict in FLAGGED)
                and len(tallies[case.group].misses) < 6
            ):
                tallies[case.group].misses.append(
                    f"{case.template}/{case.lang} {verdict} {mine}: {text[:90]!r}"
                )
            if (n + 1) % 50 == 0:
                print(f"  {n + 1}/{len(all_cases)} pictures", flush=True)

    def pct(a: int, b: int) -> str:
        return f"{a}/{b} = {a / max(1, b):.1%}"

    targets = {
        "scam": "≥ 90 % flagged",
        "benign": "≤ 2 % flagged",
        "impostor": "flagged by name: expected; by face: 0 (false matches)",
    }
    print(
        "\n| set | pictures | impersonation evidence (OCR) | of which by face | verdict flagged"
        " (OCR) | impersonation, ad text as caption | target |"
    )
    print("|---|---|---|---|---|---|---|")
    for group in ("scam", "benign", "impostor"):
        t = tallies.get(group, Tally())
        print(
            f"| {group} | {t.total} | {pct(t.imp_ocr, t.total)} | {pct(t.face_ocr, t.total)} | "
            f"{pct(t.flagged_ocr, t.total)} | {pct(t.imp_caption, t.total)} | {targets[group]} |"
        )
    print("\n| set / language | impersonation (OCR) | with caption |")
    print("|---|---|---|")
    for (group, lang), t in sorted(by_lang.items()):
        print(f"| {group} / {lang} | {pct(t.imp_ocr, t.total)} | {pct(t.imp_caption, t.total)} |")
    print(
        f"\nimpostor photos vs the {len(people)}-person registry (largest face, no composite): "
        f"{pct(face_fm, len(nearest))} within the threshold "
        f"({engine.settings.face_match_distance}); nearest distances min {min(nearest):.3f}, "
        f"median {statistics.median(nearest):.3f}"
    )
    scam = tallies.get("scam", Tally())
    print(f"\nscam evidence codes: {dict(scam.codes)}")
    for group in ("scam", "benign", "impostor"):
        for line in tallies.get(group, Tally()).misses:
            print(f"  {'missed' if group == 'scam' else 'flagged'} {group}: {line}")
    print(
        f"\ntime per picture (median / mean, ms): decode {1000 * statistics.median(decode_s):.0f} / "
        f"{1000 * statistics.mean(decode_s):.0f}, OCR {1000 * statistics.median(ocr_s):.0f} / "
        f"{1000 * statistics.mean(ocr_s):.0f}, MEDIA pipeline incl. impersonation "
        f"{1000 * statistics.median(score_s):.0f} / {1000 * statistics.mean(score_s):.0f}"
    )
    print(f"total {time.perf_counter() - started:.0f} s for {len(all_cases)} pictures")


if __name__ == "__main__":
    main()
