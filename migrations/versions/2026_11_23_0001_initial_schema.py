"""Initial schema: organisations, users and tokens, participants, consent, audit log.

The audit log is append-only, enforced by triggers on both backends.

Revision ID: 0001
Revises: 
Create Date: 2026-11-23
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import journey.core.db

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('employers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('country', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('sector', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('created_at', journey.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_employers')),
    sa.UniqueConstraint('name', name=op.f('uq_employers_name'))
    )
    op.create_table('login_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('attempted_at', journey.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_attempts'))
    )
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_login_attempts_key_at', ['key', 'attempted_at'], unique=False)

    op.create_table('offices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('country', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('timezone', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', journey.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_offices')),
    sa.UniqueConstraint('code', name=op.f('uq_offices_code'))
    )
    op.create_table('programmes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('origin_country', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('destination_country', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('sector', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('occupations', sa.JSON(), nullable=False),
    sa.Column('default_language', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('created_at', journey.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('origin_country != destination_country', name=op.f('ck_programmes_distinct_countries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programmes')),
    sa.UniqueConstraint('code', name=op.f('uq_programmes_code'))
    )
    op.create_table('service_providers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('country', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('created_at', journey.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_providers')),
    sa.UniqueConstraint('name', name=op.f('uq_service_providers_name'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('full_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=True),
    sa.Column('employer_id', sa.Integer(), nullable=True),
    sa.Column('provider_id', sa.Integer(), nullable=True),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('password_hash', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', journey.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(role NOT IN ('supervisor', 'caseworker') OR office_id IS NOT NULL) AND (role != 'employer' OR employer_id IS NOT NULL) AND (role != 'partner' OR provider_id IS NOT NULL)", name=op.f('ck_users_role_affiliation')),
    sa.CheckConstraint("role IN ('admin', 'supervisor', 'caseworker', 'employer', 'partner')", name=op.f('ck_users_role_valid')),
    sa.ForeignKeyConstraint(['employer_id'], ['employers.id'], name=op.f('fk_users_employer_id_employers')),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_users_office_id_offices')),
    sa.ForeignKeyConstraint(['provider_id'], ['service_providers.id'], name=op.f('fk_users_provider_id_service_providers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_office_id'), ['office_id'], unique=False)

    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', journey.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', journey.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', journey.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', journey.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', journey.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('object_type', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=True),
    sa.Column('office_id', sa.Integer(), nullable=True),
    sa.Column('request_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_events_actor_id_users')),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_audit_events_office_id_offices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index('ix_audit_events_object', ['object_type', 'object_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_occurred_at'), ['occurred_at'], unique=False)
        batch_op.create_index('ix_audit_events_office_occurred', ['office_id', 'occurred_at'], unique=False)

    op.create_table('participants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=True),
    sa.Column('stage', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('given_name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('family_name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('name_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('search_text', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('date_of_birth', sa.Date(), nullable=False),
    sa.Column('sex', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('sex_self_described', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('gender_identity', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('nationality', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('origin_country', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('destination_country', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=True),
    sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('timezone', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('channels', sa.JSON(), nullable=False),
    sa.Column('disability', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('disability_details', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', journey.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', journey.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("disability IN ('no', 'yes', 'prefer_not_to_say', 'unknown')", name=op.f('ck_participants_disability_valid')),
    sa.CheckConstraint("sex = 'another' OR sex_self_described IS NULL", name=op.f('ck_participants_self_described_sex')),
    sa.CheckConstraint("sex IN ('female', 'male', 'another', 'prefer_not_to_say')", name=op.f('ck_participants_sex_valid')),
    sa.CheckConstraint("stage IN ('intake', 'preselection', 'training', 'matched', 'pre_departure', 'arrival', 'stay', 'onward', 'return', 'reintegration', 'closed', 'withdrawn', 'travel_blocked', 'local_track')", name=op.f('ck_participants_stage_valid')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_participants_version_positive')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_participants_created_by_users')),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], name=op.f('fk_participants_office_id_offices')),
    sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'], name=op.f('fk_participants_programme_id_programmes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participants')),
    sa.UniqueConstraint('reference', name=op.f('uq_participants_reference'))
    )
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participants_destination_country'), ['destination_country'], unique=False)
        batch_op.create_index('ix_participants_name_key_dob', ['name_key', 'date_of_birth'], unique=False)
        batch_op.create_index('ix_participants_office_created', ['office_id', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_participants_office_family_name', ['office_id', 'family_name', 'id'], unique=False)
        batch_op.create_index('ix_participants_office_stage', ['office_id', 'stage'], unique=False)
        batch_op.create_index(batch_op.f('ix_participants_origin_country'), ['origin_country'], unique=False)
        batch_op.create_index(batch_op.f('ix_participants_phone'), ['phone'], unique=False)
        batch_op.create_index(batch_op.f('ix_participants_programme_id'), ['programme_id'], unique=False)

    op.create_table('consent_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('method', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('recorded_by', sa.Integer(), nullable=True),
    sa.Column('recorded_at', journey.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('withdrawn_at', journey.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_by', sa.Integer(), nullable=True),
    sa.Column('withdrawal_method', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
    sa.Column('withdrawal_note', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.CheckConstraint("method IN ('verbal', 'signed', 'sms', 'email', 'web')", name=op.f('ck_consent_records_method_valid')),
    sa.CheckConstraint("purpose IN ('case_management', 'updates', 'share_employers', 'share_providers', 'monitoring')", name=op.f('ck_consent_records_purpose_valid')),
    sa.CheckConstraint("withdrawal_method IN ('verbal', 'signed', 'sms', 'email', 'web')", name=op.f('ck_consent_records_withdrawal_method_valid')),
    sa.CheckConstraint('(withdrawn_at IS NULL) = (withdrawal_method IS NULL)', name=op.f('ck_consent_records_withdrawal_complete')),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_consent_records_participant_id_participants')),
    sa.ForeignKeyConstraint(['recorded_by'], ['users.id'], name=op.f('fk_consent_records_recorded_by_users')),
    sa.ForeignKeyConstraint(['withdrawn_by'], ['users.id'], name=op.f('fk_consent_records_withdrawn_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_records'))
    )
    with op.batch_alter_table('consent_records', schema=None) as batch_op:
        batch_op.create_index('ix_consent_records_participant_purpose', ['participant_id', 'purpose'], unique=False)

    _create_audit_guards()


_PG_GUARD = """
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END $$;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
"""


def _create_audit_guards() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_GUARD)
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events "
                "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END"
            )


def _drop_audit_guards() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_events_no_update ON audit_events")
        op.execute("DROP FUNCTION audit_events_append_only()")
    else:
        op.execute("DROP TRIGGER audit_events_no_update")
        op.execute("DROP TRIGGER audit_events_no_delete")


def downgrade() -> None:
    _drop_audit_guards()
    with op.batch_alter_table('consent_records', schema=None) as batch_op:
        batch_op.drop_index('ix_consent_records_participant_purpose')

    op.drop_table('consent_records')
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_participants_programme_id'))
        batch_op.drop_index(batch_op.f('ix_participants_phone'))
        batch_op.drop_index(batch_op.f('ix_participants_origin_country'))
        batch_op.drop_index('ix_participants_office_stage')
        batch_op.drop_index('ix_participants_office_family_name')
        batch_op.drop_index('ix_participants_office_created')
        batch_op.drop_index('ix_participants_name_key_dob')
        batch_op.drop_index(batch_op.f('ix_participants_destination_country'))

    op.drop_table('participants')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_office_occurred')
        batch_op.drop_index(batch_op.f('ix_audit_events_occurred_at'))
        batch_op.drop_index('ix_audit_events_object')
        batch_op.drop_index(batch_op.f('ix_audit_events_actor_id'))
        batch_op.drop_index(batch_op.f('ix_audit_events_action'))

    op.drop_table('audit_events')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))

    op.drop_table('api_tokens')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_office_id'))

    op.drop_table('users')
    op.drop_table('service_providers')
    op.drop_table('programmes')
    op.drop_table('offices')
    with op.batch_alter_table('login_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_login_attempts_key_at')

    op.drop_table('login_attempts')
    op.drop_table('employers')
