"""The taxonomy: importing ISCO-08 groups and ESCO occupations, looking them up, searching them."""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from journey.core.errors import NotFound
from journey.core.i18n import _
from journey.core.pagination import paginate
from journey.core.schemas import like_pattern
from journey.taxonomy import files
from journey.taxonomy.files import Source, Taxonomy, TaxonomyFileError, parent_code
from journey.taxonomy.models import EscoOccupation, IscoGroup

logger = logging.getLogger(__name__)

DATA = Path(__file__).resolve().parent / "data"
# Rows per INSERT/UPDATE batch. 500 rows of at most 5 columns stay far below SQLite's limit on
# bound parameters (32,766) even when a driver sends a batch as one multi-row statement.
CHUNK = 500
# Up to this many keys, preload only the rows a file names (load_base); above it, the whole table.
_PRELOAD_IN = 500

_groups = IscoGroup.__table__
_occupations = EscoOccupation.__table__

__all__ = ["ImportResult", "TaxonomyFileError", "fold", "group_detail", "import_esco",
           "isco_group", "load_base", "occupation_by_uri", "search_groups", "search_occupations"]


def fold(text: str) -> str:
    """Text for search: accents dropped (NFKD), case folded, runs of whitespace made one space.

    journey.participants.services.name_key folds the same way but also sorts the words, which
    suits names and not occupation titles.
    """
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return " ".join(text.split())[:files.LABEL_MAX]


@dataclass
class ImportResult:
    """What an import did, and what the taxonomy holds afterwards."""

    groups_created: int = 0
    groups_updated: int = 0
    groups_unchanged: int = 0
    occupations_created: int = 0
    occupations_updated: int = 0
    occupations_unchanged: int = 0
    unit_groups: int = 0  # in the database afterwards
    occupations: int = 0  # in the database afterwards

    def summary(self) -> str:
        return (f"ISCO groups: {self.groups_created} created, {self.groups_updated} updated, "
                f"{self.groups_unchanged} unchanged; ESCO occupations: {self.occupations_created} "
                f"created, {self.occupations_updated} updated, {self.occupations_unchanged} "
                f"unchanged; now {self.unit_groups} unit groups, {self.occupations} occupations")


# --- importing -----------------------------------------------------------------------------------

def import_esco(sess: Session, source: Source, *, isco_groups: Source | None = None) -> ImportResult:
    """Import (insert or update, never delete) ISCO groups and ESCO occupations from a CSV file.

    The file is either the flat occupations file (esco_label, esco_key, isco_4_label, isco_4_key,
    ...) or the official ESCO occupations_en.csv, which needs ISCOGroups_en.csv as isco_groups.
    Everything is validated before anything is written: TaxonomyFileError lists every bad line.
    """
    errors: list[str] = []
    columns = files.header(source)
    if "conceptUri" in columns and "iscoGroup" in columns:
        if isco_groups is None:
            raise TaxonomyFileError(["the official ESCO occupations file needs the ISCO groups "
                                     "file too (ISCOGroups_en.csv, --isco-groups)"])
        taxonomy = files.read_official_occupations(source, errors)
        taxonomy.groups = files.read_official_groups(isco_groups, errors).groups
    else:
        if isco_groups is not None:
            raise TaxonomyFileError(["--isco-groups goes with the official ESCO occupations file; "
                                     "this file carries its own ISCO groups"])
        taxonomy = files.read_flat(source, errors)
    if errors:
        raise TaxonomyFileError(errors)
    return _upsert(sess, taxonomy, update=True)


def load_base(sess: Session) -> ImportResult:
    """Load the groups and occupations that ship with journey, adding only what is missing.

    It covers every ISCO-08 major and sub-major group, and the minor and unit groups (with their
    ESCO occupations) that the demo data uses. Rows already present are left alone, so a later
    run never undoes a deployment's own ESCO import.
    """
    errors: list[str] = []
    taxonomy = files.read_flat(DATA / "occupations.csv", errors, name="occupations.csv")
    groups = files.read_official_groups(DATA / "isco_groups.csv", errors, name="isco_groups.csv")
    if errors:  # a packaging mistake, not user input
        raise TaxonomyFileError(errors)
    taxonomy.groups.update(groups.groups)
    return _upsert(sess, taxonomy, update=False)


def _preload(sess: Session, column: sa.Column, keys: list[str], *cols: sa.Column) -> list[sa.Row]:
    stmt = sa.select(*cols)
    if len(keys) <= _PRELOAD_IN:
        stmt = stmt.where(column.in_(keys))
    return sess.execute(stmt).all()


def _chunks(rows: list[dict[str, Any]]):
    for start in range(0, len(rows), CHUNK):
        yield rows[start:start + CHUNK]


