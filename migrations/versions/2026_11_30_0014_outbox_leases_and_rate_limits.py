"""The outbox's short claims and the shared send rate (issue #12).

outbox_messages.claimed_until: a worker leases due messages (status stays queued or deferred) and
marks one ``sending`` only immediately before its provider call, so a message a dead worker
never tried goes back to the queue when its lease runs out. outbox_rate_limits: one row per
channel, from which every worker reserves its send slots (notifications.ratelimit).

Messages left ``sending`` by a worker of the old kind are not touched: the worker's recovery
reports them after OUTBOX_LEASE_SECONDS, as before.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import journey.core.db

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('outbox_messages',
                  sa.Column('claimed_until', journey.core.db.UTCDateTime(), nullable=True))
    op.create_table(
        'outbox_rate_limits',
        sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('next_at', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('channel', name=op.f('pk_outbox_rate_limits')),
    )


def downgrade() -> None:
    op.drop_table('outbox_rate_limits')
    with op.batch_alter_table('outbox_messages') as batch:
        batch.drop_column('claimed_until')
