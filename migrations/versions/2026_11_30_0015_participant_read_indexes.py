"""Indexes for reading participants at scale (issue #12, item 5).

* ``ix_participants_created_id`` on (created_at, id): the list's default sort (-created_at, -id)
  with no office filter. Without it PostgreSQL scanned and sorted the whole table for every page,
  and spilled the sort to disk for page 200 of 100,000 participants.
* ``ix_participants_search_text_trgm``: free-text search (``search_text LIKE '%…%'``) through a
  pg_trgm GIN index on PostgreSQL, instead of a sequential scan for the count and another for
  the page. pg_trgm ships with PostgreSQL (contrib); creating the extension needs a role allowed
  to (the database owner, from PostgreSQL 13, as it is a trusted extension). SQLite has no
  trigram index: it gets a plain one on the column (its LIKE cannot seek it, but a count of
  matches scans the narrow index instead of the table), so the models and this revision agree
  on both databases.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == 'postgresql'
    op.create_index('ix_participants_created_id', 'participants', ['created_at', 'id'])
    if postgresql:
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        op.create_index('ix_participants_search_text_trgm', 'participants', ['search_text'],
                        postgresql_using='gin', postgresql_ops={'search_text': 'gin_trgm_ops'})
    else:
        op.create_index('ix_participants_search_text_trgm', 'participants', ['search_text'])


def downgrade() -> None:
    # The pg_trgm extension stays: other objects may use it, and dropping it needs more rights.
    for name in ('ix_participants_search_text_trgm', 'ix_participants_created_id'):
        op.drop_index(name, table_name='participants')
