"""Skills passports: ISCO/ESCO taxonomy, passport entries with revisions, share links,
credentials and their signing keys, return skill forms and skill cards.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import journey.core.db

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('isco_groups',
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('label_key', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('parent_code', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=True),
    sa.CheckConstraint('(level = 1) = (parent_code IS NULL)', name=op.f('ck_isco_groups_parent_unless_major')),
    sa.CheckConstraint('length(code) = level', name=op.f('ck_isco_groups_code_matches_level')),
    sa.CheckConstraint('level BETWEEN 1 AND 4', name=op.f('ck_isco_groups_level_valid')),
    sa.ForeignKeyConstraint(['parent_code'], ['isco_groups.code'], name=op.f('fk_isco_groups_parent_code_isco_groups')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_isco_groups'))
    )
    with op.batch_alter_table('isco_groups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_isco_groups_label_key'), ['label_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_isco_groups_parent_code'), ['parent_code'], unique=False)

    op.create_table('signing_keys',
    sa.Column('kid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('public_jwk', sa.JSON(), nullable=False),
    sa.Column('created_at', journey.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('retired_at', journey.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('kid', name=op.f('pk_signing_keys'))
    )
    op.create_table('esco_occupations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uri', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('label_key', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('isco_code', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=False),
    sa.ForeignKeyConstraint(['isco_code'], ['isco_groups.code'], name=op.f('fk_esco_occupations_isco_code_isco_groups')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_esco_occupations')),
    sa.UniqueConstraint('uri', name=op.f('uq_esco_occupations_uri'))
    )
    with op.batch_alter_table('esco_occupations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_esco_occupations_isco_code'), ['isco_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_esco_occupations_label_key'), ['label_key'], unique=False)

    op.create_table('passport_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('esco_uri', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('isco_code', sqlmodel.sql.sqltypes.AutoString(length=4), nullable=True),
    sa.Column('country', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=True),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('acquired_abroad', sa.Boolean(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('verification', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('verified_by', sa.Integer(), nullable=True),
    sa.Column('verified_at', journey.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('evidence', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', journey.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', journey.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('retired_at', journey.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('retired_by', sa.Integer(), nullable=True),
    sa.CheckConstraint("kind IN ('occupation', 'skill', 'qualification', 'prior_learning', 'experience', 'language', 'soft_skill', 'training')", name=op.f('ck_passport_entries_kind_valid')),
    sa.CheckConstraint("verification = 'self_declared' OR verified_at IS NOT NULL", name=op.f('ck_passport_entries_verified_when_verified')),
    sa.CheckConstraint("verification IN ('self_declared', 'documents_seen', 'assessed', 'certified', 'recognised')", name=op.f('ck_passport_entries_verification_valid')),
    sa.CheckConstraint('(retired_at IS NULL) = (retired_by IS NULL)', name=op.f('ck_passport_entries_retired_complete')),
    sa.CheckConstraint('end_date IS NULL OR start_date IS NULL OR end_date >= start_date', name=op.f('ck_passport_entries_dates_ordered')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_passport_entries_version_positive')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_passport_entries_created_by_users')),
    sa.ForeignKeyConstraint(['isco_code'], ['isco_groups.code'], name=op.f('fk_passport_entries_isco_code_isco_groups')),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_passport_entries_participant_id_participants')),
    sa.ForeignKeyConstraint(['retired_by'], ['users.id'], name=op.f('fk_passport_entries_retired_by_users')),
    sa.ForeignKeyConstraint(['verified_by'], ['users.id'], name=op.f('fk_passport_entries_verified_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_passport_entries'))
    )
    with op.batch_alter_table('passport_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_passport_entries_isco_code'), ['isco_code'], unique=False)
        batch_op.create_index('ix_passport_entries_participant_kind', ['participant_id', 'kind'], unique=False)

    op.create_table('passports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('disclosure', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', journey.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', journey.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_passports_participant_id_participants')),
    sa.ForeignKeyConstraint(['updated_by'], ['users.id'], name=op.f('fk_passports_updated_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_passports')),
    sa.UniqueConstraint('participant_id', name=op.f('uq_passports_participant_id'))
    )
    op.create_table('share_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('employer_id', sa.Integer(), nullable=True),
    sa.Column('audience', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('kinds', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', journey.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', journey.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', journey.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_by', sa.Integer(), nullable=True),
    sa.Column('view_count', sa.Integer(), nullable=False),
    sa.Column('last_viewed_at', journey.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('(revoked_at IS NULL) = (revoked_by IS NULL)', name=op.f('ck_share_links_revoked_complete')),
    sa.CheckConstraint('expires_at > created_at', name=op.f('ck_share_links_expires_after_creation')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_share_links_created_by_users')),
    sa.ForeignKeyConstraint(['employer_id'], ['employers.id'], name=op.f('fk_share_links_employer_id_employers')),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_share_links_participant_id_participants')),
    sa.ForeignKeyConstraint(['revoked_by'], ['users.id'], name=op.f('fk_share_links_revoked_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_share_links')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_share_links_token_hash'))
    )
    with op.batch_alter_table('share_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_share_links_employer_id'), ['employer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_share_links_participant_id'), ['participant_id'], unique=False)

    op.create_table('skill_forms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('cycle', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('prefill', sa.JSON(), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', journey.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('updated_at', journey.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('completed_at', journey.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('completed_by', sa.Integer(), nullable=True),
    sa.Column('completed_via', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('link_token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('link_expires_at', journey.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("(status = 'completed') = (completed_at IS NOT NULL)", name=op.f('ck_skill_forms_completed_when_completed')),
    sa.CheckConstraint("completed_via IN ('caseworker', 'self_link')", name=op.f('ck_skill_forms_completed_via_valid')),
    sa.CheckConstraint("status IN ('open', 'completed')", name=op.f('ck_skill_forms_status_valid')),
    sa.CheckConstraint('(completed_at IS NULL) = (completed_via IS NULL)', name=op.f('ck_skill_forms_completion_complete')),
    sa.CheckConstraint('(link_token_hash IS NULL) = (link_expires_at IS NULL)', name=op.f('ck_skill_forms_link_complete')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_skill_forms_version_positive')),
    sa.ForeignKeyConstraint(['completed_by'], ['users.id'], name=op.f('fk_skill_forms_completed_by_users')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_skill_forms_created_by_users')),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_skill_forms_participant_id_participants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_skill_forms')),
    sa.UniqueConstraint('link_token_hash', name=op.f('uq_skill_forms_link_token_hash')),
    sa.UniqueConstraint('participant_id', 'cycle', name='uq_skill_forms_participant_cycle')
    )
    with op.batch_alter_table('skill_forms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_skill_forms_participant_id'), ['participant_id'], unique=False)

    op.create_table('credentials',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uuid', sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('scope', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=True),
    sa.Column('entry_version', sa.Integer(), nullable=True),
    sa.Column('kid', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('token', sa.Text(), nullable=False),
    sa.Column('issued_by', sa.Integer(), nullable=True),
    sa.Column('issued_at', journey.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('valid_until', journey.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', journey.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_by', sa.Integer(), nullable=True),
    sa.Column('revocation_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.CheckConstraint("(scope = 'entry') = (entry_id IS NOT NULL)", name=op.f('ck_credentials_entry_scope')),
    sa.CheckConstraint("scope IN ('passport', 'entry', 'skill_card')", name=op.f('ck_credentials_scope_valid')),
    sa.CheckConstraint('(revoked_at IS NULL) = (revocation_reason IS NULL)', name=op.f('ck_credentials_revocation_complete')),
    sa.ForeignKeyConstraint(['entry_id'], ['passport_entries.id'], name=op.f('fk_credentials_entry_id_passport_entries')),
    sa.ForeignKeyConstraint(['issued_by'], ['users.id'], name=op.f('fk_credentials_issued_by_users')),
    sa.ForeignKeyConstraint(['kid'], ['signing_keys.kid'], name=op.f('fk_credentials_kid_signing_keys')),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_credentials_participant_id_participants')),
    sa.ForeignKeyConstraint(['revoked_by'], ['users.id'], name=op.f('fk_credentials_revoked_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credentials')),
    sa.UniqueConstraint('uuid', name=op.f('uq_credentials_uuid'))
    )
    with op.batch_alter_table('credentials', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credentials_entry_id'), ['entry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_credentials_participant_id'), ['participant_id'], unique=False)

    op.create_table('passport_entry_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('change', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.Column('changed_by', sa.Integer(), nullable=True),
    sa.Column('changed_at', journey.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['changed_by'], ['users.id'], name=op.f('fk_passport_entry_revisions_changed_by_users')),
    sa.ForeignKeyConstraint(['entry_id'], ['passport_entries.id'], name=op.f('fk_passport_entry_revisions_entry_id_passport_entries')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_passport_entry_revisions')),
    sa.UniqueConstraint('entry_id', 'version', name='uq_passport_entry_revisions_entry_version')
    )
    op.create_table('skill_cards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('form_id', sa.Integer(), nullable=False),
    sa.Column('credential_id', sa.Integer(), nullable=True),
    sa.Column('public_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('issued_at', journey.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('issued_by', sa.Integer(), nullable=True),
    sa.Column('revoked_at', journey.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_by', sa.Integer(), nullable=True),
    sa.Column('revocation_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.CheckConstraint('(revoked_at IS NULL) = (revocation_reason IS NULL)', name=op.f('ck_skill_cards_revocation_complete')),
    sa.ForeignKeyConstraint(['credential_id'], ['credentials.id'], name=op.f('fk_skill_cards_credential_id_credentials')),
    sa.ForeignKeyConstraint(['form_id'], ['skill_forms.id'], name=op.f('fk_skill_cards_form_id_skill_forms')),
    sa.ForeignKeyConstraint(['issued_by'], ['users.id'], name=op.f('fk_skill_cards_issued_by_users')),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], name=op.f('fk_skill_cards_participant_id_participants')),
    sa.ForeignKeyConstraint(['revoked_by'], ['users.id'], name=op.f('fk_skill_cards_revoked_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_skill_cards')),
    sa.UniqueConstraint('form_id', name=op.f('uq_skill_cards_form_id')),
    sa.UniqueConstraint('number', name=op.f('uq_skill_cards_number')),
    sa.UniqueConstraint('public_id', name=op.f('uq_skill_cards_public_id'))
    )
    with op.batch_alter_table('skill_cards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_skill_cards_participant_id'), ['participant_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('skill_cards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_skill_cards_participant_id'))

    op.drop_table('skill_cards')
    op.drop_table('passport_entry_revisions')
    with op.batch_alter_table('credentials', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_credentials_participant_id'))
        batch_op.drop_index(batch_op.f('ix_credentials_entry_id'))

    op.drop_table('credentials')
    with op.batch_alter_table('skill_forms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_skill_forms_participant_id'))

    op.drop_table('skill_forms')
    with op.batch_alter_table('share_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_share_links_participant_id'))
        batch_op.drop_index(batch_op.f('ix_share_links_employer_id'))

    op.drop_table('share_links')
    op.drop_table('passports')
    with op.batch_alter_table('passport_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_passport_entries_participant_kind')
        batch_op.drop_index(batch_op.f('ix_passport_entries_isco_code'))

    op.drop_table('passport_entries')
    with op.batch_alter_table('esco_occupations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_esco_occupations_label_key'))
        batch_op.drop_index(batch_op.f('ix_esco_occupations_isco_code'))

    op.drop_table('esco_occupations')
    op.drop_table('signing_keys')
    with op.batch_alter_table('isco_groups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_isco_groups_parent_code'))
        batch_op.drop_index(batch_op.f('ix_isco_groups_label_key'))

    op.drop_table('isco_groups')
