"""Whom a grievance is against, when that is a recruiter of the registry.

The registry is journey.employers' (``recruiters``), but journey.employers imports grievances (a
contested onboarding step and an Employer Pays breach open one), so grievances may not import it
back: the table is read here by its name from the shared metadata. It is there whenever the app
is, since every domain's models are loaded with it.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from journey.grievances.models import Grievance


def recruiters_table() -> sa.Table:
    """The recruiters registry's table (journey.employers.models.Recruiter)."""
    return Grievance.metadata.tables["recruiters"]


def recruiter_exists(sess: Session, recruiter_id: int) -> bool:
    r = recruiters_table()
    return sess.scalar(sa.select(sa.exists().where(r.c.id == recruiter_id))) or False


def recruiter_names(sess: Session, ids: set[int | None]) -> dict[int, str]:
    """{id: name} of these recruiters."""
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    r = recruiters_table()
    return dict(sess.execute(sa.select(r.c.id, r.c.name).where(r.c.id.in_(sorted(ids)))).all())


def recruiter_choices(sess: Session) -> list[tuple[int, str]]:
    """(id, name) of every recruiter of the registry, by name: a form's select."""
    r = recruiters_table()
    return [tuple(row) for row in sess.execute(
        sa.select(r.c.id, r.c.name).order_by(r.c.name, r.c.id))]
