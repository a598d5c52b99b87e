"""Audit seals: the chain moves off the event rows into its own append-only table, appended by a
sealer after commit (journey.core.audit.seal), so audited transactions no longer commit one at a
time on PostgreSQL.

Every event already chained becomes a seal with the same seq, prev_hash and hash (the hash is
computed as before, so heads noted earlier still verify). audit_events loses its chain columns
and keeps its guards; audit_seals gets the same ones: UPDATE, DELETE, REPLACE and TRUNCATE
refused on both backends. The downgrade seals anything unsealed, then puts the chain back on the
event rows.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import journey.core.db
from journey.core.audit import GENESIS, event_hash
from journey.core.db import utcnow

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 1000
_CONTENT = ("id", "occurred_at", "actor_id", "action", "object_type", "object_id", "office_id",
            "request_id", "details")
_events = sa.table(
    "audit_events",
    sa.column("id", sa.Integer), sa.column("occurred_at", journey.core.db.UTCDateTime()),
    sa.column("actor_id", sa.Integer), sa.column("action", sa.String),
    sa.column("object_type", sa.String), sa.column("object_id", sa.Integer),
    sa.column("office_id", sa.Integer), sa.column("request_id", sa.String),
    sa.column("details", sa.JSON), sa.column("seq", sa.Integer),
    sa.column("prev_hash", sa.String), sa.column("hash", sa.String),
)
_seals = sa.table(
    "audit_seals",
    sa.column("seq", sa.Integer), sa.column("event_id", sa.Integer),
    sa.column("prev_hash", sa.String), sa.column("hash", sa.String),
    sa.column("sealed_at", journey.core.db.UTCDateTime()),
)

_REFUSE = "SELECT RAISE(ABORT, '{table} is append-only')"
_SQLITE_EVENT_GUARDS = {  # as 0007 made them, but for the replace guard (no seq any more)
    "audit_events_no_update": "BEFORE UPDATE ON audit_events",
    "audit_events_no_delete": "BEFORE DELETE ON audit_events",
    # INSERT OR REPLACE deletes the conflicting row without firing DELETE triggers; a BEFORE
    # INSERT trigger runs before that delete (see 0007).
    "audit_events_no_replace": "BEFORE INSERT ON audit_events WHEN EXISTS "
                               "(SELECT 1 FROM audit_events WHERE id = NEW.id)",
}
_SQLITE_EVENT_GUARDS_0007 = {
    **_SQLITE_EVENT_GUARDS,
    "audit_events_no_replace": "BEFORE INSERT ON audit_events WHEN EXISTS "
                               "(SELECT 1 FROM audit_events WHERE id = NEW.id OR seq = NEW.seq)",
}
_SQLITE_SEAL_GUARDS = {
    "audit_seals_no_update": "BEFORE UPDATE ON audit_seals",
    "audit_seals_no_delete": "BEFORE DELETE ON audit_seals",
    "audit_seals_no_replace": "BEFORE INSERT ON audit_seals WHEN EXISTS (SELECT 1 FROM "
                              "audit_seals WHERE seq = NEW.seq OR event_id = NEW.event_id)",
}
_PG_SEAL_FUNCTION = """
CREATE FUNCTION audit_seals_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_seals is append-only';
END $$
"""
_PG_SEAL_GUARDS = (
    "CREATE TRIGGER audit_seals_no_update BEFORE UPDATE OR DELETE ON audit_seals "
    "FOR EACH ROW EXECUTE FUNCTION audit_seals_append_only()",
    "CREATE TRIGGER audit_seals_no_truncate BEFORE TRUNCATE ON audit_seals "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_seals_append_only()",
)
_PG_EVENT_UPDATE_GUARD = (
    "CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events "
    "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()")


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _sqlite_guards(guards: dict[str, str], table: str) -> None:
    for name, when in guards.items():
        op.execute(f"CREATE TRIGGER {name} {when} BEGIN {_REFUSE.format(table=table)}; END")


def _drop_sqlite_guards(guards: dict[str, str]) -> None:
    for name in guards:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")


def upgrade() -> None:
    op.create_table(
        'audit_seals',
        sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('prev_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('sealed_at', journey.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['event_id'], ['audit_events.id'],
                                name=op.f('fk_audit_seals_event_id_audit_events')),
        sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_seals')),
        sa.UniqueConstraint('event_id', name=op.f('uq_audit_seals_event_id')),
    )
    # Every chained event becomes the seal it already was.
    op.execute(_seals.insert().from_select(
        ["seq", "event_id", "prev_hash", "hash", "sealed_at"],
        sa.select(_events.c.seq, _events.c.id, _events.c.prev_hash, _events.c.hash,
                  sa.literal(utcnow(), journey.core.db.UTCDateTime()))))
    if not _postgres():
        # SQLite drops a column in place (3.35+) only when no trigger or index names it.
        _drop_sqlite_guards(_SQLITE_EVENT_GUARDS)
    op.drop_index('ix_audit_events_seq', table_name='audit_events')
    for column in ('hash', 'prev_hash', 'seq'):
        op.drop_column('audit_events', column)
    if _postgres():
        op.execute(_PG_SEAL_FUNCTION)
        for stmt in _PG_SEAL_GUARDS:
            op.execute(stmt)
    else:
        _sqlite_guards(_SQLITE_EVENT_GUARDS, "audit_events")
        _sqlite_guards(_SQLITE_SEAL_GUARDS, "audit_seals")


def _seal_the_rest(conn: sa.Connection) -> None:
    """Seal any event still without a seal, lowest id first, onto the head (as the sealer)."""
    head = conn.execute(sa.select(_seals.c.seq, _seals.c.hash).order_by(_seals.c.seq.desc())
                        .limit(1)).first()
    seq, prev = (head.seq, head.hash) if head is not None else (0, GENESIS)
    unsealed = ~sa.exists().where(_seals.c.event_id == _events.c.id)
    last_id = 0
    while True:
        rows = conn.execute(sa.select(*(_events.c[n] for n in _CONTENT))
                            .where(unsealed, _events.c.id > last_id).order_by(_events.c.id)
                            .limit(_BATCH)).mappings().all()
        if not rows:
            return
        links = []
        for row in rows:
            seq += 1
            digest = event_hash({**row, "seq": seq, "prev_hash": prev})
            links.append({"seq": seq, "event_id": row["id"], "prev_hash": prev, "hash": digest,
                          "sealed_at": utcnow()})
            prev = digest
        conn.execute(_seals.insert(), links)
        last_id = rows[-1]["id"]


def downgrade() -> None:
    conn = op.get_bind()
    _seal_the_rest(conn)
    if _postgres():
        op.execute("DROP TRIGGER audit_events_no_update ON audit_events")
    else:
        _drop_sqlite_guards(_SQLITE_EVENT_GUARDS)
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seq', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('prev_hash', sqlmodel.sql.sqltypes.AutoString(length=64),
                                      nullable=True))
        batch_op.add_column(sa.Column('hash', sqlmodel.sql.sqltypes.AutoString(length=64),
                                      nullable=True))
    link = sa.select(_seals).where(_seals.c.event_id == _events.c.id)
    op.execute(_events.update().values(
        seq=link.with_only_columns(_seals.c.seq).scalar_subquery(),
        prev_hash=link.with_only_columns(_seals.c.prev_hash).scalar_subquery(),
        hash=link.with_only_columns(_seals.c.hash).scalar_subquery()))
    if _postgres():
        op.execute("DROP TRIGGER audit_seals_no_update ON audit_seals")
        op.execute("DROP TRIGGER audit_seals_no_truncate ON audit_seals")
        op.execute("DROP FUNCTION audit_seals_append_only()")
    else:
        _drop_sqlite_guards(_SQLITE_SEAL_GUARDS)
    op.drop_table('audit_seals')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.alter_column('seq', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('prev_hash', existing_type=sqlmodel.sql.sqltypes.AutoString(length=64),
                              nullable=False)
        batch_op.alter_column('hash', existing_type=sqlmodel.sql.sqltypes.AutoString(length=64),
                              nullable=False)
        batch_op.create_index(batch_op.f('ix_audit_events_seq'), ['seq'], unique=True)
    if _postgres():
        op.execute(_PG_EVENT_UPDATE_GUARD)
    else:
        _sqlite_guards(_SQLITE_EVENT_GUARDS_0007, "audit_events")
