"""Grievance endpoints: thin; load through a schema, call one service, dump through a schema.

A grievance the caller may know of but not see in full (a restricted one, to anyone but its
focal points, its assignee and a supervisor who broke the glass) is answered masked: the fields
of access.MASKED_FIELDS null, ``masked`` true, and only the entries that identify no one (state
changes and clock stops, without their notes).
"""

from __future__ import annotations

from typing import Any

from flask import url_for

from journey.core.api import Blueprint
from journey.core.auth import User, current_user
from journey.core.db import db, reads_first
from journey.core.pagination import with_total
from journey.core.versions import precondition
from journey.grievances import access, queries, services, triage
from journey.grievances.models import Channel, EntryKind, Grievance
from journey.grievances.schemas import (
    AssigneeSchema,
    GrievanceCreatedSchema,
    GrievanceCreateSchema,
    GrievanceDetailSchema,
    GrievanceEntryCreateSchema,
    GrievanceEntrySchema,
    GrievanceListSchema,
    GrievanceQuerySchema,
    GrievanceUpdateSchema,
    TransitionedSchema,
    TransitionSchema,
)
from journey.grievances.states import available_events
from journey.participants.models import Participant
from journey.participants.services import load_participant

blp = Blueprint("grievances", __name__, url_prefix="",
                description="Grievances: intake by staff, the record (masked where restricted), "
                            "its steps, notes and public replies, assignment.")

# Entries that say what happened to the grievance, never what anyone wrote about it.
_NEUTRAL_ENTRIES = frozenset(k.value for k in (EntryKind.TRANSITION, EntryKind.CLOCK_PAUSED,
                                               EntryKind.CLOCK_RESUMED, EntryKind.ASSIGNED,
                                               EntryKind.ESCALATED))
_RESTRICTED = "Restricted: only its focal points and assignee may act on it (code restricted)."
_STALE = "The version you sent (in the body) is stale (code stale-version)."


def _etag(g: Grievance) -> dict[str, str]:
    return {"ETag": f'"{g.version}"'}


def _present(sess, g: Grievance, full: bool) -> dict[str, Any]:
    """The grievance as this user may see it, with its entries."""
    fields = GrievanceDetailSchema().fields
    values = {name: getattr(g, name) for name in fields if hasattr(g, name)}
    entries = [{name: getattr(e, name) for name in GrievanceEntrySchema().fields}
               for e in queries.entries(sess, g)]
    if not full:
        values = access.masked(values)
        values.update(participant_name=None, available_events=[], entries=[
            {**e, "body": None} for e in entries if e["kind"] in _NEUTRAL_ENTRIES])
        return values
    participant = sess.get(Participant, g.participant_id) if g.participant_id else None
    values.update(masked=False, available_events=available_events(g.state), entries=entries,
                  participant_name=(f"{participant.given_name} {participant.family_name}"
                                    if participant else None))
    return values


def _load(sess, user: User, grievance_id: int) -> Grievance:
    return access.load(sess, user, grievance_id, "grievances:manage")


@blp.get("/grievances", permission="grievances:read")
@blp.arguments(GrievanceQuerySchema, location="query")
@blp.response(200, GrievanceListSchema)
@reads_first
def list_grievances(args):
    """Grievances in your scope, newest first, filtered (total included). Restricted ones you
    may not open are listed masked, and a search by a person never finds them."""
    args["open_only"] = args.pop("open")
    return with_total(queries.listing(db.session, current_user(), **args))


@blp.post("/grievances", permission="grievances:create")
@blp.arguments(GrievanceCreateSchema)
@blp.response(201, GrievanceCreatedSchema, headers={"Location": {
    "description": "The new grievance's address.", "schema": {"type": "string"},
    "required": True}})
@blp.alt_response(404, description="No such participant in your scope (participant_id).")
def create_grievance(data):
    """Log a grievance for a participant in your scope, or for an unnamed person (with a
    contact if they want replies). The answer carries the tracking code, given this once."""
    sess = db.session
    user = current_user(sess)
    participant_id = data.pop("participant_id", None)
    participant = (load_participant(sess, user, participant_id)
                   if participant_id is not None else None)
    contact = {"contact_phone": data.pop("contact_phone", None),
               "contact_email": data.pop("contact_email", None)}
    g, code = services.intake(sess, user, data, channel=Channel.STAFF, participant=participant,
                              **contact)
    # Shown whole to whoever wrote it down; but a restricted one they are neither focal point
    # nor assignee of is not theirs to act on (403), so no step is offered.
    body = {**_present(sess, g, full=True), "tracking_code": code}
    if not access.sees_full(sess, user, g):
        body["available_events"] = []
    return body, {**_etag(g), "Location": url_for("grievances.get_grievance",
                                                  grievance_id=g.id)}


