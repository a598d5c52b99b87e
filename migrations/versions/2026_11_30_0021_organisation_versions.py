"""Offices, employers, service providers and programmes carry a version, so that an edit in a
page or through PATCH cannot silently overwrite a concurrent one (#13).

Plain ADD COLUMN with a server default: existing rows start at version 1, and no table is
recreated on SQLite.

Revision ID: 0021
Revises: 0020
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

_TABLES = ("offices", "employers", "service_providers", "programmes")


def upgrade() -> None:
    for table in _TABLES:
        op.add_column(table, sa.Column("version", sa.Integer(), server_default="1",
                                       nullable=False))


def downgrade() -> None:
    for table in reversed(_TABLES):
        if op.get_bind().dialect.name == "sqlite":
            op.execute(f"ALTER TABLE {table} DROP COLUMN version")
        else:
            op.drop_column(table, "version")
