"""Impersonation: who appears + what is claimed + where it leads, through the real engine.

A real SQLite registry (faces enrolled from the shared celebrity photos through the real
decoder, YuNet and the dlib embedder), the engine built from it as the server builds it, and
the verdict rendered as the API renders it. Pictures are composed on the fly; no photo is
stored in the repository.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw

from server.detectors.impersonation import attach_message_text
from server.engine import Engine
from server.media.decode import DecodeLimits, decode_media
from server.media.faces import FaceDetector
from server.media.item import MediaItem
from server.persons import store
from server.persons.enrol import enrol_photo
from server.scoring.detector import ContentKind
from server.settings import Settings
from server.storage.database import connect
from tests.conftest import SHARED

PHOTOS = SHARED / "data" / "images" / "celebrities" / "deepface"
# Same person in img1 and img2 (deepface master.csv); img16 is someone else.
ENROLLED, SAME_PERSON, OTHER_PERSON = "img1.jpg", "img2.jpg", "img16.jpg"

pytestmark = pytest.mark.skipif(not PHOTOS.is_dir(), reason="needs ../shared celebrity photos")

CURE_AD = "张文宏医生亲自推荐！这款保健品能根治糖尿病，限时抢购，立即访问 health-zwh.shop"
CURE_AD_NO_LINK = "张医生推荐：这款保健品能根治糖尿病，限时抢购！"
UNNAMED_AD = "I recommend this supplement: it cures diabetes. Order now at health-zwh.shop"
NEWS_CAPTION = "Dr. Zhang Wenhong speaks at a press conference in Shanghai on Monday."


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    db = connect(tmp_path_factory.mktemp("persons") / "fakewatch.db")
    built = Engine.build(Settings(), db)
    with db.atomic():
        doctor = store.insert_person(
            db,
            {
                "name": "张文宏",
                "aliases": ["Zhang Wenhong", "张医生"],
                "official_domains": ["zhangwenhong-official.cn"],
                "official_accounts": ["weibo:张文宏"],
                "never": ["never sells health products"],
            },
            actor="test",
        )
        store.insert_person(
            db,
            {
                "name": "Elon Musk",
                "aliases": ["马斯克"],
                "official_domains": ["tesla.com", "x.ai"],
                "official_accounts": ["@elonmusk"],
            },
            actor="test",
        )
    detector = FaceDetector(built.resources.models.get("yunet"))
    enrolment = enrol_photo(
        _item((PHOTOS / ENROLLED).read_bytes()), detector, built.resources.embedder
    )
    with db.atomic():
        store.add_face(
            db,
            doctor,
            enrolment.vector,
            photo_sha256=enrolment.photo_sha256,
            face_pixels=enrolment.face_pixels,
            actor="test",
        )
    built.reload_persons(db)
    yield built
    db.close()


def _item(data: bytes) -> MediaItem:
    return decode_media(data, DecodeLimits())


def _jpeg(image: Image.Image, quality: int = 85) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=quality)
    return out.getvalue()


def ad(
    photo: Path | Image.Image, *, face_side: int = 360, canvas: tuple[int, int] = (800, 600)
) -> bytes:
    """A picture with the photo pasted on a plain ad background."""
    source = photo if isinstance(photo, Image.Image) else Image.open(photo).convert("RGB")
    scale = face_side / max(source.size)
    pasted = source.resize((max(1, int(source.width * scale)), max(1, int(source.height * scale))))
    background = Image.new("RGB", canvas, (250, 236, 200))
    background.paste(pasted, (40, 40))
    return _jpeg(background)


def check_media(engine: Engine, data: bytes, text: str, lang: str = "en") -> dict[str, Any]:
    """As ``/v1/check/media`` does with the text read from a picture: the MEDIA detectors see
    the picture with its text attached, the TEXT detectors the text; one verdict."""
    item = _item(data)
    attach_message_text(item, text)
    (scored,) = engine.pipeline.score_sync(ContentKind.MEDIA, [item])
    (text_scored,) = engine.pipeline.score_sync(ContentKind.TEXT, [text])
    return engine.render(scored.merge(text_scored), lang, [ContentKind.MEDIA, ContentKind.TEXT])


def check_text(engine: Engine, text: str, lang: str = "en") -> dict[str, Any]:
    (scored,) = engine.pipeline.score_sync(ContentKind.TEXT, [text])
    return engine.render(scored, lang, [ContentKind.TEXT])


def impersonation(verdict: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in verdict["reasons"] if r["detector"] == "impersonation"]


def face_reason(verdict: dict[str, Any]) -> dict[str, Any]:
    """The face-based reason; it comes first (the text's own name-based reason, when the text
    names the person too, follows it)."""
    reasons = impersonation(verdict)
    assert reasons and reasons[0]["details"]["matched_by"] == "face", reasons
    assert len([r for r in reasons if r["details"]["matched_by"] == "face"]) == 1
    return reasons[0]


# --- face + claim + destination -------------------------------------------------------------


def test_face_claim_and_unofficial_link_is_likely_scam_and_names_all_three(
    engine: Engine,
) -> None:
    verdict = check_media(engine, ad(PHOTOS / SAME_PERSON), CURE_AD)
    assert verdict["verdict"] == "likely_scam"
    reason = face_reason(verdict)
    assert reason["code"] == "impersonation.face_claim_destination"
    details = reason["details"]
    assert details["person"] == "张文宏" and isinstance(details["person_id"], int)
    assert details["threshold"] == pytest.approx(0.4)
    assert details["threshold"] <= details["similarity"] <= 1.0
    assert {"health_cure", "urgency"} <= set(details["claims"])
    assert {"kind": "link", "value": "health-zwh.shop", "standing": "unofficial"} in details[
        "destinations"
    ]
    sentence = reason["message"]
    assert "The face matches 张文宏 (similarity" in sentence
    assert "promises a cure" in sentence
    assert "health-zwh.shop, which is not one of 张文宏's official channels" in sentence
    assert "zhangwenhong-official.cn" in sentence


def test_the_explanation_is_in_chinese_too(engine: Engine) -> None:
    verdict = check_media(engine, ad(PHOTOS / SAME_PERSON), CURE_AD, lang="zh")
    reason = face_reason(verdict)
    assert reason["message"].startswith("图中人脸与张文宏相符（相似度")
    assert "声称能治病" in reason["message"]
    assert "health-zwh.shop，这不是张文宏的官方渠道" in reason["message"]


def test_face_and_claim_without_a_destination_is_suspicious(engine: Engine) -> None:
    verdict = check_media(engine, ad(PHOTOS / SAME_PERSON), CURE_AD_NO_LINK)
    reason = face_reason(verdict)
    assert reason["code"] == "impersonation.face_claim"
    assert reason["role"] == "supporting"
    assert verdict["verdict"] in ("suspicious", "likely_scam")
    only_mine = [r for r in verdict["reasons"] if r["role"] != "info"]
    if only_mine == [reason]:
        assert verdict["verdict"] == "suspicious"


def test_a_famous_face_alone_is_no_signal(engine: Engine) -> None:
    verdict = check_media(engine, ad(PHOTOS / SAME_PERSON), NEWS_CAPTION)
    assert impersonation(verdict) == []
    verdict = check_media(engine, ad(PHOTOS / SAME_PERSON), "")
    assert impersonation(verdict) == []


def test_a_link_to_an_official_channel_weighs_nothing(engine: Engine) -> None:
    text = "张文宏医生推荐的健康讲座，限时报名，立即访问 https://zhangwenhong-official.cn/talks"
    verdict = check_media(engine, ad(PHOTOS / SAME_PERSON), text)
    reason = face_reason(verdict)
    assert reason["code"] == "impersonation.official_destination"
    assert reason["role"] == "info" and reason["weight"] == 0


def test_someone_else_s_face_with_the_same_ad_is_not_an_impersonation(engine: Engine) -> None:
    verdict = check_media(engine, ad(PHOTOS / OTHER_PERSON), UNNAMED_AD)
    assert impersonation(verdict) == []


def test_an_english_ad_with_an_account_destination(engine: Engine) -> None:
    text = "I personally recommend this supplement, it cures diabetes. Hurry now, add WeChat zwh_health88"
    verdict = check_media(engine, ad(PHOTOS / SAME_PERSON), text)
    (reason,) = impersonation(verdict)
    assert reason["code"] == "impersonation.face_claim_destination"
    assert "WeChat zwh_health88" in reason["message"]


# --- bad input -----------------------------------------------------------------------------


def grid(names: list[str], side: int = 220) -> bytes:
    """Several people's photos side by side: a "many faces" picture."""
    canvas = Image.new("RGB", (side * 3, side * ((len(names) + 2) // 3)), "white")
    for i, name in enumerate(names):
        photo = Image.open(PHOTOS / name).convert("RGB")
        photo.thumbnail((side, side))
        canvas.paste(photo, ((i % 3) * side, (i // 3) * side))
    return _jpeg(canvas)


def test_no_face_many_faces_tiny_faces_and_cartoons_say_nothing(engine: Engine) -> None:
    blank = _jpeg(Image.new("RGB", (640, 480), (200, 220, 240)))
    strangers = grid(["img16.jpg", "img20.jpg", "img22.jpg", "img24.jpg", "img13.jpg", "img18.jpg"])
    tiny = ad(PHOTOS / SAME_PERSON, face_side=60, canvas=(1600, 1200))
    cartoon = Image.new("RGB", (600, 600), "white")
    draw = ImageDraw.Draw(cartoon)
    draw.ellipse((150, 150, 450, 450), fill=(255, 220, 0), outline="black", width=6)
    draw.ellipse((230, 240, 270, 290), fill="black")
    draw.ellipse((330, 240, 370, 290), fill="black")
    draw.arc((220, 280, 380, 400), 20, 160, fill="black", width=8)
    cases = {"no face": blank, "strangers": strangers, "tiny face": tiny, "cartoon": _jpeg(cartoon)}
    for name, picture in cases.items():
        verdict = check_media(engine, picture, UNNAMED_AD)
        assert impersonation(verdict) == [], name


def test_a_borrowed_name_over_a_stranger_s_face_is_still_impersonation(engine: Engine) -> None:
    verdict = check_media(engine, ad(PHOTOS / OTHER_PERSON), CURE_AD)
    (reason,) = impersonation(verdict)
    assert reason["code"] == "impersonation.name_claim_destination"
    assert reason["details"]["matched_by"] == "name"
    assert "similarity" not in reason["details"]


def test_the_protected_person_is_found_among_many_faces(engine: Engine) -> None:
    # deepface's group selfie shows the enrolled person among four others.
    crowd = (PHOTOS / "selfie-many-people.jpg").read_bytes()
    (reason,) = impersonation(check_media(engine, crowd, UNNAMED_AD))
    assert reason["code"] == "impersonation.face_claim_destination"
    assert len(reason["details"]["box"]) == 4


def test_a_video_free_hashes_only_check_says_nothing(engine: Engine) -> None:
    item = MediaItem.from_hashes({"pdq": ("0" * 64,)})
    attach_message_text(item, CURE_AD)
    (scored,) = engine.pipeline.score_sync(ContentKind.MEDIA, [item])
    assert not [e for e in scored.evidence if e.detector == "impersonation"]


# --- text alone -----------------------------------------------------------------------------


def test_name_claim_and_unofficial_link_in_text_is_likely_scam(engine: Engine) -> None:
    text = (
        "Elon Musk is giving away 5000 BTC! Send 0.1 BTC and get 0.2 BTC back. "
        "Limited time: https://musk-x-event.live/claim"
    )
    verdict = check_text(engine, text)
    assert verdict["verdict"] == "likely_scam"
    (reason,) = impersonation(verdict)
    assert reason["code"] == "impersonation.name_claim_destination"
    assert reason["details"]["person"] == "Elon Musk"
    assert "musk-x-event.live" in reason["message"]
    assert "tesla.com" in reason["message"]


def test_chinese_text_naming_an_alias_with_a_wechat_destination(engine: Engine) -> None:
    verdict = check_text(engine, "马斯克带你投资比特币，稳赚不赔，名额有限，加微信 musk_btc_cn")
    (reason,) = impersonation(verdict)
    assert reason["code"] == "impersonation.name_claim_destination"
    assert reason["details"]["name_in_text"] == "马斯克"


def test_news_text_about_a_protected_person_says_nothing(engine: Engine) -> None:
    for text in (
        "Elon Musk said on Monday that Tesla will invest in a new factory. https://www.reuters.com/x",
        "马斯克周一表示，特斯拉将在上海投资建厂。",
        "Elon Musk",
    ):
        assert impersonation(check_text(engine, text)) == [], text


def test_a_well_known_news_site_is_not_a_scam_destination(engine: Engine) -> None:
    text = (
        "Elon Musk recommends this trading platform, join now! More: https://www.reuters.com/tech"
    )
    (reason,) = impersonation(check_text(engine, text))
    assert reason["code"] == "impersonation.name_claim"
    assert reason["role"] == "supporting"


def test_an_official_account_link_is_official(engine: Engine) -> None:
    text = "Elon Musk giveaway, claim your free gift now: https://x.com/elonmusk/status/1"
    (reason,) = impersonation(check_text(engine, text))
    assert reason["code"] == "impersonation.official_destination"


def test_an_unofficial_profile_on_a_famous_platform_is_unofficial(engine: Engine) -> None:
    text = "Elon Musk giveaway, claim your free BTC now: https://t.me/elon_giveaway_official"
    (reason,) = impersonation(check_text(engine, text))
    assert reason["code"] == "impersonation.name_claim_destination"
    assert "t.me/elon_giveaway_official" in reason["message"]
