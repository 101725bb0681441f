"""Known-fakes bank robustness: recall per transform at <= 0.1 % false matches.

The bank is a sample of the synthetic faces in ``../shared/data/images`` (StyleGAN2, SD 2.1,
CIPLAB Photoshop fakes; read from ``../shared``, never copied). Each one is transformed the
way ads and reposts change pictures and checked against the bank through the product's own
path (``decode_media`` -> YuNet -> ``hash_regions`` and ``inner_regions`` -> ``HashIndex``;
``--no-inner`` leaves the inner face regions out, as before 2026-11-23). Unrelated pictures
(the Unsplash reals of the StyleGAN2 set and the celebrity photos, each also mirrored,
cropped and framed) set each scheme's threshold: the largest distance at which at most
0.1 % of them match anything in the bank.

Schemes, all measured in this run on the same pictures:

- ``ours``: the product's rule (``server.media.matching``): multi-region PDQ within 72 bits
  with pHash within 10 and dHash within 16, or pHash with dHash agreeing, each at its own
  threshold; ``ours-no-dhash-gate`` the same without the dHash gate on PDQ;
- ``ours-old``: the rule before it (PDQ within 72 bits alone, or pHash with dHash);
- ``ours@pdq31``: multi-region PDQ within 31 bits (what ThreatExchange lists match at) or
  pHash with dHash;
- ``ours+pdq31``: ``ours`` or PDQ within 31 bits alone (the rule of a hashes-only client's
  region: its PDQ match is never lost because it also sent pHash and dHash);
- ``ours+face``: ``ours`` after the product's face check (``server.media.identity``): a
  match is dropped when every face of the query lies wholly inside it and is more than
  ``FACE_DIFFERS`` from the entry's faces; what a verdict says (``--no-face-check`` skips it);
- ``ours-pdq`` / ``ours-phash``: multi-region PDQ / pHash alone, threshold calibrated here;
- ``phash`` / ``pdq``: one whole-picture hash, threshold calibrated here (the peer).

The false-match budget holds for this bank (~5,000 rows); it grows with the bank. The tail
section counts, over every pair of an unrelated query region and a bank row (plus, with
``--tail-extra N``, the rows of N more fakes per source that are not in the bank), how many
pairs each rule accepts, and extrapolates the share of unrelated queries that would match
something in a bank of 1M and 10M rows (``1 - exp(-p * rows * pairs per query and row)``;
the pairs per query and row are the query's regions, less the pairs of an inner face region
and another kind of region, which the product never compares).

    .venv/bin/python bench/media_robustness.py [--per-source 40] [--tail-extra 200]
"""

from __future__ import annotations

import os

# As the server does (server/__init__.py), before numpy is first imported: OpenBLAS's
# spinning threads would otherwise stall the hashes' matrix products here and not there.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import io
import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from server.media.decode import DecodeLimits, decode_media  # noqa: E402
from server.media.faces import INPUT_SIDE, MODEL_NAME, FaceDetector  # noqa: E402
from server.media.hashing import (  # noqa: E402
    HashKind,
    RegionHash,
    hash_regions,
    image_hashes,
    is_inner_region,
)
from server.media.identity import FACE_DIFFERS, entry_faces, nearest, query_faces  # noqa: E402
from server.media.inner_face import inner_regions  # noqa: E402
from server.media.matching import (  # noqa: E402
    DHASH_GATE,
    PDQ_ALONE,
    PDQ_LOOSE,
    PHASH_GATE,
    THRESHOLDS,
    HashIndex,
)
from server.onnx_runtime import ModelStore  # noqa: E402
from server.persons.embed import FaceEmbedder  # noqa: E402

