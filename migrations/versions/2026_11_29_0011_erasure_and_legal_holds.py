"""Erasure and legal holds: participants.erased_at, and the legal_holds table.

Revision ID: 0011
Revises: 0012
Create Date: 2026-11-29
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import journey.core.db

revision: str = '0011'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('legal_holds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('set_by', sa.Integer(), nullable=True),
    sa.Column('set_at', journey.core.db.UTCDateTime(), nullable=False),
    sa.Column('lifted_by', sa.Integer(), nullable=True),
    sa.Column('lifted_at', journey.core.db.UTCDateTime(), nullable=True),
    sa.CheckConstraint("reason IN ('litigation', 'investigation', 'regulator', 'safeguarding', 'audit')", name=op.f('ck_legal_holds_reason_valid')),
    sa.CheckConstraint('(lifted_at IS NULL) = (lifted_by IS NULL)', name=op.f('ck_legal_holds_lifted_complete')),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_legal_holds_participant_id_participants')),
    sa.ForeignKeyConstraint(['set_by'], ['users.id'], name=op.f('fk_legal_holds_set_by_users')),
    sa.ForeignKeyConstraint(['lifted_by'], ['users.id'], name=op.f('fk_legal_holds_lifted_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_legal_holds'))
    )
    with op.batch_alter_table('legal_holds', schema=None) as batch_op:
        batch_op.create_index('ix_legal_holds_participant_lifted', ['participant_id', 'lifted_at'], unique=False)
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('erased_at', journey.core.db.UTCDateTime(), nullable=True))


def downgrade() -> None:
    # Not batch mode: on SQLite it would rebuild participants, whose DROP fails while rows refer to
    # it; SQLite (3.35+) drops a column that no index or constraint names in place.
    op.drop_column('participants', 'erased_at')
    with op.batch_alter_table('legal_holds', schema=None) as batch_op:
        batch_op.drop_index('ix_legal_holds_participant_lifted')
    op.drop_table('legal_holds')
