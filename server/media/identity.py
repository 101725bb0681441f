"""Whose face: does a known-fakes match show the same person, or only the same layout?

Region hashes see scenes, not people. Review 36 found two ways that goes wrong: a whole ad
in the bank matched other ads on the same template with someone else's face in it (75-100 %
of 150 unrelated faces), and a fake made by swapping the face of a genuine photo matched
the genuine photo. The face region itself is no judge of that: its PDQ moves as much under
a 25 % crop of the same picture (up to 132 bits) as between two different faces (median 116).
A face embedding is: dlib's 128-d embedding of the same picture stayed within 0.75 under
every transform of ``bench/media_robustness.py`` (median 0.05-0.29), while two different
generated faces were 0.82 apart at the median (measured 2026-11-23, 75 faces).

So the bank keeps, per entry, the embeddings of the largest faces (``MAX_ENTRY_FACES``) of
up to ``MAX_FRAMES`` frames, and of their mirror images (a mirrored copy embeds up to 0.45 away from the
original). A match is set aside when every face of the query's matched frame lies wholly
inside the picture and is farther than ``FACE_DIFFERS`` from all of them: that is the
layout, a background, or two faces whose aligned crops happen to hash alike, not a copy of
the fake. A face cut by the picture's edge is no judge: a 25 % off-centre crop of the very
same picture moved its embedding up to 0.77 (while faces wholly inside stayed within 0.33
under every transform), so such a frame keeps its match. So does an entry without a stored
face, or a query frame without a face big enough to embed: the check only ever removes
matches.

Embeddings are biometric data: they stay in this server's database, are never exported with
the hash lists and never shown by the API (only distances are).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from PIL import Image

from server.media.faces import Face
from server.media.item import MediaItem
from server.persons.embed import MIN_FACE_PIXELS, FaceBox, FaceEmbedder

#: Euclidean distance between dlib embeddings beyond which a face is taken as another
#: person's: dlib's own same-person limit. Same-picture copies whose face lay wholly inside
#: the picture stayed within 0.33 under every robustness transform (75 fakes x 15
#: transforms, 2026-11-23); different generated faces inside ad templates were 0.64-1.03.
FACE_DIFFERS = 0.60
#: Frames of an entry whose faces are kept (videos: the first ones with a face).
MAX_FRAMES = 4
#: Faces of an entry's frame kept, largest first: as many as get inner regions
#: (``server.media.inner_face.MAX_FACES``).
MAX_ENTRY_FACES = 3
#: Faces of a query frame compared, largest first: a copy of the fake may sit beside a
#: bigger face (a presenter, a collage), so the largest alone would not do.
MAX_QUERY_FACES = 4

FloatArray = npt.NDArray[np.float32]


def entry_faces(
    item: MediaItem, faces: Sequence[Sequence[Face]], embedder: FaceEmbedder
) -> list[tuple[int, FloatArray]]:
    """``(frame index, embedding)`` of the ``MAX_ENTRY_FACES`` largest faces of up to
    ``MAX_FRAMES`` frames, each also mirrored: what the bank keeps of a new entry (CPU work:
    ~0.2 s a face). Every face the bank hashes an inner region of is kept, so a copy of the
    second person of a two-person fake is judged against that person's face."""
    kept: list[tuple[int, FloatArray]] = []
    frames = 0
    for frame, frame_faces in zip(item.frames, faces, strict=True):
        usable = sorted(
            (f for f in frame_faces if min(f.box[2], f.box[3]) >= MIN_FACE_PIXELS),
            key=lambda f: f.box[2] * f.box[3],
            reverse=True,
        )[:MAX_ENTRY_FACES]
        if not usable:
            continue
        rgb = np.asarray(frame.image.convert("RGB"), dtype=np.uint8)
        flipped = np.ascontiguousarray(rgb[:, ::-1])
        width = frame.image.width
        vectors = embedder.embed(rgb, [FaceBox(*f.box) for f in usable])
        mirrored = embedder.embed(
            flipped,
            [FaceBox(width - f.box[0] - f.box[2], f.box[1], f.box[2], f.box[3]) for f in usable],
        )
        for vector, mirror in zip(vectors, mirrored, strict=True):
            kept += [(frame.index, vector), (frame.index, mirror)]
        frames += 1
        if frames >= MAX_FRAMES:
            break
    return kept


def is_whole(face: Face, width: int, height: int) -> bool:
    """Whether the face's box lies wholly inside a ``width`` x ``height`` picture."""
    x, y, w, h = face.box
    return x >= 0 and y >= 0 and x + w <= width and y + h <= height


def query_faces(
    item: MediaItem, frame_index: int, faces: Sequence[Sequence[Face]], embedder: FaceEmbedder
) -> list[FloatArray] | None:
    """The embeddings of the faces of the query's frame ``frame_index`` big enough to
    embed (largest first, up to ``MAX_QUERY_FACES``; computed once per item and frame), or
    ``None`` when the frame has none, or one of them is cut by the picture's edge: then
    whose face it is cannot be told."""

    def compute() -> list[FloatArray] | None:
        for frame, frame_faces in zip(item.frames, faces, strict=True):
            if frame.index != frame_index:
                continue
            usable = sorted(
                (f for f in frame_faces if min(f.box[2], f.box[3]) >= MIN_FACE_PIXELS),
                key=lambda f: f.box[2] * f.box[3],
                reverse=True,
            )[:MAX_QUERY_FACES]
            width, height = frame.image.size
            if not usable or not all(is_whole(f, width, height) for f in usable):
                return None
            rgb = np.asarray(_rgb(frame.image), dtype=np.uint8)
            return embedder.embed(rgb, [FaceBox(*f.box) for f in usable])
        return None

    found: list[FloatArray] | None = item.memo(f"identity:faces:{frame_index}", compute)
    return found


def nearest(stored: FloatArray, vectors: Sequence[FloatArray]) -> float:
    """The smallest distance between any of ``vectors`` and any row of ``stored``."""
    query = np.stack(vectors).astype(np.float32)
    gaps = stored.astype(np.float32)[None, :, :] - query[:, None, :]
    return float(np.min(np.linalg.norm(gaps, axis=2)))


def _rgb(image: Image.Image) -> Image.Image:
    return image if image.mode == "RGB" else image.convert("RGB")
