"""AI-content labels: generated files carrying each kind of label, decoded the way the
server decodes uploads, then read and turned into evidence."""

from __future__ import annotations

import datetime
import io
import json

import pytest
from PIL import Image, PngImagePlugin

from server.detectors.ai_labels import (
    DECLARED_WEIGHT,
    TRACE_WEIGHT,
    UNSURE_WEIGHT,
    AiLabelsDetector,
    evidence_for,
    gb45438_json,
    xmp_packet,
)
from server.i18n import LANGUAGES
from server.media.decode import DecodeLimits, decode_media
from server.media.labels import LabelKind, read_labels
from server.scoring.combiner import Verdict, combine
from server.scoring.evidence import Role
from server.scoring.render import Renderer


def _picture() -> Image.Image:
    return Image.new("RGB", (64, 48), (90, 140, 200))


def _png(**chunks: str) -> bytes:
    info = PngImagePlugin.PngInfo()
    for key, value in chunks.items():
        info.add_text(key, value)
    buffer = io.BytesIO()
    _picture().save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def _jpeg(xmp: str = "", software: str = "", user_comment: bytes = b"") -> bytes:
    exif = Image.Exif()
    if software:
        exif[0x0131] = software
    if user_comment:
        exif.get_ifd(0x8769)[0x9286] = user_comment
    buffer = io.BytesIO()
    kwargs: dict[str, object] = {"exif": exif.tobytes()}
    if xmp:
        kwargs["xmp"] = xmp.encode("utf-8")
    _picture().save(buffer, format="JPEG", quality=90, **kwargs)
    return buffer.getvalue()


def _labels(data: bytes):  # type: ignore[no-untyped-def]
    item = decode_media(data, DecodeLimits())
    return read_labels(item.metadata, item.raw, item.mime)


def test_a1111_generation_record_in_a_png_chunk_is_a_trace() -> None:
    labels = _labels(_png(parameters="a portrait\nSteps: 28, Sampler: DPM++ 2M, Seed: 42"))
    assert [(x.standard, x.kind) for x in labels] == [("png_text", LabelKind.TRACE)]
    assert labels[0].location == "PNG text chunk 'parameters'"
    assert "AUTOMATIC1111" in labels[0].generator


def test_comfyui_workflow_chunks_are_a_trace() -> None:
    labels = _labels(_png(prompt=json.dumps({"3": {"class_type": "KSampler"}}), workflow="{}"))
    assert {x.generator for x in labels} == {"ComfyUI"}


def test_ordinary_png_text_is_not_a_label() -> None:
    assert _labels(_png(parameters="exposure 1/125", Title="holiday", Software="GIMP 2.10")) == ()


def test_iptc_digital_source_type_in_xmp_is_declared() -> None:
    labels = _labels(_jpeg(xmp=xmp_packet("trainedAlgorithmicMedia")))
    assert [(x.standard, x.value, x.kind) for x in labels] == [
        ("iptc", "trainedAlgorithmicMedia", LabelKind.DECLARED)
    ]
    assert labels[0].location == "XMP Iptc4xmpExt:DigitalSourceType"


@pytest.mark.parametrize("code", ["compositeSynthetic", "compositeWithTrainedAlgorithmicMedia"])
def test_composite_source_types_count(code: str) -> None:
    assert [x.value for x in _labels(_jpeg(xmp=xmp_packet(code)))] == [code]


def test_a_camera_source_type_is_not_a_label() -> None:
    assert _labels(_jpeg(xmp=xmp_packet("digitalCapture"))) == ()


def test_exif_software_naming_a_generator_is_a_trace() -> None:
    labels = _labels(_jpeg(software="Adobe Firefly Image 3"))
    assert [(x.location, x.generator) for x in labels] == [("EXIF Software", "Adobe Firefly")]
    assert _labels(_jpeg(software="Adobe Photoshop 25.0 (Windows)")) == ()


def test_sd_webui_record_in_exif_user_comment_is_a_trace() -> None:
    labels = _labels(_jpeg(user_comment=b"ASCII\0\0\0a castle, Steps: 20, Sampler: Euler a"))
    assert [x.location for x in labels] == ["EXIF UserComment"]


def test_gb45438_implicit_label_in_xmp() -> None:
    aigc = gb45438_json("1", "豆包 Doubao").replace('"', "&quot;")
    xmp = xmp_packet(
        "digitalCapture",
        extra=f'<TC260:AIGC xmlns:TC260="http://www.tc260.org.cn/ns/AIGC/1.0/">{aigc}</TC260:AIGC>',
    )
    labels = _labels(_jpeg(xmp=xmp))
    assert [(x.standard, x.value, x.generator) for x in labels] == [
        ("gb45438", "Label=1", "Doubao (豆包)")
    ]


