"""Participants have an assigned caseworker (#13: "My work", reassignment).

Added with ALTER TABLE ADD COLUMN, not batch mode: batch mode would recreate participants on
SQLite and drop the message-stats triggers of 0017.

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with its foreign key in one statement (Alembic would need batch).
        op.execute("ALTER TABLE participants ADD COLUMN caseworker_id INTEGER "
                   "CONSTRAINT fk_participants_caseworker_id_users REFERENCES users (id)")
    else:
        op.add_column("participants", sa.Column("caseworker_id", sa.Integer(), nullable=True))
        op.create_foreign_key(op.f("fk_participants_caseworker_id_users"), "participants",
                              "users", ["caseworker_id"], ["id"])
    op.create_index(op.f("ix_participants_caseworker_id"), "participants", ["caseworker_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_participants_caseworker_id"), table_name="participants")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE participants DROP COLUMN caseworker_id")
    else:
        op.drop_column("participants", "caseworker_id")
