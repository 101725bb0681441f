"""One error shape for every failure, with a stable code; never a 500."""

from __future__ import annotations

import pytest

from tests.support.server import RunningServer

SHAPE = {"ok", "error", "code", "status", "request_id"}
NON_UTF8_FIELD = {
    "body": b'--B\r\nContent-Disposition: form-data; name="\xff"\r\n\r\nx\r\n--B--\r\n',
    "headers": {"Content-Type": "multipart/form-data; boundary=B"},
}

#: Found by schemathesis: a text field sent twice (``lang`` as an array) was taken as the last.
REPEATED_FIELD = {
    "body": b'--B\r\nContent-Disposition: form-data; name="lang"\r\n\r\nen\r\n'
    b'--B\r\nContent-Disposition: form-data; name="lang"\r\n\r\nzh\r\n--B--\r\n',
    "headers": {"Content-Type": "multipart/form-data; boundary=B"},
}


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "code"),
    [
        ("GET", "/nope", {}, 404, "route_not_found"),
        ("DELETE", "/v1/check/links", {}, 405, "method_not_allowed"),
        ("GET", "/v1/check/link", {}, 400, "validation_failed"),
        ("GET", "/v1/check/link?url=x&extra=1", {}, 400, "validation_failed"),
        ("GET", "/v1/check/link?url=javascript%3Ax", {}, 400, "unsupported_scheme"),
        ("GET", "/v1/check/link?url=http%3A%2F%2F%3B%2F", {}, 400, "invalid_host"),
        (
            "POST",
            "/v1/check/links",
            {"body": b"{not json", "headers": {"Content-Type": "application/json"}},
            400,
            "invalid_json",
        ),
        (
            "POST",
            "/v1/check/links",
            {"body": b"\xff\xfe", "headers": {"Content-Type": "application/json"}},
            400,
            "invalid_json",
        ),
        (
            "POST",
            "/v1/check/links",
            {"body": b"[" * 20_000, "headers": {"Content-Type": "application/json"}},
            400,
            "invalid_json",
        ),
        (
            "POST",
            "/v1/check/links",
            {"body": b"urls=x", "headers": {"Content-Type": "application/x-www-form-urlencoded"}},
            415,
            "unsupported_media_type",
        ),
        ("POST", "/v1/check/links", {"json_body": []}, 400, "validation_failed"),
        ("POST", "/v1/check/links", {"json_body": {}}, 400, "validation_failed"),
        ("POST", "/v1/check/links", {"json_body": {"urls": []}}, 400, "validation_failed"),
        ("POST", "/v1/check/links", {"json_body": {"urls": [1]}}, 400, "validation_failed"),
        (
            "POST",
            "/v1/check/links",
            {"json_body": {"urls": "https://x.example"}},
            400,
            "validation_failed",
        ),
        (
            "POST",
            "/v1/check/links",
            {"json_body": {"urls": ["x"], "surprise": True}},
            400,
            "validation_failed",
        ),
        (
            "POST",
            "/v1/check/links",
            {"json_body": {"urls": ["http://a.example/" + "a" * 70_000]}},  # past any URL field
            400,
            "validation_failed",
        ),
        (
            "POST",
            "/v1/check/links",
            {
                "body": b'{"urls": ["' + b"a" * 1_100_000 + b'"]}',
                "headers": {"Content-Type": "application/json"},
            },
            413,
            "payload_too_large",
        ),
        *(
            (
                "POST",
                path,
                {  # an integer past Python's 4,300-digit int/str limit: ValueError, not 500
                    "body": b'{"' + field + b'": ' + b"1" * 5000 + b"}",
                    "headers": {"Content-Type": "application/json"},
                },
                400,
                "invalid_json",
            )
            for path, field in (
                ("/v1/check/links", b"urls"),
                ("/v1/keys", b"role"),
                ("/v1/reports", b"kind"),
            )
        ),
        *(
            (  # JSON may spell a lone surrogate; no UTF-8 writer can encode it: not a 500
                "POST",
                path,
                {"body": body, "headers": {"Content-Type": "application/json"}},
                400,
                "invalid_json",
            )
            for path, body in (
                ("/v1/check/links", b'{"urls": ["http://a\\ud800.example/"]}'),
                ("/v1/keys", b'{"role": "client", "label": "a\\udc00"}'),
            )
        ),
        ("GET", "/v1/check/link?url=x", {"key": "wrong"}, 401, "unauthorized"),
        ("GET", "/v1/check/link?url=x", {"key": None}, 401, "unauthorized"),
        ("POST", "/v1/keys", {"json_body": {"role": "root"}}, 400, "validation_failed"),
        ("DELETE", "/v1/keys/999999", {}, 404, "not_found"),
        ("DELETE", "/v1/keys/abc", {}, 404, "not_found"),
        ("GET", "/v1/lists/entries?limit=0", {}, 400, "validation_failed"),
        # A field name that is not UTF-8 is quoted back in the error (as an escaped
        # surrogate): the answer must still encode, in English and in Chinese.
        ("POST", "/v1/check/media", NON_UTF8_FIELD, 400, "validation_failed"),
        ("POST", "/v1/check/media", REPEATED_FIELD, 400, "repeated_field"),
        ("POST", "/v1/check/media?lang=zh", NON_UTF8_FIELD, 400, "validation_failed"),
        ("POST", "/v1/known-fakes", NON_UTF8_FIELD, 400, "validation_failed"),
    ],
)
def test_failures_have_one_shape_and_a_stable_code(
    server: RunningServer, method: str, path: str, kwargs: dict, status: int, code: str
) -> None:
    response = server.request(method, path, **kwargs)
    assert response.status == status, response.body[:300]
    body = response.json()
    assert set(body) >= SHAPE
    assert body["ok"] is False
    assert body["code"] == code
    assert body["status"] == status
    assert body["request_id"] == response.headers["X-Request-Id"]
    assert body["error"].strip()


def test_a_caller_supplied_request_id_is_echoed(server: RunningServer) -> None:
    response = server.request("GET", "/nope", headers={"X-Request-Id": "trace-42"})
    assert response.json()["request_id"] == "trace-42"


def test_a_hostile_request_id_is_replaced(server: RunningServer) -> None:
    response = server.request("GET", "/nope", headers={"X-Request-Id": "x" * 500})
    assert response.json()["request_id"] != "x" * 500


def test_the_server_still_answers_after_the_bad_input(server: RunningServer) -> None:
    assert server.request("GET", "/healthz", key=None).json()["ok"] is True
    assert "Traceback" not in server.stderr()
