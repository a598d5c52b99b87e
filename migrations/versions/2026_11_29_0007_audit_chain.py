"""Audit chain: each audit event hashed and chained to the previous one; REPLACE, UPDATE, DELETE
and TRUNCATE refused on both backends.

Existing events are chained in id order. The guards of 0001 are dropped for the backfill and
replaced by ones that also stop SQLite's INSERT OR REPLACE (which deletes the old row without
firing a DELETE trigger) and PostgreSQL's TRUNCATE.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import journey.core.db
from journey.core.audit import GENESIS, event_hash

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 1000
_events = sa.table(
    "audit_events",
    sa.column("id", sa.Integer), sa.column("occurred_at", journey.core.db.UTCDateTime()),
    sa.column("actor_id", sa.Integer), sa.column("action", sa.String),
    sa.column("object_type", sa.String), sa.column("object_id", sa.Integer),
    sa.column("office_id", sa.Integer), sa.column("request_id", sa.String),
    sa.column("details", sa.JSON), sa.column("seq", sa.Integer),
    sa.column("prev_hash", sa.String), sa.column("hash", sa.String),
)

_PG_FUNCTION = """
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END $$
"""
_PG_TRIGGERS = (
    "CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events "
    "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()",
    "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()",
)
_SQLITE_TRIGGERS = (
    "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
    "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
    # INSERT OR REPLACE (and REPLACE INTO) deletes the conflicting row without firing DELETE
    # triggers (unless recursive_triggers is on); a BEFORE INSERT trigger runs before that
    # delete, so refusing any insert that would collide on id or seq stops it.
    "CREATE TRIGGER audit_events_no_replace BEFORE INSERT ON audit_events "
    "WHEN EXISTS (SELECT 1 FROM audit_events WHERE id = NEW.id OR seq = NEW.seq) "
    "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
)


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _drop_guards(names: Sequence[str]) -> None:
    if _postgres():
        for name in names:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
    else:
        for name in names:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")


def _create_guards(pg: Sequence[str], sqlite: Sequence[str]) -> None:
    if _postgres():
        op.execute(_PG_FUNCTION)
        for stmt in pg:
            op.execute(stmt)
    else:
        for stmt in sqlite:
            op.execute(stmt)


def _backfill() -> None:
    """Chain the existing events in id order, a batch at a time."""
    conn = op.get_bind()
    fields = [c for c in _events.c if c.name not in ("seq", "prev_hash", "hash")]
    update = (_events.update().where(_events.c.id == sa.bindparam("b_id"))
              .values(seq=sa.bindparam("b_seq"), prev_hash=sa.bindparam("b_prev"),
                      hash=sa.bindparam("b_hash")))
    last_id, seq, prev = 0, 0, GENESIS
    while True:
        rows = conn.execute(sa.select(*fields).where(_events.c.id > last_id)
                            .order_by(_events.c.id).limit(_BATCH)).mappings().all()
        if not rows:
            return
        params = []
        for row in rows:
            seq += 1
            digest = event_hash({**row, "seq": seq, "prev_hash": prev})
            params.append({"b_id": row["id"], "b_seq": seq, "b_prev": prev, "b_hash": digest})
            prev = digest
        conn.execute(update, params)
        last_id = rows[-1]["id"]


def upgrade() -> None:
    _drop_guards(("audit_events_no_update", "audit_events_no_delete"))
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seq', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('prev_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    _backfill()
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.alter_column('seq', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('prev_hash', existing_type=sqlmodel.sql.sqltypes.AutoString(length=64),
                              nullable=False)
        batch_op.alter_column('hash', existing_type=sqlmodel.sql.sqltypes.AutoString(length=64),
                              nullable=False)
        batch_op.create_index(batch_op.f('ix_audit_events_seq'), ['seq'], unique=True)
    _create_guards(_PG_TRIGGERS, _SQLITE_TRIGGERS)


def downgrade() -> None:
    _drop_guards(("audit_events_no_update", "audit_events_no_truncate", "audit_events_no_delete",
                  "audit_events_no_replace"))
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_seq'))
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('seq')
    # The guards of 0001, as they were.
    _create_guards(_PG_TRIGGERS[:1], _SQLITE_TRIGGERS[:2])
