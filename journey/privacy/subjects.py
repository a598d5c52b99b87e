"""Find a participant's rows in every table their domains declared (journey.core.domains).

One walker for export, erasure and retention. It reads the app's declarations
(``app.extensions["journey_domains"]``), never a list of its own, so a table a domain declares is
a table the walker visits. A declaration's ``link`` is followed generically:

- ``("participant_id",)``: the column holds the person's id;
- ``("id",)``: the row is the person (the participants table, for staff the users table);
- ``("entry_id", "passport_entries.participant_id")``: ``entry_id`` refers to a row of
  ``passport_entries`` (through its foreign key, or that table's primary key) whose
  ``participant_id`` is the person's id; hops chain.

A link that ends anywhere else (an object id that is the person's only for some rows, a phone
number) cannot be followed generically: its domain declares ``where(participant)`` instead, and
the walker refuses such a link without one rather than guess.

Rows are read through the tables' column types (so encrypted columns come back decrypted),
in primary-key order, one batch at a time (keyset pagination: memory stays bounded and every
batch is a complete query, so the caller may run other statements between batches).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.orm import Session

from journey.core.db import metadata
from journey.core.domains import Domain, PersonalData

PARTICIPANT = "participant"
BATCH = 500


class UnfollowableLink(LookupError):
    """A declaration whose link the walker cannot follow, and that declares no ``where``."""


@dataclass(frozen=True)
class Declared:
    """One participant table as the app declared it: the declaration, its domain, its table."""

    entry: PersonalData
    domain: str
    table: sa.Table

    @property
    def name(self) -> str:
        return self.entry.table


def _tables(domains: tuple[Domain, ...]) -> dict[str, sa.Table]:
    # A domain's models may sit on their own metadata (tests add such domains); theirs win.
    tables = dict(metadata.tables)
    for d in domains:
        for model in d.models:
            table = getattr(model, "__table__", None)
            if table is not None:
                tables[table.name] = table
    return tables


def declared(app: Flask | None = None, subject: str = PARTICIPANT) -> list[Declared]:
    """Every table declared for this subject, in the order the domains declare them."""
    app = app or current_app
    domains: tuple[Domain, ...] = app.extensions["journey_domains"]
    tables = _tables(domains)
    out = []
    for d in domains:
        for entry in d.personal_data:
            if entry.subject == subject:
                out.append(Declared(entry, d.name, tables[entry.table]))
    return out


def _referenced(column: sa.Column, target: sa.Table) -> sa.Column:
    for fk in column.foreign_keys:
        if fk.column.table is target:
            return fk.column
    pk = list(target.primary_key.columns)
    if len(pk) != 1:
        raise UnfollowableLink(f"{column} leads to {target.name}, which has no single key")
    return pk[0]


def _follow(tables: Mapping[str, sa.Table], table: sa.Table, link: tuple[str, ...],
            person_id: int) -> sa.ColumnElement[bool]:
    first, *hops = link
    column = table.c[first]
    if not hops:
        if first in ("participant_id", "id"):  # the person's id, or the person's own row
            return column == person_id
        raise UnfollowableLink(f"{table.name}.{first} is not a participant id; declare where()")
    name, rest = hops[0].rsplit(".", 1)
    target = tables[name]
    inner = _follow(tables, target, (rest, *hops[1:]), person_id)
    return column.in_(sa.select(_referenced(column, target)).where(inner))


def condition(item: Declared, participant: Any,
              tables: Mapping[str, sa.Table] | None = None) -> sa.ColumnElement[bool]:
    """The SQL condition on ``item.table`` selecting this participant's rows."""
    if item.entry.where is not None:
        return item.entry.where(participant)
    return _follow(tables or metadata.tables, item.table, item.entry.link, participant.id)


def _key(table: sa.Table) -> list[sa.Column]:
    return list(table.primary_key.columns)


def batches(sess: Session, item: Declared, participant: Any, size: int = BATCH,
            tables: Mapping[str, sa.Table] | None = None) -> Iterator[list[dict[str, Any]]]:
    """The participant's rows of one table, as dicts of column name -> value, ``size`` at a time."""
    where = condition(item, participant, tables)
    key = _key(item.table)
    stmt = sa.select(item.table).where(where).order_by(*key).limit(size)
    last: tuple | None = None
    while True:
        page = stmt
        if last is not None:
            page = stmt.where(sa.tuple_(*key) > sa.tuple_(*last)) if len(key) > 1 \
                else stmt.where(key[0] > last[0])
        rows = [dict(r) for r in sess.execute(page).mappings()]
        if not rows:
            return
        yield rows
        if len(rows) < size:
            return
        last = tuple(rows[-1][c.name] for c in key)


def walk(sess: Session, participant: Any, size: int = BATCH, app: Flask | None = None,
         ) -> Iterator[tuple[Declared, Iterator[list[dict[str, Any]]]]]:
    """Each declared participant table with an iterator over this participant's row batches.

    Consume each table's batches before moving on to the next table.
    """
    items = declared(app)
    tables = _tables((app or current_app).extensions["journey_domains"])
    for item in items:
        yield item, batches(sess, item, participant, size, tables)


def count(sess: Session, item: Declared, participant: Any) -> int:
    """How many of this participant's rows the table holds."""
    where = condition(item, participant, _tables(current_app.extensions["journey_domains"]))
    return sess.scalar(sa.select(sa.func.count()).select_from(item.table).where(where)) or 0