@blp.get("/grievances/<id:grievance_id>", permission="grievances:read")
@blp.response(200, GrievanceDetailSchema)
@reads_first
def get_grievance(grievance_id: int):
    """One grievance with its history and the steps possible now (the read is audited).
    Masked when you may not see it in full: identifying fields null, no notes."""
    sess = db.session
    user = current_user(sess)
    g, full = queries.read(sess, user, grievance_id)
    return _present(sess, g, full), _etag(g)


@blp.post("/grievances/<id:grievance_id>/transitions", permission="grievances:manage")
@blp.arguments(TransitionSchema)
@blp.response(200, TransitionedSchema)
@blp.alt_response(403, description=_RESTRICTED)
@blp.alt_response(409, description="Not possible from this state (code event-not-allowed, with "
                                   "allowed_events), a condition unmet (guards-unmet, with each "
                                   "one), or " + _STALE)
@blp.alt_response(412, description="The If-Match you sent is stale (code stale-version).")
def transition(data, grievance_id: int):
    """Move a grievance by one event of the table, at the version you read (If-Match or the
    version field). Resolving needs a decision and a summary; an appeal opens a new, linked
    grievance and answers with it (its tracking code, once)."""
    sess = db.session
    user = current_user(sess)
    g = _load(sess, user, grievance_id)
    expected = precondition(data)
    event = data.pop("event")
    g, appeal, code = services.transition(sess, user, g, event, data, expected=expected)
    body = _present(sess, g, access.sees_full(sess, user, g))
    if appeal is not None:
        body["appeal"] = {"id": appeal.id, "reference": appeal.reference, "tracking_code": code}
    return body, _etag(g)


@blp.post("/grievances/<id:grievance_id>/entries", permission="grievances:manage")
@blp.arguments(GrievanceEntryCreateSchema)
@blp.response(201, GrievanceEntrySchema)
@blp.alt_response(403, description=_RESTRICTED)
def add_entry(data, grievance_id: int):
    """Add an internal note, or a public reply (shown on the status page and sent to the
    complainant in their language)."""
    sess = db.session
    user = current_user(sess)
    g = _load(sess, user, grievance_id)
    return services.add_entry(sess, user, g, data["body"], public=data["public"])


@blp.put("/grievances/<id:grievance_id>/assignee", permission="grievances:manage")
@blp.arguments(AssigneeSchema)
@blp.response(200, GrievanceDetailSchema)
@blp.alt_response(403, description=_RESTRICTED)
@blp.alt_response(409, description=_STALE)
@blp.alt_response(412, description="The If-Match you sent is stale (code stale-version).")
def assign(data, grievance_id: int):
    """Give the grievance to a caseworker or supervisor of its office (null: nobody), at the
    version you read. Giving away a restricted one may leave you seeing it masked."""
    sess = db.session
    user = current_user(sess)
    g = _load(sess, user, grievance_id)
    expected = precondition(data)
    g = services.assign(sess, user, g, data["assignee_id"], expected=expected)
    return _present(sess, g, access.sees_full(sess, user, g)), _etag(g)


@blp.patch("/grievances/<id:grievance_id>", permission="grievances:manage")
@blp.arguments(GrievanceUpdateSchema)
@blp.response(200, GrievanceDetailSchema)
@blp.alt_response(403, description=_RESTRICTED)
@blp.alt_response(409, description="Resolved: reopen it first (code not-open); or " + _STALE)
@blp.alt_response(412, description="The If-Match you sent is stale (code stale-version).")
def update(data, grievance_id: int):
    """Triage: correct the category, severity, confidentiality, whom it is against, the outcome
    wanted or the language of an open grievance, at the version you read. A new category or
    severity moves both deadlines; the complainant's own words never change."""
    sess = db.session
    user = current_user(sess)
    g = _load(sess, user, grievance_id)
    expected = precondition(data)
    g = triage.update(sess, user, g, data, expected=expected)
    return _present(sess, g, access.sees_full(sess, user, g)), _etag(g)
