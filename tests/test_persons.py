"""The protected-person registry over HTTP and from the CLI: records, history, enrolment.

The real server on a real port with its own SQLite file; photos come from ../shared (never
from the repository), blank and composed pictures are made here.
"""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from server.cli import main
from tests.conftest import SHARED
from tests.support.server import RunningServer, start_server

PHOTOS = SHARED / "data" / "images" / "celebrities" / "deepface"
needs_photos = pytest.mark.skipif(not PHOTOS.is_dir(), reason="needs ../shared celebrity photos")

DOCTOR = {
    "name": "张文宏",
    "aliases": ["Zhang Wenhong"],
    "description": "Infectious-disease doctor, Shanghai",
    "official_domains": ["https://www.ZhangWenhong-Official.cn/"],
    "official_accounts": ["weibo:张文宏", "@DrZhangWenhong"],
    "never": ["never sells health products"],
}


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    # Generous time limits: on a loaded 2-core machine OCR and face embedding can exceed the
    # production defaults, and a partial verdict is not what these tests are about.
    running = start_server(
        tmp_path_factory.mktemp("persons"),
        env={"FAKEWATCH_OCR_TIMEOUT_S": "120", "FAKEWATCH_DETECTOR_TIMEOUT_MS": "60000"},
    )
    yield running
    assert running.stop() == 0, running.stderr()
    assert "Traceback" not in running.stderr()


def multipart(data: bytes, field: str = "file") -> tuple[bytes, dict[str, str]]:
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="p.jpg"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def create(api: RunningServer, **overrides: Any) -> dict[str, Any]:
    response = api.request("POST", "/v1/persons", json_body={**DOCTOR, **overrides})
    assert response.status == 201, response.body
    record: dict[str, Any] = response.json()
    return record


def enrol(api: RunningServer, person_id: int, data: bytes) -> Any:
    body, headers = multipart(data)
    return api.request("POST", f"/v1/persons/{person_id}/faces", body=body, headers=headers)


# --- records ----------------------------------------------------------------------------------


def test_a_person_is_created_with_clean_fields(api: RunningServer) -> None:
    record = create(api)
    assert isinstance(record["id"], int)
    assert record["official_domains"] == ["zhangwenhong-official.cn"]
    assert record["official_accounts"] == ["weibo:张文宏", "@DrZhangWenhong"]
    assert record["faces"] == 0 and record["retired"] is False and record["revision"] == 1


def test_edits_and_retirement_keep_every_old_value(api: RunningServer) -> None:
    person_id = create(api, name="Elon Musk", aliases=["Musk"], official_domains=["tesla.com"])[
        "id"
    ]
    edited = api.request(
        "PATCH", f"/v1/persons/{person_id}", json_body={"aliases": ["马斯克"], "never": []}
    )
    assert edited.status == 200 and edited.json()["aliases"] == ["马斯克"]
    assert api.request("DELETE", f"/v1/persons/{person_id}").json()["retired"] is True

    shown = api.request("GET", f"/v1/persons/{person_id}").json()
    assert shown["retired"] is True and shown["retired_at"]
    history = [(r["action"], r["record"]["aliases"]) for r in reversed(shown["revisions"])]
    assert history == [("create", ["Musk"]), ("edit", ["马斯克"]), ("retire", ["马斯克"])]

    assert (
        api.request("PATCH", f"/v1/persons/{person_id}", json_body={"name": "Elon R. Musk"}).status
        == 404
    )
    assert api.request("DELETE", f"/v1/persons/{person_id}").status == 404
    active = {p["id"] for p in api.request("GET", "/v1/persons").json()["persons"]}
    everyone = {
        p["id"] for p in api.request("GET", "/v1/persons?include_retired=true").json()["persons"]
    }
    assert person_id not in active and person_id in everyone


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"aliases": ["x"]}, "name"),
        ({"name": "Li"}, "name"),
        ({"name": "张"}, "name"),
        # Separators do not count: the name would match as "ab" or "王" alone.
        ({"name": "a.b"}, "name"),
        ({"name": "王·"}, "name"),
        ({"name": "王 ."}, "name"),
        ({"name": "Zhang", "aliases": ["l.i"]}, "aliases"),
        ({"name": "Zhang", "aliases": "Wenhong"}, "aliases"),
        ({"name": "Zhang", "official_domains": ["co.uk"]}, "official_domains"),
        ({"name": "Zhang", "official_domains": ["not a domain"]}, "official_domains"),
        ({"name": "Zhang", "official_accounts": ["myspace:zhang"]}, "official_accounts"),
        ({"name": "Zhang", "official_accounts": ["https://x.com/"]}, "official_accounts"),
        ({"name": "Zhang", "photo": "base64..."}, "photo"),
    ],
)
def test_bad_fields_are_refused_with_the_field_named(
    api: RunningServer, body: dict[str, Any], field: str
) -> None:
    response = api.request("POST", "/v1/persons", json_body=body)
    assert response.status == 400
    assert response.json()["code"] == "validation_failed"
    assert response.json()["field"] == field


