"""Organisation names unique by a key computed in Python, not by SQL lower().

SQLite's lower() folds ASCII only, so "6Å" and "6å" passed the duplicate check and then hit the
UNIQUE constraint (a 500); PostgreSQL folded them and answered 409. Employers and service
providers now carry name_key (a digest of the name folded with NFKC, casefold and collapsed
whitespace), and the unique constraint moves from name to name_key.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""
import hashlib
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ('employers', 'service_providers')


def _key(name: str) -> str:
    # A copy of journey.organisations.models.organisation_key as it was at this revision.
    text = unicodedata.normalize("NFKC", name)
    text = unicodedata.normalize("NFKC", text.casefold())
    text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    text = " ".join(text.split())
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def upgrade() -> None:
    conn = op.get_bind()
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('name_key', sqlmodel.sql.sqltypes.AutoString(length=64),
                                          nullable=True))
        t = sa.table(table, sa.column('id', sa.Integer), sa.column('name', sa.String),
                     sa.column('name_key', sa.String))
        seen: set[str] = set()
        for row_id, name in conn.execute(sa.select(t.c.id, t.c.name).order_by(t.c.id)).all():
            key = _key(name)
            if key in seen:
                # Names SQLite let through as different (e.g. "Å" and "å"): the older row keeps
                # the plain key, a later one a key of its own, so the upgrade never fails on data.
                key = hashlib.sha256(f"{key}#{row_id}".encode()).hexdigest()
            seen.add(key)
            conn.execute(t.update().where(t.c.id == row_id).values(name_key=key))
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('name_key', existing_type=sqlmodel.sql.sqltypes.AutoString(length=64),
                                  nullable=False)
            batch_op.drop_constraint(batch_op.f(f'uq_{table}_name'), type_='unique')
            batch_op.create_unique_constraint(batch_op.f(f'uq_{table}_name_key'), ['name_key'])


def downgrade() -> None:
    # Equal names have equal keys, so the old constraint on name holds for any data kept.
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'uq_{table}_name_key'), type_='unique')
            batch_op.create_unique_constraint(batch_op.f(f'uq_{table}_name'), ['name'])
            batch_op.drop_column('name_key')
