"""Replies from migrants are marked handled (who, when) and texts from unknown numbers can be
dismissed at triage with a reason (#13).

Plain ADD COLUMN (no constraints), so SQLite needs no batch mode.

Revision ID: 0022
Revises: 0021
"""

import sqlalchemy as sa
from alembic import op

from journey.core.db import UTCDateTime

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("inbound_messages", sa.Column("handled_at", UTCDateTime(timezone=True), nullable=True))
    op.add_column("inbound_messages", sa.Column("handled_by", sa.Integer(), nullable=True))
    op.add_column("inbound_messages", sa.Column("dismissed_reason", sa.String(length=20),
                                                nullable=True))


def downgrade() -> None:
    for column in ("dismissed_reason", "handled_by", "handled_at"):
        op.drop_column("inbound_messages", column)