def test_gb45438_label_in_a_png_chunk_and_its_weight_when_unsure() -> None:
    sure = evidence_for(_labels(_png(AIGC=json.dumps({"AIGC": json.loads(gb45438_json("1"))}))))
    unsure = evidence_for(_labels(_png(AIGC=gb45438_json("3", "some platform"))))
    assert [(e.code, e.weight) for e in sure] == [("ai_labels.gb45438", DECLARED_WEIGHT)]
    assert [(e.code, e.weight) for e in unsure] == [("ai_labels.gb45438", UNSURE_WEIGHT)]
    assert unsure[0].details["label"]["meaning"] == "suspected generated"


def test_a_plain_photo_has_no_label() -> None:
    assert _labels(_jpeg()) == ()


def _signed_c2pa_jpeg(generator: str, source_type: str) -> bytes:
    """A JPEG with a C2PA manifest signed offline by a throwaway test CA."""
    c2pa = pytest.importorskip("c2pa")
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    def name(cn: str) -> x509.Name:
        return x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, cn),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "FakeWatch tests"),
            ]
        )

    now = datetime.datetime.now(datetime.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("test CA"))
        .issuer_name(name("test CA"))
        .public_key(ca_key.public_key())
        .serial_number(1)
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), True
        )
        .sign(ca_key, hashes.SHA256())
    )
    leaf = (
        x509.CertificateBuilder()
        .subject_name(name("test signer"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(2)
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False), True
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    signer = c2pa.Signer.from_info(
        c2pa.C2paSignerInfo(
            alg=b"es256",
            sign_cert=leaf.public_bytes(pem) + ca.public_bytes(pem),
            private_key=key.private_bytes(
                pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ),
            ta_url=None,  # no timestamp authority: the test never leaves the machine
        )
    )
    manifest = {
        "claim_generator_info": [{"name": generator, "version": "1.0"}],
        "title": "generated.jpg",
        "format": "image/jpeg",
        "assertions": [
            {
                "label": "c2pa.actions",
                "data": {
                    "actions": [
                        {
                            "action": "c2pa.created",
                            "digitalSourceType": "http://cv.iptc.org/newscodes/"
                            f"digitalsourcetype/{source_type}",
                        }
                    ]
                },
            }
        ],
    }
    source, signed = io.BytesIO(_jpeg()), io.BytesIO()
    with c2pa.Builder(json.dumps(manifest)) as builder:
        builder.sign(signer, "image/jpeg", source, signed)
    return signed.getvalue()


def test_c2pa_manifest_declaring_generated_media() -> None:
    labels = _labels(_signed_c2pa_jpeg("Adobe Firefly", "trainedAlgorithmicMedia"))
    c2pa_labels = [x for x in labels if x.standard == "c2pa"]
    assert len(c2pa_labels) == 1
    label = c2pa_labels[0]
    assert (label.value, label.generator, label.kind) == (
        "trainedAlgorithmicMedia",
        "Adobe Firefly",
        LabelKind.DECLARED,
    )
    # Our throwaway CA is on no trust list: the details say so rather than hide it.
    assert label.extra["validation"] == "signature not on a trust list"
    assert label.extra["signed_by"] == "FakeWatch tests"


def test_c2pa_manifest_of_a_camera_capture_is_not_a_label() -> None:
    labels = _labels(_signed_c2pa_jpeg("Leica camera", "digitalCapture"))
    assert [x for x in labels if x.standard == "c2pa"] == []


def test_evidence_per_standard_is_supporting_with_both_languages(engine) -> None:  # type: ignore[no-untyped-def]
    xmp = xmp_packet("trainedAlgorithmicMedia")
    labels = _labels(_jpeg(xmp=xmp, software="Midjourney"))
    evidence = evidence_for(labels)
    assert [(e.code, e.weight) for e in evidence] == [
        ("ai_labels.iptc", DECLARED_WEIGHT),
        ("ai_labels.generator_trace", TRACE_WEIGHT),
    ]
    assert all(e.role is Role.SUPPORTING for e in evidence)
    assert len(evidence[0].details["labels"]) == 2
    # Labels alone never make a verdict worse than suspicious ("made with AI" is no scam).
    assert combine(evidence).verdict in (Verdict.NO_KNOWN_SIGNALS, Verdict.SUSPICIOUS)
    renderer = Renderer([AiLabelsDetector(engine.resources)])
    for lang in LANGUAGES:
        for piece in evidence:
            text = renderer.message(piece, lang)
            assert "{" not in text and len(text) > 20
    assert "IPTC DigitalSourceType trainedAlgorithmicMedia" in renderer.message(evidence[0], "en")


def test_detector_reads_the_item_once(engine) -> None:  # type: ignore[no-untyped-def]
    item = decode_media(_png(parameters="Steps: 20, Sampler: Euler, Seed: 1"), DecodeLimits())
    detector = AiLabelsDetector(engine.resources)
    first, second = detector.score(item), detector.score(item)
    assert [e.code for e in first] == ["ai_labels.generator_trace"]
    assert first == second
