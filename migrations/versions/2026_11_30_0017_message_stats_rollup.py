"""Message statistics from a rollup kept up to date by triggers, not a scan of the outbox (#12).

Counts are kept per (office, channel, language, status); office is the participant's office, NULL
for a message without a participant. Triggers append deltas (+n/-n) to message_stat_deltas on
every insert, change of status (or channel, language, participant) and delete of an outbox row,
and when a participant changes office (their messages' counts move with them). Nothing that
writes the outbox can forget them. The scheduler folds the deltas into message_stats
(notifications.stats.compact); a count is its rollup row plus the sum of its deltas.

Concurrency on PostgreSQL: writers only append, so no two workers wait on one counter row. The
key reads the participant's office, which must not move under a writer unnoticed. Only an office
move (rare) takes extra locks; the writers of the outbox take none beyond their own:
- FOR SHARE on the participant's messages: the move waits for a change of status (or a delete)
  in flight and then sees it, and one that starts later waits for the move and sees its office;
- FOR UPDATE on the participant: a message being inserted is invisible to the move, but the
  insert's foreign key check holds KEY SHARE on the participant until it commits, which FOR
  UPDATE waits for (and a later insert's check waits for the move, then reads the new office; the
  foreign key is checked before the statement trigger runs).
INSERT and DELETE triggers run once per statement over the transition table, so a multi-row
INSERT (or COPY) appends one row per key, not per message. TRUNCATE cancels every count. SQLite
has one writer at a time: row triggers suffice.

Caveat for later revisions: SQLite drops a table's triggers when batch mode recreates the table
(copy, drop, rename). A revision that recreates outbox_messages or participants on SQLite must
create these triggers again (tests/notifications/test_stats_rollup.py checks they exist at head).

The backfill counts the outbox as it stands, in the same transaction as the triggers (on
PostgreSQL, CREATE TRIGGER holds off writers until the commit, so no change falls between).

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DELTAS = "INSERT INTO message_stat_deltas (office_id, channel, language, status, delta)"
_KEY_CHANGED = ("OLD.status IS DISTINCT FROM NEW.status OR OLD.channel IS DISTINCT FROM NEW.channel"
                " OR OLD.language IS DISTINCT FROM NEW.language"
                " OR OLD.participant_id IS DISTINCT FROM NEW.participant_id")

_PG = (
    f"""
CREATE FUNCTION message_stats_outbox_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {_DELTAS}
    SELECT p.office_id, n.channel, n.language, n.status, COUNT(*)
    FROM new_rows n LEFT JOIN participants p ON p.id = n.participant_id
    GROUP BY p.office_id, n.channel, n.language, n.status;
    RETURN NULL;
END $$""",
    "CREATE TRIGGER message_stats_outbox_inserted AFTER INSERT ON outbox_messages "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION message_stats_outbox_inserted()",
    f"""
CREATE FUNCTION message_stats_outbox_updated() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_office integer;
    new_office integer;
BEGIN
    SELECT office_id INTO old_office FROM participants WHERE id = OLD.participant_id;
    IF NEW.participant_id IS NOT DISTINCT FROM OLD.participant_id THEN
        new_office := old_office;
    ELSE
        SELECT office_id INTO new_office FROM participants WHERE id = NEW.participant_id;
    END IF;
    {_DELTAS}
    VALUES (old_office, OLD.channel, OLD.language, OLD.status, -1),
           (new_office, NEW.channel, NEW.language, NEW.status, 1);
    RETURN NULL;
END $$""",
    # A row trigger: transition tables cannot go with a column list, and one for every UPDATE
    # statement (attempts, claimed_by...) would cost more than this one for the few that matter.
    "CREATE TRIGGER message_stats_outbox_updated "
    "AFTER UPDATE OF status, channel, language, participant_id ON outbox_messages "
    f"FOR EACH ROW WHEN ({_KEY_CHANGED}) EXECUTE FUNCTION message_stats_outbox_updated()",
    f"""
CREATE FUNCTION message_stats_outbox_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {_DELTAS}
    SELECT p.office_id, o.channel, o.language, o.status, -COUNT(*)
    FROM old_rows o LEFT JOIN participants p ON p.id = o.participant_id
    GROUP BY p.office_id, o.channel, o.language, o.status;
    RETURN NULL;
END $$""",
    "CREATE TRIGGER message_stats_outbox_deleted AFTER DELETE ON outbox_messages "
    "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION message_stats_outbox_deleted()",
    # TRUNCATE holds the table exclusively (no writer in flight): cancel every count as it stands.
    f"""
CREATE FUNCTION message_stats_outbox_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {_DELTAS}
    SELECT office_id, channel, language, status, -SUM(n) FROM (
        SELECT office_id, channel, language, status, messages AS n FROM message_stats
        UNION ALL
        SELECT office_id, channel, language, status, delta FROM message_stat_deltas
    ) counts GROUP BY office_id, channel, language, status HAVING SUM(n) <> 0;
    RETURN NULL;
