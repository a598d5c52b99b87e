"""The partner's own pages (issue #16, the partner's side): what waits for an answer, what is
overdue, in progress and recently completed; their referrals, by state; one referral as
journey.referrals.disclosure.for_partner shows it, with the forms of the steps its state allows
(accept, decline with a reason, record progress, report the outcome), all through
journey.referrals.services.transition. Only partner users open them (partners:own); another
provider's referral, or one no longer shared, is missing (404).

Server-rendered, no script, in the user's own language. The step forms are shared with the
signed link's page (journey.referrals.link_pages): templates/referrals/partner/_steps.html.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import marshmallow as ma
import sqlalchemy as sa
from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from journey.core import audit
from journey.core.auth import User
from journey.core.db import db, utcnow
from journey.core.errors import NotFound
from journey.core.i18n import _l, code_title
from journey.core.policy import require
from journey.core.versions import Precondition
from journey.referrals import listing, services
from journey.referrals.access import referral_scope
from journey.referrals.models import DirectoryService, Referral
from journey.referrals.schemas import CompleteSchema, DeclineSchema, ProgressSchema, StepSchema
from journey.referrals.states import (
    DECLINE_TITLES,
    EVENT_TITLES,
    OUTCOME_REASON_TITLES,
    OUTCOME_TITLES,
    SHAREABLE_TITLES,
    STATE_TITLES,
    URGENCY_TITLES,
    WORKING_STATES,
    ReferralEventKind,
    State,
)
from journey.web.display import page_window
from journey.web.forms import FORM_ERRORS, field_errors, form_input, form_status, form_values
from journey.web.pagekit import html_blueprint
from journey.web.routes import invalid_query_page, login_required

bp = html_blueprint("partner_portal", __name__)
bp.register_error_handler(ValidationError, invalid_query_page)

PAGE_SIZE = 25
RECENT_DAYS = 30
# The steps the partner's forms take (the first progress note starts the service).
FORM_EVENTS = ("accept", "decline", "progress", "complete")
_WORKING = tuple(s.value for s in WORKING_STATES)


# --- the step forms ----------------------------------------------------------------------------
# The API's step bodies (journey.referrals.schemas), so a page refuses what the API refuses; the
# service then checks the required fields and the guards.

def _values(enum) -> list[str]:
    return [e.value for e in enum]


STEP_SCHEMAS: dict[str, type[ma.Schema]] = {"accept": StepSchema, "decline": DeclineSchema,
                                            "progress": ProgressSchema,
                                            "complete": CompleteSchema}
STEP_FIELDS = {"accept": ("note",), "decline": ("reason", "note"), "progress": ("note",),
               "complete": ("outcome", "outcome_reason", "note")}


def read_step(event: str, v: dict[str, Any]) -> dict[str, Any]:
    """The typed form of one step as the schema's data (ValidationError when refused)."""
    nullable = ("outcome_reason",) if event == "progress" else ("note", "outcome_reason")
    data = STEP_SCHEMAS[event]().load(form_input(v, nullable=nullable))
    if data.get("note") is None:
        data.pop("note", None)
    return data


def step_context() -> dict[str, Any]:
    """What the step forms and the referral's view need to name codes in the reader's language."""
    return {
        # Lazy titles: translated when a form shows them, not for every page.
        "decline_reasons": [(r.value, t) for r, t in DECLINE_TITLES.items()],
        "outcomes": [(o.value, t) for o, t in OUTCOME_TITLES.items()],
        "outcome_reasons": [(r.value, t) for r, t in OUTCOME_REASON_TITLES.items()],
        "state_title": lambda code: code_title(STATE_TITLES, code),
        "urgency_title": lambda code: code_title(URGENCY_TITLES, code),
        "decline_title": lambda code: code_title(DECLINE_TITLES, code),
        "outcome_title": lambda code: code_title(OUTCOME_TITLES, code),
        "outcome_reason_title": lambda code: code_title(OUTCOME_REASON_TITLES, code),
        "event_title": lambda code: code_title(EVENT_TITLES, code),
        "reason_title": _reason_title,
        "field_title": lambda name: code_title(SHAREABLE_TITLES, name),
        "step_titles": {"accept": _l("Accept the referral"), "decline": _l("Decline"),
                        "progress": _l("Record progress"),
                        "complete": _l("Report the outcome")},
    }


