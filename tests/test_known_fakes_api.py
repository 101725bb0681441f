"""The known-fakes bank through the real server: add, match altered copies, hashes-only
checks, retire, list/get, export, and the media boundary's error codes.

Pictures are generated (smooth random textures with shapes); no photo of anyone is used.
"""

from __future__ import annotations

import io
import json
import secrets
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from server.detectors.known_fakes import subject_words
from tests.support.server import RunningServer, start_server


def picture(seed: int, size: tuple[int, int] = (640, 480)) -> Image.Image:
    """A smooth random texture with a few shapes: detailed enough to hash, unique per seed."""
    rng = np.random.default_rng(seed)
    low = rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)
    image = Image.fromarray(low, "RGB").resize(size, Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x, y = rng.integers(0, size[0] - 80), rng.integers(0, size[1] - 80)
        w, h = rng.integers(30, 160, 2)
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        if rng.random() < 0.5:
            draw.ellipse((x, y, x + w, y + h), fill=colour)
        else:
            draw.rectangle((x, y, x + w, y + h), fill=colour)
    return image


def jpeg(image: Image.Image, quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def multipart(fields: dict[str, str], file: bytes | None, name: str = "file") -> tuple[bytes, str]:
    boundary = "----fw" + secrets.token_hex(8)
    parts = []
    for key, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
        )
    if file is not None:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="x.bin"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n".encode()
            + file
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def post_form(
    server: RunningServer, path: str, fields: dict[str, str], file: bytes | None, **kw: object
):
    body, content_type = multipart(fields, file)
    return server.request("POST", path, body=body, headers={"Content-Type": content_type}, **kw)  # type: ignore[arg-type]


def add_fake(server: RunningServer, image: Image.Image, **fields: str) -> int:
    response = post_form(
        server, "/v1/known-fakes", {"label": "Fake giveaway", **fields}, jpeg(image)
    )
    assert response.status == 201, response.body
    return int(response.json()["id"])


def check(server: RunningServer, data: bytes) -> dict:
    response = post_form(server, "/v1/check/media", {}, data)
    assert response.status == 200, response.body
    return response.json()


@pytest.fixture(scope="module")
def bank_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(tmp_path_factory.mktemp("known_fakes"))
    yield running
    running.stop()


def captioned(image: Image.Image) -> Image.Image:
    bar = image.height // 6
    out = Image.new("RGB", (image.width, image.height + bar), "white")
    out.paste(image, (0, 0))
    ImageDraw.Draw(out).text((20, image.height + bar // 3), "CLAIM YOUR BONUS NOW", fill="black")
    return out


def test_an_altered_copy_of_a_known_fake_is_likely_scam_with_the_match_explained(
    bank_server: RunningServer,
) -> None:
    original = picture(1)
    fake_id = add_fake(bank_server, original, person="Jane Example", campaign="btc-26")
    copy = captioned(original.crop((40, 30, 600, 450)))
    verdict = check(bank_server, jpeg(copy, quality=60))
    assert verdict["verdict"] == "likely_scam"
    (match,) = [m for m in verdict["matches"] if m["id"] == fake_id]
    assert match["label"] == "Fake giveaway" and match["person"] == "Jane Example"
    assert 0 <= match["distance"] <= match["threshold"]
    assert match["hash"] in ("pdq", "pdq+phash", "phash+dhash") and match["region"]
    reason = verdict["reasons"][0]
    assert reason["code"] == "known_fakes.match" and "Fake giveaway" in reason["message"]
    # The part that matched is said in words ("The middle of this picture"); the region's own
    # name, the distance and the threshold are for moderators, in the details.
    region = verdict["matches"][0]["region"]
    assert reason["message"].startswith(subject_words(region)["subject_en"])
    assert "distance" not in reason["message"] and "threshold" not in reason["message"]
    assert reason["details"]["matches"][0]["region"] == region
    assert verdict["media"]["kind"] == "image" and "sha256" in verdict["media"]


def test_an_unrelated_picture_matches_nothing(bank_server: RunningServer) -> None:
    add_fake(bank_server, picture(2))
    verdict = check(bank_server, jpeg(picture(3)))
    assert verdict["matches"] == []
    assert verdict["verdict"] == "no_known_signals"


def test_a_hashes_only_check_matches_without_sending_the_media(
    bank_server: RunningServer,
) -> None:
    fake_id = add_fake(bank_server, picture(4), label="Fake interview")
    exported = bank_server.request("GET", "/v1/known-fakes/export?format=json").json()
    (entry,) = [e for e in exported["known_fakes"] if e["id"] == fake_id]
    full = next(h for h in entry["hashes"] if h["region"] == "full")
    response = bank_server.request(
        "POST", "/v1/check/media", json_body={"hashes": {"pdq": [full["pdq"]]}}
    )
    assert response.status == 200, response.body
    verdict = response.json()
    assert verdict["verdict"] == "likely_scam"
    assert verdict["matches"][0]["id"] == fake_id and verdict["matches"][0]["distance"] == 0
    assert verdict["media"] == {"kind": "hashes", "hashes": {"pdq": 1}}
    # The body's lang is the client's language too, Traditional included.
    taiwan = bank_server.request(
        "POST",
        "/v1/check/media",
        json_body={"hashes": {"pdq": [full["pdq"]]}, "lang": "zh-TW"},
    ).json()
    assert taiwan["summary"].startswith("很可能是詐騙")


def test_bad_client_hashes_are_refused(bank_server: RunningServer) -> None:
    for hashes in ({"pdq": ["zz"]}, {"md5": ["00"]}, {}, {"phash": ["0" * 16] * 33}):
        response = bank_server.request("POST", "/v1/check/media", json_body={"hashes": hashes})
        assert response.status == 400 and response.json()["code"] == "validation_failed"


def test_a_retired_fake_stops_matching_and_list_get_show_it(bank_server: RunningServer) -> None:
    image = picture(5)
    fake_id = add_fake(bank_server, image, label="Retire me")
    assert any(m["id"] == fake_id for m in check(bank_server, jpeg(image))["matches"])
    retired = bank_server.request("POST", f"/v1/known-fakes/{fake_id}/retire")
    assert retired.status == 200 and retired.json()["status"] == "retired"
    assert not any(m["id"] == fake_id for m in check(bank_server, jpeg(image))["matches"])
    shown = bank_server.request("GET", f"/v1/known-fakes/{fake_id}").json()
    assert shown["label"] == "Retire me" and shown["retired_at"] and shown["hashes"] > 5
    listed = bank_server.request("GET", "/v1/known-fakes?status=retired").json()
    assert [e["id"] for e in listed["known_fakes"]] == [fake_id]
    assert bank_server.request("GET", "/v1/known-fakes/999999").status == 404


def test_a_pending_fake_matches_only_once_confirmed(bank_server: RunningServer) -> None:
    image = picture(6)
    fake_id = add_fake(bank_server, image, status="pending")
    assert not any(m["id"] == fake_id for m in check(bank_server, jpeg(image))["matches"])
    bank_server.request("POST", f"/v1/known-fakes/{fake_id}/confirm")
    assert any(m["id"] == fake_id for m in check(bank_server, jpeg(image))["matches"])


def test_csv_export_has_pdq_hex_rows(bank_server: RunningServer) -> None:
    fake_id = add_fake(bank_server, picture(7))
    response = bank_server.request("GET", "/v1/known-fakes/export?format=csv")
    assert response.status == 200
    lines = response.body.decode().splitlines()
    assert lines[0].startswith("signal_type,signal,known_fake_id,label")
    pdq_rows = [row.split(",") for row in lines[1:] if row.startswith("pdq,")]
    assert any(row[2] == str(fake_id) and len(row[1]) == 64 for row in pdq_rows)


def test_adding_needs_a_moderator_key_and_a_label(bank_server: RunningServer) -> None:
    no_key = post_form(bank_server, "/v1/known-fakes", {"label": "x"}, jpeg(picture(8)), key=None)
    assert no_key.status == 401
    no_label = post_form(bank_server, "/v1/known-fakes", {}, jpeg(picture(8)))
    assert no_label.status == 400 and no_label.json()["field"] == "label"
    unknown = post_form(
        bank_server, "/v1/known-fakes", {"label": "x", "colour": "red"}, jpeg(picture(8))
    )
    assert unknown.status == 400 and unknown.json()["code"] == "validation_failed"
    flat = Image.new("RGB", (300, 300), (40, 90, 200))
    refused = post_form(bank_server, "/v1/known-fakes", {"label": "flat"}, jpeg(flat))
    assert refused.status == 422 and refused.json()["code"] == "media_low_information"


def png_bomb(side: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * (side + 1) * 8))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        (b"", 400, "media_empty"),
        (b"%PDF-1.7 not an image", 415, "media_unsupported"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 50, 400, "media_unreadable"),
        (png_bomb(60_000), 413, "media_too_many_pixels"),
    ],
    ids=["zero-bytes", "pdf", "truncated-jpeg", "bomb"],
)
def test_bad_media_gets_a_clear_code(
    bank_server: RunningServer, data: bytes, status: int, code: str
) -> None:
    response = post_form(bank_server, "/v1/check/media", {}, data)
    assert (response.status, response.json()["code"]) == (status, code)


