"""Migrations: upgrade, no drift from the models, downgrade to nothing, upgrade again."""

from __future__ import annotations

import ast
from pathlib import Path

import sqlalchemy as sa
from alembic import command

from journey.cli import alembic_config
from journey.core.db import make_engine


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_check_downgrade_upgrade(fresh_database_url):
    url = fresh_database_url()
    cfg = alembic_config(url)
    command.upgrade(cfg, "head")
    assert {"participants", "users", "audit_events", "consent_records"} <= _tables(url)
    command.check(cfg)  # raises when models and migrations disagree
    command.downgrade(cfg, "base")
    assert _tables(url) == set()
    command.upgrade(cfg, "head")
    command.check(cfg)
    assert "participants" in _tables(url)


def test_every_revision_has_a_real_downgrade():
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    revisions = list(script.walk_revisions())
    assert revisions
    for rev in revisions:
        tree = ast.parse(Path(rev.path).read_text())
        (down,) = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "downgrade"]
        assert not all(isinstance(stmt, ast.Pass | ast.Expr) for stmt in down.body), rev.revision