FALSE_MATCH_BUDGET = 0.001
PDQ = THRESHOLDS[HashKind.PDQ]
PH, DH = THRESHOLDS[HashKind.PHASH], THRESHOLDS[HashKind.DHASH]
#: Rules over the distance matrices of one query (regions x bank rows): the pairs they accept.
RULES: dict[str, Callable[[dict[str, np.ndarray]], np.ndarray]] = {
    "ours": lambda d: (
        ((d["pdq"] <= PDQ) & (d["ph"] <= PHASH_GATE) & (d["dh"] <= DHASH_GATE))
        | ((d["ph"] <= PH) & (d["dh"] <= DH) & (d["pdq"] <= PDQ_LOOSE))
    ),
    # The rule before review 36 F6: pHash + dHash without the loose PDQ limit.
    "ours-no-pdq-loose": lambda d: (
        ((d["pdq"] <= PDQ) & (d["ph"] <= PHASH_GATE) & (d["dh"] <= DHASH_GATE))
        | ((d["ph"] <= PH) & (d["dh"] <= DH))
    ),
    "ours-no-dhash-gate": lambda d: (
        ((d["pdq"] <= PDQ) & (d["ph"] <= PHASH_GATE)) | ((d["ph"] <= PH) & (d["dh"] <= DH))
    ),
    "ours-old": lambda d: (d["pdq"] <= PDQ) | ((d["ph"] <= PH) & (d["dh"] <= DH)),
    "ours@pdq31": lambda d: (d["pdq"] <= PDQ_ALONE) | ((d["ph"] <= PH) & (d["dh"] <= DH)),
    # What a hashes-only client's region gets (its PDQ within 31 bits counts alone too).
    "ours+pdq31": lambda d: (
        ((d["pdq"] <= PDQ) & (d["ph"] <= PHASH_GATE) & (d["dh"] <= DHASH_GATE))
        | ((d["ph"] <= PH) & (d["dh"] <= DH) & (d["pdq"] <= PDQ_LOOSE))
        | (d["pdq"] <= PDQ_ALONE)
    ),
}
Transform = Callable[[Image.Image], Image.Image]


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    try:
        return ImageFont.truetype("DejaVuSans-Bold.ttf", size)
    except OSError:
        return ImageFont.load_default()