def _upsert(sess: Session, taxonomy: Taxonomy, *, update: bool) -> ImportResult:
    """Insert what is new and (when update) rewrite what changed, in bulk, with Core."""
    result = ImportResult()
    g, o = _groups.c, _occupations.c
    # The occupations' unit groups too: a unit group may be in the database and not the file.
    wanted = set(taxonomy.groups) | {unit for _label, unit in taxonomy.occupations.values()}
    old_groups = {r.code: r.label for r in _preload(sess, g.code, sorted(wanted), g.code, g.label)}
    known = set(old_groups) | set(taxonomy.groups)
    errors = [f"occupation {uri}: unit group {unit} is not in the file or the database"
              for uri, (_label, unit) in taxonomy.occupations.items() if unit not in known]
    errors += [f"ISCO group {code}: parent group {parent_code(code)} is not in the file or the "
               f"database" for code in taxonomy.groups
               if parent_code(code) is not None and parent_code(code) not in known]
    if errors:
        raise TaxonomyFileError(errors)

    new_groups: list[dict[str, Any]] = []
    changed_groups: list[dict[str, Any]] = []
    for code, label in taxonomy.groups.items():
        old = old_groups.get(code)
        if old is None:
            new_groups.append({"code": code, "level": len(code), "label": label,
                               "label_key": fold(label), "parent_code": parent_code(code)})
        elif old != label and update:
            changed_groups.append({"b_code": code, "label": label, "label_key": fold(label)})
        else:
            result.groups_unchanged += 1
    # Parents before children: the foreign key is checked row by row on PostgreSQL.
    new_groups.sort(key=lambda r: (r["level"], r["code"]))
    for chunk in _chunks(new_groups):
        sess.execute(_groups.insert(), chunk)
    set_group = (_groups.update().where(g.code == sa.bindparam("b_code"))
                 .values(label=sa.bindparam("label"), label_key=sa.bindparam("label_key")))
    for chunk in _chunks(changed_groups):
        sess.execute(set_group, chunk)
    result.groups_created, result.groups_updated = len(new_groups), len(changed_groups)

    old_occupations = {r.uri: r for r in _preload(sess, o.uri, list(taxonomy.occupations),
                                                  o.id, o.uri, o.label, o.isco_code)}
    new_occupations: list[dict[str, Any]] = []
    changed_occupations: list[dict[str, Any]] = []
    for uri, (label, unit) in taxonomy.occupations.items():
        old = old_occupations.get(uri)
        if old is None:
            new_occupations.append({"uri": uri, "label": label, "label_key": fold(label),
                                    "isco_code": unit})
        elif (old.label, old.isco_code) != (label, unit) and update:
            changed_occupations.append({"b_id": old.id, "label": label, "label_key": fold(label),
                                        "isco_code": unit})
        else:
            result.occupations_unchanged += 1
    for chunk in _chunks(new_occupations):
        sess.execute(_occupations.insert(), chunk)
    set_occupation = (_occupations.update().where(o.id == sa.bindparam("b_id"))
                      .values(label=sa.bindparam("label"), label_key=sa.bindparam("label_key"),
                              isco_code=sa.bindparam("isco_code")))
    for chunk in _chunks(changed_occupations):
        sess.execute(set_occupation, chunk)
    result.occupations_created = len(new_occupations)
    result.occupations_updated = len(changed_occupations)

    result.unit_groups = sess.scalar(sa.select(sa.func.count()).where(g.level == 4))
    result.occupations = sess.scalar(sa.select(sa.func.count()).select_from(_occupations))
    wrote = (result.groups_created or result.groups_updated or result.occupations_created
             or result.occupations_updated)
    logger.log(logging.INFO if wrote else logging.DEBUG,
               "taxonomy import: groups +%d ~%d, occupations +%d ~%d", result.groups_created,
               result.groups_updated, result.occupations_created, result.occupations_updated)
    return result


# --- looking up ----------------------------------------------------------------------------------

def isco_group(sess: Session, code: str) -> IscoGroup | None:
    """The ISCO-08 group with this exact code ('0110', not '110'), or None."""
    if not isinstance(code, str) or not code.isascii() or not code.isdigit() or len(code) > 4:
        return None
    return sess.get(IscoGroup, code)


def occupation_by_uri(sess: Session, uri: str) -> EscoOccupation | None:
    """The ESCO occupation with this concept URI, or None."""
    return sess.scalar(sa.select(EscoOccupation).where(EscoOccupation.uri == uri))


