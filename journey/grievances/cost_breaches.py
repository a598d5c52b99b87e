"""The grievances the cost ledger opens: an Employer Pays breach (a recruitment cost the migrant
paid) is a grievance about recruitment fees against the recruiter or employer, and its refund
a note on it. journey.costs.breaches decides what the grievance says; this desk logs it through
intake, as a staff member would, and is handed to the ledger at start-up (the ledger cannot
import this package: journey.costs.tables says why)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from journey.core import audit
from journey.core.auth import User
from journey.core.db import utcnow
from journey.core.policy import allowed
from journey.costs.breaches import use_grievance_desk
from journey.grievances import access, services
from journey.grievances.models import Channel, EntryKind, Grievance, GrievanceEntry
from journey.participants.models import Participant


class Desk:
    """journey.costs.breaches.GrievanceDesk over intake and notes."""

    def open(self, sess: Session, actor: User, participant: Participant,
             data: dict[str, Any]) -> int:
        # No receipt: "we received your complaint" would be untrue, the migrant did not
        # complain. The caseworker recording the cost tells them; the code stays on record.
        g, _code = services.intake(sess, actor, data, channel=Channel.STAFF,
                                   participant=participant, send_receipt=False)
        return g.id

    def note(self, sess: Session, actor: User, grievance_id: int, body: str) -> None:
        g = sess.get(Grievance, grievance_id)
        if g is None:
            return
        if allowed(actor, "grievances:manage") and access.sees_full(sess, actor, g):
            services.add_entry(sess, actor, g, body, public=False)
            return
        # A grievance since restricted from whoever records the refund: the note is written all
        # the same (the refund happened), without showing them anything of the grievance.
        now = utcnow()
        entry = GrievanceEntry(grievance_id=g.id, kind=EntryKind.NOTE.value, actor_id=actor.id,
                               created_at=now, body=body, public=False)
        sess.add(entry)
        g.updated_at = now
        sess.flush()
        audit.record(sess, "grievances:grievance:note", actor_id=actor.id,
                     object_type="grievance", object_id=g.id, office_id=g.office_id,
                     entry_id=entry.id, public=False)


def init_app(app: Flask) -> None:
    use_grievance_desk(app, Desk())
