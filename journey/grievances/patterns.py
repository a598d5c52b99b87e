"""Patterns of complaints for reports: how many grievances by employer, recruiter, category,
office, state and month, within the user's scope, for a period and an office.

Counts identify no one, so every grievance in scope is counted, restricted ones included. Whom
a grievance is against is a masked field, though: a restricted grievance the user does not see
in full is never attributed to an employer or a recruiter by name; it counts in a line of its
own ("restricted") under those two headings. Employers and recruiters picked from their lists
are counted by id and named from the list (the recruiters registry, #15); those named in free
text are decrypted and grouped by the folded name, and a free-text recruiter whose name matches
one of the registry once folded counts with it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from journey.core import audit
from journey.core.auth import User
from journey.core.crypto import normalise_name
from journey.core.db import utcnow
from journey.core.policy import require
from journey.grievances import access, against
from journey.grievances.models import AgainstKind, Grievance
from journey.organisations.models import Employer, Office
from journey.organisations.services import check_office_filter

_G = Grievance.__table__


def _month(sess: Session) -> sa.ColumnElement[str]:
    """received_at as "YYYY-MM" (UTC) in this database's dialect."""
    if sess.get_bind().dialect.name == "postgresql":
        return sa.func.to_char(sa.func.timezone("UTC", _G.c.received_at), "YYYY-MM")
    return sa.func.substr(_G.c.received_at, 1, 7)  # SQLite keeps "YYYY-MM-DD HH:MM:SS" in UTC


def _counts(sess: Session, column, where) -> list[tuple[Any, int]]:
    return [tuple(r) for r in sess.execute(
        sa.select(column, sa.func.count()).select_from(_G).where(*where).group_by(column)
        .order_by(sa.func.count().desc(), column))]


def _by_name(sess: Session, kind: AgainstKind, where, full, *, linked) -> list[dict[str, Any]]:
    """Those of one kind named in free text (no employer or recruiter of the lists), among rows
    seen in full, grouped by the name folded (case, accents, punctuation and spacing: "Gulf
    Recruiters Pvt. Ltd." = "gulf recruiters pvt ltd"), each group named by its first row.
    The names are encrypted, so they are grouped here, not in SQL; free text is the exception
    now that employers and recruiters are picked from their lists."""
    groups: dict[str, dict[str, Any]] = {}
    rows = sess.execute(
        sa.select(Grievance.against_name).where(
            *where, full, Grievance.against_kind == kind.value, linked.is_(None),
            Grievance.against_name.is_not(None))
        .order_by(Grievance.id)).scalars()
    for name in rows:
        group = groups.setdefault(normalise_name(name), {"name": name, "count": 0})
        group["count"] += 1
    return list(groups.values())


def _by_recruiter(sess: Session, where, full) -> list[dict[str, Any]]:
    """Recruiters of the registry by their id, named from it; then those named in free text
    (not in the registry when the grievance was logged), counted with a recruiter of the
    registry whose name they match once folded, else in groups of their own."""
    r = against.recruiters_table()
    linked = [{"recruiter_id": recruiter_id, "name": name, "count": count}
              for recruiter_id, name, count in sess.execute(
                  sa.select(_G.c.against_recruiter_id, r.c.name, sa.func.count())
                  .select_from(_G).join(r, r.c.id == _G.c.against_recruiter_id)
                  .where(*where, full).group_by(_G.c.against_recruiter_id, r.c.name))]
    free = _by_name(sess, AgainstKind.RECRUITER, where, full,
                    linked=Grievance.against_recruiter_id)
    if not free:
        return linked
    by_id = {row["recruiter_id"]: row for row in linked}
    registry = {normalise_name(name): recruiter_id
                for recruiter_id, name in against.recruiter_choices(sess)}
    for row in free:
        recruiter_id = registry.get(normalise_name(row["name"]))
        if recruiter_id is None:
            linked.append({"recruiter_id": None, **row})
        elif recruiter_id in by_id:
            by_id[recruiter_id]["count"] += row["count"]
        else:
            name = dict(against.recruiter_choices(sess))[recruiter_id]
            by_id[recruiter_id] = {"recruiter_id": recruiter_id, "name": name,
                                   "count": row["count"]}
            linked.append(by_id[recruiter_id])
    return linked


def _restricted(sess: Session, kind: AgainstKind, where, full) -> int:
    return sess.scalar(sa.select(sa.func.count()).select_from(_G).where(
        *where, sa.not_(full), _G.c.against_kind == kind.value)) or 0


def patterns(sess: Session, user: User, *, date_from: date | None = None,
             date_to: date | None = None, office_id: int | None = None,
             now: datetime | None = None) -> dict[str, Any]:
    """Counts of grievances received in the period (both days included, UTC) in the user's
    scope, by employer, recruiter, category, office, state and month. The read is audited."""
    require(user, "grievances:report")
    check_office_filter(sess, user, office_id)
    now = now or utcnow()
    where = [access.scope(user)]
    if office_id is not None:
        where.append(_G.c.office_id == office_id)
    if date_from is not None:
        where.append(_G.c.received_at >= datetime.combine(date_from, time(0), UTC))
    if date_to is not None:
        where.append(_G.c.received_at < datetime.combine(date_to + timedelta(days=1), time(0), UTC))
    full = access.full_view(user, now)

    employers = [
        {"employer_id": employer_id, "name": name, "count": count}
        for employer_id, name, count in sess.execute(
            sa.select(_G.c.against_employer_id, Employer.name, sa.func.count())
            .select_from(_G).join(Employer, Employer.id == _G.c.against_employer_id)
            .where(*where, full).group_by(_G.c.against_employer_id, Employer.name))]
    employers += [{"employer_id": None, **row} for row in _by_name(
        sess, AgainstKind.EMPLOYER, where, full, linked=Grievance.against_employer_id)]
    recruiters = _by_recruiter(sess, where, full)
    offices = dict(sess.execute(sa.select(Office.id, Office.name)).all())
    result = {
        "total": sess.scalar(sa.select(sa.func.count()).select_from(_G).where(*where)) or 0,
        "by_employer": _sorted(employers),
        "restricted_employer": _restricted(sess, AgainstKind.EMPLOYER, where, full),
        "by_recruiter": _sorted(recruiters),
        "restricted_recruiter": _restricted(sess, AgainstKind.RECRUITER, where, full),
        "by_category": [{"category": k, "count": n} for k, n in _counts(sess, _G.c.category, where)],
        "by_office": [{"office_id": k, "name": offices.get(k), "count": n}
                      for k, n in _counts(sess, _G.c.office_id, where)],
        "by_state": [{"state": k, "count": n} for k, n in _counts(sess, _G.c.state, where)],
        "by_month": sorted(({"month": k, "count": n} for k, n in
                            _counts(sess, _month(sess).label("month"), where)),
                           key=lambda r: r["month"]),
        "date_from": date_from, "date_to": date_to, "office_id": office_id,
    }
    audit.record(sess, "grievances:patterns:read", actor_id=user.id, object_type="grievance",
                 office_id=office_id, date_from=date_from and date_from.isoformat(),
                 date_to=date_to and date_to.isoformat())
    return result


def _sorted(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda r: (-r["count"], (r["name"] or "").casefold()))
