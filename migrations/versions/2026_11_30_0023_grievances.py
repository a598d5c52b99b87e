"""Grievances (#14): grievances and their entries, focal points, break-the-glass grants,
escalations; offices get their working week and holidays (business-day SLAs).

offices gets its column with a plain ADD COLUMN (a NOT NULL column with a default), not batch
mode, which would recreate a table many others refer to.

Revision ID: 0023
Revises: 0022
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import journey.core.db

revision: str = '0023'
down_revision: str | None = '0022'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('office_holidays',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_at', journey.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_office_holidays_office_id_offices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_office_holidays')),
    sa.UniqueConstraint('office_id', 'day', name=op.f('uq_office_holidays_office_id'))
    )
    with op.batch_alter_table('office_holidays', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_office_holidays_office_id'), ['office_id'], unique=False)

    op.create_table('grievance_focal_points',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', journey.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_grievance_focal_points_office_id_offices')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_grievance_focal_points_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grievance_focal_points')),
    sa.UniqueConstraint('office_id', 'user_id', name=op.f('uq_grievance_focal_points_office_id'))
    )
    with op.batch_alter_table('grievance_focal_points', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grievance_focal_points_office_id'), ['office_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_grievance_focal_points_user_id'), ['user_id'], unique=False)

    op.create_table('grievances',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=24), nullable=True),
    sa.Column('tracking_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('tracking_code', sa.Text(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=True),
    sa.Column('appeal_of_id', sa.Integer(), nullable=True),
    sa.Column('contact_phone', sa.Text(), nullable=True),
    sa.Column('contact_email', sa.Text(), nullable=True),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('severity', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('confidentiality', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('against_kind', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
    sa.Column('against_employer_id', sa.Integer(), nullable=True),
    sa.Column('against_name', sa.Text(), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('desired_outcome', sa.Text(), nullable=True),
    sa.Column('decision', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('resolution_summary', sa.Text(), nullable=True),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('received_at', journey.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_at', journey.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', journey.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', journey.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ack_due_at', journey.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('resolve_due_at', journey.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sla_status', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('clock_paused_at', journey.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ack_escalated_at', journey.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolve_escalated_at', journey.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', journey.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("against_employer_id IS NULL OR against_kind = 'employer'", name=op.f('ck_grievances_employer_when_against_employer')),
    sa.CheckConstraint("against_kind IS NULL OR against_kind IN ('employer', 'recruiter', 'other')", name=op.f('ck_grievances_against_kind_valid')),
    sa.CheckConstraint("category IN ('recruitment_fees', 'contract_substitution', 'wages', 'working_hours', 'document_confiscation', 'harassment_gbv', 'discrimination', 'housing', 'health', 'permit_visa', 'other')", name=op.f('ck_grievances_category_valid')),
    sa.CheckConstraint("channel IN ('staff', 'sms', 'web', 'email')", name=op.f('ck_grievances_channel_valid')),
    sa.CheckConstraint("confidentiality IN ('standard', 'sensitive', 'restricted')", name=op.f('ck_grievances_confidentiality_valid')),
    sa.CheckConstraint("decision IS NULL OR decision IN ('upheld', 'partly_upheld', 'not_upheld', 'withdrawn', 'referred')", name=op.f('ck_grievances_decision_valid')),
    sa.CheckConstraint("severity IN ('low', 'medium', 'high', 'critical')", name=op.f('ck_grievances_severity_valid')),
    sa.CheckConstraint("sla_status IN ('on_track', 'at_risk', 'breached', 'paused', 'met', 'missed')", name=op.f('ck_grievances_sla_status_valid')),
    sa.CheckConstraint("state IN ('received', 'acknowledged', 'in_review', 'waiting', 'resolved', 'appealed', 'closed')", name=op.f('ck_grievances_state_valid')),
    sa.CheckConstraint("state NOT IN ('resolved', 'appealed', 'closed') OR (decision IS NOT NULL AND resolution_summary IS NOT NULL AND resolved_at IS NOT NULL)", name=op.f('ck_grievances_resolved_with_decision')),
    sa.ForeignKeyConstraint(['against_employer_id'], ['employers.id'], name=op.f('fk_grievances_against_employer_id_employers')),
    sa.ForeignKeyConstraint(['appeal_of_id'], ['grievances.id'], name=op.f('fk_grievances_appeal_of_id_grievances')),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_grievances_assignee_id_users')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_grievances_created_by_users')),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_grievances_office_id_offices')),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_grievances_participant_id_participants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grievances')),
    sa.UniqueConstraint('reference', name=op.f('uq_grievances_reference')),
    sa.UniqueConstraint('tracking_hash', name=op.f('uq_grievances_tracking_hash'))
    )
    with op.batch_alter_table('grievances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grievances_against_employer_id'), ['against_employer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_grievances_appeal_of_id'), ['appeal_of_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_grievances_assignee_id'), ['assignee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_grievances_office_id'), ['office_id'], unique=False)
        batch_op.create_index('ix_grievances_office_state', ['office_id', 'state'], unique=False)
        batch_op.create_index('ix_grievances_open_sla', ['state', 'resolve_due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_grievances_participant_id'), ['participant_id'], unique=False)

    op.create_table('grievance_access_grants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('grievance_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', journey.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', journey.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['grievance_id'], ['grievances.id'], name=op.f('fk_grievance_access_grants_grievance_id_grievances')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_grievance_access_grants_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grievance_access_grants'))
    )
    with op.batch_alter_table('grievance_access_grants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grievance_access_grants_grievance_id'), ['grievance_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_grievance_access_grants_user_id'), ['user_id'], unique=False)

    op.create_table('grievance_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('grievance_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('event', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
    sa.Column('from_state', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('to_state', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('created_at', journey.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('transition', 'note', 'public_reply', 'assigned', 'clock_paused', 'clock_resumed', 'escalated', 'break_glass')", name=op.f('ck_grievance_entries_kind_valid')),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_grievance_entries_actor_id_users')),
    sa.ForeignKeyConstraint(['grievance_id'], ['grievances.id'], name=op.f('fk_grievance_entries_grievance_id_grievances')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grievance_entries'))
    )
    with op.batch_alter_table('grievance_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grievance_entries_grievance_id'), ['grievance_id'], unique=False)

    op.create_table('grievance_escalations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('grievance_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('deadline', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('created_at', journey.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('seen_at', journey.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("deadline IN ('acknowledge', 'resolve')", name=op.f('ck_grievance_escalations_deadline_valid')),
    sa.ForeignKeyConstraint(['grievance_id'], ['grievances.id'], name=op.f('fk_grievance_escalations_grievance_id_grievances')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_grievance_escalations_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grievance_escalations')),
    sa.UniqueConstraint('grievance_id', 'user_id', 'deadline', name=op.f('uq_grievance_escalations_grievance_id'))
    )
    with op.batch_alter_table('grievance_escalations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grievance_escalations_grievance_id'), ['grievance_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_grievance_escalations_user_id'), ['user_id'], unique=False)

    op.add_column('offices', sa.Column('working_days', sqlmodel.sql.sqltypes.AutoString(length=7),
                                       server_default='12345', nullable=False))



def downgrade() -> None:
    op.drop_column('offices', 'working_days')

    with op.batch_alter_table('grievance_escalations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grievance_escalations_user_id'))
        batch_op.drop_index(batch_op.f('ix_grievance_escalations_grievance_id'))

    op.drop_table('grievance_escalations')
    with op.batch_alter_table('grievance_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grievance_entries_grievance_id'))

    op.drop_table('grievance_entries')
    with op.batch_alter_table('grievance_access_grants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grievance_access_grants_user_id'))
        batch_op.drop_index(batch_op.f('ix_grievance_access_grants_grievance_id'))

    op.drop_table('grievance_access_grants')
    with op.batch_alter_table('grievances', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grievances_participant_id'))
        batch_op.drop_index('ix_grievances_open_sla')
        batch_op.drop_index('ix_grievances_office_state')
        batch_op.drop_index(batch_op.f('ix_grievances_office_id'))
        batch_op.drop_index(batch_op.f('ix_grievances_assignee_id'))
        batch_op.drop_index(batch_op.f('ix_grievances_appeal_of_id'))
        batch_op.drop_index(batch_op.f('ix_grievances_against_employer_id'))

    op.drop_table('grievances')
    with op.batch_alter_table('grievance_focal_points', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grievance_focal_points_user_id'))
        batch_op.drop_index(batch_op.f('ix_grievance_focal_points_office_id'))

    op.drop_table('grievance_focal_points')
    with op.batch_alter_table('office_holidays', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_office_holidays_office_id'))

    op.drop_table('office_holidays')
