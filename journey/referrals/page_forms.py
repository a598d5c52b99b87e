"""What the staff's referral pages show beside their forms: the choices of each select in words,
the directory search inside the new-referral form, the rows of the list and of the record's and
grievance's panels, and the query-string schemas of those pages (journey.referrals.pages holds
the routes).

Nothing here decides who sees what: rows come from services.list_query (journey.referrals.access
scopes it), a single referral from services.read, and the forms go through the services.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from marshmallow import validate
from sqlalchemy.orm import Session

from journey.core.auth import User
from journey.core.db import utcnow
from journey.core.i18n import _, code_title, language_choices
from journey.core.schemas import Id, Language, QueryArgsSchema, String, Text
from journey.organisations.models import ServiceProvider
from journey.participants.models import Participant
from journey.referrals import directory, listing
from journey.referrals.directory import CATEGORY_TITLES, FLAG_TITLES
from journey.referrals.models import (
    DirectoryLocation,
    DirectoryService,
    Referral,
    ServiceAtLocation,
    ServiceLanguage,
    ServiceStatus,
)
from journey.referrals.schemas import (
    CompleteSchema,
    DeclineSchema,
    ProgressSchema,
    StepSchema,
    WithdrawSchema,
)
from journey.referrals.states import (
    DECLINE_TITLES,
    EVENT_TITLES,
    OUTCOME_REASON_TITLES,
    OUTCOME_TITLES,
    SHAREABLE_TITLES,
    STATE_TITLES,
    URGENCY_TITLES,
    WITHDRAW_TITLES,
    WORKING_STATES,
    Outcome,
    State,
)

PAGE_SIZE = 25
SEARCH_SIZE = 20
NOTE_MAX = 2000
REASON_MAX = 2000

TITLES = {"state": STATE_TITLES, "urgency": URGENCY_TITLES, "decline": DECLINE_TITLES,
          "withdraw": WITHDRAW_TITLES, "outcome": OUTCOME_TITLES,
          "outcome_reason": OUTCOME_REASON_TITLES, "event": EVENT_TITLES,
          "field": SHAREABLE_TITLES, "category": CATEGORY_TITLES}


def title(kind: str, code: str | None) -> str:
    """A stored code's title in the reader's language (``title('state', 'sent')``)."""
    return code_title(TITLES[kind], code)


def choices(kind: str) -> list[tuple[str, str]]:
    return [(str(code), str(text)) for code, text in TITLES[kind].items()]


def reason_title(kind: str, reason: str | None) -> str:
    """An event's reason in words: why declined, withdrawn, or the service not provided."""
    table = {"decline": "decline", "withdraw": "withdraw", "complete": "outcome_reason"}.get(kind)
    return title(table, reason) if table and reason else (reason or "")


# --- the forms' schemas ----------------------------------------------------------------------------
# Page forms load through the API's schemas (journey.referrals.schemas) and call the same services
# (journey.referrals.services.create, .update_draft, .transition, .search), which refuse what is
# missing or not allowed field by field.

STEP_SCHEMAS = {"send": StepSchema, "accept": StepSchema, "decline": DeclineSchema,
                "start": StepSchema, "progress": ProgressSchema, "complete": CompleteSchema,
                "withdraw": WithdrawSchema}


class SearchSchema(QueryArgsSchema):
    """The directory search inside the new-referral form."""

    q = Text(validate=validate.Length(max=100))
    category = String(validate=validate.OneOf(list(CATEGORY_TITLES)))
    language = Language()
    place = Text(validate=validate.Length(max=100))


class NewArgsSchema(SearchSchema):
    grievance_id = Id()


# --- the directory search in the form --------------------------------------------------------------

def search_services(sess: Session, user: User, *, q: str | None = None,
                    category: str | None = None, language: str | None = None,
                    place: str | None = None, per_page: int = SEARCH_SIZE
                    ) -> tuple[list[DirectoryService], int]:
    """Active directory services matching the search, by name (the directory's own search)."""
    rows, total = directory.search(sess, user, q=q, category=category, language=language,
                                   place=place, status=ServiceStatus.ACTIVE.value, page=1,
                                   per_page=per_page)
    return [_as_service(sess, r) for r in rows], total


def _as_service(sess: Session, row: Any) -> DirectoryService:
    if isinstance(row, DirectoryService):
        return row
    if isinstance(row, dict) and isinstance(row.get("service"), DirectoryService):
        return row["service"]  # journey.referrals.directory.search's rows
    return sess.get(DirectoryService, row["id"] if isinstance(row, dict) else row.id)