def _reason_title(kind: str, code: str | None) -> str:
    if kind == ReferralEventKind.DECLINED.value:
        return code_title(DECLINE_TITLES, code)
    if kind == ReferralEventKind.COMPLETED.value:
        return code_title(OUTCOME_REASON_TITLES, code)
    return ""


def steps_for(state: str) -> tuple[str, ...]:
    """The partner's steps a referral in this state allows, as forms."""
    if state == State.SENT.value:
        return ("accept", "decline")
    if state in _WORKING:
        return ("progress", "complete")
    return ()


# --- who may open them -----------------------------------------------------------------------

def partner_user() -> User:
    """The logged-in partner user: every other role gets 403 (staff have their own pages)."""
    require(g.user, "partners:own")
    return g.user


def _query_args(allowed: tuple[str, ...]) -> dict[str, str]:
    unknown = sorted(set(request.args) - set(allowed))
    if unknown:
        raise ValidationError({name: [_("Unknown field.")] for name in unknown})
    return {name: request.args.get(name, "").strip() for name in allowed}


# --- home --------------------------------------------------------------------------------------

def home_figures(sess, user: User, now) -> dict[str, Any]:
    """The counts on the partner's home, over its own referrals only."""
    recent = now - timedelta(days=RECENT_DAYS)
    scope = referral_scope(user)

    def count(*where) -> int:
        return sess.scalar(sa.select(sa.func.count()).select_from(Referral).where(scope, *where))

    waiting_rows = list(sess.execute(
        sa.select(Referral.id, Referral.reference, Referral.urgency, Referral.state,
                  Referral.response_due_at, Referral.complete_due_at,
                  DirectoryService.name.label("service_name"))
        .join(DirectoryService, DirectoryService.id == Referral.service_id)
        .where(scope, Referral.state == State.SENT.value)
        .order_by(Referral.response_due_at.is_(None), Referral.response_due_at, Referral.id)
        .limit(10)))
    return {
        "waiting": count(Referral.state == State.SENT.value),
        "overdue": count(listing.overdue_clause(now)),
        "in_progress": count(Referral.state.in_(_WORKING)),
        "completed": count(Referral.state == State.COMPLETED.value, Referral.closed_at >= recent),
        "waiting_rows": [{"row": r, "overdue": listing.is_overdue(r, now)} for r in waiting_rows],
    }


@bp.get("/partner")
@login_required
def home():
    """The partner's start page: what waits for an answer, what is overdue, in progress, done."""
    user = partner_user()
    _query_args(())
    now = utcnow()
    directory = ("directory_pages.services" in current_app.view_functions
                 and url_for("directory_pages.services"))
    return render_template("referrals/partner/home.html", f=home_figures(db.session, user, now),
                           directory_url=directory or None, recent_days=RECENT_DAYS,
                           **step_context())


# --- the list ----------------------------------------------------------------------------------

