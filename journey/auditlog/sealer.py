"""The scheduler's sealing job: chains committed audit events a few seconds after their commit.

Each run seals what committed since (``RECENT``: above the highest sealed id, plus anything
recorded in the last minute, which catches a lower id that committed late); about twice per
grace period it seals ``ALL`` (a full anti-join), so an event whose transaction ran longer than
that minute is sealed well before verification would report it as unsealed. On SQLite every
commit seals its own events, so only the sweep runs there (for rows inserted past the app).
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from flask import Flask

from journey.core import audit
from journey.core.db import db, utcnow

logger = logging.getLogger(__name__)
SECONDS = 5
"""How often the scheduler seals."""
_STATE = "journey_audit_sealer"


def grace(app: Flask) -> timedelta:
    """How long an event may stay unsealed before verification reports it."""
    return timedelta(seconds=app.config.get("AUDIT_UNSEALED_GRACE_SECONDS", 600))


def seal_job(app: Flask) -> int:
    """Seal the events committed since the last run (all unsealed ones now and then)."""
    state = app.extensions.setdefault(_STATE, {"swept": None})
    now = time.monotonic()
    sweep = state["swept"] is None or now - state["swept"] >= grace(app).total_seconds() / 2
    with app.app_context():
        if not sweep and db.engine.dialect.name == "sqlite":
            return 0  # sealed at every commit; only the sweep looks for rows inserted past that
        sealed = audit.seal_pending(db.engine, audit.ALL if sweep else audit.RECENT,
                                    late_before=utcnow() - grace(app))
    if sweep:
        state["swept"] = now
    if sealed:
        logger.info("audit: sealed count=%d sweep=%s", sealed, sweep)
    return sealed
