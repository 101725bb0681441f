"""An operator-allowlisted link wins for that link only: a message (or a picture's text) that
carries a scam script and an allowed link is still judged by the script; the allowed link
adds no link evidence, and alone it is still ``no_known_signals``."""

from __future__ import annotations

import io
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw, ImageFont

from tests.support.server import RunningServer, start_server

ALLOWED = "trusted-parish-h4.org"
POLICE_ZH = "您好，我是公安局民警，您的账户涉嫌洗钱，请配合调查并保密"
POLICE_EN = "This is the police: your name is linked to money laundering, an arrest warrant"
LATIN_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")


@pytest.fixture(scope="module")
def allowing_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    # OCR's time bound is raised so a loaded test machine reads the picture instead of
    # answering "timeout" (the bound itself is tested elsewhere).
    running = start_server(
        tmp_path_factory.mktemp("allowlist_scope"),
        env={"FAKEWATCH_OCR_TIMEOUT_S": "120", "FAKEWATCH_DETECTOR_TIMEOUT_MS": "60000"},
    )
    added = running.request(
        "POST", "/v1/lists/entries", json_body={"value": ALLOWED, "action": "allow"}
    )
    assert added.status in (200, 201), added.body
    yield running
    running.stop()


def _text(server: RunningServer, text: str) -> dict[str, Any]:
    response = server.request("POST", "/v1/check/text", json_body={"text": text})
    assert response.status == 200, response.body
    verdict: dict[str, Any] = response.json()
    return verdict


def _codes(verdict: dict[str, Any]) -> dict[str, str]:
    return {r["code"]: r["role"] for r in verdict["reasons"]}


def test_a_scam_script_beside_an_allowed_link_is_still_judged(
    allowing_server: RunningServer,
) -> None:
    alone = _text(allowing_server, POLICE_ZH)
    verdict = _text(allowing_server, f"{POLICE_ZH}，详见 https://{ALLOWED}/notice")
    assert verdict["verdict"] == alone["verdict"] != "no_known_signals"
    assert verdict["score"] == alone["score"]
    codes = _codes(verdict)
    assert codes["text_patterns.match"] == "primary"
    # The allow entry is shown, as information, and the link raised nothing else.
    assert codes["lists.allowed"] == "info"
    (link,) = verdict["links"]
    assert link["codes"] == ["lists.allowed"]


def test_an_allowed_link_in_a_harmless_message_still_wins(allowing_server: RunningServer) -> None:
    verdict = _text(allowing_server, f"欢迎访问 https://{ALLOWED}/notice")
    assert verdict["verdict"] == "no_known_signals"
    assert _codes(verdict) == {"lists.allowed": "allow"}


def test_an_allowed_link_alone_is_no_known_signals(allowing_server: RunningServer) -> None:
    response = allowing_server.request(
        "POST", "/v1/check/links", json_body={"urls": [f"https://{ALLOWED}/login-verify"]}
    )
    (result,) = response.json()["results"]
    assert result["verdict"] == "no_known_signals"
    assert [r["code"] for r in result["reasons"]] == ["lists.allowed"]


def _picture(lines: list[str]) -> bytes:
    """A generated notice (text only, no one's photo)."""
    image = Image.new("RGB", (1400, 120 + 90 * len(lines)), (250, 250, 250))
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(LATIN_FONT), 44)
    for i, line in enumerate(lines):
        draw.text((40, 50 + 90 * i), line, font=font, fill=(10, 10, 10))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _media(server: RunningServer, data: bytes) -> dict[str, Any]:
    boundary = "----fw" + secrets.token_hex(8)
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="ocr"\r\n\r\n1\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="n.png"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = server.request(
        "POST",
        "/v1/check/media",
        body=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status == 200, response.body
    verdict: dict[str, Any] = response.json()
    return verdict


@pytest.mark.skipif(not LATIN_FONT.exists(), reason="needs the DejaVu font to draw the notice")
def test_a_pictures_scam_text_beside_an_allowed_link_is_still_judged(
    allowing_server: RunningServer,
) -> None:
    verdict = _media(
        allowing_server,
        _picture(
            [
                "This is the police: your name is linked",
                "to money laundering,",
                "an arrest warrant will be issued",
                ALLOWED,
            ]
        ),
    )
    assert verdict["text"]["status"] == "read", verdict["text"]
    assert any(ALLOWED in link for link in verdict["text"]["links"]), verdict["text"]["lines"]
    codes = _codes(verdict)
    assert codes.get("lists.allowed") == "info", codes
    assert verdict["verdict"] != "no_known_signals", codes
