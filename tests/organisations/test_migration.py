"""Revision 0005: organisation names get their folded key, even where old data collides."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from journey.cli import alembic_config
from journey.core.db import make_engine
from journey.organisations.models import organisation_key


def test_backfill_keys_names_that_sqlite_let_through_as_different(fresh_database_url):
    url = fresh_database_url()
    cfg = alembic_config(url)
    command.upgrade(cfg, "0004")
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            for table, extra in (("employers", {}), ("service_providers", {"kind": "health"})):
                for name in ("6Å", "6å", "Hotel Lisboa"):  # the first two differ only in case
                    conn.execute(sa.text(
                        f"INSERT INTO {table} (name, country, created_at"  # noqa: S608
                        + "".join(f", {k}" for k in extra) + ") VALUES (:name, 'PT', :at"
                        + "".join(f", :{k}" for k in extra) + ")"),
                        {"name": name, "at": "2026-11-01 00:00:00", **extra})
        command.upgrade(cfg, "0005")
        with engine.connect() as conn:
            for table in ("employers", "service_providers"):
                keys = dict(conn.execute(sa.text(
                    f"SELECT name, name_key FROM {table} ORDER BY id")).all())  # noqa: S608
                assert keys["6Å"] == organisation_key("6Å")  # the oldest keeps the plain key
                assert keys["6å"] != keys["6Å"]
                assert keys["Hotel Lisboa"] == organisation_key("hotel  lisboa")
        command.downgrade(cfg, "0004")
        command.upgrade(cfg, "head")
    finally:
        engine.dispose()