def service_cards(sess: Session, services: list[DirectoryService]) -> list[dict[str, Any]]:
    """What the form shows of each service to choose from: the provider, categories, flags,
    languages, where (staff see confidential places too), waiting time, stale or not."""
    ids = [s.id for s in services]
    if not ids:
        return []
    providers = dict(sess.execute(sa.select(ServiceProvider.id, ServiceProvider.name).where(
        ServiceProvider.id.in_({s.provider_id for s in services}))).all())
    languages: dict[int, list[str]] = {}
    for sid, lang in sess.execute(sa.select(ServiceLanguage.service_id, ServiceLanguage.language)
                                  .where(ServiceLanguage.service_id.in_(ids))
                                  .order_by(ServiceLanguage.language)):
        languages.setdefault(sid, []).append(lang)
    places: dict[int, list[str]] = {}
    for sid, city, name in sess.execute(
            sa.select(ServiceAtLocation.service_id, DirectoryLocation.city, DirectoryLocation.name)
            .join(DirectoryLocation, DirectoryLocation.id == ServiceAtLocation.location_id)
            .where(ServiceAtLocation.service_id.in_(ids)).order_by(DirectoryLocation.id)):
        place = city or name
        if place not in places.setdefault(sid, []):
            places[sid].append(place)
    stale_before = directory.stale_before()
    return [{"id": s.id, "name": s.name, "provider": providers.get(s.provider_id, ""),
             "categories": [str(CATEGORY_TITLES[c]) for c in directory.categories_of(s)],
             "flags": [str(FLAG_TITLES[f]) for f in directory.flags_of(s)],
             "languages": languages.get(s.id, []), "places": places.get(s.id, []),
             "waiting_days": s.waiting_days, "free": s.free_of_charge,
             "documents": s.documents_required,
             "stale": s.assured_at < stale_before} for s in services]


def search_choices() -> dict[str, Any]:
    return {"categories": choices("category"), "languages": language_choices()}


# --- lists -----------------------------------------------------------------------------------------

def due_of(r: Any) -> datetime | None:
    """The deadline that runs now: the answer while sent, the completion while being worked."""
    if r.state == State.SENT.value:
        return r.response_due_at
    if r.state in [s.value for s in WORKING_STATES]:
        return r.complete_due_at
    return None


def is_overdue(r: Any, now: datetime | None = None) -> bool:
    return listing.is_overdue(r, now or utcnow())


def rows(sess: Session, referrals: list[Referral], *, now: datetime | None = None
         ) -> list[dict[str, Any]]:
    """A list's rows: the referral, the person's name, service and partner, state, deadline and
    outcome in words."""
    if not referrals:
        return []
    now = now or utcnow()
    people = {p.id: p for p in sess.execute(
        sa.select(Participant.id, Participant.given_name, Participant.family_name,
                  Participant.reference, Participant.erased_at)
        .where(Participant.id.in_({r.participant_id for r in referrals})))}
    services = dict(sess.execute(sa.select(DirectoryService.id, DirectoryService.name).where(
        DirectoryService.id.in_({r.service_id for r in referrals}))).all())
    providers = dict(sess.execute(sa.select(ServiceProvider.id, ServiceProvider.name).where(
        ServiceProvider.id.in_({r.provider_id for r in referrals}))).all())
    out = []
    for r in referrals:
        p = people.get(r.participant_id)
        name = (f"{p.given_name} {p.family_name}" if p is not None and p.erased_at is None
                else None)
        out.append({"id": r.id, "reference": r.reference, "participant_id": r.participant_id,
                    "participant": name, "participant_reference": p.reference if p else "",
                    "service": services.get(r.service_id, ""),
                    "provider": providers.get(r.provider_id, ""), "state": r.state,
                    "state_title": title("state", r.state), "urgency": r.urgency,
                    "urgency_title": title("urgency", r.urgency), "due": due_of(r),
                    "overdue": is_overdue(r, now), "created_at": r.created_at,
                    "sent_at": r.sent_at, "closed_at": r.closed_at,
                    "outcome": outcome_text(r)})
    return out


def outcome_text(r: Any) -> str:
    """The outcome in words ("Service not provided: the person did not come"), or ""."""
    if r.outcome is None:
        if r.state == State.DECLINED.value and r.decline_reason:
            return _("Declined: %(reason)s", reason=title("decline", r.decline_reason))
        return ""
    if r.outcome == Outcome.NOT_PROVIDED.value and r.outcome_reason:
        return _("Service not provided: %(reason)s",
                 reason=title("outcome_reason", r.outcome_reason))
    return title("outcome", r.outcome)


def provider_choices(sess: Session) -> list[tuple[str, str]]:
    return [(str(i), n) for i, n in sess.execute(
        sa.select(ServiceProvider.id, ServiceProvider.name)
        .where(ServiceProvider.id.in_(sa.select(DirectoryService.provider_id)))
        .order_by(ServiceProvider.name, ServiceProvider.id))]


def service_choices(sess: Session) -> list[tuple[str, str]]:
    return [(str(i), n) for i, n in sess.execute(
        sa.select(DirectoryService.id, DirectoryService.name)
        .order_by(DirectoryService.name, DirectoryService.id))]


def user_names(sess: Session, ids: set[int | None]) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(sess.execute(sa.select(User.id, User.full_name)
                             .where(User.id.in_(sorted(ids)))).all())