@pytest.mark.parametrize("name", ["Elon Musk", "马斯克", "J.K. Rowling", "王 小明", "王·小明"])
def test_real_names_with_dots_and_spaces_are_accepted(api: RunningServer, name: str) -> None:
    record = create(api, name=name, aliases=[], official_domains=[], official_accounts=[])
    assert record["name"] == name
    assert api.request("DELETE", f"/v1/persons/{record['id']}").status == 200


def test_writes_need_a_moderator_key_and_reads_a_key(api: RunningServer) -> None:
    client_key = api.request("POST", "/v1/keys", json_body={"role": "client"}).json()["key"]
    refused = api.request("POST", "/v1/persons", json_body=DOCTOR, key=client_key)
    assert refused.status == 403
    assert api.request("GET", "/v1/persons", key=client_key).status == 200
    assert api.request("GET", "/v1/persons", key=None).status == 401
    assert api.request("GET", "/v1/persons/999999").status == 404
    assert api.request("GET", "/v1/persons/abc").status == 404


# --- enrolment --------------------------------------------------------------------------------


@needs_photos
def test_one_face_is_enrolled_once_and_no_photo_is_kept(api: RunningServer) -> None:
    person_id = create(api)["id"]
    photo = (PHOTOS / "img1.jpg").read_bytes()
    first = enrol(api, person_id, photo)
    assert first.status == 201, first.body
    assert first.json()["created"] is True and first.json()["faces"] == 1
    again = enrol(api, person_id, photo)
    assert again.status == 200 and again.json()["created"] is False
    assert again.json()["face_id"] == first.json()["face_id"]
    assert api.request("GET", f"/v1/persons/{person_id}").json()["faces"] == 1
    # What the database holds: an embedding of 128 float32 and a digest, no image bytes.
    import sqlite3

    with sqlite3.connect(api.db) as conn:
        rows = conn.execute(
            "SELECT length(embedding), length(photo_sha256) FROM person_faces WHERE person_id = ?",
            (person_id,),
        ).fetchall()
    assert rows == [(512, 64)]


@needs_photos
def test_a_face_already_enrolled_for_someone_else_is_refused(api: RunningServer) -> None:
    first = create(api, name="Jeff Bezos", official_domains=["aboutamazon.com"])["id"]
    assert enrol(api, first, (PHOTOS / "img22.jpg").read_bytes()).status == 201
    second = create(api, name="Jeffrey Preston", official_domains=[])["id"]
    refused = enrol(api, second, (PHOTOS / "img23.jpg").read_bytes())  # the same man
    assert refused.status == 409
    assert refused.json()["code"] == "enrol_face_of_another_person"
    assert f"person {first}" in refused.json()["error"]


@needs_photos
@pytest.mark.parametrize(
    ("picture", "status", "code"),
    [
        ("couple.jpg", 422, "enrol_several_faces"),
        ("blank", 422, "enrol_no_face"),
        ("tiny", 422, "enrol_face_too_small"),
        ("garbage", 415, "media_unsupported"),
        ("empty", 400, "media_empty"),
    ],
)
def test_enrolment_photos_without_exactly_one_usable_face_are_refused(
    api: RunningServer, picture: str, status: int, code: str
) -> None:
    person_id = create(api)["id"]
    if picture == "blank":
        data = jpeg(Image.new("RGB", (640, 480), (180, 200, 220)))
    elif picture == "tiny":
        # YuNet finds this face (about 29×39 px) but it is under the 40-px identification floor.
        canvas = Image.new("RGB", (400, 400), "white")
        small = Image.open(PHOTOS / "img1.jpg").convert("RGB")
        small.thumbnail((90, 90))
        canvas.paste(small, (130, 130))
        data = jpeg(canvas)
    elif picture == "garbage":
        data = b"this is not a picture at all" * 10
    elif picture == "empty":
        data = b""
    else:
        data = (PHOTOS / picture).read_bytes()
    response = enrol(api, person_id, data)
    assert (response.status, response.json()["code"]) == (status, code), response.body
    assert api.request("GET", f"/v1/persons/{person_id}").json()["faces"] == 0


def test_enrolment_needs_multipart_and_an_active_person(api: RunningServer) -> None:
    person_id = create(api)["id"]
    as_json = api.request("POST", f"/v1/persons/{person_id}/faces", json_body={"file": "x"})
    assert as_json.status == 415
    body, headers = multipart(b"x", field="photo")
    wrong_field = api.request("POST", f"/v1/persons/{person_id}/faces", body=body, headers=headers)
    assert wrong_field.status == 400 and wrong_field.json()["code"] == "validation_failed"
    api.request("DELETE", f"/v1/persons/{person_id}")
    assert enrol(api, person_id, b"x").status == 404


