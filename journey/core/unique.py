"""Inserting a row whose identity must be unique, with the check and the race handled alike."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session


def insert_unique(sess: Session, obj: object, taken: sa.Select) -> int | None:
    """Add and flush obj unless `taken` (a select of one id) finds a row with its identity.

    Returns that row's id, or None once obj is inserted. The check answers the ordinary case;
    a concurrent insert of the same identity that slips past it fires the unique constraint at
    flush, inside a savepoint, so only this insert is undone and the caller can still answer
    with the winner's id (a 409) instead of a 500. Another constraint failing is re-raised.
    """
    existing = sess.scalar(taken)
    if existing is not None:
        return existing
    try:
        with sess.begin_nested():
            sess.add(obj)
            sess.flush()
    except IntegrityError:
        existing = sess.scalar(taken)
        if existing is None:
            raise
        return existing
    return None
