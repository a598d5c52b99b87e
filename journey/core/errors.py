"""One exception base class and RFC 9457 problem+json responses for every API error."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, g, json, request
from flask_babel import LazyString
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from journey.core.field_messages import translate
from journey.core.i18n import _l

logger = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"

_CODES = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    412: "precondition-failed",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "validation-failed",
    428: "precondition-required",
    429: "too-many-requests",
    500: "internal-error",
}

# The titles (and, where werkzeug gives only its own English text, the details) of the HTTP
# errors raised outside journey's code: unknown addresses, wrong methods, bodies too large.
_TITLES = {
    400: _l("Bad request"),
    401: _l("Authentication required"),
    403: _l("Forbidden"),
    404: _l("Not found"),
    405: _l("Method not allowed"),
    409: _l("Conflict"),
    412: _l("Precondition failed"),
    413: _l("Payload too large"),
    415: _l("Unsupported media type"),
    422: _l("The request has invalid fields"),
    428: _l("Precondition required"),
    429: _l("Too many requests"),
    500: _l("Internal server error"),
}
_DETAILS = {
    400: _l("The request could not be understood."),
    404: _l("Nothing is found at this address."),
    405: _l("This address does not accept this method."),
    413: _l("The request is too large."),
    415: _l("The body is not in a format this address accepts."),
}


def http_title(err: HTTPException) -> str:
    """The title of an HTTP error in the reader's language (werkzeug's name otherwise)."""
    return str(_TITLES.get(err.code or 500, err.name))


def _http_detail(err: HTTPException) -> str | None:
    if err.description == type(err).description and err.code in _DETAILS:
        return str(_DETAILS[err.code])
    return err.description


class ProblemError(Exception):
    """Base class for errors that become a problem+json response."""

    status = 400
    code = "bad-request"
    title = _l("Bad request")

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: list[dict[str, str]] | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        code: str | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.errors = errors or []
        self.extra = extra or {}
        self.headers = headers or {}
        if code:
            self.code = code
        if status:
            self.status = status


class NotFound(ProblemError):
    status, code, title = 404, "not-found", _l("Not found")


class Forbidden(ProblemError):
    status, code, title = 403, "forbidden", _l("Forbidden")


class Unauthorized(ProblemError):
    status, code, title = 401, "unauthorized", _l("Authentication required")


class Conflict(ProblemError):
    status, code, title = 409, "conflict", _l("Conflict")


class PreconditionFailed(ProblemError):
    status, code, title = 412, "precondition-failed", _l("Precondition failed")


class InvalidInput(ProblemError):
    status, code, title = 422, "validation-failed", _l("The request has invalid fields")


class TooManyRequests(ProblemError):
    status, code, title = 429, "too-many-requests", _l("Too many requests")


def flatten_messages(messages: Any, prefix: str = "") -> list[dict[str, str]]:
    """Turn marshmallow's nested messages into [{field, code, message}]."""
    out: list[dict[str, str]] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            # webargs nests by location ("json", "query"); the location is not a field name.
            if not prefix and key in {"json", "query", "form", "headers", "files", "view_args"}:
                out.extend(flatten_messages(value, ""))
                continue
            field = f"{prefix}.{key}" if prefix else str(key)
            out.extend(flatten_messages(value, field))
    elif isinstance(messages, list | tuple):
        if all(isinstance(m, str | LazyString) for m in messages):
            for m in messages:
                out.append(_item(prefix, m))
        else:
            for m in messages:
                out.extend(flatten_messages(m, prefix))
    elif messages is not None:
        out.append(_item(prefix, messages))
    return out


def _item(field: str, message: Any) -> dict[str, str]:
    # The code comes from the English text, so it is the same in every language.
    english, text = translate(message)
    return {"field": field or "_body", "code": _message_code(english), "message": text}


def _message_code(message: str) -> str:
    m = message.lower()
    if "missing data" in m or "required" in m:
        return "required"
    if "unknown field" in m:
        return "unknown-field"
    if "not a valid" in m or "invalid" in m:
        return "invalid"
    if "must be one of" in m:
        return "not-allowed"
    if "length" in m or "longer" in m or "shorter" in m:
        return "length"
    return "invalid"


def problem_response(status: int, *, title: str, code: str, detail: str | None = None,
                     errors: list | None = None, extra: dict | None = None,
                     headers: dict | None = None) -> Response:
    body: dict[str, Any] = {
        "type": f"https://journey.example/problems/{code}",
        "title": str(title),
        "status": status,
        "code": code,
    }
    if detail:
        body["detail"] = str(detail)
    if errors:
        body["errors"] = errors
    if extra:
        # A domain's extra detail never replaces the problem's own members (a vacancy's
        # "status" once did, turning the HTTP status into a string).
        body.update({k: v for k, v in extra.items() if k not in body})
    rid = g.get("request_id")
    if rid:
        body["request_id"] = rid
    resp = Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def _wants_html() -> bool:
    path = request.path
    if path.startswith("/api/") or path == "/healthz":
        return False
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "text/html"


def init_app(app: Flask) -> None:
    @app.errorhandler(ProblemError)
    def _problem(err: ProblemError):
        return problem_response(err.status, title=err.title, code=err.code, detail=err.detail,
                                errors=err.errors, extra=err.extra, headers=err.headers)

    @app.errorhandler(ValidationError)
    def _validation(err: ValidationError):
        return problem_response(422, title=InvalidInput.title, code="validation-failed",
                                errors=flatten_messages(err.messages))

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException):
        status = err.code or 500
        if _wants_html():
            from flask import render_template

            return render_template("error.html", status=status, title=http_title(err)), status
        errors = None
        data = getattr(err, "data", None) or {}
        if "messages" in data:  # webargs/flask-smorest validation failures
            errors = flatten_messages(data["messages"])
        headers = {}
        if status == 405 and getattr(err, "valid_methods", None):
            headers["Allow"] = ", ".join(sorted(err.valid_methods))
        detail = _http_detail(err) if status != 422 or not errors else None
        return problem_response(status, title=http_title(err), code=_CODES.get(status, f"http-{status}"),
                                detail=detail, errors=errors, headers=headers)

    @app.errorhandler(Exception)
    def _unexpected(err: Exception):
        if isinstance(err, HTTPException):
            return _http(err)
        # Only the type: exception text can carry personal data.
        logger.error("unhandled %s request_id=%s", type(err).__name__, g.get("request_id"),
                     exc_info=app.config.get("LOG_TRACEBACKS", True))
        if _wants_html():
            from flask import render_template

            return render_template("error.html", status=500, title=_l("Internal error")), 500
        return problem_response(500, title=_l("Internal server error"), code="internal-error",
                                detail=_l("Something went wrong; the request id identifies it in "
                                          "the logs."))
