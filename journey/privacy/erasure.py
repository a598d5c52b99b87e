"""Erasure: anonymisation in place, built on the domains' personal-data declarations.

Every declared table of a participant (``PersonalData``) says what erasure does to its rows:
``erase_columns`` are emptied (NULL, or '' and {} where the column is NOT NULL) and its ``erase``
hook does the rest (revoking credentials, skipping unsent messages, replacing the names). Rows
are never deleted, so the counts monitoring and evaluation read (participants by stage, sex,
nationality, programme and office; messages by status; journey events by kind) stay the same.
The participant's own row goes last: hooks before it still see the phone number they purge by.

Any domain may forbid erasure while it must keep the record (``Domain.erasure_vetoes``: a legal
hold here, an open grievance later); the refusal names the reasons as codes. The audit event
holds ids, the reason code and counts, nothing else.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from journey.core import audit
from journey.core.db import utcnow
from journey.core.domains import Domain
from journey.core.errors import Conflict, InvalidInput
from journey.core.i18n import _, _l
from journey.privacy import subjects

logger = logging.getLogger(__name__)


class ErasureReason(enum.StrEnum):
    SUBJECT_REQUEST = "subject_request"  # the person asked
    CONSENT_WITHDRAWN = "consent_withdrawn"  # no other ground to keep the record
    RETENTION = "retention"  # the retention period ran out (journey.privacy.retention)
    DUPLICATE = "duplicate"  # a record registered twice
    COURT_ORDER = "court_order"


REASON_TITLES = {
    ErasureReason.SUBJECT_REQUEST: _l("The person asked for erasure"),
    ErasureReason.CONSENT_WITHDRAWN: _l("Consent withdrawn, no other ground to keep the record"),
    ErasureReason.RETENTION: _l("The retention period ran out"),
    ErasureReason.DUPLICATE: _l("The record is a duplicate"),
    ErasureReason.COURT_ORDER: _l("A court ordered it"),
}

VETO_MESSAGES = {
    "legal-hold": _l("A legal hold stands on this record."),
    "open-grievance": _l("A grievance of this person is still open."),
}


def _domains() -> tuple[Domain, ...]:
    return current_app.extensions["journey_domains"]


def declarations() -> list[subjects.Declared]:
    """The participants' declared tables in erasure order: the participant's own row last, so
    hooks before it still see what they purge by (the phone number)."""
    return sorted(subjects.declared(), key=lambda item: item.entry.link == ("id",))


def vetoes(sess: Session, participant: Any) -> list[str]:
    """The reasons (codes) every domain gives to keep this record now; empty when none."""
    reasons = []
    for d in _domains():
        for veto in d.erasure_vetoes:
            reason = veto(sess, participant)
            if reason:
                reasons.append(reason)
    return reasons


def empty_value(column: sa.Column) -> Any:
    """What an emptied column holds: NULL, or the empty value of a NOT NULL column."""
    if column.nullable:
        return None
    return {} if isinstance(column.type, sa.JSON) else ""


def emptied(table: sa.Table, names: Iterable[str]) -> dict[str, Any]:
    return {name: empty_value(table.c[name]) for name in names}


def has_content(table: sa.Table, names: Iterable[str]) -> sa.ColumnElement[bool]:
    """Rows with something left to empty: the others are not rewritten (a timeline entry with no
    reason, a message retention emptied already)."""
    conditions = []
    for name in names:
        column = table.c[name]
        if isinstance(column.type, sa.JSON):
            conditions.append(column.is_not(None))  # no portable "is empty" for JSON
        elif column.nullable:
            conditions.append(column.is_not(None))
        else:
            # An encrypted column stores '' as '' (journey.core.crypto), compared as stored text.
            conditions.append(sa.type_coerce(column, sa.Text) != empty_value(column))
    return sa.or_(*conditions)


def check_reason(reason: str) -> str:
    if reason not in {r.value for r in ErasureReason}:
        raise InvalidInput(errors=[{"field": "reason", "code": "invalid-choice",
                                    "message": _("Choose a reason from the list.")}])
    return reason


def erase(sess: Session, participant: Any, *, actor_id: int | None, reason: str) -> dict[str, int]:
    """Anonymise the participant in place; returns rows changed per table (never commits).

    Refused (409) while a domain vetoes it, or when the record is already erased.
    """
    check_reason(reason)
    # Locked, and read afresh: of two erasures at once (PostgreSQL), the second sees the first's.
    sess.refresh(participant, with_for_update=True)
    if participant.erased_at is not None:
        raise Conflict(_("This record has already been erased."), code="already-erased")
    reasons = vetoes(sess, participant)
    if reasons:
        detail = " ".join(str(VETO_MESSAGES.get(r, r)) for r in reasons)
        raise Conflict(detail, code="erasure-vetoed", extra={"reasons": reasons})
    conn = sess.connection()
    counts: dict[str, int] = {}
    for item in declarations():
        entry, changed = item.entry, 0
        if entry.erase is not None:
            changed += entry.erase(sess, participant, actor_id)
        if entry.erase_columns:
            changed += conn.execute(
                item.table.update()
                .where(subjects.condition(item, participant),
                       has_content(item.table, entry.erase_columns))
                .values(**emptied(item.table, entry.erase_columns))).rowcount
        if changed:
            counts[entry.table] = changed
    participant.erased_at = utcnow()
    sess.flush()
    audit.record(sess, "privacy:participant:erase", actor_id=actor_id, object_type="participant",
                 object_id=participant.id, office_id=participant.office_id, reason=reason,
                 rows=sum(counts.values()), tables=sorted(counts))
    logger.info("participant erased id=%s reason=%s rows=%d", participant.id, reason,
                sum(counts.values()))
    return counts
