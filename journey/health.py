"""Liveness: /healthz answers 200 only when the database answers."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Blueprint, jsonify

from journey.core.db import READ_ONLY, db
from journey.core.errors import problem_response

logger = logging.getLogger(__name__)
bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    try:
        # Only reads: on SQLite it must not queue behind writers for the write lock.
        with db.engine.connect().execution_options(**READ_ONLY) as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as exc:
        logger.error("health check failed: %s", type(exc).__name__)
        return problem_response(503, title="Service unavailable", code="database-unavailable",
                                detail="The database does not answer.")
    return jsonify(status="ok", database="ok")
