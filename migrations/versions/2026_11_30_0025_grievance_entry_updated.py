"""Grievance history entries may record a triage correction (kind 'updated', #14).

SQLite cannot alter a CHECK constraint: the table is recreated in batch mode (grievance_entries
has no triggers to lose).

Revision ID: 0025
Revises: 0024
"""

from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

_KINDS = ("transition", "note", "public_reply", "assigned", "clock_paused", "clock_resumed",
          "escalated", "break_glass")


def _check(kinds: tuple[str, ...]) -> str:
    return "kind IN (" + ", ".join(f"'{k}'" for k in kinds) + ")"


_NAME = "ck_grievance_entries_kind_valid"


def upgrade() -> None:
    with op.batch_alter_table("grievance_entries", recreate="auto") as batch:
        batch.drop_constraint(op.f(_NAME), type_="check")
        batch.create_check_constraint(op.f(_NAME), _check((*_KINDS, "updated")))


def downgrade() -> None:
    op.execute("DELETE FROM grievance_entries WHERE kind = 'updated'")
    with op.batch_alter_table("grievance_entries", recreate="auto") as batch:
        batch.drop_constraint(op.f(_NAME), type_="check")
        batch.create_check_constraint(op.f(_NAME), _check(_KINDS))
