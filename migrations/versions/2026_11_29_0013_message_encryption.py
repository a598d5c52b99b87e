"""Encryption at rest for messages: the outbox's address, subject and texts and an inbound SMS's
sender and text hold AES-GCM ciphertext (journey.core.crypto); texts from a number are found
through the sender's keyed blind index (inbound_messages.sender_index).

The address columns become TEXT (a ciphertext is longer than the value), and every existing row is
encrypted in batches under the keys the app loads (migration 0010's approach). Empty strings stay
as they are (EncryptedText stores '' as ''). The downgrade decrypts. sms_opt_outs.phone, the
table's primary key, stays in clear (it is found through its phone_index since 0010).

Revision ID: 0013
Revises: 0011
Create Date: 2026-11-29
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import journey.core.crypto
from journey.core.crypto import LazyKeyring, key_id, normalise_phone

revision: str = '0013'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 500
# table -> {column: length before this revision (None: already TEXT)}; values are bound to
# "table.column".
ENCRYPTED = {
    'outbox_messages': {'recipient': 254, 'subject': 300, 'body': None, 'html': None},
    'inbound_messages': {'sender': 32, 'body': None},
}
NOT_NULL = {('outbox_messages', 'body'), ('inbound_messages', 'sender'),
            ('inbound_messages', 'body')}



def _rewrite(table: str, encrypt: bool, keys: LazyKeyring) -> None:
    """Encrypt (or decrypt) every row of ``table`` in batches, with the sender's index."""
    conn = op.get_bind()
    columns = list(ENCRYPTED[table])
    inbound = table == 'inbound_messages'
    t = sa.table(table, sa.column('id', sa.Integer), *(sa.column(c, sa.Text) for c in columns),
                 *([sa.column('sender_index', sa.String)] if inbound else []))
    last = 0
    while True:
        rows = conn.execute(sa.select(t).where(t.c.id > last).order_by(t.c.id).limit(BATCH)).all()
        if not rows:
            return
        for row in rows:
            values = {}
            for c in columns:
                value = getattr(row, c)
                if not value or (key_id(value) is not None) == encrypt:
                    continue  # empty, or already done (a rerun after a failure)
                context = f'{table}.{c}'
                values[c] = (keys().encrypt(value, context) if encrypt
                             else keys().decrypt(value, context))
            if inbound and encrypt and row.sender and key_id(row.sender) is None:
                values['sender_index'] = keys().blind_index(normalise_phone(row.sender))
            if values:
                conn.execute(t.update().where(t.c.id == row.id).values(**values))
        last = rows[-1].id


def _retype(table: str, column: str, length: int, widen: bool) -> dict:
    short = sqlmodel.sql.sqltypes.AutoString(length=length)
    return dict(column_name=column, existing_type=short if widen else sa.Text(),
                type_=sa.Text() if widen else short,
                existing_nullable=(table, column) not in NOT_NULL)


def upgrade() -> None:
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        for column in ('recipient', 'subject'):
            batch_op.alter_column(**_retype('outbox_messages', column,
                                            ENCRYPTED['outbox_messages'][column], True))
    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.alter_column(**_retype('inbound_messages', 'sender', 32, True))
        batch_op.add_column(sa.Column('sender_index',
                                      journey.core.crypto.BlindIndex('sender', 'phone'),
                                      nullable=True))
        batch_op.create_index(batch_op.f('ix_inbound_messages_sender_index'), ['sender_index'],
                              unique=False)
    keys = LazyKeyring()
    for table in ENCRYPTED:
        _rewrite(table, True, keys)


def downgrade() -> None:
    keys = LazyKeyring()
    for table in ENCRYPTED:
        _rewrite(table, False, keys)
    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbound_messages_sender_index'))
        batch_op.drop_column('sender_index')
        batch_op.alter_column(**_retype('inbound_messages', 'sender', 32, False))
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        for column in ('subject', 'recipient'):
            batch_op.alter_column(**_retype('outbox_messages', column,
                                            ENCRYPTED['outbox_messages'][column], False))
