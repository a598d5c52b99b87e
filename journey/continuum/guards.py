"""Guards: each checks one condition for a transition and explains, in the user's language,
what is missing. A guard returns None when satisfied, or the reason it is not."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from sqlmodel import select

from journey.consent.services import has_consent
from journey.continuum.models import VALID_PERMIT_STATUSES, ChecklistItem, ItemStatus, Permit
from journey.costs.models import Cost
from journey.costs.rules import breach_open, employer_pays_warning
from journey.participants.models import Participant


@dataclass
class GuardContext:
    session: Session
    participant: Participant
    data: dict[str, Any]
    today: date
    cache: dict[str, Any] = field(default_factory=dict)


Guard = Callable[[GuardContext], str | None]
GUARDS: dict[str, Guard] = {}


def guard(name: str):
    def register(fn: Guard) -> Guard:
        GUARDS[name] = fn
        return fn

    return register


def _valid_permits(ctx: GuardContext) -> list[Permit]:
    if "permits" not in ctx.cache:
        ctx.cache["permits"] = list(ctx.session.scalars(
            select(Permit).where(
                Permit.participant_id == ctx.participant.id,
                Permit.status.in_(VALID_PERMIT_STATUSES),
                sa.or_(Permit.expires_on.is_(None), Permit.expires_on > ctx.today),
            )
        ))
    return ctx.cache["permits"]


@guard("permit_granted")
def permit_granted(ctx: GuardContext) -> str | None:
    if not _valid_permits(ctx):
        return _("A visa or work permit must be granted and still valid.")
    return None


@guard("permit_allows_employer_change")
def permit_allows_employer_change(ctx: GuardContext) -> str | None:
    permits = _valid_permits(ctx)
    if not permits:
        return _("A visa or work permit must be granted and still valid.")
    if all(p.employer_tied for p in permits):
        return _("The permit is tied to one employer; a new permit is needed before changing "
                 "employer.")
    return None


@guard("orientation_done")
def orientation_done(ctx: GuardContext) -> str | None:
    item = ctx.session.scalars(select(ChecklistItem).where(
        ChecklistItem.participant_id == ctx.participant.id,
        ChecklistItem.cycle == ctx.participant.cycle,
        ChecklistItem.key == "orientation",
    )).first()
    if item is None or item.status != ItemStatus.DONE:
        return _("Pre-departure orientation, including the rights and grievance briefing, must be "
                 "done.")
    return None


@guard("stage_items_done")
def stage_items_done(ctx: GuardContext) -> str | None:
    open_items = ctx.session.scalars(select(ChecklistItem.title).where(
        ChecklistItem.participant_id == ctx.participant.id,
        ChecklistItem.cycle == ctx.participant.cycle,
        ChecklistItem.stage == ctx.participant.stage,
        ChecklistItem.required.is_(True),
        ChecklistItem.status.not_in([ItemStatus.DONE.value, ItemStatus.NOT_APPLICABLE.value]),
    ).order_by(ChecklistItem.id)).all()
    if open_items:
        return _("Required checklist items are not done: %(items)s.", items="; ".join(open_items))
    return None


@guard("no_fees_paid_by_migrant")
def no_fees_paid_by_migrant(ctx: GuardContext) -> str | None:
    paid = ctx.session.scalar(select(sa.func.count()).select_from(Cost).where(
        Cost.participant_id == ctx.participant.id, breach_open()))
    if paid:
        return employer_pays_warning()
    return None


@guard("consent_case_management")
def consent_case_management(ctx: GuardContext) -> str | None:
    if not has_consent(ctx.session, ctx.participant.id, "case_management"):
        return _("The participant's consent to case management is not recorded.")
    return None


def check(names: tuple[str, ...], ctx: GuardContext) -> list[dict[str, str]]:
    """Every unmet guard, with its reason."""
    unmet = []
    for name in names:
        reason = GUARDS[name](ctx)
        if reason:
            unmet.append({"guard": name, "message": reason})
    return unmet
