"""The API's exception tree, rendered by one middleware as
``{"ok": false, "error", "code", "status", "request_id"}``.

    ApiError                      (500 internal_error — only for bugs; never raised on purpose)
    ├── BadRequest                400 bad_request
    │   ├── InvalidJson           400 invalid_json
    │   ├── ValidationFailed      400 validation_failed   (a field is missing, wrong or unknown)
    │   └── InvalidUrlError       400 invalid_url / invalid_host / unsupported_scheme / …
    ├── Unauthorized              401 unauthorized        (no key, or a key we don't know)
    ├── Forbidden                 403 forbidden           (a key without the role)
    ├── NotFound                  404 not_found           (a record; a path no route has: route_not_found)
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
        "en": "No such record; check the id (see /openapi.json).",
        "zh": "没有这条记录；请检查编号（见 /openapi.json）。",
    },
    "route_not_found": {
        "en": "No such route; check the path against /openapi.json (this server may be older).",
        "zh": "没有这个接口；请对照 /openapi.json 检查路径（本服务器的版本可能较旧）。",
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
        "en": "This needs a key with the {needed} role; this key's role is {role}.",
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
    # Records, fields and budgets shared by the handlers
    "no_record": {
        "en": "No {what} with id {id}.",
        "zh": "没有编号为 {id} 的{what}。",
    },
    "no_such": {
        "en": "No such {what}.",
        "zh": "没有这个{what}。",
    },
    "too_many_wait": {
        "en": "Too many {what}; try again in {wait} s.",
        "zh": "{what}过多；请在 {wait} 秒后重试。",
    },
    "field_one_of": {
        "en": "'{field}' must be one of: {choices}.",
        "zh": "'{field}' 必须是以下之一：{choices}。",
    },
    "field_boolean": {
        "en": "'{field}' must be true or false.",
        "zh": "'{field}' 必须是 true 或 false。",
    },
    "field_not_unicode": {
        "en": "'{field}' is not valid Unicode.",
        "zh": "'{field}' 不是有效的 Unicode 文本。",
    },
    "field_case_id": {
        "en": "'{field}' must be a case id.",
        "zh": "'{field}' 必须是案件编号。",
    },
    "field_http_url": {
        "en": "'{field}' must be an http(s) URL.",
        "zh": "'{field}' 必须是 http(s) 链接。",
    },
    "field_string_list": {
        "en": "'{field}' must be a non-empty list of strings.",
        "zh": "'{field}' 必须是非空的字符串列表。",
    },
    "field_at_most_chars": {
        "en": "'{field}' must be at most {high} characters.",
        "zh": "'{field}' 最多 {high} 个字符。",
    },
    "part_too_large": {
        "en": "The {what} is larger than {limit} bytes.",
        "zh": "{what}超过 {limit} 字节。",
    },
    # Keys and lists (server/api/admin.py)
    "list_not_a_domain": {
        "en": "'{host}' is an IP address or a public suffix; list a domain name instead.",
        "zh": "'{host}' 是 IP 地址或公共后缀；请改为列出域名。",
    },
    # Alerts and webhooks (server/api/alerts.py)
    "since_cursor": {
        "en": "'since' must be a cursor from a previous response.",
        "zh": "'since' 必须是上一次响应给出的游标。",
    },
    "alert_subscriptions_full": {
        "en": "This key holds {live} live alert subscriptions, the most this server allows"
        " (FAKEWATCH_ALERT_SUBSCRIPTIONS_PER_KEY). Each ends when its item is confirmed or it"
        " expires; retry in {wait} s, renew existing ones instead, or ask the operator to raise"
        " the limit.",
        "zh": "该密钥已有 {live} 个有效的提醒订阅，达到本服务器的上限"
        "（FAKEWATCH_ALERT_SUBSCRIPTIONS_PER_KEY）。订阅在其对象被确认或到期时结束；"
        "请在 {wait} 秒后重试、续订现有订阅，或请运营者提高上限。",
    },
    "webhook_private_target": {
        "en": "Webhooks may not point at private, loopback or link-local addresses ({reason});"
        " an operator can allow them with FAKEWATCH_WEBHOOK_ALLOW_PRIVATE.",
        "zh": "Webhook 不能指向私有、回环或链路本地地址（{reason}）；"
        "运营者可以用 FAKEWATCH_WEBHOOK_ALLOW_PRIVATE 允许。",
    },
    # Appeals and cases (server/api/appeals.py, cases.py)
    "appeal_token": {
        "en": "No such appeal, or the token does not match.",
        "zh": "没有这个申诉，或令牌不匹配。",
    },
    "appeal_needs_token": {
        "en": "Add ?token=… (the token your appeal's answer gave you) to read it; moderators send their key instead.",
        "zh": "请在地址后加上 ?token=…（提交申诉时得到的令牌）查看申诉；审核员则发送其密钥。",
    },
    "no_appealable_case": {
        "en": "No confirmed case {id} to appeal: only a case moderators confirmed (the one a"
        " warning names) can be appealed here.",
        "zh": "没有可申诉的已确认案件 {id}：这里只能申诉经审核员确认的案件（即警告中提到的案件）。",
    },
    "case_cannot": {
        "en": "Case {id} is {status}; it cannot be {done}.",
        "zh": "案件 {id} 的状态是{status}，不能再{done}。",
    },
    "case_moved": {
        "en": "Case {id} is now {status}, not {expected} as you saw it; nothing changed."
        " Reload it and decide again.",
        "zh": "案件 {id} 现在的状态是{status}，不是你看到的{expected}；没有做任何更改。请刷新后重新决定。",
    },
    "case_merge_open": {
        "en": "Case {id} is {status}; only open cases merge.",
        "zh": "案件 {id} 的状态是{status}；只有未决案件可以合并。",
    },
    "case_merged_target": {
        "en": "Case {id} was itself merged; merge into its survivor.",
        "zh": "案件 {id} 本身已被合并；请合并到它所并入的案件。",
    },
    "case_nothing_to_appeal": {
        "en": "Case {id} is {status}; there is nothing to appeal.",
        "zh": "案件 {id} 的状态是{status}，没有可申诉的内容。",
    },
    "appeal_already": {
        "en": "Appeal {id} is already {status}.",
        "zh": "申诉 {id} 已经是{status}状态。",
    },
    # Federation (server/api/federation.py)
    "federation_json": {
        "en": "Send the signed message as application/json.",
        "zh": "请以 application/json 发送签名消息。",
    },
    "feedback_too_large": {
        "en": "A feedback message is at most {limit} bytes.",
        "zh": "反馈消息最多 {limit} 字节。",
    },
    "federation_unknown_peer": {
        "en": "No configured peer has the key this message is signed with; the operator adds"
        " peers with `fakewatch federation peers add`.",
        "zh": "没有任何已配置的对等服务器持有该消息的签名密钥；"
        "运营者可用 `fakewatch federation peers add` 添加对等服务器。",
    },
    "feedback_refused": {
        "en": "The feedback was refused: {reason}.",
        "zh": "反馈被拒绝：{reason}。",
    },
    "feedback_unusable": {
        "en": "The feedback is not usable: {reason}.",
        "zh": "反馈无法使用：{reason}。",
    },
    "feedback_no_case": {
        "en": "No case here has that id and item.",
        "zh": "本服务器没有编号和对象都相符的案件。",
    },
    # Protected persons (server/api/persons.py)
    "person_retired": {
        "en": "No active person with id {id} (retired persons cannot be edited).",
        "zh": "没有编号为 {id} 的有效人物（已停用的人物不能编辑）。",
    },
    "send_photo_form": {
        "en": "Send the photo as multipart/form-data with the photo in the field 'file'.",
        "zh": "请以 multipart/form-data 发送照片，照片放在 'file' 字段中。",
    },
    "face_of_another_person": {
        "en": "This face already matches person {id} ({name}, similarity {similarity}); enrol a"
        " photo of this person, or retire the other record.",
        "zh": "这张脸已与人物 {id}（{name}，相似度 {similarity}）匹配；"
        "请登记此人本人的照片，或停用另一条记录。",
    },
    # Link prefixes (server/api/prefixes.py)
    "too_many_prefixes": {
        "en": "At most {limit} prefixes per lookup; split the batch.",
        "zh": "每次查询最多 {limit} 个前缀；请分批发送。",
    },
    "prefix_hex": {
        "en": "'prefixes[{position}]' must be 8 lowercase hex digits (a 4-byte prefix).",
        "zh": "'prefixes[{position}]' 必须是 8 位小写十六进制数字（4 字节前缀）。",
    },
    # Send to my Telegram (server/api/relay.py)
    "field_chat_id": {
        "en": "'{field}' must be a Telegram chat id (an integer).",
        "zh": "'{field}' 必须是 Telegram 聊天编号（整数）。",
    },
    "field_not_zero": {
        "en": "'{field}' must not be 0.",
        "zh": "'{field}' 不能为 0。",
    },
    "relay_code_invalid": {
        "en": "This code is unknown, already used or expired: send /link to the bot for a new one.",
        "zh": "该关联码无效、已使用或已过期：请向机器人发送 /link 获取新的关联码。",
    },
    "relay_token_unlinked": {
        "en": "This relay token is not linked to any chat (revoked or unknown): link again with a"
        " new code from the bot's /link.",
        "zh": "该转发令牌未关联任何聊天（已撤销或无效）：请用机器人 /link 给出的新关联码重新关联。",
    },
    # Reports (server/api/reports.py, server/community/items.py)
    "reports_wait": {
        "en": "Too many reports from this {per}; try again in {wait} s{setting}.",
        "zh": "来自该{per}的举报过多；请在 {wait} 秒后重试{setting}。",
    },
    "hashes_object": {
        "en": "'hashes' must be an object of hash name → hex string.",
        "zh": "'hashes' 必须是“哈希名 → 十六进制字符串”的对象。",
    },
    "seen_on_shape": {
        "en": '\'seen_on\' must be {{"platform", "url"}}.',
        "zh": '\'seen_on\' 必须是 {{"platform", "url"}}。',
    },
    "consent_shape": {
        "en": '\'consent\' must be {{"keep_media", "share_with_authorities"}}.',
        "zh": '\'consent\' 必须是 {{"keep_media", "share_with_authorities"}}。',
    },
    "multipart_boundary": {
        "en": "A multipart body needs a boundary in its Content-Type.",
        "zh": "multipart 请求体的 Content-Type 中必须有 boundary。",
    },
    "report_parts": {
        "en": "A multipart report has at most two parts: 'report' and 'file'.",
        "zh": "multipart 举报最多只有两个部分：'report' 和 'file'。",
    },
    "nested_multipart": {
        "en": "Nested multipart bodies are not accepted.",
        "zh": "不接受嵌套的 multipart 请求体。",
    },
    "report_part_names": {
        "en": "Multipart reports have two parts: 'report' and 'file'.",
        "zh": "multipart 举报只有两个部分：'report' 和 'file'。",
    },
    "part_repeated": {
        "en": "The '{name}' part is sent more than once; send it once.",
        "zh": "'{name}' 部分发送了不止一次；请只发送一次。",
    },
    "report_part_object": {
        "en": "The 'report' part must be a JSON object.",
        "zh": "'report' 部分必须是 JSON 对象。",
    },
    "multipart_malformed": {
        "en": "The multipart body is malformed (part headers or framing).",
        "zh": "multipart 请求体格式有误（部分的头或分隔）。",
    },
    "report_part_missing": {
        "en": "The multipart body needs a 'report' part (JSON).",
        "zh": "multipart 请求体需要一个 'report' 部分（JSON）。",
    },
    "media_slots_full": {
        "en": "The server is already decoding {in_use} pictures or videos; try again in {wait} s"
        " (FAKEWATCH_MAX_MEDIA_CHECKS).",
        "zh": "服务器正在解码 {in_use} 个图片或视频；请在 {wait} 秒后重试"
        "（FAKEWATCH_MAX_MEDIA_CHECKS）。",
    },
    "file_needs_media_report": {
        "en": "A file can only be attached to a media report.",
        "zh": "只有媒体举报才能附带文件。",
    },
    "report_link_unreadable": {
        "en": "'value' is not a link we can read: {reason}",
        "zh": "'value' 不是可以读取的链接：{reason}",
    },
    "report_text_length": {
        "en": "'value' must be 8 to {high} characters of message text.",
        "zh": "'value' 必须是 8 到 {high} 个字符的消息文本。",
    },
    "report_phone": {
        "en": "'value' must be a phone number (digits, +, spaces).",
        "zh": "'value' 必须是电话号码（数字、+、空格）。",
    },
    "report_phone_digits": {
        "en": "'value' must have 5 to 15 digits.",
        "zh": "'value' 必须有 5 到 15 位数字。",
    },
    "report_wallet": {
        "en": "'value' must be a wallet address (20 to 120 letters and digits).",
        "zh": "'value' 必须是钱包地址（20 到 120 个字母和数字）。",
    },
    "report_hash_size": {
        "en": "'hashes.{name}' must be {size} hex characters.",
        "zh": "'hashes.{name}' 必须是 {size} 个十六进制字符。",
    },
    "report_hash_missing": {
        "en": "Media needs at least one hash: {names} (hex).",
        "zh": "媒体至少需要一个哈希：{names}（十六进制）。",
    },
    # The moderator pages (server/api/pages.py)
    "send_form": {
        "en": "Send the form as application/x-www-form-urlencoded.",
        "zh": "请以 application/x-www-form-urlencoded 发送表单。",
    },
    "form_malformed": {
        "en": "The form is malformed.",
        "zh": "表单格式有误。",
    },
    "form_unknown_field": {
        "en": "Unknown form field; allowed: {allowed}.",
        "zh": "不接受的表单字段；可用字段：{allowed}。",
    },
    "unknown_status": {
        "en": "Unknown status.",
        "zh": "未知的状态。",
    },
    "moderator_sign_in": {
        "en": "Sign in at /moderate with a moderator key.",
        "zh": "请用审核员密钥在 /moderate 登录。",
    },
    "form_stale": {
        "en": "The form is stale or not from this site; reload the page.",
        "zh": "表单已过期或不是来自本站；请刷新页面。",
    },
    # Media checks and the known-fakes bank (server/api/media.py, media_text.py, known_fakes.py)
    "media_checks_full": {
        "en": "The server is already checking {in_use} pictures or videos; try again in {wait} s"
        " (FAKEWATCH_MAX_MEDIA_CHECKS).",
        "zh": "服务器正在检查 {in_use} 个图片或视频；请在 {wait} 秒后重试"
        "（FAKEWATCH_MAX_MEDIA_CHECKS）。",
    },
    "send_multipart_field": {
        "en": "Send multipart/form-data with the media in the field '{field}'.",
        "zh": "请以 multipart/form-data 发送，媒体放在 '{field}' 字段中。",
    },
    "one_file_field": {
        "en": "Send one '{field}' per request.",
        "zh": "每次请求只发送一个 '{field}'。",
    },
    "field_too_long": {
        "en": "'{field}' is too long.",
        "zh": "'{field}' 太长。",
    },
    "field_not_utf8": {
        "en": "'{field}' is not UTF-8 text.",
        "zh": "'{field}' 不是 UTF-8 文本。",
    },
    "unknown_form_field_named": {
        "en": "Unknown form field {name}. Allowed: {allowed}.",
        "zh": "不接受的表单字段 {name}。可用字段：{allowed}。",
    },
    "too_many_form_fields": {
        "en": "At most {limit} form fields.",
        "zh": "表单字段最多 {limit} 个。",
    },
    "upload_too_large": {
        "en": "The upload is larger than the server accepts.",
        "zh": "上传的内容超过服务器接受的大小。",
    },
    "multipart_unreadable": {
        "en": "The multipart body cannot be read: {reason}.",
        "zh": "无法读取 multipart 请求体：{reason}。",
    },
    "media_field_missing": {
        "en": "Send the media in the multipart field '{field}'.",
        "zh": "请把媒体放在 multipart 的 '{field}' 字段中发送。",
    },
    "media_file_too_large": {
        "en": "The file is larger than {limit} bytes (FAKEWATCH_MAX_MEDIA_BYTES).",
        "zh": "文件超过 {limit} 字节（FAKEWATCH_MAX_MEDIA_BYTES）。",
    },
    "hashes_shape": {
        "en": '\'hashes\' must be an object such as {{"pdq": ["<64 hex digits>"]}}.',
        "zh": '\'hashes\' 必须是形如 {{"pdq": ["<64 hex digits>"]}} 的对象。',
    },
    "hash_kind_unknown": {
        "en": "Unknown hash kind {kind}; send pdq, phash and/or dhash.",
        "zh": "未知的哈希类型 {kind}；请发送 pdq、phash 和/或 dhash。",
    },
    "hash_count": {
        "en": "'hashes.{kind}' must be 1 to {limit} hex strings.",
        "zh": "'hashes.{kind}' 必须是 1 到 {limit} 个十六进制字符串。",
    },
    "hash_invalid": {
        "en": "'hashes.{kind}': {reason}.",
        "zh": "'hashes.{kind}' 无效：{reason}。",
    },
    "send_media_or_hashes": {
        "en": "Send the media as multipart/form-data in the field 'file', or its hashes as JSON"
        ' {{"hashes": {{...}}}}.',
        "zh": "请以 multipart/form-data 在 'file' 字段中发送媒体，"
        '或以 JSON {{"hashes": {{...}}}} 发送其哈希。',
    },
    "ocr_flag": {
        "en": "'ocr' must be 1 or 0 (true or false).",
        "zh": "'ocr' 必须是 1 或 0（true 或 false）。",
    },
    "form_field_required": {
        "en": "The form field '{field}' is required.",
        "zh": "缺少必填的表单字段 '{field}'。",
    },
    "known_fake_id": {
        "en": "No known fake with that id.",
        "zh": "没有这个编号的已知伪造。",
    },
    "send_hash_list": {
        "en": "Send the hash list as the body: text/csv, application/json or text/plain (one PDQ"
        " hex per line), as `fakewatch known-fakes export` writes it.",
        "zh": "请把哈希列表作为请求体发送：text/csv、application/json 或 text/plain"
        "（每行一个 PDQ 十六进制值），格式同 `fakewatch known-fakes export` 的输出。",
    },
    "hash_list_not_utf8": {
        "en": "The hash list is not UTF-8 text.",
        "zh": "哈希列表不是 UTF-8 文本。",
    },
    "hash_list_unreadable": {
        "en": "The hash list cannot be read: {reason}",
        "zh": "无法读取哈希列表：{reason}",
    },
    "hash_list_empty": {
        "en": "The hash list holds no hashes.",
        "zh": "哈希列表中没有哈希。",
    },
}

#: Words for ``said`` values (``{"en": …, "zh": …}``): the things errors name.
RECORD: dict[str, Words] = {
    "record": {"en": "record", "zh": "记录"},
    "active key": {"en": "active key", "zh": "有效密钥"},
    "active list entry": {"en": "active list entry", "zh": "有效名单条目"},
    "webhook": {"en": "webhook", "zh": "webhook"},
    "active webhook": {"en": "active webhook", "zh": "有效 webhook"},
    "appeal": {"en": "appeal", "zh": "申诉"},
    "case": {"en": "case", "zh": "案件"},
    "person": {"en": "person", "zh": "人物"},
    "active person": {"en": "active person", "zh": "有效人物"},
    "undelivered relay item": {"en": "undelivered relay item", "zh": "未送达的转发项"},
    "moderator action": {"en": "moderator action", "zh": "审核操作"},
    "known fake": {"en": "known fake", "zh": "已知伪造"},
    "kept picture": {"en": "kept picture of report", "zh": "举报中保留的图片"},
}
TOO_MANY: dict[str, Words] = {
    "wrong codes": {"en": "wrong codes", "zh": "错误的关联码"},
    "appeals": {"en": "appeals from this address", "zh": "来自该地址的申诉"},
    "feed requests": {"en": "feed requests", "zh": "订阅源请求"},
    "refused messages": {"en": "refused messages", "zh": "被拒绝的消息"},
    "wrong keys": {"en": "wrong keys", "zh": "错误的密钥"},
}

#: Words for ``said`` values: what a JSON parse error is about.
THE_BODY: Words = {"en": "The body", "zh": "请求体"}