END $$""",
    "CREATE TRIGGER message_stats_outbox_truncated BEFORE TRUNCATE ON outbox_messages "
    "FOR EACH STATEMENT EXECUTE FUNCTION message_stats_outbox_truncated()",
    f"""
CREATE FUNCTION message_stats_participant_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Wait for every transaction still inserting a message for the participant (its foreign
    -- key check holds KEY SHARE on this row until it commits; FOR UPDATE conflicts with it, and
    -- makes later inserts wait for this move), then for every change of status in flight.
    PERFORM 1 FROM participants WHERE id = NEW.id FOR UPDATE;
    PERFORM 1 FROM outbox_messages WHERE participant_id = NEW.id ORDER BY id FOR SHARE;
    {_DELTAS}
    SELECT office, channel, language, status, n FROM (
        SELECT OLD.office_id AS office, channel, language, status, -COUNT(*) AS n
        FROM outbox_messages WHERE participant_id = NEW.id GROUP BY channel, language, status
        UNION ALL
        SELECT NEW.office_id, channel, language, status, COUNT(*)
        FROM outbox_messages WHERE participant_id = NEW.id GROUP BY channel, language, status
    ) moved;
    RETURN NULL;
END $$""",
    "CREATE TRIGGER message_stats_participant_moved AFTER UPDATE OF office_id ON participants "
    "FOR EACH ROW WHEN (OLD.office_id IS DISTINCT FROM NEW.office_id) "
    "EXECUTE FUNCTION message_stats_participant_moved()",
)
_PG_TRIGGERS = (("message_stats_outbox_inserted", "outbox_messages"),
                ("message_stats_outbox_updated", "outbox_messages"),
                ("message_stats_outbox_deleted", "outbox_messages"),
                ("message_stats_outbox_truncated", "outbox_messages"),
                ("message_stats_participant_moved", "participants"))

_OFFICE_OF = "(SELECT office_id FROM participants WHERE id = {}.participant_id)"
_SQLITE = (
    "CREATE TRIGGER message_stats_outbox_inserted AFTER INSERT ON outbox_messages BEGIN "
    f"{_DELTAS} VALUES ({_OFFICE_OF.format('NEW')}, NEW.channel, NEW.language, NEW.status, 1); "
    "END",
    "CREATE TRIGGER message_stats_outbox_updated "
    "AFTER UPDATE OF status, channel, language, participant_id ON outbox_messages "
    f"WHEN {_KEY_CHANGED.replace('IS DISTINCT FROM', 'IS NOT')} BEGIN "
    f"{_DELTAS} VALUES ({_OFFICE_OF.format('OLD')}, OLD.channel, OLD.language, OLD.status, -1), "
    f"({_OFFICE_OF.format('NEW')}, NEW.channel, NEW.language, NEW.status, 1); "
    "END",
    "CREATE TRIGGER message_stats_outbox_deleted AFTER DELETE ON outbox_messages BEGIN "
    f"{_DELTAS} VALUES ({_OFFICE_OF.format('OLD')}, OLD.channel, OLD.language, OLD.status, -1); "
    "END",
    "CREATE TRIGGER message_stats_participant_moved AFTER UPDATE OF office_id ON participants "
    "WHEN OLD.office_id IS NOT NEW.office_id BEGIN "
    f"{_DELTAS} SELECT OLD.office_id, channel, language, status, -COUNT(*) FROM outbox_messages "
    "WHERE participant_id = NEW.id GROUP BY channel, language, status; "
    f"{_DELTAS} SELECT NEW.office_id, channel, language, status, COUNT(*) FROM outbox_messages "
    "WHERE participant_id = NEW.id GROUP BY channel, language, status; "
    "END",
)
_SQLITE_TRIGGERS = ("message_stats_outbox_inserted", "message_stats_outbox_updated",
                    "message_stats_outbox_deleted", "message_stats_participant_moved")

_BACKFILL = """
INSERT INTO message_stats (office_id, channel, language, status, messages)
SELECT p.office_id, o.channel, o.language, o.status, COUNT(*)
FROM outbox_messages o LEFT JOIN participants p ON p.id = o.participant_id
GROUP BY p.office_id, o.channel, o.language, o.status
"""


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    op.create_table('message_stat_deltas',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=True),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('delta', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_stat_deltas'))
    )
    op.create_table('message_stats',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=True),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('messages', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_stats')),
    sa.UniqueConstraint('office_id', 'channel', 'language', 'status',
                        name=op.f('uq_message_stats_office_id'))
    )
    for stmt in _PG if _postgres() else _SQLITE:
        op.execute(stmt)
    op.execute(_BACKFILL)


def downgrade() -> None:
    if _postgres():
        for name, table in _PG_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    else:
        for name in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table('message_stats')
    op.drop_table('message_stat_deltas')
