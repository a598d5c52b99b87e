"""Server-side sessions (the session cookie names a row, so logout and deactivation end it), TOTP
secrets and the roles that require them.

Revision ID: 0008
Revises: 0006
Create Date: 2026-11-29
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import journey.core.db

revision: str = '0008'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('user_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('secret_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', journey.core.db.UTCDateTime(), nullable=False),
    sa.Column('last_seen_at', journey.core.db.UTCDateTime(), nullable=False),
    sa.Column('expires_at', journey.core.db.UTCDateTime(), nullable=False),
    sa.Column('ended_at', journey.core.db.UTCDateTime(), nullable=True),
    sa.Column('ended_reason', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
    sa.Column('awaiting', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('client', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.CheckConstraint('(ended_at IS NULL) = (ended_reason IS NULL)', name=op.f('ck_user_sessions_ended_with_reason')),
    sa.CheckConstraint("awaiting IS NULL OR awaiting IN ('otp', 'otp-enrolment')", name=op.f('ck_user_sessions_awaiting_valid')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_sessions_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_sessions')),
    sa.UniqueConstraint('secret_hash', name=op.f('uq_user_sessions_secret_hash'))
    )
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_sessions_user_id'), ['user_id'], unique=False)

    op.create_table('user_totp',
    sa.Column('user_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('secret', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', journey.core.db.UTCDateTime(), nullable=False),
    sa.Column('confirmed_at', journey.core.db.UTCDateTime(), nullable=True),
    sa.Column('last_step', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_totp_user_id_users')),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_user_totp'))
    )
    op.create_table('role_security',
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('require_totp', sa.Boolean(), nullable=False),
    sa.Column('updated_at', journey.core.db.UTCDateTime(), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.CheckConstraint("role IN ('admin', 'supervisor', 'caseworker', 'employer', 'partner')", name=op.f('ck_role_security_role_valid')),
    sa.ForeignKeyConstraint(['updated_by'], ['users.id'], name=op.f('fk_role_security_updated_by_users')),
    sa.PrimaryKeyConstraint('role', name=op.f('pk_role_security'))
    )


def downgrade() -> None:
    op.drop_table('role_security')
    op.drop_table('user_totp')
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_sessions_user_id'))

    op.drop_table('user_sessions')
