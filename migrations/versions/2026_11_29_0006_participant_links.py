"""Participant links: which employers and service providers a participant is linked to, the scope
of employer and partner users.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import journey.core.db

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('participant_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('employer_id', sa.Integer(), nullable=True),
    sa.Column('service_provider_id', sa.Integer(), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('created_at', journey.core.db.UTCDateTime(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('ended_at', journey.core.db.UTCDateTime(), nullable=True),
    sa.Column('ended_by', sa.Integer(), nullable=True),
    sa.CheckConstraint("kind IN ('employer', 'service_provider')", name=op.f('ck_participant_links_kind_valid')),
    sa.CheckConstraint("reason IN ('presented', 'shared', 'placed', 'referred')", name=op.f('ck_participant_links_reason_valid')),
    sa.CheckConstraint("(kind = 'employer' AND employer_id IS NOT NULL AND service_provider_id IS NULL AND reason IN ('presented', 'shared', 'placed')) OR (kind = 'service_provider' AND service_provider_id IS NOT NULL AND employer_id IS NULL AND reason = 'referred')", name=op.f('ck_participant_links_organisation_matches_kind')),
    sa.CheckConstraint('ended_at IS NULL OR ended_at >= created_at', name=op.f('ck_participant_links_ends_after_start')),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_participant_links_participant_id_participants')),
    sa.ForeignKeyConstraint(['employer_id'], ['employers.id'], name=op.f('fk_participant_links_employer_id_employers')),
    sa.ForeignKeyConstraint(['service_provider_id'], ['service_providers.id'], name=op.f('fk_participant_links_service_provider_id_service_providers')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_participant_links_created_by_users')),
    sa.ForeignKeyConstraint(['ended_by'], ['users.id'], name=op.f('fk_participant_links_ended_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participant_links'))
    )
    with op.batch_alter_table('participant_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participant_links_participant_id'), ['participant_id'], unique=False)
        batch_op.create_index('ix_participant_links_employer_id', ['employer_id', 'ended_at'], unique=False)
        batch_op.create_index('ix_participant_links_service_provider_id', ['service_provider_id', 'ended_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('participant_links', schema=None) as batch_op:
        batch_op.drop_index('ix_participant_links_service_provider_id')
        batch_op.drop_index('ix_participant_links_employer_id')
        batch_op.drop_index(batch_op.f('ix_participant_links_participant_id'))

    op.drop_table('participant_links')
