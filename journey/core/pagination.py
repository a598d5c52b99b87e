"""Sorted, stable pagination with a total count."""

from __future__ import annotations

import math
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session


def paginate(sess: Session, stmt: sa.Select, *, columns: dict[str, Any], id_column,
             sort: list[tuple[str, bool]], page: int, per_page: int) -> dict[str, Any]:
    """Run a filtered select as one page. The id breaks ties, so pages never overlap or skip.

    The total is counted only when the page cannot tell it: a page with fewer rows than asked
    for is the last one (page 1 of a search that finds a few people, most often), so the total
    is the rows before it plus its own, without a second pass over the matches.
    """
    order = []
    for name, desc in sort:
        col = columns[name]
        order.append(col.desc() if desc else col.asc())
    if not any(name == "id" for name, _ in sort):
        # Same direction as the last key, so an index on (…, key, id) serves the whole ORDER BY.
        order.append(id_column.desc() if sort[-1][1] else id_column.asc())
    offset = (page - 1) * per_page
    result = sess.execute(stmt.order_by(*order).limit(per_page).offset(offset))
    # A select of one entity (or column) pages its objects; a select of several columns, rows.
    rows = (result.scalars() if len(stmt.column_descriptions) == 1 else result).all()
    if len(rows) < per_page and (rows or page == 1):
        total = offset + len(rows)
    else:
        total = sess.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery()))
    return {
        "items": rows,
        "total": total,
        "page": page,
        "per_page": per_page,
        "pages": math.ceil(total / per_page) if total else 0,
    }


def with_total(page: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """A page as a list route returns it: with the total in an X-Total-Count header too."""
    return page, {"X-Total-Count": str(page["total"])}