# --- CLI ---------------------------------------------------------------------------------------


def fakewatch(capsys: pytest.CaptureFixture[str], db: Path, *args: str) -> tuple[int, str, str]:
    """The real CLI entry point, in this process (a subprocess per call costs seconds)."""
    code = main([*args, "--db", str(db)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@needs_photos
def test_the_cli_adds_enrols_edits_and_retires(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [n for n in os.environ if n.startswith("FAKEWATCH_")]:
        monkeypatch.delenv(name)
    db = tmp_path / "cli.db"
    code, out, err = fakewatch(
        capsys, db, "persons", "add", "Elon Musk", "--alias", "马斯克", "--domain", "tesla.com",
        "--account", "@elonmusk", "--never", "never asks for crypto",
    )  # fmt: skip
    assert code == 0, err
    person_id = out.strip()
    code, _, err = fakewatch(capsys, db, "persons", "enrol", person_id, str(PHOTOS / "couple.jpg"))
    assert code == 1 and "enrol_several_faces" in err
    code, out, _ = fakewatch(capsys, db, "persons", "enrol", person_id, str(PHOTOS / "img20.jpg"))
    assert code == 0 and "enrolled" in out
    assert fakewatch(capsys, db, "persons", "edit", person_id, "--alias", "Musk")[0] == 0
    assert fakewatch(capsys, db, "persons", "retire", person_id)[0] == 0
    _, listed, _ = fakewatch(capsys, db, "persons", "list", "--all")
    assert "Elon Musk (retired)" in listed and "faces: 1" in listed
    _, shown, _ = fakewatch(capsys, db, "persons", "show", person_id)
    assert '"马斯克"' in shown and '"Musk"' in shown  # the old alias lives on in the revisions
    code, _, err = fakewatch(capsys, db, "persons", "add", "Li")
    assert code == 1 and "at least" in err


# --- the ordinary checks carry impersonation evidence ------------------------------------------

CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc")


def test_a_protected_name_with_a_scam_claim_and_link_in_a_text_check(api: RunningServer) -> None:
    person_id = create(api, name="Elon Musk", aliases=["马斯克"], official_domains=["tesla.com"])[
        "id"
    ]
    scam = "马斯克粉丝福利：免费领取比特币，名额有限，立即访问 musk-gift.vip 领取"
    verdict = api.request("POST", "/v1/check/text", json_body={"text": scam, "lang": "zh"}).json()
    assert verdict["verdict"] == "likely_scam"
    (reason,) = [r for r in verdict["reasons"] if r["detector"] == "impersonation"]
    assert reason["details"]["person_id"] == person_id
    assert "musk-gift.vip" in reason["message"] and "tesla.com" in reason["message"]
    news = "马斯克周一在柏林工厂发表讲话。"
    verdict = api.request("POST", "/v1/check/text", json_body={"text": news}).json()
    assert not [r for r in verdict["reasons"] if r["detector"] == "impersonation"]


@needs_photos
@pytest.mark.skipif(not CJK_FONT.is_file(), reason="needs fonts-noto-cjk to draw the ad")
def test_a_face_ad_in_a_media_check_names_face_claim_and_link(api: RunningServer) -> None:
    from PIL import ImageDraw, ImageFont

    # A person of their own (other tests here enrol img1 for other records).
    person_id = create(
        api, name="钟南山", aliases=[], official_domains=["zhongnanshan-official.cn"]
    )["id"]
    assert enrol(api, person_id, (PHOTOS / "img20.jpg").read_bytes()).status == 201
    ad = Image.new("RGB", (900, 600), (255, 248, 230))
    photo = Image.open(PHOTOS / "img21.jpg").convert("RGB")  # the same person, another photo
    photo.thumbnail((380, 380))
    ad.paste(photo, (20, 100))
    draw = ImageDraw.Draw(ad)
    font = ImageFont.truetype(str(CJK_FONT), 34, index=2)
    for y, line in (
        (120, "这款保健品根治糖尿病"),
        (180, "限时特惠 立即抢购"),
        (260, "health-zwh.shop"),
    ):
        draw.text((430, y), line, font=font, fill=(120, 20, 20))
    body, headers = multipart(jpeg(ad))
    response = api.request("POST", "/v1/check/media?lang=en", body=body, headers=headers)
    assert response.status == 200, response.body
    verdict = response.json()
    assert verdict["verdict"] == "likely_scam"
    reason = next(r for r in verdict["reasons"] if r["detector"] == "impersonation")
    assert reason["details"]["person_id"] == person_id
    assert reason["details"]["similarity"] >= reason["details"]["threshold"]
    assert "The face matches 钟南山" in reason["message"]
    assert "health-zwh.shop" in reason["message"]
