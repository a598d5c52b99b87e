"""The shared kernel's own tables: user accounts and tokens, the audit log and the timeline.

Listed first in journey/domains.py; it has no routes of its own (accounts and auditlog serve
these tables), and two commands, `journey db` and `journey keys` (data keys: encryption at rest).
"""

import sqlalchemy as sa

from journey.core import links
from journey.core.audit import AuditEvent
from journey.core.auth import ApiToken, LoginAttempt, User
from journey.core.domains import Category, Domain, PersonalData
from journey.core.keys import keys_group
from journey.core.links import ParticipantLink
from journey.core.migrate import db_group
from journey.core.timeline import JourneyEvent


def _audit_about(participant):
    """Events about the person: on their record, or on a child object naming them in details."""
    t = AuditEvent.__table__
    return sa.or_(sa.and_(t.c.object_type == "participant", t.c.object_id == participant.id),
                  t.c.details["participant_id"].as_integer() == participant.id)


DOMAIN = Domain(
    name="core",
    models=(User, ApiToken, LoginAttempt, AuditEvent, JourneyEvent, ParticipantLink),
    commands=(db_group, keys_group),
    personal_data=(
        PersonalData("journey_events", (Category.CASE,), ("participant_id",),
                     note="reasons people gave are free text", read=("participants:read",),
                     erase_columns=("reason",)),
        PersonalData("audit_events", (Category.CASE,), ("object_id",),
                     note="ids only: object_id when object_type is 'participant', otherwise "
                          "details.participant_id; append-only, so erasure cannot remove rows",
                     where=_audit_about, read=("audit:read",), legal_basis="legal_obligation"),
        PersonalData("participant_links", (Category.CASE,), ("participant_id",),
                     note="which employers and service providers a participant is linked to",
                     read=("participants:read",), recipients=("employer", "partner"),
                     erase=links.end_all),
        PersonalData("users", (Category.IDENTITY, Category.CONTACT), ("id",), subject="staff",
                     read=("users:manage",), legal_basis="contract"),
        PersonalData("login_attempts", (Category.IDENTITY,), ("key",), subject="staff",
                     note="a keyed hash of a username or client address, kept for throttling",
                     read=(), legal_basis="legitimate_interests"),
    ),
)
