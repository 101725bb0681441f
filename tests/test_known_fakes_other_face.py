"""A known fake enrolled as a whole ad is a copy only when its face is in the copy too.

Review 36 F1: region hashes see the ad's template, so another ad on the same template with
someone else's face matched the entry decisively. The bank now keeps the entry's face
embedding and sets such a match aside (``known_fakes.other_face``, INFO), while copies of the
ad itself stay ``likely_scam``.

Faces are generated ones (Stable Diffusion 2.1, read from ``../shared``, never copied into the
repository); the ad template is drawn here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from server.media.decode import DecodeLimits, decode_media
from server.media.faces import MODEL_NAME, FaceDetector, detect_faces
from server.media.identity import FACE_DIFFERS, entry_faces, nearest, query_faces
from server.persons.embed import FaceEmbedder
from server.scoring.resources import Resources
from server.settings import Settings
from tests.conftest import SHARED
from tests.support.server import RunningServer, start_server
from tests.test_known_fakes_api import check, jpeg, post_form

FACES = SHARED / "data" / "images" / "sd21_faces"
#: Two generated faces of different people (dlib distance 0.9-1.0 apart).
FACE_A = FACES / "anB-128,12.jpg"
FACE_B = FACES / "anB-107,3.jpg"

pytestmark = pytest.mark.skipif(not FACE_A.is_file(), reason="../shared faces are not here")


def ad(face: Image.Image, width_share: float = 0.3) -> Image.Image:
    """A magazine-style ad: header bar and headline, the face centred above three paragraphs
    of copy, a button and a footer (Pillow's own font, so every machine draws the same)."""
    width, height = 800, 1000
    canvas = Image.new("RGB", (width, height), (252, 247, 232))
    draw = ImageDraw.Draw(canvas)
    draw.rectangle((0, 0, width, 110), fill=(30, 120, 70))
    draw.text((32, 34), "Weekend interview: a life in gardens", fill="white", font=_font(34))
    side = round(width * width_share)
    canvas.paste(face.convert("RGB").resize((side, side)), ((width - side) // 2, 142))
    y = 142 + side + 32
    for line in _COPY:
        draw.text((32, y), line, fill=(40, 40, 30), font=_font(22))
        y += 30
    draw.rounded_rectangle((32, y + 20, 292, y + 80), 16, fill=(230, 130, 20))
    draw.text((64, y + 36), "READ MORE", fill="white", font=_font(26))
    draw.rectangle((0, height - 50, width, height), fill=(90, 90, 96))
    draw.text((32, height - 38), "Advertisement - garden-weekly.example", fill=(235, 235, 235))
    return canvas


_COPY = (
    "She planted her first rose at six and never stopped.",
    "Forty years later her garden draws visitors from",
    "across the region every spring, and she still",
    "answers every letter by hand. We met her on a",
    "rainy morning between the greenhouses to talk",
    "about patience, soil and the plants that failed.",
    "The full conversation is in this week's issue.",
)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    # A loaded machine (CI's two workers) must not turn a slow check into a partial one:
    # these tests pin what is matched, not how fast.
    running = start_server(
        tmp_path_factory.mktemp("other_face"), env={"FAKEWATCH_DETECTOR_TIMEOUT_MS": "60000"}
    )
    yield running
    running.stop()


@pytest.fixture(scope="module")
def enrolled_ad(server: RunningServer) -> int:
    response = post_form(
        server,
        "/v1/known-fakes",
        {"label": "BTC giveaway ad", "person": "A. Example"},
        jpeg(ad(Image.open(FACE_A))),
    )
    assert response.status == 201, response.body
    return int(response.json()["id"])


def test_the_same_template_with_someone_elses_face_is_not_a_copy(
    server: RunningServer, enrolled_ad: int
) -> None:
    verdict = check(server, jpeg(ad(Image.open(FACE_B)), quality=80))
    assert verdict["verdict"] != "likely_scam"
    assert not [m for m in verdict.get("matches", []) if m["id"] == enrolled_ad]
    (reason,) = [r for r in verdict["reasons"] if r["detector"] == "known_fakes"]
    assert reason["code"] == "known_fakes.other_face"
    assert f"#{enrolled_ad}" in reason["message"] and "someone else" in reason["message"]
    # The evidence says which entry's layout met and how far the faces are apart.
    (aside,) = reason["details"]["set_aside"]
    assert aside["id"] == enrolled_ad and aside["region"] != "face"
    assert aside["face_distance"] > aside["face_threshold"] == FACE_DIFFERS


def test_the_reason_is_said_in_chinese_too(server: RunningServer, enrolled_ad: int) -> None:
    response = post_form(
        server, "/v1/check/media?lang=zh", {}, jpeg(ad(Image.open(FACE_B)), quality=80)
    )
    (reason,) = [r for r in response.json()["reasons"] if r["detector"] == "known_fakes"]
    assert "另一个人" in reason["message"] and f"#{enrolled_ad}" in reason["message"]


def test_a_copy_of_the_ad_itself_is_still_a_known_fake(
    server: RunningServer, enrolled_ad: int
) -> None:
    copy = ad(Image.open(FACE_A)).resize((560, 700), Image.Resampling.BILINEAR)
    verdict = check(server, jpeg(copy, quality=65))
    assert verdict["verdict"] == "likely_scam"
    assert verdict["reasons"][0]["code"] == "known_fakes.match"
    assert verdict["matches"][0]["id"] == enrolled_ad


@pytest.fixture(scope="module")
def identity_parts() -> tuple[FaceDetector, FaceEmbedder]:
    resources = Resources.load(Settings())
    return FaceDetector(resources.models.get(MODEL_NAME)), resources.embedder


def _query_faces(parts: tuple[FaceDetector, FaceEmbedder], image: Image.Image) -> Any:
    detector, embedder = parts
    item = decode_media(jpeg(image, quality=80), DecodeLimits())
    return query_faces(item, 0, detect_faces(item, detector), embedder)


def test_a_face_cut_by_the_edge_is_no_judge_of_whose_face_it_is(
    identity_parts: tuple[FaceDetector, FaceEmbedder],
) -> None:
    # A 25 % off-centre crop of the very same picture moved a cut face's embedding up to
    # 0.77 (bench/media_layouts.py): such a frame keeps its match, whatever the distance.
    whole = ad(Image.open(FACE_A))
    assert _query_faces(identity_parts, whole.crop((0, 200, 800, 1000))) is None
    (vector,) = _query_faces(identity_parts, whole)
    assert vector.shape == (128,)


def test_the_same_face_in_the_same_ad_stays_within_the_threshold(
    identity_parts: tuple[FaceDetector, FaceEmbedder],
) -> None:
    detector, embedder = identity_parts
    enrolled = decode_media(jpeg(ad(Image.open(FACE_A))), DecodeLimits())
    stored = np.stack(
        [v for _, v in entry_faces(enrolled, detect_faces(enrolled, detector), embedder)]
    )
    assert stored.shape == (2, 128)  # the face and its mirror image
    copy = ad(Image.open(FACE_A)).resize((560, 700), Image.Resampling.BILINEAR)
    assert nearest(stored, _query_faces(identity_parts, copy)) < FACE_DIFFERS / 2
    assert nearest(stored, _query_faces(identity_parts, ad(Image.open(FACE_B)))) > FACE_DIFFERS


def test_face_embeddings_never_leave_the_server(server: RunningServer, enrolled_ad: int) -> None:
    for path in (f"/v1/known-fakes/{enrolled_ad}", "/v1/known-fakes/export?format=json"):
        response = server.request("GET", path)
        assert response.status == 200, response.body
        assert b"embedding" not in response.body and b"face_vector" not in response.body
