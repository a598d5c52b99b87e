"""Sorted, stable pagination with a total count."""

from __future__ import annotations

import math
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session


def paginate(sess: Session, stmt: sa.Select, *, columns: dict[str, Any], id_column,
             sort: list[tuple[str, bool]], page: int, per_page: int) -> dict[str, Any]:
    """Run a filtered select as one page. The id breaks ties, so pages never overlap or skip."""
    total = sess.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery()))
    order = []
    for name, desc in sort:
        col = columns[name]
        order.append(col.desc() if desc else col.asc())
    if not any(name == "id" for name, _ in sort):
        # Same direction as the last key, so an index on (…, key, id) serves the whole ORDER BY.
        order.append(id_column.desc() if sort[-1][1] else id_column.asc())
    rows = sess.scalars(stmt.order_by(*order).limit(per_page).offset((page - 1) * per_page)).all()
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
