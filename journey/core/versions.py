"""Optimistic concurrency over HTTP: the version a client read, from If-Match or the body."""

from __future__ import annotations

from flask import request

from journey.core.errors import Conflict, PreconditionFailed, ProblemError


def if_match() -> int | None:
    """The version in an If-Match header (an ETag like "3"), or None when there is none."""
    raw = request.headers.get("If-Match")
    if raw is None:
        return None
    value = raw.strip().removeprefix("W/").strip('"')
    if not value.isdigit() or len(value) > 18:
        raise PreconditionFailed('If-Match must be the ETag you read, e.g. "3".')
    return int(value)


def expected_version(body_version: int | None) -> int:
    """If-Match, else the body's version field; 428 when the client sent neither."""
    header = if_match()
    if header is not None:
        return header
    if body_version is None:
        raise ProblemError("Send If-Match with the version you read (or a version field).",
                           status=428, code="precondition-required")
    return body_version


def check_version(current: int, expected: int | None, message: str, *,
                  from_header: bool = False) -> None:
    """Refuse a stale version: 412 when it came in If-Match, 409 when in the body; no expected
    version means the caller did not ask for the check."""
    if expected is None or expected == current:
        return
    exc = PreconditionFailed if from_header else Conflict
    raise exc(message, code="stale-version", extra={"current_version": current})
