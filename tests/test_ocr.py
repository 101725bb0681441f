"""Text inside pictures: read by OCR in /v1/check/media and scored like a message.

OCR costs seconds, so the whole file makes a single OCR read (the ad below); the other
tests pin the cheap paths: skipping, refusing, the cache and the size reduction.
"""

from __future__ import annotations

import io
import secrets
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from server.media.ocr import OcrEngine, OcrLine, OcrResult, reduce, wanted
from tests.support.server import RunningServer, start_server

CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc")
LATIN_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")


def _font(size: int) -> ImageFont.FreeTypeFont:
    path = CJK_FONT if CJK_FONT.exists() else LATIN_FONT
    return ImageFont.truetype(str(path), size)


def giveaway_ad() -> bytes:
    """A generated ad: no face, a giveaway promise and its link (no one's photo)."""
    image = Image.new("RGB", (900, 700), (245, 240, 225))
    draw = ImageDraw.Draw(image)
    # The promise wraps over two lines, as ads set it: it is still one claim.
    draw.text((40, 40), "Send 1 BTC,", font=_font(52), fill=(10, 10, 10))
    draw.text((40, 110), "get 2 BTC back!", font=_font(52), fill=(10, 10, 10))
    if CJK_FONT.exists():
        draw.text((40, 200), "限时活动 转入安全账户", font=_font(52), fill=(190, 0, 0))
    draw.text((40, 580), "elon-giveaway.xyz", font=_font(52), fill=(0, 0, 140))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _post(server: RunningServer, fields: dict[str, str], data: bytes):  # type: ignore[no-untyped-def]
    boundary = "----fw" + secrets.token_hex(8)
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="ad.png"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
        + data
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return server.request(
        "POST",
        "/v1/check/media",
        body=b"".join(parts),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )


def test_text_in_an_ad_is_read_and_scored_with_its_link(server: RunningServer) -> None:
    ad = giveaway_ad()
    response = _post(server, {"ocr": "1", "lang": "en"}, ad)
    assert response.status == 200, response.body
    verdict = response.json()
    text = verdict["text"]
    assert text["status"] == "read" and text["reason"] == "asked"
    read = " ".join(text["lines"])
    assert "BTC" in read and "giveaway" in read
    if CJK_FONT.exists():
        assert "安全账户" in read
    assert any("elon-giveaway.xyz" in link for link in text["links"])
    # The link read from the picture is judged by the link detectors, inside this verdict.
    link_reasons = [r for r in verdict["reasons"] if r["detector"] in ("url_cues", "lookalike")]
    assert link_reasons, verdict["reasons"]
    # The wrapped promise is read as one sentence: the send-1-get-2 script, and with the
    # link's findings, likely_scam.
    scripts = {
        r["details"].get("pattern") for r in verdict["reasons"] if r["detector"] == "text_patterns"
    }
    assert "send_one_get_two" in scripts, verdict["reasons"]
    assert verdict["verdict"] == "likely_scam"
    assert {"media", "text"} <= set(verdict)

    again = _post(server, {"ocr": "1"}, ad).json()["text"]
    assert again["cached"] is True and again["lines"] == text["lines"]


def test_ocr_past_its_time_bound_is_reported_and_the_check_still_answers(
    tmp_path: Path,
) -> None:
    server = start_server(tmp_path, env={"FAKEWATCH_OCR_TIMEOUT_S": "0.001"})
    try:
        response = _post(server, {"ocr": "1", "lang": "en"}, giveaway_ad())
    finally:
        server.stop()
    assert response.status == 200, response.body
    verdict = response.json()
    assert verdict["text"]["status"] == "timeout", verdict["text"]
    assert verdict["verdict"] in ("no_known_signals", "suspicious", "likely_scam", "unknown")


def test_a_picture_without_face_or_text_is_not_read(server: RunningServer) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (70, 110, 150)).save(buffer, "PNG")
    response = _post(server, {}, buffer.getvalue())
    assert response.status == 200, response.body
    assert response.json()["text"] == {"status": "skipped", "reason": "no face or text seen"}


def test_a_bad_ocr_field_is_refused(server: RunningServer) -> None:
    response = _post(server, {"ocr": "please"}, giveaway_ad())
    assert response.status == 400
    assert response.json()["code"] == "validation_failed"


def test_pictures_are_reduced_never_enlarged() -> None:
    big, small = Image.new("RGB", (1920, 1080)), Image.new("RGB", (300, 200))
    assert reduce(big, 960).size == (960, 540)
    assert reduce(small, 960) is small


@pytest.mark.parametrize(
    ("asked", "faces", "text_seen", "expected"),
    [
        (True, 0, None, True),
        (False, 1, None, True),
        (False, 0, True, True),
        (False, 0, False, False),
    ],
)
def test_when_ocr_is_wanted(
    asked: bool, faces: int, text_seen: bool | None, expected: bool
) -> None:
    assert wanted(asked, faces, text_seen) is expected


def test_a_second_read_of_the_same_key_comes_from_the_cache() -> None:
    engine = OcrEngine()
    blank = Image.new("RGB", (200, 120), (255, 255, 255))
    first = engine.read(blank, key="blank:0")
    second = engine.read(blank, key="blank:0")
    assert (first.cached, second.cached) == (False, True)
    assert second.lines == first.lines == ()


def _line(text: str, left: int, top: int, right: int, bottom: int) -> OcrLine:
    return OcrLine(text, 0.9, (left, top, right, bottom))


def test_lines_one_block_wraps_are_one_sentence_and_separate_blocks_stay_apart() -> None:
    ad = OcrResult(
        (
            _line("Send 1 BTC,", 40, 50, 400, 95),
            _line("get 2 BTC back!", 40, 115, 480, 160),  # 20 px under a 45 px line: wrapped
            _line("elon-giveaway.xyz", 40, 580, 520, 625),  # far below: another block
        ),
        0.1,
        (900, 700),
    )
    assert ad.blocks == "Send 1 BTC, get 2 BTC back!\nelon-giveaway.xyz"
    chat = OcrResult(
        (
            _line("Did you send the deposit to the landlord", 20, 100, 520, 130),
            _line("Yes, he said we get the whole thing back", 300, 175, 880, 205),  # the reply
            _line("nice, double check the date", 20, 250, 380, 280),
        ),
        0.1,
        (900, 400),
    )
    assert chat.blocks.count("\n") == 2
