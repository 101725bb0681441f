"""The API's exception tree, rendered by one middleware as
``{"ok": false, "error", "code", "status", "request_id"}``.

    ApiError                      (500 internal_error — only for bugs; never raised on purpose)
    ├── BadRequest                400 bad_request
    │   ├── InvalidJson           400 invalid_json
    │   ├── ValidationFailed      400 validation_failed   (a field is missing, wrong or unknown)
    │   └── InvalidUrlError       400 invalid_url / invalid_host / unsupported_scheme / …
    ├── Unauthorized              401 unauthorized        (no key, or a key we don't know)
    ├── Forbidden                 403 forbidden           (a key without the role)
    ├── NotFound                  404 not_found
    ├── MethodNotAllowed          405 method_not_allowed
    ├── Conflict                  409 conflict / case_state  (the record's state forbids it)
    ├── PayloadTooLarge           413 payload_too_large
    ├── UnprocessableContent      422 enrol_no_face / enrol_several_faces / …  (readable, unusable)
    ├── UnsupportedMediaType      415 unsupported_media_type
    ├── RateLimited               429 rate_limited        (with Retry-After)
    │   └── ServerBusy            503 busy                (with Retry-After: at capacity, try again)
    └── MediaError                400 media_unreadable / media_empty
        ├── MediaTooLarge         413 media_too_large / media_too_many_pixels / media_too_long
        └── MediaUnsupported      415 media_unsupported

Codes are stable: clients (the bot, the extension) branch on ``code``, never on ``error``.
The ``error`` text says what to do about it, in the request's language (``?lang=``,
``Accept-Language``, a JSON body's ``lang``) like a verdict: each code has an English and a
Chinese sentence in ``ERROR_MESSAGES``, and an error that names a field or a limit is raised
with ``said(key, **values)``, a sentence of ``DETAILS`` that keeps those values in every
language. An error raised with a plain English string answers in Chinese with its code's
sentence followed by that string (its detail), until its raise site moves to ``said``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

#: A value in a ``said`` sentence that itself differs by language: ``{"en": …, "zh": …}``.
Words = Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Said:
    """A sentence of ``DETAILS`` with the values it names (a field, a limit, a wait)."""

    key: str
    values: Mapping[str, object]

    def text(self, lang: str, region: str | None = None) -> str:
        """The sentence in ``lang``; ``region`` (``"tw"``/``"hk"``) converts its Chinese words
        to Traditional characters, never the values it quotes."""
        entry = DETAILS[self.key]
        template = entry.get(lang) or entry["en"]
        values = {
            name: _in(value, lang, region) if isinstance(value, Mapping) else value
            for name, value in self.values.items()
        }
        if region is not None and lang == "zh":
            template = _traditional(template, region)
        return template.format(**values)


def said(key: str, /, **values: object) -> Said:
    """An error sentence that names values: ``ValidationFailed(said("field_required",
    field="urls"), field="urls")``. ``key`` is a row of ``DETAILS``."""
    if key not in DETAILS:
        raise KeyError(f"no error sentence {key!r} in server.errors.DETAILS")
    return Said(key, values)


def _in(words: Mapping[str, Any], lang: str, region: str | None) -> str:
    text = str(words.get(lang) or words["en"])
    return _traditional(text, region) if region is not None and lang == "zh" else text


def _traditional(text: str, region: str) -> str:
    from server.traditional import to_traditional  # OpenCC's tables load on first use

    return to_traditional(text, region)


class ApiError(Exception):
    status: ClassVar[int] = 500
    default_code: ClassVar[str] = "internal_error"

    def __init__(self, message: str | Said, *, code: str | None = None, **extra: Any) -> None:
        self.said = message if isinstance(message, Said) else None
        self.message = message.text("en") if isinstance(message, Said) else message
        super().__init__(self.message)
        self.code = code or self.default_code
        self.extra = extra

    def text(self, lang: str, region: str | None = None) -> str:
        """What ``error`` says in ``lang`` (``region``: Traditional characters, see ``Said``)."""
        if self.said is not None:
            return self.said.text(lang, region)
        if lang == "en":
            return self.message
        entry = ERROR_MESSAGES.get(self.code) or ERROR_MESSAGES[self.default_code]
        sentence = entry.get(lang) or entry["en"]
        if region is not None and lang == "zh":
            sentence = _traditional(sentence, region)
        if not self.message or self.message == entry["en"]:
            return sentence
        # Raised with an English string: its detail (a limit, a name) follows, as it was said.
        return f"{sentence}（{self.message}）"


class BadRequest(ApiError):
    status = 400
    default_code = "bad_request"


class InvalidJson(BadRequest):
    default_code = "invalid_json"


class ValidationFailed(BadRequest):
    default_code = "validation_failed"


class InvalidUrlError(BadRequest):
    default_code = "invalid_url"


class Unauthorized(ApiError):
    status = 401
    default_code = "unauthorized"


class Forbidden(ApiError):
    status = 403
    default_code = "forbidden"


class NotFound(ApiError):
    status = 404
    default_code = "not_found"


class MethodNotAllowed(ApiError):
    status = 405
    default_code = "method_not_allowed"


class Conflict(ApiError):
    status = 409
    default_code = "conflict"


class UnprocessableContent(ApiError):
    """The input is well-formed but cannot be used for this (an enrolment photo with no face)."""

    status = 422
    default_code = "unprocessable"


class PayloadTooLarge(ApiError):
    status = 413
    default_code = "payload_too_large"


class UnsupportedMediaType(ApiError):
    status = 415
    default_code = "unsupported_media_type"


class RateLimited(ApiError):
    status = 429
    default_code = "rate_limited"

    def __init__(self, message: str | Said, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class AlertSubscriptionsFull(RateLimited):
    """The key holds as many live retroactive subscriptions as the server allows."""

    default_code = "alert_subscriptions_full"


class ServerBusy(RateLimited):
    """The server is at its limit of concurrent work of this kind; nothing was queued."""

    status = 503
    default_code = "busy"


class MediaError(ApiError):
    """Media we will not decode; ``code`` says why (see the ``media_*`` codes below).

    Raised by ``server.media.decode`` (and the video sampler) so the API, the CLI and the bot
    share one set of reasons; the subclasses only change the HTTP status.
    """

    status = 400
    default_code = "media_unreadable"


class MediaTooLarge(MediaError):
    status = 413
    default_code = "media_too_large"


class MediaUnsupported(MediaError):
    status = 415
    default_code = "media_unsupported"


#: Every code the API can answer with, and what it says in each language: the sentence an
#: error without its own detail carries (``ApiError.text``), for the README and its test too.
#: Each one says what to do about it.
ERROR_MESSAGES: dict[str, dict[str, str]] = {
    "bad_request": {
        "en": "The request is malformed; check it against /openapi.json and send it again.",
        "zh": "请求格式有误；请对照 /openapi.json 检查后重新发送。",
    },
    "invalid_json": {
        "en": "The body is not valid JSON (or not UTF-8); send a UTF-8 JSON body.",
        "zh": "请求体不是有效的 JSON（或不是 UTF-8 编码）；请发送 UTF-8 编码的 JSON。",
    },
    "validation_failed": {
        "en": "A field is missing, has the wrong type, is out of range, or is unknown;"
        " correct it and send the request again.",
        "zh": "有字段缺失、类型错误、超出范围或不被接受；请更正后重新发送。",
    },
    "too_many_parts": {
        "en": "The multipart body has more parts than the route takes (a report: 'report' and"
        " 'file'); send only those.",
        "zh": "multipart 请求体的部分多于该接口接受的数量（举报只接受 'report' 和 'file'）；"
        "请只发送这些部分。",
    },
    "repeated_field": {
        "en": "A multipart part (or field) is sent more than once; send each once.",
        "zh": "multipart 的某个部分（或字段）重复发送了；每个只发送一次。",
    },
    "invalid_url": {
        "en": "The URL cannot be read; send a complete http(s) address.",
        "zh": "无法读取该链接；请发送完整的 http(s) 地址。",
    },
    "url_too_long": {
        "en": "The URL is longer than FAKEWATCH_MAX_URL_LENGTH; send a shorter address.",
        "zh": "链接长度超过 FAKEWATCH_MAX_URL_LENGTH；请发送更短的地址。",
    },
    "unsupported_scheme": {
        "en": "Only http and https links can be checked; send an http(s) address.",
        "zh": "只能检查 http 和 https 链接；请发送 http(s) 地址。",
    },
    "invalid_host": {
        "en": "The host name or IP address is not valid; check the address and send it again.",
        "zh": "主机名或 IP 地址无效；请检查地址后重新发送。",
    },
    "invalid_port": {
        "en": "The port is not a number from 0 to 65535; correct the address.",
        "zh": "端口不是 0 到 65535 之间的数字；请更正地址。",
    },
    "unauthorized": {
        "en": "No API key, or a key this server does not know: send 'Authorization: Bearer KEY'"
        " (create one with `fakewatch keys create`).",
        "zh": "缺少 API 密钥，或本服务器不认识该密钥：请发送 'Authorization: Bearer KEY'"
        "（用 `fakewatch keys create` 创建）。",
    },
    "forbidden": {
        "en": "The key is valid but its role may not do this; use a key with the needed role.",
        "zh": "密钥有效，但其角色无权执行此操作；请使用具有相应角色的密钥。",
    },
    "not_found": {
        "en": "No such route or record; check the path and id (see /openapi.json).",
        "zh": "没有这个接口或记录；请检查路径和编号（见 /openapi.json）。",
    },
    "method_not_allowed": {
        "en": "The route exists but not with this HTTP method; see /openapi.json.",
        "zh": "该接口存在，但不接受这个 HTTP 方法；请查看 /openapi.json。",
    },
    "payload_too_large": {
        "en": "The body is larger than FAKEWATCH_MAX_BODY_BYTES; send less at once.",
        "zh": "请求体超过 FAKEWATCH_MAX_BODY_BYTES；请减少单次发送的内容。",
    },
    "unsupported_media_type": {
        "en": "The body must be sent as application/json; set 'Content-Type: application/json'.",
        "zh": "请求体必须以 application/json 发送；请设置 'Content-Type: application/json'。",
    },
    "rate_limited": {
        "en": "Too many requests; wait for Retry-After seconds and try again.",
        "zh": "请求过多；请等待 Retry-After 秒后再试。",
    },
    "busy": {
        "en": "The server is at capacity (as many media checks as it runs at once, or the"
        " database busy with another write); try again after Retry-After seconds.",
        "zh": "服务器正忙（同时进行的媒体检查已达上限，或数据库正在处理其他写入）；"
        "请在 Retry-After 秒后重试。",
    },
    "alert_subscriptions_full": {
        "en": "The key holds FAKEWATCH_ALERT_SUBSCRIPTIONS_PER_KEY live retroactive alert"
        " subscriptions; retry after Retry-After seconds, when its oldest expires (an operator"
        " can raise the limit).",
        "zh": "该密钥的有效追溯提醒订阅已达 FAKEWATCH_ALERT_SUBSCRIPTIONS_PER_KEY 个；"
        "请在 Retry-After 秒后（最早的订阅到期时）重试（运营者可以提高上限）。",
    },
    "conflict": {
        "en": "The record's current state does not allow this change; read it again and decide.",
        "zh": "记录的当前状态不允许此更改；请重新读取记录后再决定。",
    },
    "case_state": {
        "en": "The case's status does not allow this moderator action; see its status.",
        "zh": "案件的当前状态不允许此审核操作；请查看其状态。",
    },
    "not_an_operator_entry": {
        "en": "Only operator list entries are retired by id; for a feed's, the community's or a"
        " peer's entry, allow the site or retire the case instead.",
        "zh": "只有运营者添加的名单条目可以按编号撤下；来自订阅源、社区或对等服务器的条目，"
        "请改为放行该网站或撤销案件。",
    },
    "webhook_private_target": {
        "en": "The webhook URL points at a private, loopback or link-local address; use a public"
        " address, or set FAKEWATCH_WEBHOOK_ALLOW_PRIVATE to allow it.",
        "zh": "Webhook 地址指向私有、回环或链路本地地址；请使用公网地址，"
        "或设置 FAKEWATCH_WEBHOOK_ALLOW_PRIVATE 允许它。",
    },
    "federation_signature": {
        "en": "The federation message is malformed or its Ed25519 signature does not match the"
        " key it names; send it signed with that key.",
        "zh": "联邦消息格式有误，或其 Ed25519 签名与所声明的密钥不符；请用该密钥签名后发送。",
    },
    "federation_unknown_peer": {
        "en": "The federation message is signed by a key no configured peer has; add the peer"
        " with `fakewatch federation peers add`.",
        "zh": "联邦消息的签名密钥不属于任何已配置的对等服务器；"
        "请用 `fakewatch federation peers add` 添加该对等服务器。",
    },
    "relay_code_invalid": {
        "en": "The link code is unknown, used or expired; ask the bot for a new one with /link.",
        "zh": "关联码无效、已使用或已过期；请用 /link 向机器人索取新的关联码。",
    },
    "relay_token_invalid": {
        "en": "The relay token is revoked or unknown; link the browser again with /link.",
        "zh": "转发令牌已撤销或无效；请用 /link 重新关联浏览器。",
    },
    "media_empty": {
        "en": "The uploaded file is empty (0 bytes); send the file again.",
        "zh": "上传的文件是空的（0 字节）；请重新发送文件。",
    },
    "media_unreadable": {
        "en": "The file is truncated, corrupt or not the format its first bytes claim; send the"
        " original file.",
        "zh": "文件不完整、已损坏，或与其开头声明的格式不符；请发送原始文件。",
    },
    "media_too_large": {
        "en": "The file is larger than FAKEWATCH_MAX_MEDIA_BYTES; send a smaller file.",
        "zh": "文件超过 FAKEWATCH_MAX_MEDIA_BYTES；请发送更小的文件。",
    },
    "media_too_many_pixels": {
        "en": "The image or video frame has more pixels than FAKEWATCH_MAX_MEDIA_PIXELS"
        " (decompression-bomb guard); send a smaller image.",
        "zh": "图片或视频帧的像素数超过 FAKEWATCH_MAX_MEDIA_PIXELS（防解压炸弹）；请发送更小的图片。",
    },
    "media_too_long": {
        "en": "The video is longer than FAKEWATCH_MAX_VIDEO_SECONDS; send a shorter clip.",
        "zh": "视频时长超过 FAKEWATCH_MAX_VIDEO_SECONDS；请发送更短的片段。",
    },
    "media_low_information": {
        "en": "The media decodes but is too flat, small or featureless to hash for the"
        " known-fakes bank; send a clearer, larger picture.",
        "zh": "媒体可以解码，但过于单调、过小或缺少特征，无法为已知伪造库计算哈希；"
        "请发送更清晰、更大的图片。",
    },
    "media_unsupported": {
        "en": "Not a supported format: send a JPEG, PNG, WebP, GIF or HEIC image, or an MP4, MOV"
        " or WebM video.",
        "zh": "不支持该格式：请发送 JPEG、PNG、WebP、GIF 或 HEIC 图片，或 MP4、MOV、WebM 视频。",
    },
    "unprocessable": {
        "en": "The input is well-formed but cannot be used for this request; send different input.",
        "zh": "输入格式正确，但无法用于此请求；请换一份输入。",
    },
    "enrol_no_face": {
        "en": "The enrolment photo shows no face; send a clear, front-facing photo.",
        "zh": "登记照片中没有人脸；请发送清晰的正面照片。",
    },
    "enrol_several_faces": {
        "en": "The enrolment photo shows several faces; crop it to the one person.",
        "zh": "登记照片中有多张人脸；请裁剪到只剩这一个人。",
    },
    "enrol_face_too_small": {
        "en": "The face in the enrolment photo is too small to identify; send a closer photo.",
        "zh": "登记照片中的人脸太小，无法识别；请发送近一些的照片。",
    },
    "enrol_face_of_another_person": {
        "en": "The enrolment photo's face already matches another protected person; check that"
        " it is the right person.",
        "zh": "登记照片中的人脸已与另一位受保护人物匹配；请确认是否为同一个人。",
    },
    "enrol_not_a_photo": {
        "en": "Faces are enrolled from one still photo, not a video or an animation; send a photo.",
        "zh": "人脸只能从一张静态照片登记，不能用视频或动图；请发送照片。",
    },
    "internal_error": {
        "en": "Something broke on our side; the request id identifies it in the server log.",
        "zh": "服务器内部出错；请求编号（request id）可在服务器日志中定位该错误。",
    },
}

#: Every code the API can answer with (its English sentence), for the README and its test.
ERROR_CODES: dict[str, str] = {code: text["en"] for code, text in ERROR_MESSAGES.items()}

#: Error sentences that name values (``said(key, **values)``): the same values in every
#: language. ``{what}``-style values given as ``{"en": …, "zh": …}`` are words, not data.
DETAILS: dict[str, dict[str, str]] = {
    # Bodies and query strings (server/api/body.py)
    "send_json": {
        "en": "Send the body as JSON with 'Content-Type: application/json'.",
        "zh": "请以 JSON 发送请求体，并设置 'Content-Type: application/json'。",
    },
    "body_too_large": {
        "en": "The body is larger than {limit} bytes (FAKEWATCH_MAX_BODY_BYTES); send less at"
        " once.",
        "zh": "请求体超过 {limit} 字节（FAKEWATCH_MAX_BODY_BYTES）；请减少单次发送的内容。",
    },
    "body_not_object": {
        "en": "The body must be a JSON object ({{...}}).",
        "zh": "请求体必须是 JSON 对象（{{...}}）。",
    },
    "unknown_fields": {
        "en": "Unknown field(s): {unknown}. Allowed: {allowed}.",
        "zh": "不接受的字段：{unknown}。可用字段：{allowed}。",
    },
    "field_required": {
        "en": "The field '{field}' is required.",
        "zh": "缺少必填字段 '{field}'。",
    },
    "json_too_deep": {
        "en": "{what} nests arrays or objects too deeply; flatten it.",
        "zh": "{what}中的数组或对象嵌套过深；请减少嵌套层数。",
    },
    "json_invalid": {
        "en": "{what} is not valid JSON: {error}.",
        "zh": "{what}不是有效的 JSON：{error}。",
    },
    "json_surrogate": {
        "en": "{what} holds text that is not valid Unicode (a lone surrogate); send valid text.",
        "zh": "{what}含有无效的 Unicode 文本（单独的代理字符）；请发送有效的文本。",
    },
    "unknown_query": {
        "en": "Unknown query parameter(s): {unknown}. Allowed: {allowed}.",
        "zh": "不接受的查询参数：{unknown}。可用参数：{allowed}。",
    },
    "query_repeated": {
        "en": "The query parameter '{field}' is given more than once; give it once.",
        "zh": "查询参数 '{field}' 出现了不止一次；请只给一次。",
    },
    "field_not_string": {
        "en": "'{field}' must be a string.",
        "zh": "'{field}' 必须是字符串。",
    },
    "field_length": {
        "en": "'{field}' must be {low} to {high} characters long.",
        "zh": "'{field}' 的长度必须在 {low} 到 {high} 个字符之间。",
    },
    "field_not_whole_number": {
        "en": "'{field}' must be a whole number.",
        "zh": "'{field}' 必须是整数。",
    },
    "field_out_of_range": {
        "en": "'{field}' must be between {low} and {high}.",
        "zh": "'{field}' 必须在 {low} 到 {high} 之间。",
    },
    # Keys (server/api/auth.py)
    "key_needed": {
        "en": "This needs an API key: send 'Authorization: Bearer KEY' (create one with"
        " `fakewatch keys create`).",
        "zh": "此操作需要 API 密钥：请发送 'Authorization: Bearer KEY'"
        "（用 `fakewatch keys create` 创建）。",
    },
    "key_not_valid": {
        "en": "The API key is not valid (unknown or revoked); use a current key.",
        "zh": "API 密钥无效（未知或已撤销）；请使用有效的密钥。",
    },
    "key_header_format": {
        "en": "Send the key as 'Authorization: Bearer KEY'.",
        "zh": "请以 'Authorization: Bearer KEY' 的形式发送密钥。",
    },
    "key_role": {
        "en": "This needs a {needed} key; this key's role is {role}.",
        "zh": "此操作需要 {needed} 角色的密钥；该密钥的角色是 {role}。",
    },
    "wrong_keys_wait": {
        "en": "Too many wrong keys; try again in {wait} s.",
        "zh": "错误的密钥过多；请在 {wait} 秒后重试。",
    },
    "requests_wait": {
        "en": "Too many requests; try again in {wait} s.",
        "zh": "请求过多；请在 {wait} 秒后重试。",
    },
    # Link checks (server/api/checks.py)
    "urls_not_list": {
        "en": "'urls' must be a non-empty list of strings.",
        "zh": "'urls' 必须是非空的字符串列表。",
    },
    "too_many_urls": {
        "en": "At most {limit} URLs per request; split the batch.",
        "zh": "每次请求最多 {limit} 个链接；请分批发送。",
    },
    # What the server itself says (server/api/middleware.py)
    "no_route": {
        "en": "No such route. See /openapi.json for the API.",
        "zh": "没有这个接口。接口说明见 /openapi.json。",
    },
    "no_method": {
        "en": "This route does not accept that method. See /openapi.json.",
        "zh": "该接口不接受这个方法。请查看 /openapi.json。",
    },
    "request_too_large": {
        "en": "The request body is too large; send less at once.",
        "zh": "请求体过大；请减少单次发送的内容。",
    },
    "database_busy": {
        "en": "The database is busy with another write; try again after Retry-After seconds.",
        "zh": "数据库正在处理其他写入；请在 Retry-After 秒后重试。",
    },
}

#: Words for ``said`` values: what a JSON parse error is about.
THE_BODY: Words = {"en": "The body", "zh": "请求体"}
