"""A small office's work for the My work tests: two offices, caseworkers, a supervisor, and
items that belong in each section next to items that must stay out."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from journey.continuum.models import ChecklistItem, Permit
from journey.core.db import utcnow
from journey.participants.models import Participant
from notifications.models import InboundMessage, OutboxMessage

_seq = itertools.count(1)


def assign(db_session, p: Participant, user) -> None:
    db_session.execute(sa.update(Participant).where(Participant.id == p.id)
                       .values(caseworker_id=user.id if user else None))
    db_session.flush()


def clear_checklist(db_session, p: Participant) -> None:
    """Registration opens the intake checklist (with due dates): the tests add their own."""
    db_session.execute(sa.delete(ChecklistItem).where(ChecklistItem.participant_id == p.id))
    db_session.flush()


def item(db_session, p, due: date | None, status: str = "pending", cycle: int = 1) -> ChecklistItem:
    now = utcnow()
    row = ChecklistItem(participant_id=p.id, stage="intake", cycle=cycle, key=f"k{next(_seq)}",
                        title=f"Task {next(_seq)}", status=status, due_date=due, updated_at=now,
                        completed_at=now if status == "done" else None)
    db_session.add(row)
    db_session.flush()
    return row


def permit(db_session, p, expires: date, status: str = "granted") -> Permit:
    now = utcnow()
    row = Permit(participant_id=p.id, type="work_permit", issuing_country="PT", status=status,
                 expires_on=expires, created_at=now, updated_at=now)
    db_session.add(row)
    db_session.flush()
    return row


def inbound(db_session, p, body: str, needs_attention: bool = True) -> InboundMessage:
    row = InboundMessage(sender=f"+9779800{next(_seq):06d}", body=body,
                         participant_id=p.id if p else None, needs_attention=needs_attention,
                         received_at=utcnow())
    db_session.add(row)
    db_session.flush()
    return row


def outbox(db_session, p, status: str, *, skip_reason: str | None = None,
           error: str | None = None, age_days: int = 1) -> OutboxMessage:
    when = utcnow() - timedelta(days=age_days)
    row = OutboxMessage(participant_id=p.id, channel="sms", template="stage_entered.intake",
                        language="ne", recipient="+9779800000000", timezone="Asia/Kathmandu",
                        body="Namaste", status=status, skip_reason=skip_reason,
                        last_error_code=error, not_before=when, created_at=when, updated_at=when)
    db_session.add(row)
    db_session.flush()
    return row


@dataclass
class World:
    today: date
    office: Any
    other_office: Any
    cw: Any
    cw2: Any
    sup: Any
    other_cw: Any
    admin: Any
    mine: Any
    colleague: Any
    unassigned: Any
    elsewhere: Any
    ids: dict[str, set[int]] = field(default_factory=dict)


def build(factory, db_session) -> World:
    today = utcnow().date()
    office, other_office = factory.office(), factory.office()
    cw = factory.user("caseworker", office=office, full_name="Asha Caseworker")
    cw2 = factory.user("caseworker", office=office, full_name="Bikash Caseworker")
    sup = factory.user("supervisor", office=office)
    other_cw = factory.user("caseworker", office=other_office)
    admin = factory.user("admin")
    mine, colleague, unassigned = (factory.participant(cw) for _ in range(3))
    elsewhere = factory.participant(other_cw)
    for p, who in ((mine, cw), (colleague, cw2), (unassigned, None), (elsewhere, other_cw)):
        assign(db_session, p, who)
        clear_checklist(db_session, p)
    w = World(today, office, other_office, cw, cw2, sup, other_cw, admin, mine, colleague,
              unassigned, elsewhere)
    d = timedelta
    # Mine: one in each section, and the items that must stay out of every section.
    w.ids["overdue"] = {item(db_session, mine, today - d(3)).id,
                        item(db_session, mine, today - d(1), "blocked").id}
    w.ids["due"] = {item(db_session, mine, today).id,
                    item(db_session, mine, today + d(7), "in_progress").id}
    w.ids["checklist_out"] = {item(db_session, mine, today - d(2), "done").id,
                              item(db_session, mine, today - d(2), "not_applicable").id,
                              item(db_session, mine, today + d(8)).id,
                              item(db_session, mine, None).id,
                              item(db_session, mine, today - d(5), cycle=2).id}
    w.ids["permits_7"] = {permit(db_session, mine, today + d(5)).id}
    w.ids["permits_30"] = {permit(db_session, mine, today + d(20), "issued").id}
    w.ids["permits_90"] = {permit(db_session, mine, today + d(60)).id}
    w.ids["permits_expired"] = {permit(db_session, mine, today - d(10)).id}
    w.ids["permits_out"] = {permit(db_session, mine, today + d(200)).id,
                            permit(db_session, mine, today + d(5), "refused").id,
                            permit(db_session, mine, today + d(5), "applied").id}
    w.ids["replies"] = {inbound(db_session, mine, "My passport is with the agent, help").id}
    w.ids["replies_out"] = {inbound(db_session, mine, "Thank you", needs_attention=False).id}
    w.ids["triage"] = {inbound(db_session, None, "Who is this?").id}
    w.ids["problems"] = {outbox(db_session, mine, "failed", error="30003").id,
                         outbox(db_session, mine, "skipped", skip_reason="no_consent").id,
                         outbox(db_session, mine, "undelivered", error="30005").id}
    w.ids["problems_out"] = {outbox(db_session, mine, "failed", error="30003", age_days=40).id,
                             outbox(db_session, mine, "delivered").id}
    # Others: a colleague's, an unassigned one, another office's.
    w.ids["colleague"] = {item(db_session, colleague, today - d(4)).id}
    w.ids["unassigned"] = {item(db_session, unassigned, today - d(6)).id}
    w.ids["elsewhere"] = {item(db_session, elsewhere, today - d(2)).id}
    w.ids["colleague_permit"] = {permit(db_session, colleague, today + d(3)).id}
    w.ids["elsewhere_permit"] = {permit(db_session, elsewhere, today + d(3)).id}
    w.ids["elsewhere_reply"] = {inbound(db_session, elsewhere, "Elsewhere reply").id}
    w.ids["elsewhere_problem"] = {outbox(db_session, elsewhere, "failed", error="30003").id}
    return w


def ids(work: dict, section: str) -> set[int]:
    return {i["id"] for i in work["sections"][section]["items"]}
