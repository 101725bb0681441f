"""Errors answer in the request's language, as verdicts do; the code never changes with it."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from server.errors import DETAILS, ERROR_CODES, ERROR_MESSAGES
from tests.support.server import RunningServer

ROOT = Path(__file__).resolve().parents[1]
HAN = re.compile(r"[\u4e00-\u9fff]")
LATIN_WORD = re.compile(r"[A-Za-z]{4,}")
#: English words a Chinese sentence may quote: settings, headers, formats, commands.
QUOTED_IN_ZH = re.compile(
    r"FAKEWATCH_[A-Z_]+|Retry-After|Authorization: Bearer KEY|Content-Type: application/json"
    r"|application/json|`[^`]+`|'[a-z_]+'|/openapi\.json|/link|Unicode|Webhook|Ed25519"
    r"|JSON|HTTP|UTF-8|multipart|request id|http\(s\)|https?|JPEG|PNG|WebP|GIF|HEIC|MP4|MOV|WebM"
)


def english_words(sentence: str) -> list[str]:
    return LATIN_WORD.findall(QUOTED_IN_ZH.sub("", sentence))


def test_every_code_has_an_english_and_a_chinese_sentence() -> None:
    source = (ROOT / "server" / "errors.py").read_text(encoding="utf-8")
    defaults = set(re.findall(r'default_code\s*=\s*"([a-z_]+)"', source))
    assert defaults <= set(ERROR_MESSAGES), defaults - set(ERROR_MESSAGES)
    assert set(ERROR_CODES) == set(ERROR_MESSAGES)
    for code, text in ERROR_MESSAGES.items():
        assert set(text) == {"en", "zh"}, code
        assert text["en"].strip() and not HAN.search(text["en"]), code
        assert HAN.search(text["zh"]), code
        assert not english_words(text["zh"]), (code, english_words(text["zh"]))


def test_every_sentence_with_values_names_the_same_values_in_both_languages() -> None:
    def names(template: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name}

    for key, text in DETAILS.items():
        assert set(text) == {"en", "zh"}, key
        assert names(text["en"]) == names(text["zh"]), key
        assert HAN.search(text["zh"]), key


def test_every_said_names_a_sentence_and_gives_it_exactly_its_values() -> None:
    """A wrong key or a missing value would turn a 4xx into a 500 when it is raised."""

    def names(template: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name}

    calls = 0
    for path in sorted((ROOT / "server").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "said"
            ):
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            assert isinstance(node.args[0], ast.Constant), where
            key = node.args[0].value
            assert key in DETAILS, where
            given = {keyword.arg for keyword in node.keywords}
            assert given == names(DETAILS[key]["en"]), (where, key, given)
            calls += 1
    assert calls > 100


def check(server: RunningServer, path: str, **kwargs: object) -> tuple[int, dict, dict]:
    response = server.request("GET", path, **kwargs)  # type: ignore[arg-type]
    return response.status, response.json(), response.headers


@pytest.mark.parametrize(
    ("lang_query", "headers", "content_language"),
    [
        ("&lang=zh", {}, "zh-CN"),
        ("", {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}, "zh-CN"),
        ("&lang=zh-TW", {}, "zh-TW"),
        ("", {"Accept-Language": "zh-HK"}, "zh-HK"),
    ],
)
def test_a_malformed_url_is_refused_in_chinese_with_the_same_code(
    server: RunningServer, lang_query: str, headers: dict[str, str], content_language: str
) -> None:
    path = "/v1/check/link?url=http%3A%2F%2F%3B%2F"
    status_en, english, english_headers = check(server, path)
    status_zh, chinese, chinese_headers = check(server, path + lang_query, headers=headers)
    assert status_en == status_zh == 400
    assert english["code"] == chinese["code"] == "invalid_host"
    assert not HAN.search(english["error"])
    assert english_headers["Content-Language"] == "en"
    assert HAN.search(chinese["error"])
    assert chinese_headers["Content-Language"] == content_language
    if content_language in ("zh-TW", "zh-HK"):
        assert "無效" in chinese["error"]  # Traditional characters
    else:
        assert "无效" in chinese["error"]


def test_a_missing_key_is_refused_in_chinese(server: RunningServer) -> None:
    status, body, headers = check(
        server,
        "/v1/check/link?url=https%3A%2F%2Fexample.com%2F",
        key=None,
        headers={"Accept-Language": "zh-CN"},
    )
    assert (status, body["code"], body["status"]) == (401, "unauthorized", 401)
    assert body["ok"] is False and body["request_id"] == headers["X-Request-Id"]
    assert "Authorization: Bearer KEY" in body["error"]  # what to send, in both languages
    assert HAN.search(body["error"]) and not english_words(body["error"])
    assert headers["Content-Language"] == "zh-CN"


def test_a_wrong_key_is_refused_in_chinese(server: RunningServer) -> None:
    status, body, _ = check(server, "/v1/check/link?url=x&lang=zh", key="not-a-key-we-know")
    assert (status, body["code"]) == (401, "unauthorized")
    assert "密钥无效" in body["error"]


def test_the_query_lang_wins_over_accept_language(server: RunningServer) -> None:
    _, body, headers = check(server, "/nope?lang=en", headers={"Accept-Language": "zh-CN"})
    assert body["code"] == "route_not_found"
    assert body["error"] == "No such route. See /openapi.json for the API."
    assert headers["Content-Language"] == "en"


def test_a_limit_named_in_an_error_is_named_in_chinese_too(server: RunningServer) -> None:
    urls = [f"https://example{i}.com/" for i in range(101)]
    english = server.request("POST", "/v1/check/links", json_body={"urls": urls}).json()
    chinese = server.request("POST", "/v1/check/links", json_body={"urls": urls, "lang": "zh"})
    body = chinese.json()
    assert english["code"] == body["code"] == "validation_failed"
    assert english["field"] == body["field"] == "urls"
    assert "At most 100 URLs" in english["error"]
    assert "100" in body["error"] and HAN.search(body["error"])  # the body's lang counts
    assert chinese.headers["Content-Language"] == "zh-CN"


def test_a_field_named_in_an_error_is_named_in_chinese_too(server: RunningServer) -> None:
    response = server.request(
        "POST",
        "/v1/check/links?lang=zh-TW",
        json_body={"urls": ["https://example.com/"], "surprise": 1},
    )
    body = response.json()
    assert body["code"] == "validation_failed" and body["field"] == "surprise"
    assert "surprise" in body["error"] and "不接受的欄位" in body["error"]
    assert response.headers["Content-Language"] == "zh-TW"


def test_an_id_named_in_an_error_is_named_in_chinese_too(server: RunningServer) -> None:
    english = server.request("DELETE", "/v1/keys/999999").json()
    response = server.request("DELETE", "/v1/keys/999999", headers={"Accept-Language": "zh"})
    chinese = response.json()
    assert english["code"] == chinese["code"] == "not_found"
    assert english["error"] == "No active key with id 999999."
    assert "999999" in chinese["error"] and "有效密钥" in chinese["error"]
    assert not english_words(chinese["error"])


def test_an_error_raised_with_plain_english_keeps_its_detail_in_chinese(
    server: RunningServer,
) -> None:
    """The URL parser says why in English only: the Chinese answer is the code's sentence,
    then that reason as it was said."""
    path = "/v1/check/link?url=http%3A%2F%2F%3B%2F"
    english = server.request("GET", path).json()
    chinese = server.request("GET", path + "&lang=zh").json()
    assert english["code"] == chinese["code"] == "invalid_host"
    assert chinese["error"].startswith(ERROR_MESSAGES["invalid_host"]["zh"])
    assert english["error"] in chinese["error"]


def test_bot_and_extension_branch_on_the_code_not_the_sentence() -> None:
    """Clients show ``error`` but decide on ``code``; the one place that reads the sentence
    (the bot telling a missing route from a missing record on a server from before
    ``route_not_found``) is listed here so that a second one is noticed."""
    readers = []
    for path in [*(ROOT / "bot").rglob("*.py"), *(ROOT / "extension").glob("*.js")]:
        for line in path.read_text(encoding="utf-8").splitlines():
            if re.search(r"(message|\.error)\.(startswith|includes|match|indexOf)\(", line):
                readers.append(f"{path.relative_to(ROOT)}:{line.strip()}")
    assert readers == [
        'bot/api.py:no_route = code in ("route_not_found", "method_not_allowed") or'
        " message.startswith("
    ]
