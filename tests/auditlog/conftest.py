"""An app over a database of its own per test, for tests that commit, tamper and verify."""

from __future__ import annotations

import pytest
from flask import Flask

from journey.core import audit
from journey.core.db import db


@pytest.fixture
def chain_app(own_app) -> Flask:
    return own_app()


def write_events(app: Flask, n: int, per_commit: int = 1, action: str = "tests:thing:poke") -> None:
    """n audit events committed through job sessions, per_commit at a time."""
    with app.app_context():
        for start in range(0, n, per_commit):
            with db.job_session() as sess:
                for i in range(start, min(n, start + per_commit)):
                    audit.record(sess, action, actor_id=None, object_type="thing", object_id=i + 1,
                                 n=i, tag="x", ratio=0.5, ids=[1, 2])


def verify_cli(app: Flask):
    return app.test_cli_runner().invoke(args=["audit", "verify", "--batch-size", "3"])


def seal(app: Flask) -> int:
    """Seal every committed event now, as the scheduler's job or verify would."""
    return audit.seal_pending(app.extensions["journey_db"].engine, audit.ALL)


def attacker(app: Flask):
    """A connection of someone with the database's credentials, outside the app."""
    import sqlalchemy as sa

    return sa.create_engine(app.config["DATABASE_URL"])


def drop_guard(conn, name: str) -> None:
    """Drop one of the triggers guarding audit_events or audit_seals (named by its table)."""
    table = "audit_seals" if name.startswith("audit_seals") else "audit_events"
    on = f" ON {table}" if conn.dialect.name == "postgresql" else ""
    conn.exec_driver_sql(f"DROP TRIGGER {name}{on}")


def deletion_guard(conn, table: str) -> str:
    return f"{table}_no_update" if conn.dialect.name == "postgresql" else f"{table}_no_delete"