def jpeg50(img: Image.Image) -> Image.Image:
    buffer = io.BytesIO()
    img.save(buffer, "JPEG", quality=50)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def resize50(img: Image.Image) -> Image.Image:
    return img.resize((img.width // 2, img.height // 2), Image.Resampling.BILINEAR)


def crop_centre(share: float) -> Transform:
    def crop(img: Image.Image) -> Image.Image:
        dx, dy = img.width * share / 2, img.height * share / 2
        return img.crop((round(dx), round(dy), round(img.width - dx), round(img.height - dy)))

    return crop


def crop25_off(img: Image.Image) -> Image.Image:
    """Keep 75 % of each side, shifted right and down from the centre."""
    left, top = round(img.width * 0.20), round(img.height * 0.05)
    return img.crop((left, top, left + round(img.width * 0.75), top + round(img.height * 0.75)))


def crop25_offgrid(img: Image.Image) -> Image.Image:
    """Keep 75 % of each side from 10 % / 20 % of the way in: 0.025 and 0.0125 of the side
    from the nearest of the bank's 75 % windows (``crop25_off`` is 0.0125 / 0.0125 away)."""
    left, top = round(img.width * 0.10), round(img.height * 0.20)
    return img.crop((left, top, left + round(img.width * 0.75), top + round(img.height * 0.75)))


def caption(img: Image.Image) -> Image.Image:
    """A meme/ad caption bar (18 % of the height) under the picture."""
    bar = round(img.height * 0.18)
    out = Image.new("RGB", (img.width, img.height + bar), (255, 255, 255))
    out.paste(img, (0, 0))
    draw = ImageDraw.Draw(out)
    draw.text(
        (img.width * 0.05, img.height + bar * 0.25),
        "CLAIM YOUR BONUS NOW",
        fill=(0, 0, 0),
        font=_font(max(8, bar // 2)),
    )
    return out


def mirror(img: Image.Image) -> Image.Image:
    return img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)


def bright20(img: Image.Image) -> Image.Image:
    return ImageEnhance.Brightness(img).enhance(1.2)


def frame10(img: Image.Image) -> Image.Image:
    """A screenshot: the picture inside a 10 % app frame with a title bar and buttons."""
    pad_x, pad_y = round(img.width * 0.10), round(img.height * 0.10)
    out = Image.new("RGB", (img.width + 2 * pad_x, img.height + 2 * pad_y), (242, 242, 245))
    draw = ImageDraw.Draw(out)
    draw.rectangle((0, 0, out.width, pad_y * 0.7), fill=(59, 89, 152))
    draw.text(
        (pad_x, pad_y * 0.15), "Sponsored", fill=(255, 255, 255), font=_font(max(8, pad_y // 3))
    )
    draw.ellipse(
        (pad_x, out.height - pad_y * 0.8, pad_x + pad_y * 0.6, out.height - pad_y * 0.2),
        fill=(90, 90, 90),
    )
    out.paste(img, (pad_x, pad_y))
    return out


def rotate5(img: Image.Image) -> Image.Image:
    return img.rotate(5, resample=Image.Resampling.BILINEAR, fillcolor=(255, 255, 255))


def rotate_expanded(degrees: float, fill: tuple[int, int, int] = (255, 255, 255)) -> Transform:
    """Rotated on a canvas grown to hold the whole picture, corners filled (a repost turned
    by hand: nothing of the picture is lost, wedges of ``fill`` are added)."""

    def rotate(img: Image.Image) -> Image.Image:
        return img.rotate(degrees, resample=Image.Resampling.BILINEAR, expand=True, fillcolor=fill)

    return rotate


def rotate_in_place(degrees: float) -> Transform:
    """Rotated on a canvas of its own size (``rotate5``'s way): corners cut, white wedges."""

    def rotate(img: Image.Image) -> Image.Image:
        return img.rotate(degrees, resample=Image.Resampling.BILINEAR, fillcolor=(255, 255, 255))

    return rotate


def then(*steps: Transform) -> Transform:
    """Transforms applied in order (review 36 F4: crops and mirrors come together)."""

    def combined(img: Image.Image) -> Image.Image:
        for step in steps:
            img = step(img)
        return img

    return combined


def blur(img: Image.Image) -> Image.Image:
    return img.filter(ImageFilter.GaussianBlur(radius=max(1.0, img.width / 200)))


TRANSFORMS: dict[str, Transform] = {
    "jpeg_q50": jpeg50,
    "resize_50": resize50,
    "crop_10_centre": crop_centre(0.10),
    "crop_25_centre": crop_centre(0.25),
    "crop_25_offcentre": crop25_off,
    "caption_banner": caption,
    "mirror": mirror,
    "brightness_+20": bright20,
    "screenshot_frame_10": frame10,
    "rotate_5": rotate5,
    "blur": blur,
    # Review 36 F4 / F5: combined transforms and larger rotations; the unmirrored
    # crop + caption and a crop between the bank's windows show limits that are not the
    # mirror's.
    "crop_25_offcentre+mirror": then(crop25_off, mirror),
    "crop_25_offcentre+mirror+caption": then(crop25_off, mirror, caption),
    "crop_25_offcentre+caption": then(crop25_off, caption),
    "crop_25_offgrid": crop25_offgrid,
    "rotate_10": rotate_expanded(10),
    "rotate_15": rotate_expanded(15),
    "rotate_-10_black": rotate_expanded(-10, (0, 0, 0)),
    "rotate_10_in_place": rotate_in_place(10),
}
UNRELATED_TRANSFORMS: dict[str, Transform] = {
    "as_is": lambda img: img,
    "mirror": mirror,
    "crop_25_centre": crop_centre(0.25),
    "screenshot_frame_10": frame10,
}


def as_upload(img: Image.Image) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, "PNG" if img.width * img.height < 300_000 else "JPEG", quality=92)
    return buffer.getvalue()


class Hasher:
    """The product path for one picture, plus the whole-picture peers."""

    def __init__(
        self, face_side: int = INPUT_SIDE, bank_face_side: int | None = None, inner: bool = True
    ) -> None:
        model = ModelStore().get(MODEL_NAME)
        self.inner = inner
        self.faces = FaceDetector(model, face_side)
        # A bank enrolled when YuNet read another input size (``--bank-face-side``).
        self.bank_faces = FaceDetector(model, bank_face_side or face_side)
        self.limits = DecodeLimits()
        self.seconds = 0.0
        self.count = 0
        self.bank_seconds = 0.0
        self.bank_count = 0

    def __call__(self, data: bytes, *, bank: bool) -> tuple[list[RegionHash], dict[str, bytes]]:
        started = time.perf_counter()
        item = decode_media(data, self.limits)
        frame = item.frames[0].image
        detector = self.bank_faces if bank else self.faces
        faces = detector.detect(frame)
        # The face check (``ours+face``) reads the picture and its faces again.
        self.last = (item, (faces,))
        ours = hash_regions(frame, faces, bank=bank)
        if self.inner:
            ours += inner_regions(frame, faces, detector, bank=bank)
        spent = time.perf_counter() - started
        if bank:
            self.bank_seconds += spent
            self.bank_count += 1
        else:
            self.seconds += spent
            self.count += 1
        whole = image_hashes(frame)
        peers = {}
        if whole is not None:
            peers = {"phash": whole[0][HashKind.PHASH], "pdq": whole[0][HashKind.PDQ]}
        return ours, peers


def sources(shared: Path, per_source: int, rng: random.Random) -> tuple[list[Path], list[Path]]:
    images = shared / "data" / "images"
    bank: list[Path] = []
    for folder in ("stylegan2_vs_real/fake", "sd21_faces", "ciplab_photoshop/fake"):
        files = sorted(
            p for p in (images / folder).iterdir() if p.suffix.lower() in (".jpg", ".png")
        )
        bank.extend(rng.sample(files, min(per_source, len(files))))
    unrelated = sorted((images / "stylegan2_vs_real" / "real").glob("*.jpg"))
    for folder in ("celebrities/deepface", "celebrities/face_recognition"):
        unrelated.extend(
            sorted(
                p
                for p in (images / folder).rglob("*")
                if p.suffix.lower() in (".jpg", ".png", ".jpeg")
            )
        )
    return bank, unrelated


def distances(query: np.ndarray, bank: np.ndarray) -> np.ndarray:
    """Hamming distances between every query hash and every bank hash (rows x columns)."""
    return np.bitwise_count(query[:, None, :] ^ bank[None, :, :]).sum(axis=2)


def region_array(regions: Sequence[RegionHash], kind: HashKind) -> np.ndarray:
    return np.stack([np.frombuffer(r.hashes[kind], np.uint8) for r in regions])


def inner_flags(regions: Sequence[RegionHash]) -> np.ndarray:
    return np.array([is_inner_region(r.region) for r in regions], dtype=bool)


def same_family(query: Sequence[RegionHash], bank_inner: np.ndarray) -> np.ndarray:
    """Pairs the product compares at all: inner face regions meet only each other
    (``server.media.matching``)."""
    return inner_flags(query)[:, None] == bank_inner[None, :]


def threshold_for(unrelated_min: np.ndarray, budget: float) -> int:
    """The largest distance at which at most ``budget`` of unrelated queries match."""
    allowed = int(np.floor(budget * len(unrelated_min)))
    ordered = np.sort(unrelated_min)
    return int(ordered[allowed] - 1) if allowed < len(ordered) else int(ordered[-1])


def extra_bank_rows(
    args: argparse.Namespace, in_bank: set[Path], hasher: Hasher
) -> tuple[list[RegionHash], list[Path]]:
    """Region hashes (as the bank stores them) of ``--tail-extra`` fakes per source that are
    not in the bank: more unrelated pairs for the tail estimate; and each row's picture."""
    rows: list[RegionHash] = []
    owners: list[Path] = []
    rng = random.Random(args.seed + 4)
    for folder in ("stylegan2_vs_real/fake", "sd21_faces", "ciplab_photoshop/fake"):
        files = sorted(
            p
            for p in (args.shared / "data" / "images" / folder).iterdir()
            if p.suffix.lower() in (".jpg", ".png") and p not in in_bank
        )
        for path in rng.sample(files, min(args.tail_extra, len(files))):
            ours, _ = hasher(as_upload(Image.open(path).convert("RGB")), bank=True)
            rows.extend(ours)
            owners.extend([path] * len(ours))
    return rows, owners


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    parser.add_argument("--per-source", type=int, default=40)
    parser.add_argument("--unrelated", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--tail-extra",
        type=int,
        default=0,
        help="fakes per source outside the bank, hashed as bank rows for the tail estimate",
    )
    parser.add_argument(
        "--face-side",
        type=int,
        default=INPUT_SIDE,
        help="YuNet's input size for every picture (the product's by default)",
    )
    parser.add_argument(
        "--bank-face-side",
        type=int,
        help="YuNet's input size for the bank's pictures only: a bank enrolled at another size",
    )
    parser.add_argument(
        "--no-face-check",
        action="store_true",
        help="leave out ours+face (the face check's embeddings take ~0.1 s a matched picture)",
    )
    parser.add_argument(
        "--no-inner",
        action="store_true",
        help="leave out the inner face regions (the bank and queries before 2026-11-23)",
    )
    parser.add_argument(
        "--transforms",
        help="comma-separated transform names to measure (all by default; the false-match"
        " side is measured in full either way)",
    )
    args = parser.parse_args(argv)
    transforms = TRANSFORMS
    if args.transforms:
        transforms = {name: TRANSFORMS[name] for name in args.transforms.split(",")}
    rng = random.Random(args.seed)
    bank_files, unrelated_files = sources(args.shared, args.per_source, rng)
    unrelated_files = unrelated_files[: args.unrelated]
    hasher = Hasher(args.face_side, args.bank_face_side, inner=not args.no_inner)
    print(
        f"YuNet input: {args.face_side} px (bank: {args.bank_face_side or args.face_side} px);"
        f" inner face regions: {'no' if args.no_inner else 'yes'}"
    )
    started = time.perf_counter()

    index = HashIndex()
    # ``ours+face``: the product's verdict, matches set aside by the face check
    # (``server.media.identity``, as ``KnownFakesDetector.same_faces``) dropped.
    embedder = None if args.no_face_check else FaceEmbedder()
    bank_faces: dict[int, np.ndarray] = {}
    bank_peer: dict[str, list[bytes]] = {"phash": [], "pdq": []}
    bank_regions: list[tuple[int, RegionHash]] = []
    originals = []
    for entry_id, path in enumerate(bank_files):
        img = Image.open(path).convert("RGB")
        originals.append(img)
        ours, peers = hasher(as_upload(img), bank=True)
        if embedder is not None:
            embedded = entry_faces(*hasher.last, embedder)
            if embedded:
                bank_faces[entry_id] = np.stack([vector for _, vector in embedded])
        index.add(entry_id, ours)
        bank_regions.extend((entry_id, r) for r in ours)
        for kind in bank_peer:
            bank_peer[kind].append(peers[kind])
    index.freeze()
    peer_arrays = {
        k: np.frombuffer(b"".join(v), np.uint8).reshape(len(v), -1) for k, v in bank_peer.items()
    }
    bank_rows = {
        key: region_array([r for _, r in bank_regions], kind)
        for key, kind in (("pdq", HashKind.PDQ), ("ph", HashKind.PHASH), ("dh", HashKind.DHASH))
    }
    bank_owner = np.array([e for e, _ in bank_regions])
    bank_inner = inner_flags([r for _, r in bank_regions])
    # Pairs (unrelated query region x bank row) each rule accepts, for the tail estimate.
    tail = dict.fromkeys(RULES, 0)
    tail_pairs = tail_regions = 0
    # Entries an unrelated query met under ``ours`` (the last query's), for the face check.
    tail_entries: set[int] = set()

    def query_scores(
        ours: list[RegionHash], peers: dict[str, bytes], own: int | None
    ) -> dict[str, float]:
        """The smallest distance per scheme: to the own entry (``own``) or to anything."""
        nonlocal tail_pairs, tail_regions
        scores: dict[str, float] = {}
        if ours:
            columns = bank_owner == own if own is not None else slice(None)
            d = {
                key: distances(region_array(ours, kind), bank_rows[key][columns])
                for key, kind in (
                    ("pdq", HashKind.PDQ),
                    ("ph", HashKind.PHASH),
                    ("dh", HashKind.DHASH),
                )
            }
            scores["ours-pdq"] = float(d["pdq"].min())
            scores["ours-phash"] = float(d["ph"].min())
            for name, rule in RULES.items():
                accepted = rule(d) & same_family(ours, bank_inner[columns])
                scores[name] = 0.0 if accepted.any() else 999.0
                if own is None:
                    tail[name] += int(accepted.sum())
                    if name == "ours":
                        tail_entries.clear()
                        tail_entries.update(bank_owner[np.nonzero(accepted)[1]].tolist())
            if own is None:
                tail_pairs += int(same_family(ours, bank_inner).sum())
                tail_regions += len(ours)
        else:
            scores.update(dict.fromkeys(("ours-pdq", "ours-phash", *RULES), 999.0))
        # The product's own index must agree with the rule it documents.
        matched = index.match(ours)
        hit = [m for m in matched if own is None or m.entry == own]
        if bool(hit) != (scores["ours"] == 0.0):
            raise AssertionError(f"HashIndex.match and the documented rule disagree: {hit}")
        if embedder is not None:
            item, faces = hasher.last

            def kept(entry: int) -> bool:
                stored = bank_faces.get(entry)
                if stored is None:
                    return True
                vectors = query_faces(item, 0, faces, embedder)
                return vectors is None or nearest(stored, vectors) <= FACE_DIFFERS

            scores["ours+face"] = 0.0 if any(kept(m.entry) for m in hit) else 999.0
        # A copy of one entry that also matches another (chance matches between fakes).
        scores["wrong-entry"] = float(own is not None and any(m.entry != own for m in matched))
        for kind, bank_arr in peer_arrays.items():
            if kind not in peers:
                scores[kind] = 999.0
                continue
            q = np.frombuffer(peers[kind], np.uint8)[None, :]
            dist = distances(q, bank_arr)[0]
            scores[kind] = float(dist[own] if own is not None else dist.min())
        return scores

    print(
        f"bank hashed: {len(originals)} pictures, {time.perf_counter() - started:.0f} s", flush=True
    )
    unrelated_scores: list[dict[str, float]] = []
    unrelated_regions: list[list[RegionHash]] = []
    unrelated_made: list[tuple[Image.Image, Transform]] = []
    # (unrelated query, the picture of a bank row it met under ``ours``)
    tail_hits: list[tuple[int, Path]] = []
    for path in unrelated_files:
        try:
            img = Image.open(path).convert("RGB")
        except OSError:
            continue
        img.thumbnail((1024, 1024))
        for transform in UNRELATED_TRANSFORMS.values():
            ours, peers = hasher(as_upload(transform(img)), bank=False)
            tail_entries.clear()
            unrelated_scores.append(query_scores(ours, peers, None))
            tail_hits += [(len(unrelated_regions), bank_files[e]) for e in sorted(tail_entries)]
            unrelated_regions.append(ours)
            unrelated_made.append((img, transform))
    print(
        f"unrelated hashed: {len(unrelated_scores)} queries, {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    schemes = (
        *RULES,
        *(() if args.no_face_check else ("ours+face",)),
        "ours-pdq",
        "ours-phash",
        "phash",
        "pdq",
    )
    thresholds = {}
    false_rates = {}
    for scheme in schemes:
        values = np.array([s[scheme] for s in unrelated_scores])
        if scheme in RULES or scheme == "ours+face":
            thresholds[scheme] = 0
        else:
            thresholds[scheme] = threshold_for(values, FALSE_MATCH_BUDGET)
        false_rates[scheme] = float((values <= thresholds[scheme]).mean())
    near = sorted(s["ours-pdq"] for s in unrelated_scores)[:5]
    near_ph = sorted(s["ours-phash"] for s in unrelated_scores)[:5]
    print(f"closest unrelated: pdq {near}, phash {near_ph}; thresholds {thresholds}", flush=True)
    print(
        "false-match rate: " + ", ".join(f"{s}={false_rates[s] * 100:.2f}%" for s in schemes),
        flush=True,
    )

    recall: dict[str, dict[str, float]] = {}
    wrong = dict.fromkeys(transforms, 0)
    for name, transform in transforms.items():
        hits = dict.fromkeys(schemes, 0)
        for entry_id, img in enumerate(originals):
            ours, peers = hasher(as_upload(transform(img)), bank=False)
            scores = query_scores(ours, peers, entry_id)
            wrong[name] += int(scores["wrong-entry"])
            for scheme in schemes:
                hits[scheme] += scores[scheme] <= thresholds[scheme]
        recall[name] = {s: hits[s] / len(originals) for s in schemes}
        print(
            f"  {name}: " + ", ".join(f"{s} {recall[name][s] * 100:.0f}%" for s in schemes),
            flush=True,
        )

    print(
        f"bank: {len(originals)} fakes ({args.per_source} per source), {len(bank_regions)} region"
        f" hashes ({len(bank_regions) / max(1, len(originals)):.1f} per entry), enrolment (decode"
        f" + faces + bank regions) {hasher.bank_seconds / max(1, hasher.bank_count) * 1000:.1f} ms"
        f" per picture over {hasher.bank_count}"
    )
    print(
        f"unrelated queries: {len(unrelated_scores)} ({len(unrelated_files)} photos x {len(UNRELATED_TRANSFORMS)} transforms)"
    )
    print(
        "thresholds (bits): "
        + ", ".join(
            f"{s}={f'rule {THRESHOLDS}, gates pHash {PHASH_GATE} dHash {DHASH_GATE}' if s == 'ours' else thresholds[s]}"
            for s in schemes
            if s not in RULES or s == "ours"
        )
    )
    print(
        "false-match rate on unrelated: "
        + ", ".join(f"{s}={false_rates[s] * 100:.2f}%" for s in schemes)
    )
    print()
    print("| transform | " + " | ".join(schemes) + " |")
    print("|---|" + "---:|" * len(schemes))
    for name, row in recall.items():
        print(f"| {name} | " + " | ".join(f"{row[s] * 100:.1f}%" for s in schemes) + " |")
    worst = {s: min(row[s] for row in recall.values()) for s in schemes}
    print("| **worst** | " + " | ".join(f"**{worst[s] * 100:.1f}%**" for s in schemes) + " |")
    print()
    print(
        f"copies that also matched another entry (ours): {sum(wrong.values())} of"
        f" {len(originals) * len(transforms)}: "
        + ", ".join(f"{name} {count}" for name, count in wrong.items() if count)
    )
    print()
    extra_rows, extra_owners = extra_bank_rows(args, set(bank_files), hasher)
    if extra_rows:
        for key, kind in (("pdq", HashKind.PDQ), ("ph", HashKind.PHASH), ("dh", HashKind.DHASH)):
            rows = region_array(extra_rows, kind)
            bank_rows[key] = rows  # only the extra rows: the bank's are counted already
        extra_inner = inner_flags(extra_rows)
        for query_index, ours in enumerate(unrelated_regions):
            if not ours:
                continue
            family = same_family(ours, extra_inner)
            d = {
                key: distances(region_array(ours, kind), bank_rows[key])
                for key, kind in (
                    ("pdq", HashKind.PDQ),
                    ("ph", HashKind.PHASH),
                    ("dh", HashKind.DHASH),
                )
            }
            for name, rule in RULES.items():
                accepted = rule(d) & family
                tail[name] += int(accepted.sum())
                if name == "ours":
                    met = {extra_owners[j] for j in np.nonzero(accepted)[1].tolist()}
                    tail_hits += [(query_index, owner) for owner in sorted(met)]
            tail_pairs += int(family.sum())
    total_rows = len(bank_regions) + len(extra_rows)
    # Pairs the product compares, per unrelated query and bank row: the regions of a query
    # when every region meets every row; fewer since inner face regions meet only each other.
    per_query = tail_pairs / max(1, len(unrelated_scores) * total_rows)
    print(
        f"tail: {tail_pairs:,} pairs of an unrelated query region and a bank row the product"
        f" compares ({total_rows:,} rows, {tail_regions / max(1, len(unrelated_scores)):.1f}"
        f" regions per query, {per_query:.2f} compared pairs per query and row)"
    )
    print(
        "| rule | pairs accepted | per pair | unrelated queries matched at 1M rows | at 10M rows |"
    )
    print("|---|---:|---:|---:|---:|")
    for name in RULES:
        share = tail[name] / max(1, tail_pairs)
        # Zero accepted pairs: the rule of three gives the 95 % upper bound.
        bound = share if tail[name] else 3 / max(1, tail_pairs)
        at = [1 - np.exp(-bound * rows * per_query) for rows in (1e6, 1e7)]
        mark = "" if tail[name] else "< "
        print(
            f"| {name} | {tail[name]} | {mark}{bound:.1e} | {mark}{at[0] * 100:.2f}% |"
            f" {mark}{at[1] * 100:.1f}% |"
        )
    print()
    print(
        f"query path (decode + faces + region hashes): {hasher.seconds / max(1, hasher.count) * 1000:.1f} ms per picture over {hasher.count}"
    )
    if embedder is not None and tail_hits:
        # The tail under the product's face check: each (unrelated query, entry) pair that
        # ``ours`` accepted, judged as ``KnownFakesDetector.same_faces`` would.
        kept_pairs = 0
        for query_index, owner in tail_hits:
            img, transform = unrelated_made[query_index]
            hasher(as_upload(transform(img)), bank=False)
            item, faces = hasher.last
            hasher(as_upload(Image.open(owner).convert("RGB")), bank=True)
            stored = [vector for _, vector in entry_faces(*hasher.last, embedder)]
            vectors = query_faces(item, 0, faces, embedder)
            if not stored or vectors is None or nearest(np.stack(stored), vectors) <= FACE_DIFFERS:
                kept_pairs += 1
        print(
            f"tail under the face check (ours+face): {kept_pairs} of {len(tail_hits)} (query,"
            f" entry) pairs that ours accepted are kept"
            + (
                f"; at that share, unrelated queries matched at 1M / 10M rows:"
                f" {(1 - np.exp(-tail['ours'] * kept_pairs / len(tail_hits) / max(1, tail_pairs) * 1e6 * per_query)) * 100:.2f}% /"
                f" {(1 - np.exp(-tail['ours'] * kept_pairs / len(tail_hits) / max(1, tail_pairs) * 1e7 * per_query)) * 100:.1f}%"
                if kept_pairs
                else ""
            )
        )
    print(f"total {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
