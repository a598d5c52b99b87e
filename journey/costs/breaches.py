"""Employer Pays breaches: a recruitment fee or related cost (the ILO definition) paid by the
migrant. A breach blocks the continuum's no_fees_paid_by_migrant guard (journey.costs.rules),
opens a grievance against whoever it is held against, once, and is closed by a refund of the
whole amount; the cost row keeps the history (amount, payer, refund), and so do the audit trail
and the grievance.

The grievance is opened through a ``GrievanceDesk`` the grievances domain hands in at start-up
(``use_grievance_desk``, from its init_app): journey.costs cannot import journey.grievances
(see journey.costs.tables). Services here never commit.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any, Protocol

import sqlalchemy as sa
from flask import Flask, current_app
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from journey.core import audit
from journey.core.auth import User
from journey.core.db import load_owned, utcnow
from journey.core.errors import Conflict, InvalidInput
from journey.core.versions import Precondition, bump, check_version
from journey.costs import tables
from journey.costs.models import Cost
from journey.costs.rules import employer_pays_breach
from journey.costs.titles import CATEGORY_TITLES, PAYER_TITLES
from journey.participants.models import Participant
from journey.participants.services import load_participant

logger = logging.getLogger(__name__)

# What the grievance of a breach is: recruitment fees and debt, high severity.
GRIEVANCE_CATEGORY = "recruitment_fees"
GRIEVANCE_SEVERITY = "high"


class GrievanceDesk(Protocol):
    """Opens grievances and writes notes on them, for the ledger."""

    def open(self, sess: Session, actor: User, participant: Participant,
             data: dict[str, Any]) -> int:
        """Log a grievance of the participant (intake's fields); its id."""

    def note(self, sess: Session, actor: User, grievance_id: int, body: str) -> None:
        """Add an internal note to the grievance."""


_DESK = "journey_costs_grievance_desk"


def use_grievance_desk(app: Flask, desk: GrievanceDesk) -> None:
    """Hand this app's ledger the desk that opens breach grievances (the grievances domain's
    init_app calls it)."""
    app.extensions[_DESK] = desk


def _desk() -> GrievanceDesk | None:
    return current_app.extensions.get(_DESK)


def _name(titles: dict, key: str | None) -> str:
    return str(titles.get(key, key)) if key else ""


def _against(sess: Session, p: Participant, cost: Cost) -> dict[str, Any]:
    """Whom the breach's grievance is against: the cost's recruiter, else its employer or that of
    the participant's active placement, else someone not known."""
    if cost.recruiter_id is not None:
        return {"against_kind": "recruiter", "against_recruiter_id": cost.recruiter_id}
    employer_id = cost.employer_id or sess.scalar(
        sa.select(tables.placements.c.employer_id).where(
            tables.placements.c.participant_id == p.id,
            tables.placements.c.status == tables.ACTIVE))
    if employer_id is not None:
        return {"against_kind": "employer", "against_employer_id": employer_id}
    return {"against_kind": "other", "against_name": _("Not known")}


def _description(cost: Cost) -> str:
    """A factual sentence about this participant's cost (nobody else's amounts)."""
    text = _("Employer Pays breach recorded with the costs: the migrant paid %(amount)s "
             "%(currency)s for %(category)s, which the ILO counts among recruitment fees and "
             "related costs (cost %(id)s).", amount=cost.amount, currency=cost.currency,
             category=_name(CATEGORY_TITLES, cost.category), id=cost.id)
    if cost.should_have_paid:
        text += " " + _("Who should have paid: %(payer)s.",
                        payer=_name(PAYER_TITLES, cost.should_have_paid))
    return text


def open_if_breach(sess: Session, actor: User, p: Participant, cost: Cost) -> int | None:
    """Open the grievance of a cost that breaks Employer Pays, once (a cost already holding one
    is left alone); the grievance's id, or None."""
    if not employer_pays_breach(cost) or cost.breach_grievance_id is not None:
        return None
    desk = _desk()
    if desk is None:  # an app without the grievances domain: the guard still blocks
        logger.warning("no grievance desk: breach cost=%s has no grievance", cost.id)
        return None
    data = {"category": GRIEVANCE_CATEGORY, "severity": GRIEVANCE_SEVERITY,
            "description": _description(cost), **_against(sess, p, cost)}
    grievance_id = desk.open(sess, actor, p, data)
    cost.breach_grievance_id = grievance_id
    sess.flush()
    audit.record(sess, "costs:breach:open", actor_id=actor.id, object_type="cost",
                 object_id=cost.id, office_id=p.office_id, participant_id=p.id,
                 grievance_id=grievance_id, against_kind=data["against_kind"])
    logger.info("employer pays breach cost=%s grievance=%s", cost.id, grievance_id)
    return grievance_id


def refund(sess: Session, actor: User, participant_id: int, cost_id: int, data: dict[str, Any],
           *, expected: Precondition | None = None) -> Cost:
    """Record money given back to the migrant for a breach. Refunds add up; once they reach the
    amount paid the breach is closed (the guard passes). The row keeps what was paid and by
    whom; the grievance gets a note. A cost that is no open breach is refused (409)."""
    p = load_participant(sess, actor, participant_id, "costs:refund")
    cost = load_owned(sess, Cost, cost_id, p.id, _("No such cost."))
    message = _("Someone changed this cost since you read it; reload and try again.")
    check_version(cost.version, expected, message)
    if not employer_pays_breach(cost):
        raise Conflict(_("Only an Employer Pays breach still open can be refunded: a recruitment "
                         "fee or related cost the migrant paid and has not had back in full."),
                       code="not-a-breach")
    amount: Decimal = data["amount"]
    refunded = (cost.refund_amount or Decimal("0")) + amount
    if amount <= 0 or refunded > cost.amount:
        left = cost.amount - (cost.refund_amount or Decimal("0"))
        raise InvalidInput(errors=[{
            "field": "amount", "code": "refund-exceeds",
            "message": _("Refund between 0.01 and what is left to give back: %(left)s "
                         "%(currency)s.", left=left, currency=cost.currency)}])
    cost.refund_amount = refunded
    cost.refunded_at = utcnow()
    cost.refunded_by = actor.id
    cost.refund_note = data.get("note")
    bump(sess, cost, expected, message)
    sess.flush()
    closed = not employer_pays_breach(cost)
    audit.record(sess, "costs:cost:refund", actor_id=actor.id, object_type="cost",
                 object_id=cost.id, office_id=p.office_id, participant_id=p.id,
                 closed=closed, grievance_id=cost.breach_grievance_id)
    desk = _desk()
    if cost.breach_grievance_id is not None and desk is not None:
        desk.note(sess, actor, cost.breach_grievance_id, _refund_note(cost, amount, closed))
    logger.info("cost refunded cost=%s closed=%s", cost.id, closed)
    return cost


def _refund_note(cost: Cost, amount: Decimal, closed: bool) -> str:
    values = {"amount": amount, "currency": cost.currency, "id": cost.id,
              "category": _name(CATEGORY_TITLES, cost.category), "paid": cost.amount,
              "refunded": cost.refund_amount}
    if closed:
        text = _("The cost of %(category)s the migrant paid (cost %(id)s) was refunded: "
                 "%(amount)s %(currency)s, %(refunded)s of %(paid)s %(currency)s in all. The "
                 "Employer Pays breach is closed.", **values)
    else:
        text = _("Part of the cost of %(category)s the migrant paid (cost %(id)s) was refunded: "
                 "%(amount)s %(currency)s, %(refunded)s of %(paid)s %(currency)s so far. The "
                 "Employer Pays breach stays open.", **values)
    return f"{text}\n{cost.refund_note}" if cost.refund_note else text
