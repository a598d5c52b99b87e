"""Selection (#15): an index serving a vacancy's candidate list a page at a time, by id, in any
state (bench/employer_candidates.py: without it, every page sorted the vacancy's candidates).

Revision ID: 0027
Revises: 0026
Create Date: 2026-11-30 11:20:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0027'
down_revision: str | None = '0026'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('candidacies', schema=None) as batch_op:
        batch_op.create_index('ix_candidacies_vacancy_page', ['vacancy_id', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('candidacies', schema=None) as batch_op:
        batch_op.drop_index('ix_candidacies_vacancy_page')
