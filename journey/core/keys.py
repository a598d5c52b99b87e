"""`journey keys`: which data key each encrypted value is under, and rotation to the current key.

The encrypted columns and blind indexes are found from the models' column types
(journey.core.crypto.EncryptedText and BlindIndex), so a table added later is covered without
touching this module. Values are read and written raw (ciphertext in, ciphertext out), a batch at
a time, each batch committed: an interrupted rotation resumes where it stopped, because a row
whose values are all under the current key (and whose indexes are too) is never selected again.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext

from journey.core import crypto
from journey.core.db import metadata


def _raw(column: sa.Column) -> sa.ColumnElement:
    return sa.type_coerce(column, sa.Text)  # the stored text, not decrypted


def _plan() -> dict[sa.Table, tuple[list[sa.Column], list[sa.Column]]]:
    """Each table with encrypted columns or blind indexes: (encrypted columns, index columns)."""
    tables: dict[sa.Table, tuple[list, list]] = defaultdict(lambda: ([], []))
    for c in crypto.encrypted_columns(metadata):
        tables[c.table][0].append(c)
    for c in crypto.index_columns(metadata):
        tables[c.table][1].append(c)
    return dict(tables)


def _stale(ring: crypto.Keyring, encrypted: list, indexes: list) -> sa.ColumnElement[bool]:
    """Rows holding a value or an index not under the current key."""
    value_prefix = f"{crypto.PREFIX}{ring.current}.%"
    index_prefix = f"{ring.current}:%"
    conditions = [sa.and_(c.is_not(None), _raw(c) != "", ~_raw(c).like(value_prefix))
                  for c in encrypted]  # '' is stored as it is (an emptied NOT NULL column)
    for c in indexes:
        source = c.table.c[c.type.source]
        # An index missing for a value that has one counts too (a row written before the index).
        conditions.append(sa.or_(sa.and_(c.is_not(None), ~c.like(index_prefix)),
                                 sa.and_(c.is_(None), source.is_not(None),
                                         _raw(source) != "")))
    return sa.or_(*conditions)


def _rewrite_row(ring: crypto.Keyring, row, encrypted: list, indexes: list) -> dict[str, str]:
    values: dict[str, str | None] = {}
    plain: dict[str, str | None] = {}
    for c in encrypted:
        raw = row._mapping[c.name]
        if not raw:
            continue
        plain[c.name] = ring.decrypt(raw, c.type.context)
        if crypto.key_id(raw) != ring.current:
            values[c.name] = ring.encrypt(plain[c.name], c.type.context)
    for c in indexes:
        source = c.type.source
        value = plain[source] if source in plain else row._mapping[source]
        if source in plain or not isinstance(c.table.c[source].type, crypto.EncryptedText):
            new = c.type.compute(value, ring)
            if new != row._mapping[c.name]:
                values[c.name] = new
    return values


def rotate(sess_factory, ring: crypto.Keyring, batch: int, progress=None) -> Counter:
    """Re-encrypt every stale row under the current key, a committed batch at a time."""
    done: Counter = Counter()
    for table, (encrypted, indexes) in _plan().items():
        pk = list(table.primary_key.columns)
        wanted = list({c.name: c for c in [*encrypted, *indexes,
                                           *(table.c[i.type.source] for i in indexes)]}.values())
        select = (sa.select(*pk, *(_raw(c).label(c.name) for c in wanted))
                  .where(_stale(ring, encrypted, indexes)).order_by(*pk).limit(batch))
        skipped: set = set()
        while True:
            with sess_factory() as sess, sess.begin():
                stmt = select if not skipped else select.where(
                    sa.tuple_(*pk).not_in(list(skipped)) if len(pk) > 1
                    else pk[0].not_in([k[0] for k in skipped]))
                rows = sess.execute(stmt).all()
                if not rows:
                    break
                for row in rows:
                    values = _rewrite_row(ring, row, encrypted, indexes)
                    key = tuple(row._mapping[c.name] for c in pk)
                    if values:
                        sess.execute(sa.update(table).where(*(c == k for c, k in zip(pk, key, strict=True)))
                                     .values(**{n: sa.literal(v, sa.Text) if v is not None
                                                else None for n, v in values.items()}))
                        done[table.name] += 1
                    else:
                        skipped.add(key)  # nothing to change (e.g. an index of an empty value)
            if progress is not None:
                progress(len(rows))
    return done


def count_stale(sess, ring: crypto.Keyring) -> int:
    return sum(sess.scalar(sa.select(sa.func.count()).select_from(table)
                           .where(_stale(ring, encrypted, indexes))) or 0
               for table, (encrypted, indexes) in _plan().items())


def status(sess) -> dict[str, Counter]:
    """{"table.column": {key id (or "clear"/"unknown"): number of values}}."""
    out: dict[str, Counter] = {}
    for c in [*crypto.encrypted_columns(metadata), *crypto.index_columns(metadata)]:
        counts: Counter = Counter()
        for (raw,) in sess.execute(sa.select(_raw(c)).where(c.is_not(None))):
            if isinstance(c.type, crypto.EncryptedText) and raw == "":
                counts["empty"] += 1
            elif isinstance(c.type, crypto.EncryptedText):
                counts[crypto.key_id(raw) or "clear"] += 1
            else:
                counts[raw.partition(":")[0]] += 1
        out[f"{c.table.name}.{c.name}"] = counts
    return out


@click.group("keys")
def keys_group():
    """Data keys: encryption at rest (see README, 'Encryption at rest')."""


@keys_group.command("status")
@with_appcontext
def keys_status():
    """How many values each encrypted column and blind index holds under each key id."""
    state = current_app.extensions["journey_db"]
    ring = crypto.keyring()
    click.echo(f"current key: {ring.current}; loaded: {', '.join(ring.kids)}")
    with state.session_factory() as sess:
        for name, counts in status(sess).items():
            shown = ", ".join(f"{kid}={n}" for kid, n in sorted(counts.items())) or "empty"
            click.echo(f"{name}: {shown}")


@keys_group.command("rotate")
@click.option("--batch", type=click.IntRange(1), default=None,
              help="Rows per committed batch (default JOURNEY_KEY_ROTATION_BATCH).")
@with_appcontext
def keys_rotate(batch: int | None):
    """Re-encrypt every value under the current key and recompute the blind indexes.

    Put the new key first in JOURNEY_DATA_KEYS (keep the old ones after it), run this, then drop
    the old keys. Safe to interrupt and run again.
    """
    state = current_app.extensions["journey_db"]
    ring = crypto.keyring()
    batch = batch or current_app.config["KEY_ROTATION_BATCH"]
    with state.session_factory() as sess:
        total = count_stale(sess, ring)
    with click.progressbar(length=total, label=f"re-encrypting under {ring.current}") as bar:
        done = rotate(state.session_factory, ring, batch, bar.update)
    click.echo(f"{sum(done.values())} rows rewritten"
               + "".join(f"; {t}: {n}" for t, n in sorted(done.items())))
