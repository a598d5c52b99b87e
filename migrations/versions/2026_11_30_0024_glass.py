"""Grievances: a keyed blind index of the name a grievance is against (grievances.against_index),
so complaints against the same recruiter are counted together without decrypting every name
(journey.grievances.patterns). Existing rows get their index from their decrypted name.

Revision ID: 0024
Revises: 0023
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import journey.core.crypto
from journey.core.crypto import LazyKeyring, normalise_name

revision: str = '0024'
down_revision: str | None = '0023'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 500


def _backfill() -> None:
    conn = op.get_bind()
    keys = LazyKeyring()
    t = sa.table('grievances', sa.column('id', sa.Integer), sa.column('against_name', sa.Text),
                 sa.column('against_index', sa.String))
    last = 0
    while True:
        rows = conn.execute(sa.select(t.c.id, t.c.against_name)
                            .where(t.c.id > last, t.c.against_name.is_not(None),
                                   t.c.against_name != '')
                            .order_by(t.c.id).limit(BATCH)).all()
        if not rows:
            return
        for row in rows:
            name = keys().decrypt(row.against_name, 'grievances.against_name')
            conn.execute(t.update().where(t.c.id == row.id).values(
                against_index=keys().blind_index(normalise_name(name))))
        last = rows[-1].id


def upgrade() -> None:
    with op.batch_alter_table('grievances', schema=None) as batch_op:
        batch_op.add_column(sa.Column('against_index',
                                      journey.core.crypto.BlindIndex('against_name', 'name'),
                                      nullable=True))
        batch_op.create_index(batch_op.f('ix_grievances_against_index'), ['against_index'],
                              unique=False)
    _backfill()


def downgrade() -> None:
    with op.batch_alter_table('grievances', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grievances_against_index'))
        batch_op.drop_column('against_index')
