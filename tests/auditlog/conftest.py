"""An app over a database of its own per test, for tests that commit, tamper and verify."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from flask import Flask

from journey.core import audit
from journey.core.db import db


@pytest.fixture
def chain_app(fresh_database_url, instance_dir) -> Iterator[Flask]:
    from alembic import command

    from journey import create_app
    from journey.cli import alembic_config

    url = fresh_database_url()
    command.upgrade(alembic_config(url), "head")
    os.environ["JOURNEY_ENV"] = "testing"
    os.environ["JOURNEY_INSTANCE_PATH"] = str(instance_dir)
    app = create_app({"DATABASE_URL": url, "LOG_TRACEBACKS": False,
                      "PASSWORD_HASH_PROFILE": "cheapest"})
    try:
        yield app
    finally:
        app.extensions["journey_db"].engine.dispose()


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
