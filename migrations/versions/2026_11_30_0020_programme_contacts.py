"""Programmes set the helpline, emergency and embassy numbers their participants' messages cite
(#13: not one global number).

programmes carries no trigger, so a plain ADD COLUMN. Nullable: existing programmes have no
numbers of their own (NULL), and a JSON default cannot be compared by `db check` on PostgreSQL.

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("programmes", sa.Column("contacts", sa.JSON(), nullable=True))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # In place (SQLite 3.35+): batch mode would recreate programmes, which others reference.
        op.execute("ALTER TABLE programmes DROP COLUMN contacts")
    else:
        op.drop_column("programmes", "contacts")
