"""Optimistic concurrency over HTTP: one rule for every versioned resource.

A client says which version it read, in If-Match (an ETag like "3") or in the body's version
field. A write to a versioned resource:
- with a stale If-Match gets 412 (Precondition Failed: the header's condition failed);
- with a stale version field gets 409 (Conflict: the body conflicts with the current state);
- that needs a version and has neither gets 428 (Precondition Required).
Routes read the client's versions with `precondition()`; services check them with
`check_version()`, and a compare-and-set that loses a race raises `stale()`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import request
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from journey.core.errors import Conflict, PreconditionFailed, ProblemError
from journey.core.ids import MAX_ID

# ASCII digits only: str.isdigit() also accepts "²" or "٣", which int() then refuses or misreads.
_ETAG = re.compile(r'(?:W/)?"?([0-9]{1,10})"?')


@dataclass(frozen=True)
class Precondition:
    """The versions a client read: from If-Match (header) and from the body (body)."""

    header: int | None = None
    body: int | None = None

    @property
    def version(self) -> int | None:
        """The version to compare-and-set against (If-Match when both were sent)."""
        return self.header if self.header is not None else self.body

    def __bool__(self) -> bool:
        return self.version is not None


def parse_version(raw: str) -> int | None:
    """A version written as an ETag ("3", W/"3") or plain digits, or None when it is not one."""
    found = _ETAG.fullmatch(raw.strip())
    if found is None or not 1 <= int(found.group(1)) <= MAX_ID:
        return None
    return int(found.group(1))


def if_match() -> int | None:
    """The version in an If-Match header (an ETag like "3"), or None when there is none."""
    raw = request.headers.get("If-Match")
    if raw is None:
        return None
    version = parse_version(raw)
    if version is None:
        raise PreconditionFailed(_('If-Match must be the ETag you read, e.g. "3".'),
                                 code="invalid-if-match")
    return version


def precondition(data: dict[str, Any] | None = None, *, required: bool = True) -> Precondition:
    """The versions the client read: If-Match, and the body's "version" (popped from data).
    428 when the write needs a version and the client sent neither."""
    body = data.pop("version", None) if data is not None else None
    found = Precondition(header=if_match(), body=body)
    if required and not found:
        raise ProblemError(_("Send If-Match with the version you read (or a version field)."),
                           status=428, code="precondition-required")
    return found


def check_version(current: int, expected: Precondition | None, message: str) -> None:
    """Refuse a stale version: 412 for If-Match, 409 for a body version. Nothing sent (None, or
    an empty Precondition) means the write does not ask for the check."""
    if expected is None:
        return
    if expected.header is not None and expected.header != current:
        raise PreconditionFailed(message, code="stale-version", extra={"current_version": current})
    if expected.body is not None and expected.body != current:
        raise Conflict(message, code="stale-version", extra={"current_version": current})


def stale(expected: Precondition | None, message: str) -> ProblemError:
    """The error for a compare-and-set that lost a race after check_version passed: another
    writer got there first, so the version the client sent is stale after all."""
    if expected is not None and expected.header is not None:
        return PreconditionFailed(message, code="stale-version")
    return Conflict(message, code="stale-version")


def bump(sess: Session, obj: Any, expected: Precondition | None, message: str) -> None:
    """Add one to obj's version with a compare-and-set in SQL, so that two writers who both
    passed check_version on the same version cannot both win: the loser gets stale()."""
    model = type(obj)
    result = sess.execute(
        sa.update(model).where(model.id == obj.id, model.version == obj.version)
        .values(version=obj.version + 1).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise stale(expected, message)
    # Already written by the UPDATE above: record it without a second UPDATE.
    set_committed_value(obj, "version", obj.version + 1)
