"""Costs carry a version, so an edit in a page or over the API cannot overwrite another (#13).

A plain ADD COLUMN with a server default: existing rows start at version 1.

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("costs", sa.Column("version", sa.Integer(), nullable=False,
                                     server_default=sa.text("1")))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE costs DROP COLUMN version")
    else:
        op.drop_column("costs", "version")
