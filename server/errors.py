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
The ``error`` text says what to do about it.
"""

from __future__ import annotations

from typing import Any, ClassVar


class ApiError(Exception):
    status: ClassVar[int] = 500
    default_code: ClassVar[str] = "internal_error"

    def __init__(self, message: str, *, code: str | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.extra = extra


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

    def __init__(self, message: str, *, retry_after: int) -> None:
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


#: Every code the API can answer with, for the README and its test.
ERROR_CODES: dict[str, str] = {
    "bad_request": "The request is malformed in a way no more specific code covers.",
    "invalid_json": "The body is not valid JSON (or not UTF-8).",
    "validation_failed": "A field is missing, has the wrong type, is out of range, or is unknown.",
    "too_many_parts": "A multipart body has more parts than the route takes (a report: 'report' and 'file').",
    "repeated_field": "A multipart part (or field) is sent more than once; send each once.",
    "invalid_url": "The URL cannot be read.",
    "url_too_long": "The URL is longer than FAKEWATCH_MAX_URL_LENGTH.",
    "unsupported_scheme": "Only http and https links can be checked.",
    "invalid_host": "The host name or IP address is not valid.",
    "invalid_port": "The port is not a number from 0 to 65535.",
    "unauthorized": "No API key, or a key this server does not know (send Authorization: Bearer KEY).",
    "forbidden": "The key is valid but its role may not do this.",
    "not_found": "No such route or record.",
    "method_not_allowed": "The route exists but not with this HTTP method.",
    "payload_too_large": "The body is larger than FAKEWATCH_MAX_BODY_BYTES.",
    "unsupported_media_type": "The body must be sent as application/json.",
    "rate_limited": "Too many requests; wait for Retry-After seconds.",
    "busy": "The server is at capacity (as many media checks as it runs at once, or the database busy with another write); try again after Retry-After seconds.",
    "alert_subscriptions_full": "The key holds FAKEWATCH_ALERT_SUBSCRIPTIONS_PER_KEY live retroactive alert subscriptions; retry after Retry-After seconds, when its oldest expires (an operator can raise the limit).",
    "conflict": "The record's current state does not allow this change.",
    "case_state": "The case's status does not allow this moderator action (see its status).",
    "not_an_operator_entry": "Only operator list entries are retired by id; a feed's, the community's or a peer's entry says what to do instead (allow the site, retire the case).",
    "webhook_private_target": "The webhook URL points at a private, loopback or link-local address; FAKEWATCH_WEBHOOK_ALLOW_PRIVATE allows it.",
    "federation_signature": "The federation message is malformed or its Ed25519 signature does not match the key it names.",
    "federation_unknown_peer": "The federation message is signed by a key no configured peer has; add the peer with `fakewatch federation peers add`.",
    "relay_code_invalid": "The link code is unknown, used or expired; ask the bot for a new one with /link.",
    "relay_token_invalid": "The relay token is revoked or unknown; link the browser again with /link.",
    "media_empty": "The uploaded file is empty (0 bytes).",
    "media_unreadable": "The file is truncated, corrupt or not the format its first bytes claim.",
    "media_too_large": "The file is larger than FAKEWATCH_MAX_MEDIA_BYTES.",
    "media_too_many_pixels": "The image or video frame has more pixels than FAKEWATCH_MAX_MEDIA_PIXELS (decompression-bomb guard).",
    "media_too_long": "The video is longer than FAKEWATCH_MAX_VIDEO_SECONDS.",
    "media_low_information": "The media decodes but is too flat, small or featureless to hash for the known-fakes bank.",
    "media_unsupported": "Not a supported format: JPEG, PNG, WebP, GIF, HEIC images; MP4, MOV, WebM videos.",
    "unprocessable": "The input is well-formed but cannot be used for this request.",
    "enrol_no_face": "The enrolment photo shows no face; send a clear, front-facing photo.",
    "enrol_several_faces": "The enrolment photo shows several faces; crop it to the one person.",
    "enrol_face_too_small": "The face in the enrolment photo is too small to identify.",
    "enrol_face_of_another_person": "The enrolment photo's face already matches another protected person.",
    "enrol_not_a_photo": "Faces are enrolled from one still photo, not a video or an animation.",
    "internal_error": "A bug on our side; the request id identifies it in the server log.",
}
