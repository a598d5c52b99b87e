"""Encryption at rest: participants' sensitive and contact columns and permit numbers hold AES-GCM
ciphertext (journey.core.crypto); phones are found through a keyed blind index.

The columns become TEXT (a ciphertext is longer than the value), participants and sms_opt_outs gain
phone_index, and every existing row is encrypted in batches under the keys the app loads
(journey.config: JOURNEY_DATA_KEYS, JOURNEY_DATA_KEY_FILE, or the development key file). The
phone leaves search_text. The downgrade decrypts and puts it back.

Revision ID: 0010
Revises: 0006
Create Date: 2026-11-29
"""
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
import sqlmodel
from alembic import op

import journey.core.crypto
from journey.core.crypto import LazyKeyring, key_id, normalise_phone

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 500
# table -> {column: length before this revision}; each value is bound to "table.column".
ENCRYPTED = {
    'participants': {'sex_self_described': 100, 'gender_identity': 100, 'phone': 16,
                     'email': 254, 'disability_details': 500, 'notes': None},
    'permits': {'number': 64},
}



def _search_text(given: str, family: str, reference: str, phone: str | None) -> str:
    # A copy of journey.participants.services._search_text, without (upgrade) or with the phone.
    parts = [given, family, reference, (phone or '').lstrip('+')]
    return ' '.join(x.casefold() for x in parts if x)[:500]


def _rewrite(table: str, encrypt: bool, _keyring: LazyKeyring) -> None:
    """Encrypt (or decrypt) every row of ``table`` in batches, with its phone index and search text."""
    conn = op.get_bind()
    columns = list(ENCRYPTED[table])
    extra = (['given_name', 'family_name', 'reference', 'phone_index', 'search_text']
             if table == 'participants' else [])
    t = sa.table(table, sa.column('id', sa.Integer),
                 *(sa.column(c, sa.Text) for c in columns + extra))
    last = 0
    while True:
        rows = conn.execute(sa.select(t).where(t.c.id > last).order_by(t.c.id).limit(BATCH)).all()
        if not rows:
            return
        for row in rows:
            values = {}
            for c in columns:
                value = getattr(row, c)
                if value is None or (key_id(value) is not None) == encrypt:
                    continue  # empty, or already done (a rerun after a failure)
                context = f'{table}.{c}'
                values[c] = (_keyring().encrypt(value, context) if encrypt
                             else _keyring().decrypt(value, context))
            if table == 'participants':
                phone = row.phone
                if phone is not None and key_id(phone) is not None:
                    phone = _keyring().decrypt(phone, 'participants.phone')
                values['phone_index'] = (_keyring().blind_index(normalise_phone(phone))
                                         if encrypt and phone else None)
                values['search_text'] = _search_text(row.given_name, row.family_name,
                                                     row.reference, None if encrypt else phone)
            if values:  # e.g. a permit without a number has nothing to encrypt
                conn.execute(t.update().where(t.c.id == row.id).values(**values))
        last = rows[-1].id


def _opt_out_indexes(_keyring: LazyKeyring) -> None:
    conn = op.get_bind()
    t = sa.table('sms_opt_outs', sa.column('phone', sa.String), sa.column('phone_index', sa.String))
    for (phone,) in conn.execute(sa.select(t.c.phone)).all():
        conn.execute(t.update().where(t.c.phone == phone).values(
            phone_index=_keyring().blind_index(normalise_phone(phone))))


@contextmanager
def _sqlite_foreign_keys_off() -> Iterator[None]:
    """On SQLite, widening a column recreates the table, and dropping participants while rows
    refer to it fails with foreign keys on; the pragma only changes outside a transaction, so the
    migration commits, switches it off, and checks every reference before switching it on again
    (what Alembic's docs advise for batch mode with referencing foreign keys)."""
    conn = op.get_bind()
    if conn.dialect.name != 'sqlite':
        yield
        return
    dbapi = conn.connection.dbapi_connection
    conn.exec_driver_sql('COMMIT')
    conn.exec_driver_sql('PRAGMA foreign_keys=OFF')
    conn.exec_driver_sql('BEGIN IMMEDIATE')
    try:
        yield
        broken = conn.exec_driver_sql('PRAGMA foreign_key_check').fetchall()
        if broken:
            raise RuntimeError(f'foreign keys broken by the table rebuild: {broken[:5]}')
        conn.exec_driver_sql('COMMIT')
    finally:
        if dbapi.in_transaction:
            conn.exec_driver_sql('ROLLBACK')
        conn.exec_driver_sql('PRAGMA foreign_keys=ON')
        conn.exec_driver_sql('BEGIN IMMEDIATE')


def upgrade() -> None:
    # One transaction on both databases (on SQLite the one the pragma switch opens), so a failure
    # leaves the schema and the rows as they were.
    with _sqlite_foreign_keys_off():
        _widen()
        keys = LazyKeyring()
        for table in ENCRYPTED:
            _rewrite(table, True, keys)
        _opt_out_indexes(keys)


def _widen() -> None:
    with op.batch_alter_table('participants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone_index', journey.core.crypto.BlindIndex('phone'),
                                      nullable=True))
        batch_op.drop_index(batch_op.f('ix_participants_phone'))
        batch_op.create_index(batch_op.f('ix_participants_phone_index'), ['phone_index'],
                              unique=False)
        for column, length in ENCRYPTED['participants'].items():
            if length:
                batch_op.alter_column(column, existing_type=sqlmodel.sql.sqltypes.AutoString(
                    length=length), type_=sa.Text(), existing_nullable=True)
    with op.batch_alter_table('permits', schema=None) as batch_op:
        batch_op.alter_column('number', existing_type=sqlmodel.sql.sqltypes.AutoString(length=64),
                              type_=sa.Text(), existing_nullable=True)
    with op.batch_alter_table('sms_opt_outs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone_index', journey.core.crypto.BlindIndex('phone'),
                                      nullable=True))
        batch_op.create_index(batch_op.f('ix_sms_opt_outs_phone_index'), ['phone_index'],
                              unique=False)


def downgrade() -> None:
    with _sqlite_foreign_keys_off():
        keys = LazyKeyring()
        for table in ENCRYPTED:
            _rewrite(table, False, keys)
        _narrow()


def _narrow() -> None:
    with op.batch_alter_table('sms_opt_outs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sms_opt_outs_phone_index'))
        batch_op.drop_column('phone_index')
    with op.batch_alter_table('permits', schema=None) as batch_op:
        batch_op.alter_column('number', existing_type=sa.Text(),
                              type_=sqlmodel.sql.sqltypes.AutoString(length=64),
                              existing_nullable=True)
    with op.batch_alter_table('participants', schema=None) as batch_op:
        for column, length in ENCRYPTED['participants'].items():
            if length:
                batch_op.alter_column(column, existing_type=sa.Text(),
                                      type_=sqlmodel.sql.sqltypes.AutoString(length=length),
                                      existing_nullable=True)
        batch_op.drop_index(batch_op.f('ix_participants_phone_index'))
        batch_op.create_index(batch_op.f('ix_participants_phone'), ['phone'], unique=False)
        batch_op.drop_column('phone_index')