def test_media_can_exceed_the_json_limit_but_json_cannot(tmp_path: Path) -> None:
    server = start_server(
        tmp_path, env={"FAKEWATCH_MAX_BODY_BYTES": "20000", "FAKEWATCH_MAX_MEDIA_BYTES": "3000000"}
    )
    try:
        big_picture = jpeg(picture(9, (1600, 1200)), quality=95)
        assert 20_000 < len(big_picture) < 3_000_000
        assert post_form(server, "/v1/check/media", {}, big_picture).status == 200
        big_json = {"hashes": {"pdq": ["0" * 64]}, "lang": "x" * 30_000}
        response = server.request("POST", "/v1/check/media", json_body=big_json)
        assert (response.status, response.json()["code"]) == (413, "payload_too_large")
        too_big = post_form(server, "/v1/check/media", {}, b"\xff\xd8\xff" + b"\x00" * 3_100_000)
        assert too_big.status == 413 and too_big.json()["code"] in (
            "media_too_large",
            "payload_too_large",
        )
    finally:
        server.stop()


def test_other_content_types_are_refused(bank_server: RunningServer) -> None:
    response = bank_server.request(
        "POST", "/v1/check/media", body=jpeg(picture(10)), headers={"Content-Type": "image/jpeg"}
    )
    assert (response.status, response.json()["code"]) == (415, "unsupported_media_type")