def group_detail(sess: Session, code: str) -> dict[str, Any]:
    """A group with its parents (major first), its children and, for a unit group, its occupations."""
    group = isco_group(sess, code)
    if group is None:
        raise NotFound(_("No ISCO-08 group with this code."))
    ancestors = [code[:n] for n in range(1, len(code))]
    parents = sess.scalars(sa.select(IscoGroup).where(IscoGroup.code.in_(ancestors))
                           .order_by(IscoGroup.level)).all() if ancestors else []
    children = sess.scalars(sa.select(IscoGroup).where(IscoGroup.parent_code == code)
                            .order_by(IscoGroup.code)).all()
    occupations = sess.scalars(sa.select(EscoOccupation).where(EscoOccupation.isco_code == code)
                               .order_by(EscoOccupation.label_key, EscoOccupation.id)
                               ).all() if group.level == 4 else []
    return {"group": group, "parents": parents, "children": children, "occupations": occupations}


# --- searching -----------------------------------------------------------------------------------

def _starts(text: str) -> str:
    """A LIKE pattern for text at the start (like_pattern matches anywhere: drop its first %)."""
    return like_pattern(text)[1:]


def _is_code(q: str) -> bool:
    return q.isascii() and q.isdigit()


def _label_terms(column: sa.ColumnElement, q: str) -> tuple[list[sa.ColumnElement], Any]:
    """Every word of q somewhere in the folded label; and a rank: 0 exact, 1 prefix, 2 other."""
    key = fold(q)
    where = [column.like(like_pattern(word), escape="\\") for word in key.split()]
    rank = sa.case((column == key, 0), (column.like(_starts(key), escape="\\"), 1), else_=2)
    return where, rank


def _matching(stmt: sa.Select, code_column: sa.ColumnElement, label_column: sa.ColumnElement,
              q: str | None, code: str | None) -> tuple[sa.Select, list[str], list[Any]]:
    """stmt under the code prefixes (`code`, and q when q is a code) and with q's words in the
    label; with those prefixes and the label's rank (none when q is a code or empty)."""
    q = (q or "").strip()
    prefixes = [c for c in (code, q if q and _is_code(q) else None) if c]
    for prefix in prefixes:
        stmt = stmt.where(code_column.like(_starts(prefix), escape="\\"))
    if not q or _is_code(q):
        return stmt, prefixes, []
    where, rank = _label_terms(label_column, q)
    return stmt.where(*where), prefixes, [rank]


def groups_query(*, q: str | None = None, code: str | None = None, level: int | None = None
                 ) -> tuple[sa.Select, Any]:
    """ISCO groups matching a code prefix, a label (or a code typed as q), a level; and the rank
    that puts exact matches first."""
    stmt, codes, label_rank = _matching(sa.select(IscoGroup), IscoGroup.code, IscoGroup.label_key,
                                        q, code)
    ranks: list[Any] = [sa.case((IscoGroup.code.in_(codes), 0), else_=1)] if codes else []
    if level is not None:
        stmt = stmt.where(IscoGroup.level == level)
    return stmt, _least(ranks + label_rank)


def occupations_query(*, q: str | None = None, isco: str | None = None) -> tuple[sa.Select, Any]:
    """ESCO occupations matching a label (or an ISCO code typed as q) and under an ISCO code
    prefix; and the rank that puts exact label matches first."""
    stmt, _prefixes, label_rank = _matching(sa.select(EscoOccupation), EscoOccupation.isco_code,
                                            EscoOccupation.label_key, q, isco)
    return stmt, _least(label_rank)


def _least(ranks: list[Any]) -> Any:
    if not ranks:
        return sa.literal(0)
    if len(ranks) == 1:
        return ranks[0]
    return sa.case(*((r == 0, 0) for r in ranks), else_=ranks[-1])


def search_groups(sess: Session, *, q: str | None = None, code: str | None = None,
                  level: int | None = None, page: int = 1, per_page: int = 25) -> dict[str, Any]:
    """One page of ISCO groups: exact codes and titles first, then titles starting with q, then
    by code (which is the tree, depth first)."""
    stmt, rank = groups_query(q=q, code=code, level=level)
    return paginate(sess, stmt, columns={"rank": rank, "code": IscoGroup.code},
                    id_column=IscoGroup.code, sort=[("rank", False), ("code", False)],
                    page=page, per_page=per_page)


def search_occupations(sess: Session, *, q: str | None = None, isco: str | None = None,
                       page: int = 1, per_page: int = 25) -> dict[str, Any]:
    """One page of ESCO occupations: the exact title first, then titles starting with q, then by
    title."""
    stmt, rank = occupations_query(q=q, isco=isco)
    return paginate(sess, stmt, columns={"rank": rank, "label": EscoOccupation.label_key},
                    id_column=EscoOccupation.id, sort=[("rank", False), ("label", False)],
                    page=page, per_page=per_page)
