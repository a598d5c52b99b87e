"""The choices of the participant forms, named in the reader's language: countries, languages,
sexes, offices, programmes and the staff a case can be assigned to."""

from __future__ import annotations

from typing import Any

import pycountry
import sqlalchemy as sa
from flask_babel import get_locale
from sqlalchemy.orm import Session
from sqlmodel import select

from journey.config import SUPPORTED_LANGUAGES
from journey.core.auth import User
from journey.core.policy import Role, allowed, office_scope
from journey.organisations.models import Office
from journey.participants import assignment
from journey.participants.models import Channel, Disability, Participant, Sex
from journey.programmes.models import Programme
from journey.web.display import channel_title, disability_title, language_name, sex_title

_CODES = sorted(c.alpha_2 for c in pycountry.countries)


def countries() -> list[tuple[str, str]]:
    """Every ISO 3166-1 country as (code, name in the reader's language), by name."""
    names = get_locale().territories
    return sorted(((code, names.get(code, code)) for code in _CODES), key=lambda c: c[1].casefold())


def languages() -> list[tuple[str, str]]:
    return sorted(((code, language_name(code)) for code in SUPPORTED_LANGUAGES),
                  key=lambda c: c[1].casefold())


def form_choices(sess: Session, user: User, office_id: int | None = None) -> dict[str, Any]:
    """Everything a register or edit form offers this user."""
    scope = office_scope(user)
    offices = sess.execute(select(Office.id, Office.name).order_by(Office.name)).all()
    if scope is not None:
        offices = [o for o in offices if o.id == scope]
    programmes = sess.execute(select(Programme.id, Programme.name).order_by(Programme.name)).all()
    staff: list[tuple[str, str]] = []
    if assignment.may_assign_anyone(user):
        office = office_id if office_id is not None else scope
        stmt = select(User).where(User.is_active.is_(True),
                                  User.role.in_(assignment.ASSIGNABLE_ROLES))
        if office is not None:
            stmt = stmt.where(User.office_id == office)
        staff = [(str(u.id), u.full_name) for u in sess.scalars(stmt.order_by(User.full_name))]
    return {
        "countries": countries(),
        "languages": languages(),
        "sexes": [(s.value, sex_title(s.value)) for s in Sex],
        "disabilities": [(d.value, disability_title(d.value)) for d in Disability],
        "channels": [(c.value, channel_title(c.value)) for c in Channel],
        "offices": [(str(o.id), o.name) for o in offices],
        "programmes": [(str(p.id), p.name) for p in programmes],
        "staff": staff,
        "may_assign": assignment.may_assign_anyone(user),
    }


def header_facts(sess: Session, user: User, p: Participant) -> dict[str, Any]:
    """The record page header's names (programme, office, caseworker) in one query, and the
    reassignment choices this user has."""
    row = sess.execute(
        sa.select(Office.name.label("office"), Programme.name.label("programme"),
                  User.full_name.label("caseworker"))
        .select_from(Office)
        .outerjoin(Programme, Programme.id == p.programme_id)
        .outerjoin(User, User.id == p.caseworker_id)
        .where(Office.id == p.office_id)).first()
    staff: list[tuple[str, str]] = []
    can_take = False
    if allowed(user, "participants:update"):
        if assignment.may_assign_anyone(user):
            staff = [(str(u.id), u.full_name)
                     for u in assignment.assignable_users(sess, p.office_id)]
        can_take = (p.caseworker_id is None and Role(user.role) == Role.CASEWORKER
                    and office_scope(user) == p.office_id)
    return {"office_name": row.office if row else "", "programme_name": row.programme if row else "",
            "caseworker_name": row.caseworker if row else "", "assign_choices": staff,
            "can_take": can_take}