def slideshow(stills: list[Image.Image], seconds_each: int = 1, fps: int = 5) -> bytes:
    """An MP4 showing each still for ``seconds_each`` s, a keyframe at every second."""
    import av

    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 640, 480, "yuv420p"
        stream.options = {"g": str(fps)}
        for still in stills:
            frame_data = np.asarray(still.convert("RGB"))
            for _ in range(seconds_each * fps):
                for packet in stream.encode(av.VideoFrame.from_ndarray(frame_data, format="rgb24")):
                    container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue()


def test_a_known_fake_inside_a_video_is_reported_with_its_timestamp(
    bank_server: RunningServer,
) -> None:
    fake = picture(11)
    fake_id = add_fake(bank_server, fake, label="Deepfake clip")
    video = slideshow([picture(12), picture(13), fake])
    verdict = check(bank_server, video)
    assert verdict["media"]["kind"] == "video"
    (match,) = [m for m in verdict["matches"] if m["id"] == fake_id]
    assert match["timestamp"] == pytest.approx(2.0, abs=0.01)
    assert verdict["verdict"] == "likely_scam"
    assert verdict["reasons"][0]["code"] == "known_fakes.match_in_video"


def one_take(
    title: Image.Image,
    fake: Image.Image,
    fps: int = 25,
    seconds: int = 10,
    title_seconds: float = 0.5,
) -> bytes:
    """A clip that opens on ``title`` for ``title_seconds``, then shows ``fake``, with a
    single keyframe at the start (re-encoders and screen recorders make such clips)."""
    import av

    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 640, 480, "yuv420p"
        stream.options = {
            "g": str(fps * seconds),
            "keyint_min": str(fps * seconds),
            "sc_threshold": "0",
        }
        for i in range(fps * seconds):
            still = title if i < fps * title_seconds else fake
            frame = av.VideoFrame.from_ndarray(np.asarray(still.convert("RGB")), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue()


def test_a_known_fake_after_a_title_card_is_found_between_keyframes(
    bank_server: RunningServer,
) -> None:
    fake = picture(14)
    fake_id = add_fake(bank_server, fake, label="Deepfake after a title card")
    verdict = check(bank_server, one_take(picture(15), fake))
    (match,) = [m for m in verdict["matches"] if m["id"] == fake_id]
    # Not the keyframe (the title card): a frame decoded on the way to a later sample.
    assert match["timestamp"] > 0.5
    assert verdict["verdict"] == "likely_scam"


def test_a_known_fake_after_a_six_second_title_card_is_found(bank_server: RunningServer) -> None:
    """A branded intro card for 6 s, then the fake, one keyframe: every sample re-decoded the
    GOP from its keyframe and the budget ran out near 3 s; the walk now goes on from one
    sample to the next."""
    fake = picture(17)
    fake_id = add_fake(bank_server, fake, label="Deepfake after a long title card")
    verdict = check(bank_server, one_take(picture(18), fake, seconds=9, title_seconds=6))
    (match,) = [m for m in verdict["matches"] if m["id"] == fake_id]
    assert match["timestamp"] >= 6.0
    assert verdict["verdict"] == "likely_scam"


def test_a_video_damaged_between_keyframes_is_still_judged(bank_server: RunningServer) -> None:
    """Players hide a damaged frame; the check must not refuse the clip over one either (a
    few KB of garbage would otherwise hide a known fake)."""
    import random

    import av

    fake = picture(16)
    fake_id = add_fake(bank_server, fake, label="Deepfake in a damaged clip")
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="webm") as container:
        stream = container.add_stream("libvpx", rate=25)
        stream.width, stream.height, stream.pix_fmt = 640, 480, "yuv420p"
        stream.options = {"g": "1000", "kf-max-dist": "1000", "auto-alt-ref": "0"}
        still = np.asarray(fake.convert("RGB")).astype(int)
        for i in range(250):
            noise = np.random.default_rng(i).integers(-6, 7, still.shape)
            frame = np.clip(still + noise, 0, 255).astype(np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    damaged = bytearray(buffer.getvalue())
    rng, start = random.Random(3), len(damaged) * 2 // 5
    damaged[start : start + 2000] = bytes(rng.randrange(256) for _ in range(2000))
    verdict = check(bank_server, bytes(damaged))
    assert fake_id in [m["id"] for m in verdict["matches"]]


def test_a_copy_whose_ai_label_was_stripped_is_called_out(bank_server: RunningServer) -> None:
    from server.detectors.ai_labels import xmp_packet

    original = picture(70)
    labelled = io.BytesIO()
    original.save(
        labelled, "JPEG", quality=92, xmp=xmp_packet("trainedAlgorithmicMedia").encode("utf-8")
    )
    response = post_form(bank_server, "/v1/known-fakes", {"label": "AI ad"}, labelled.getvalue())
    assert response.status == 201, response.body
    fake_id = response.json()["id"]
    shown = bank_server.request("GET", f"/v1/known-fakes/{fake_id}").json()
    assert shown["ai_labels"] == ["iptc: trainedAlgorithmicMedia"]
    # Re-encoded without metadata (what platforms do): the match says the label is gone.
    stripped = post_form(bank_server, "/v1/check/media?lang=zh", {}, jpeg(original, 70)).json()
    assert stripped["verdict"] == "likely_scam"
    codes = [r["code"] for r in stripped["reasons"]]
    assert codes[:2] == ["known_fakes.match", "known_fakes.label_stripped"], codes
    note = stripped["reasons"][1]
    assert f"#{fake_id}" in note["message"] and "去除" in note["message"]
    assert note["details"]["original_labels"] == ["iptc: trainedAlgorithmicMedia"]
    # The labelled original itself: the label is there, nothing was stripped.
    kept = check(bank_server, labelled.getvalue())
    assert "known_fakes.label_stripped" not in [r["code"] for r in kept["reasons"]]
    assert "ai_labels.iptc" in [r["code"] for r in kept["reasons"]]


def test_a_hash_list_is_imported_over_the_api_and_matches_there(
    bank_server: RunningServer, tmp_path: Path
) -> None:
    original = picture(71)
    fake_id = add_fake(bank_server, original, label="Exported fake", person="Jane Example")
    exported = bank_server.request("GET", "/v1/known-fakes/export?format=csv")
    rows = [r for r in exported.body.decode().splitlines() if f",{fake_id}," in r]
    hash_list = ("\n".join([exported.body.decode().splitlines()[0], *rows]) + "\n").encode()
    other = start_server(tmp_path)
    try:
        refused = other.request(
            "POST",
            "/v1/known-fakes/import",
            body=hash_list,
            headers={"Content-Type": "text/csv"},
            key=None,
        )
        assert refused.status == 401
        imported = other.request(
            "POST", "/v1/known-fakes/import", body=hash_list, headers={"Content-Type": "text/csv"}
        )
        assert imported.status == 201, imported.body
        result = imported.json()
        assert result["imported"] == 1 and result["hash_rows"] > 10
        copy = jpeg(original.crop((30, 20, 610, 460)), 60)
        verdict = check(other, copy)
        assert verdict["verdict"] == "likely_scam"
        assert verdict["matches"][0]["label"] == "Exported fake"
        assert verdict["matches"][0]["id"] == result["first_id"]
        # Bare PDQ lines take the label from the query; junk is refused with the line named.
        bare = other.request(
            "POST",
            "/v1/known-fakes/import?label=Partner%20list",
            body=("ab" * 32 + "\n").encode(),
            headers={"Content-Type": "text/plain"},
        )
        assert bare.status == 201
        shown = other.request("GET", f"/v1/known-fakes/{bare.json()['first_id']}").json()
        assert shown["label"] == "Partner list"
        junk = other.request(
            "POST",
            "/v1/known-fakes/import",
            body=b"not a hash\n",
            headers={"Content-Type": "text/plain"},
        )
        assert junk.status == 400 and "line 1" in junk.json()["error"]
        # JSON the parser refuses in ways other than a syntax error is still the sender's fault.
        for hostile in (b'{"format": ' + b"1" * 5000 + b"}", b"[" * 50_000, b'{"x": "\\ud800"}'):
            refused = other.request(
                "POST",
                "/v1/known-fakes/import",
                body=hostile,
                headers={"Content-Type": "application/json"},
            )
            assert refused.status == 400, refused.body[:200]
            assert "cannot be read" in refused.json()["error"]
        wrong_type = other.request(
            "POST", "/v1/known-fakes/import", body=b"x", headers={"Content-Type": "image/png"}
        )
        assert wrong_type.status == 415
    finally:
        other.stop()


def test_a_hash_list_of_several_megabytes_is_read_whole(fresh_server: RunningServer) -> None:
    """The body arrives in many chunks; every line of it must be imported, none cut off."""
    rows = 60_000  # ~5 MB of CSV
    lines = ["signal_type,signal,known_fake_id,label"]
    lines += [f"pdq,{secrets.token_hex(32)},partner-{n},Partner fake {n}" for n in range(rows)]
    body = ("\n".join(lines) + "\n").encode()
    assert len(body) > 4_000_000
    imported = fresh_server.request(
        "POST", "/v1/known-fakes/import", body=body, headers={"Content-Type": "text/csv"}
    )
    assert imported.status == 201, imported.body
    result = imported.json()
    assert result["imported"] == rows
    assert result["last_id"] - result["first_id"] == rows - 1


@pytest.mark.parametrize(
    "entry",
    [
        {"label": "x", "hashes": 5},
        {"label": "x", "hashes": [{"pdq": 5}]},
        {"label": "x", "hashes": [{"pdq": "ab" * 32, "frame": [1]}]},
        {"label": "x", "hashes": [{"pdq": "ab" * 32, "frame": 2**70}]},
        {"label": "x", "hashes": [{"pdq": "ab" * 32, "frame": -1}]},
    ],
)
def test_a_malformed_json_hash_list_is_refused_with_what_is_wrong(
    server: RunningServer, entry: dict[str, object]
) -> None:
    body = json.dumps({"format": "fakewatch.known_fakes.v1", "known_fakes": [entry]}).encode()
    refused = server.request(
        "POST", "/v1/known-fakes/import", body=body, headers={"Content-Type": "application/json"}
    )
    assert refused.status == 400, refused.body
    assert refused.json()["code"] == "validation_failed"
    assert "known_fakes[0].hashes" in refused.json()["error"]


def test_a_csv_hash_list_that_csv_cannot_read_is_a_400_naming_the_line(
    fresh_server: RunningServer,
) -> None:
    """A cell over csv's 131,072-character limit is the sender's fault (400 with the line),
    not a 500; a bare CR ends a row, as in old Mac files, instead of failing the import."""
    pdq = "ab" * 32
    long_cell = f'signal_type,signal,label\npdq,{pdq},"{"x" * 200_000}"\n'
    refused = fresh_server.request(
        "POST",
        "/v1/known-fakes/import",
        body=long_cell.encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert refused.status == 400, refused.body[:200]
    assert refused.json()["code"] == "validation_failed"
    assert "line 2" in refused.json()["error"] and "field limit" in refused.json()["error"]
    bare_cr = f"signal_type,signal,label\rpdq,{pdq},Old Mac list\r"
    imported = fresh_server.request(
        "POST",
        "/v1/known-fakes/import",
        body=bare_cr.encode(),
        headers={"Content-Type": "text/csv"},
    )
    assert imported.status == 201, imported.body[:200]
    shown = fresh_server.request("GET", f"/v1/known-fakes/{imported.json()['first_id']}")
    assert shown.json()["label"] == "Old Mac list"
    fresh_server.stop()
    assert "unhandled error" not in fresh_server.stderr()
