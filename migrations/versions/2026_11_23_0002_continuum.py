"""The continuum: checklist items, visas and permits, journey events, costs, programme set-up.

Existing participants get stage_entered_at = created_at and cycle 1.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import journey.core.db

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('programme_employers',
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('employer_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['employer_id'], ['employers.id'], name=op.f('fk_programme_employers_employer_id_employers')),
    sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'], name=op.f('fk_programme_employers_programme_id_programmes')),
    sa.PrimaryKeyConstraint('programme_id', 'employer_id', name=op.f('pk_programme_employers'))
    )
    op.create_table('checklist_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('stage', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('cycle', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('completed_by', sa.Integer(), nullable=True),
    sa.Column('completed_at', journey.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('evidence_note', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.Column('updated_at', journey.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("(status = 'done') = (completed_at IS NOT NULL)", name=op.f('ck_checklist_items_completed_when_done')),
    sa.CheckConstraint("stage IN ('intake', 'preselection', 'training', 'matched', 'pre_departure', 'arrival', 'stay', 'onward', 'return', 'reintegration', 'closed', 'withdrawn', 'travel_blocked', 'local_track')", name=op.f('ck_checklist_items_stage_valid')),
    sa.CheckConstraint("status IN ('pending', 'in_progress', 'done', 'not_applicable', 'blocked')", name=op.f('ck_checklist_items_status_valid')),
    sa.ForeignKeyConstraint(['completed_by'], ['users.id'], name=op.f('fk_checklist_items_completed_by_users')),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_checklist_items_participant_id_participants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checklist_items')),
    sa.UniqueConstraint('participant_id', 'cycle', 'key', name=op.f('uq_checklist_items_participant_id'))
    )
    with op.batch_alter_table('checklist_items', schema=None) as batch_op:
        batch_op.create_index('ix_checklist_items_due', ['status', 'due_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_checklist_items_participant_id'), ['participant_id'], unique=False)

    op.create_table('costs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('paid_by', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=True),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('recorded_by', sa.Integer(), nullable=True),
    sa.Column('recorded_at', journey.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("category IN ('recruitment_fee', 'preselection', 'skills_recognition', 'training', 'stipend', 'passport', 'visa_fee', 'travel', 'health_check', 'integration', 'return_support', 'other')", name=op.f('ck_costs_category_valid')),
    sa.CheckConstraint("paid_by IN ('government_origin', 'government_destination', 'employer', 'migrant', 'programme')", name=op.f('ck_costs_paid_by_valid')),
    sa.CheckConstraint('amount >= 0', name=op.f('ck_costs_amount_not_negative')),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_costs_participant_id_participants')),
    sa.ForeignKeyConstraint(['recorded_by'], ['users.id'], name=op.f('fk_costs_recorded_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_costs'))
    )
    with op.batch_alter_table('costs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_costs_participant_id'), ['participant_id'], unique=False)

    op.create_table('journey_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('occurred_at', journey.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('stage', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('dedupe_key', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_journey_events_actor_id_users')),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_journey_events_participant_id_participants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journey_events')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_journey_events_dedupe_key'))
    )
    with op.batch_alter_table('journey_events', schema=None) as batch_op:
        batch_op.create_index('ix_journey_events_kind_id', ['kind', 'id'], unique=False)
        batch_op.create_index('ix_journey_events_participant_at', ['participant_id', 'occurred_at', 'id'], unique=False)

    op.create_table('permits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('type', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('issuing_country', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('applied_on', sa.Date(), nullable=True),
    sa.Column('decided_on', sa.Date(), nullable=True),
    sa.Column('issued_on', sa.Date(), nullable=True),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('employer_tied', sa.Boolean(), nullable=False),
    sa.Column('employer_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', journey.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', journey.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('planned', 'applied', 'granted', 'refused', 'issued', 'expired', 'cancelled')", name=op.f('ck_permits_status_valid')),
    sa.CheckConstraint("type IN ('work_visa', 'work_permit', 'residence_permit', 'job_search_visa', 'seasonal_work_visa', 'training_visa', 'other')", name=op.f('ck_permits_type_valid')),
    sa.CheckConstraint('expires_on IS NULL OR issued_on IS NULL OR expires_on > issued_on', name=op.f('ck_permits_expiry_after_issue')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_permits_created_by_users')),
    sa.ForeignKeyConstraint(['employer_id'], ['employers.id'], name=op.f('fk_permits_employer_id_employers')),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_permits_participant_id_participants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_permits'))
    )
    with op.batch_alter_table('permits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_permits_participant_id'), ['participant_id'], unique=False)
        batch_op.create_index('ix_permits_status_expires', ['status', 'expires_on'], unique=False)

    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('previous_stage', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
        batch_op.add_column(sa.Column('stage_entered_at', journey.core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('cycle', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('employer_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('arrival_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('return_date', sa.Date(), nullable=True))
        batch_op.create_index(batch_op.f('ix_participants_employer_id'), ['employer_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_participants_employer_id_employers'), 'employers', ['employer_id'], ['id'])
        batch_op.create_check_constraint(batch_op.f('ck_participants_cycle_positive'), 'cycle >= 1')

    # Backfill, then tighten: the defaults only serve rows that existed before this revision.
    op.execute("UPDATE participants SET stage_entered_at = created_at")
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.alter_column('stage_entered_at', existing_type=journey.core.db.UTCDateTime(timezone=True), nullable=False)
        batch_op.alter_column('cycle', existing_type=sa.Integer(), server_default=None)

    with op.batch_alter_table('programmes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('languages', sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
        batch_op.add_column(sa.Column('training_provider_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('checklist_config', sa.JSON(), nullable=False, server_default=sa.text("'{}'")))
        batch_op.create_foreign_key(batch_op.f('fk_programmes_training_provider_id_service_providers'), 'service_providers', ['training_provider_id'], ['id'])

    with op.batch_alter_table('programmes', schema=None) as batch_op:
        batch_op.alter_column('languages', existing_type=sa.JSON(), server_default=None)
        batch_op.alter_column('checklist_config', existing_type=sa.JSON(), server_default=None)



def downgrade() -> None:
    with op.batch_alter_table('programmes', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_programmes_training_provider_id_service_providers'), type_='foreignkey')
        batch_op.drop_column('checklist_config')
        batch_op.drop_column('training_provider_id')
        batch_op.drop_column('languages')

    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_participants_cycle_positive'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_participants_employer_id_employers'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_participants_employer_id'))
        batch_op.drop_column('return_date')
        batch_op.drop_column('arrival_date')
        batch_op.drop_column('employer_id')
        batch_op.drop_column('cycle')
        batch_op.drop_column('stage_entered_at')
        batch_op.drop_column('previous_stage')

    with op.batch_alter_table('permits', schema=None) as batch_op:
        batch_op.drop_index('ix_permits_status_expires')
        batch_op.drop_index(batch_op.f('ix_permits_participant_id'))

    op.drop_table('permits')
    with op.batch_alter_table('journey_events', schema=None) as batch_op:
        batch_op.drop_index('ix_journey_events_participant_at')
        batch_op.drop_index('ix_journey_events_kind_id')

    op.drop_table('journey_events')
    with op.batch_alter_table('costs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_costs_participant_id'))

    op.drop_table('costs')
    with op.batch_alter_table('checklist_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checklist_items_participant_id'))
        batch_op.drop_index('ix_checklist_items_due')

    op.drop_table('checklist_items')
    op.drop_table('programme_employers')