@bp.get("/partner/referrals")
@login_required
def referrals():
    """The partner's referrals, newest first, by state, a page at a time."""
    sess, user = db.session, partner_user()
    args = _query_args(("state", "page"))
    state = args["state"] or None
    if state is not None and (state == State.DRAFT.value or state not in set(_values(State))):
        raise ValidationError({"state": [_("Choose a value from the list.")]})
    page_raw = args["page"] or "1"
    if not (page_raw.isascii() and page_raw.isdigit() and 0 < len(page_raw) < 6
            and int(page_raw) > 0):
        raise ValidationError({"page": [_("The page number must be a whole number from 1 "
                                          "upwards.")]})
    page_no = int(page_raw)
    stmt = services.list_query(user, state=state)
    total = sess.scalar(sa.select(sa.func.count()).select_from(stmt.order_by(None).subquery()))
    pages = max(1, -(-total // PAGE_SIZE))
    rows = list(sess.scalars(stmt.limit(PAGE_SIZE).offset((page_no - 1) * PAGE_SIZE)))
    names = dict(sess.execute(sa.select(DirectoryService.id, DirectoryService.name).where(
        DirectoryService.id.in_({r.service_id for r in rows}))).all()) if rows else {}
    people = _shared_names(sess, rows)
    now = utcnow()
    audit.record(sess, "referrals:referral:list", actor_id=user.id, object_type="referral",
                 ids=[r.id for r in rows], total=total, provider_id=user.provider_id)
    return render_template(
        "referrals/partner/list.html",
        rows=[{"r": r, "service": names.get(r.service_id), "person": people.get(r.id),
               "overdue": listing.is_overdue(r, now)} for r in rows],
        page={"page": page_no, "pages": pages, "total": total},
        window=page_window(page_no, pages), query={"state": state} if state else {},
        chosen=state or "", first=(page_no - 1) * PAGE_SIZE + 1,
        states=[(s.value, STATE_TITLES[s]) for s in State if s != State.DRAFT],
        **step_context())


def _shared_names(sess, rows: list[Referral]) -> dict[int, str]:
    """The person's name for each referral that shares it (and only those)."""
    from journey.participants.models import Participant

    ids = {r.participant_id for r in rows if "name" in (r.shared_fields or [])}
    if not ids:
        return {}
    people = {p.id: p for p in sess.scalars(sa.select(Participant).where(
        Participant.id.in_(ids)))}
    out = {}
    for r in rows:
        p = people.get(r.participant_id)
        if p is not None and "name" in r.shared_fields and p.erased_at is None:
            out[r.id] = f"{p.given_name} {p.family_name}".strip()
    return out


# --- one referral ------------------------------------------------------------------------------

def _page(referral_id: int, *, errors: dict[str, dict[str, str]] | None = None,
          v: dict[str, dict[str, Any]] | None = None, status: int = 200):
    sess, user = db.session, partner_user()
    seen = services.read(sess, user, referral_id)  # 404 outside its scope; audited
    now = utcnow()
    return render_template(
        "referrals/partner/referral.html", seen=seen, steps=steps_for(seen["state"]),
        overdue=listing.is_overdue(seen, now), errors=errors or {}, v=v or {},
        actions={e: url_for("partner_portal.step", referral_id=referral_id)
                 for e in FORM_EVENTS}, **step_context()), status


@bp.get("/partner/referrals/<id:referral_id>")
@login_required
def referral(referral_id: int):
    """One referral as its partner may see it, and the steps it can take now."""
    partner_user()
    _query_args(())
    return _page(referral_id)


_DONE = {"accept": _l("Accepted. Record progress here as you go, and report the outcome when "
                      "the service is given or cannot be."),
         "decline": _l("Declined. The referring centre is told, with your reason."),
         "progress": _l("Progress recorded."),
         "complete": _l("Outcome reported. Thank you: the referring centre is told.")}


@bp.post("/partner/referrals/<id:referral_id>")
@login_required
def step(referral_id: int):
    """Take one step (the form's ``step``) through services.transition, at the version read."""
    sess, user = db.session, partner_user()
    event = request.form.get("step", "")
    if event not in FORM_EVENTS:
        raise NotFound(_("No such step."))
    raw_version = request.form.get("version", "").strip()
    version = (int(raw_version) if raw_version.isascii() and raw_version.isdigit()
               and len(raw_version) < 10 else None)
    v = form_values(STEP_FIELDS[event])
    try:
        services.transition(sess, user, referral_id, event, read_step(event, v),
                            expected=Precondition(body=version))
    except FORM_ERRORS as err:
        sess.rollback()
        return _page(referral_id, errors={event: field_errors(err)}, v={event: v},
                     status=form_status(err))
    flash(str(_DONE[event]))
    return redirect(url_for("partner_portal.referral", referral_id=referral_id), 303)
