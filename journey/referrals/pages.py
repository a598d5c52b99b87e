"""The caseworker's referral pages: the list of referrals in their scope, one referral with its
history and the steps its state allows (send, withdraw, the partner's answer recorded on its
behalf, a signed link emailed to it), the new-referral form with a directory search inside it,
the record page's "Referrals" section and the grievance page's panel.

Server-rendered, no script. Forms load through schemas and call the same services as the API
(journey.referrals.services.create and .transition), so a page refuses what the API refuses:
beside the field (422), or at the top with its reason (409: no consent to share, a step the
state does not allow, a stale version). Partners have their own pages (partner_pages).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import flash, g, redirect, render_template, request, url_for
from marshmallow import ValidationError
from sqlalchemy.orm import Session

from journey.consent.models import Purpose
from journey.consent.services import has_consent
from journey.core.auth import User
from journey.core.db import db, utcnow
from journey.core.domains import Section
from journey.core.errors import Conflict, NotFound
from journey.core.i18n import _, _l
from journey.core.policy import allowed, require
from journey.core.versions import Precondition
from journey.organisations.models import ServiceProvider
from journey.participants.models import Participant
from journey.participants.services import load_participant
from journey.referrals import listing, partner_notify, services
from journey.referrals import page_forms as pf
from journey.referrals.access import load_referral
from journey.referrals.models import DirectoryService, Referral
from journey.referrals.schemas import (
    ReferralCreateSchema,
    ReferralQuerySchema,
    ReferralUpdateSchema,
)
from journey.referrals.states import (
    DEFAULT_SHARED,
    OPEN_STATES,
    PARTNER_EVENTS,
    SHAREABLE,
    TRANSITIONS_BY_EVENT,
    State,
)
from journey.web import display
from journey.web.forms import FORM_ERRORS, field_errors, form_input, form_status, form_values
from journey.web.pagekit import html_blueprint
from journey.web.routes import invalid_query_page, login_required

bp = html_blueprint("referral_pages", __name__)
bp.register_error_handler(ValidationError, invalid_query_page)

# The steps staff take on these pages, and the fields each one's form has.
STEP_FIELDS = {
    "send": ("note",),
    "accept": ("note",),
    "decline": ("reason", "note"),
    "start": ("note",),
    "progress": ("note",),
    "complete": ("outcome", "outcome_reason", "note"),
    "withdraw": ("reason", "note", "partner_visible"),
}
# Steps taken with one button on the referral's page (nothing to fill in).
ONE_CLICK = ("send", "accept", "start")
NEW_FIELDS = ("service_id", "urgency", "reason", "grievance_id", "q", "category", "language",
              "place", "action")
SEARCH_FIELDS = ("q", "category", "language", "place")


def _staff(user: User) -> None:
    """These pages are the staff's: partners answer on their own pages."""
    require(user, "referrals:create")


# --- the list ------------------------------------------------------------------------------------

@bp.get("/referrals")
@login_required
def referrals():
    """The referrals in the user's scope, newest first, filtered and paged (the API's list:
    listing.search, which audits the read)."""
    sess, user = db.session, g.user
    _staff(user)
    raw: dict[str, Any] = {k: v for k, v in request.args.items() if v and k != "state"}
    if request.args.get("state"):
        raw["state"] = [request.args["state"]]
    raw["per_page"] = str(pf.PAGE_SIZE)
    args = ReferralQuerySchema().load(raw)
    now = utcnow()
    found = listing.search(sess, user, args, now=now)
    by_id = {r.id: r for r in sess.scalars(sa.select(Referral).where(
        Referral.id.in_([i["id"] for i in found["items"]])))}
    page_no, pages = found["page"], max(1, found["pages"])
    query = {k: v for k, v in request.args.items() if v and k != "page"}
    return render_template(
        "referrals/staff/list.html",
        rows=pf.rows(sess, [by_id[i["id"]] for i in found["items"]], now=now),
        total=found["total"], page={"page": page_no, "pages": pages, "total": found["total"]},
        window=display.page_window(page_no, pages), query=query,
        args={**args, "state": request.args.get("state")},
        first=(page_no - 1) * pf.PAGE_SIZE + 1,
        states=pf.choices("state"), urgencies=pf.choices("urgency"),
        providers=pf.provider_choices(sess), services=pf.service_choices(sess))


# --- one referral --------------------------------------------------------------------------------

def _history(sess: Session, view: dict[str, Any]) -> list[dict[str, Any]]:
    names = pf.user_names(sess, {e["actor_id"] for e in view["events"]})
    out = []
    for e in view["events"]:
        if e["via_link"]:
            who = _("The partner, through the emailed link")
        else:
            who = names.get(e["actor_id"]) or _("The system")
        out.append({**e, "what": pf.title("event", e["kind"]),
                    "reason_title": pf.reason_title(e["kind"], e["reason"]),
                    "state_title": pf.title("state", e["to_state"]), "who": who})
    return out


def _steps(user: User, state: str) -> list[dict[str, Any]]:
    """The steps this user may take from this state, the partner's marked as on its behalf."""
    out = []
    for event in STEP_FIELDS:
        t = TRANSITIONS_BY_EVENT[event]
        if State(state) in t.sources and allowed(user, t.permission):
            out.append({"event": event, "title": str(t.title), "one_click": event in ONE_CLICK,
                        "partner": event in PARTNER_EVENTS})
    return out


def _link_purpose(state: str) -> str | None:
    """What a signed link emailed now would let the partner do, or None."""
    if state == State.SENT.value:
        return "respond"
    if state in (State.ACCEPTED.value, State.IN_PROGRESS.value):
        return "outcome"
    return None


def _detail(sess: Session, user: User, referral_id: int, *, errors: dict | None = None,
            v: dict | None = None, refused: dict | None = None, status: int = 200):
    view = services.read(sess, user, referral_id)
    service = sess.get(DirectoryService, view["service_id"])
    provider = sess.get(ServiceProvider, view["provider_id"])
    completion = next((e for e in reversed(view["events"]) if e["kind"] == "complete"), None)
    purpose = _link_purpose(view["state"])
    grievance_ref = None
    if view["grievance_id"] is not None:
        from journey.grievances.models import Grievance
        grievance_ref = sess.scalar(sa.select(Grievance.reference).where(
            Grievance.id == view["grievance_id"]))
    ctx = {
        "r": view, "service": service, "provider": provider,
        "history": _history(sess, view), "steps": _steps(user, view["state"]),
        "state_title": pf.title("state", view["state"]),
        "urgency_title": pf.title("urgency", view["urgency"]),
        "shared": [pf.title("field", f) for f in view["shared_fields"]],
        "outcome": pf.outcome_text(_Row(view)), "completion": completion,
        "overdue": pf.is_overdue(_Row(view)), "due": pf.due_of(_Row(view)),
        "consent": has_consent(sess, view["participant_id"], Purpose.SHARE_PROVIDERS),
        "can_link": purpose is not None and allowed(user, "referrals:link"),
        "link_address": (partner_notify.link_address(sess, _Row(view))[0] if purpose
                         else None),
        "link_purpose": purpose, "grievance_ref": grievance_ref,
        "errors": errors or {}, "v": v or {}, "refused": refused,
    }
    return render_template("referrals/staff/referral.html", **ctx), status


class _Row:
    """A staff view (a dict) read like a Referral by the list helpers."""

    def __init__(self, view: dict[str, Any]) -> None:
        self.__dict__.update(view)


@bp.get("/referrals/<id:referral_id>")
@login_required
def referral(referral_id: int):
    _staff(g.user)
    return _detail(db.session, g.user, referral_id)


def _refusal(err: Conflict, participant_id: int) -> dict[str, Any]:
    """A 409 as the page shows it: the reason, the unmet conditions, and for consent the way
    to record it."""
    unmet = [u["message"] for u in (err.extra or {}).get("unmet", [])]
    return {"message": str(err.detail or err.title), "code": err.code,
            "unmet": unmet if len(unmet) > 1 else [],
            "consent_url": (url_for("consent_pages.record_consent",
                                    participant_id=participant_id)
                            if err.code == "consent-required" else None)}


def _step_page(sess: Session, user: User, referral_id: int, event: str, *, v: dict[str, Any],
               errors: dict[str, str], refused: dict | None = None, status: int = 200):
    view = services.read(sess, user, referral_id)
    t = TRANSITIONS_BY_EVENT[event]
    return render_template(
        "referrals/staff/step.html", r=view, t=t, event=event, fields=STEP_FIELDS[event],
        possible=State(view["state"]) in t.sources, partner=event in PARTNER_EVENTS,
        state_title=pf.title("state", view["state"]),
        target_title=pf.title("state", t.target.value),
        service=sess.get(DirectoryService, view["service_id"]),
        provider=sess.get(ServiceProvider, view["provider_id"]),
        reasons=pf.choices("decline" if event == "decline" else "withdraw"),
        outcomes=pf.choices("outcome"), outcome_reasons=pf.choices("outcome_reason"),
        v=v, errors=errors, refused=refused), status


def _event(event: str) -> str:
    if event not in STEP_FIELDS:
        raise NotFound(_("No such step."))
    return event


@bp.get("/referrals/<id:referral_id>/steps/<event>")
@login_required
def step_form(referral_id: int, event: str):
    """One step's form: what it asks for (a reason, the outcome, a note)."""
    sess, user = db.session, g.user
    _staff(user)
    event = _event(event)
    require(user, TRANSITIONS_BY_EVENT[event].permission)
    referral_row = load_referral(sess, user, referral_id, "referrals:read")
    return _step_page(sess, user, referral_id, event, errors={},
                      v={"version": referral_row.version,
                         "partner_visible": event != "withdraw"})


@bp.post("/referrals/<id:referral_id>/steps/<event>")
@login_required
def step(referral_id: int, event: str):
    sess, user = db.session, g.user
    _staff(user)
    event = _event(event)
    names = ("version", *STEP_FIELDS[event])
    values = form_values(names)
    raw = form_input(values, ints=("version",), booleans=("partner_visible",)
                     if "partner_visible" in names else (),
                     nullable=("note", "reason", "outcome", "outcome_reason"))
    schema = pf.STEP_SCHEMAS[event]
    try:
        data = schema().load(raw)
        expected = Precondition(body=data.pop("version", None))
        found = services.transition(sess, user, referral_id, event, data, expected=expected)
    except FORM_ERRORS as err:
        sess.rollback()
        refused, errors = None, {}
        if isinstance(err, Conflict) and not (event == "complete" and err.code == "guards-unmet"):
            row = load_referral(sess, user, referral_id, "referrals:read")
            refused = _refusal(err, row.participant_id)
            values = {**values, "version": row.version}
        else:
            errors = field_errors(err, conflict_fields={"guards-unmet": "outcome_reason"})
        return _step_page(sess, user, referral_id, event, v=values, errors=errors,
                          refused=refused, status=form_status(err))
    flash(_step_done(event, found))
    return redirect(url_for("referral_pages.referral", referral_id=referral_id), 303)


def _step_done(event: str, r: Referral) -> str:
    state = pf.title("state", r.state)
    if event == "send":
        return _("Referral %(reference)s sent. The partner is told, and the participant gets "
                 "where to go and what to bring.", reference=r.reference)
    if event == "withdraw":
        return _("Referral %(reference)s withdrawn.", reference=r.reference)
    return _("Recorded for the partner: %(step)s. The referral is now “%(state)s”.",
             step=str(TRANSITIONS_BY_EVENT[event].title), state=state)


@bp.post("/referrals/<id:referral_id>/link")
@login_required
def email_link(referral_id: int):
    """Email the partner a fresh signed, single-purpose link to answer or report the outcome,
    at the directory's address for the service (journey.referrals.partner_notify.send_link)."""
    sess, user = db.session, g.user
    _staff(user)
    require(user, "referrals:link")
    try:
        partner_notify.send_link(sess, user, referral_id)
    except FORM_ERRORS as err:
        sess.rollback()
        return _detail(sess, user, referral_id, errors=field_errors(err),
                       status=form_status(err))
    row = load_referral(sess, user, referral_id, "referrals:read")
    flash(_("A signed link is on its way to %(email)s. It works once, for this referral only.",
            email=partner_notify.link_address(sess, row)[0] or ""))
    return redirect(url_for("referral_pages.referral", referral_id=referral_id), 303)


# --- a new referral ----------------------------------------------------------------------------

def _grievance(sess: Session, user: User, p: Participant, grievance_id: int | None):
    """The grievance the referral is made from (the participant's, in the user's scope)."""
    if grievance_id is None:
        return None
    from journey.grievances import access as grievance_access

    gv = grievance_access.load(sess, user, grievance_id)
    if gv.participant_id != p.id:
        raise NotFound(_("No such grievance of this participant."))
    return gv


def _search(sess: Session, user: User, v: dict[str, Any]) -> tuple[dict, dict[str, str]]:
    """The services to choose from: the search typed (refused fields beside the search)."""
    raw = {k: v[k] for k in SEARCH_FIELDS if v.get(k)}
    errors: dict[str, str] = {}
    try:
        args = pf.SearchSchema().load(raw)
    except ValidationError as err:
        errors = field_errors(err)
        args = {k: val for k, val in raw.items() if k not in errors}
        try:
            args = pf.SearchSchema().load(args)
        except ValidationError:
            args = {}
    found, total = pf.search_services(sess, user, **args)
    chosen = v.get("service_id")
    if isinstance(chosen, str) and chosen.isascii() and chosen.isdigit() and len(chosen) < 10:
        picked = sess.get(DirectoryService, int(chosen))
        if picked is not None and picked not in found:
            found = [picked, *found]
    return {"services": pf.service_cards(sess, found), "total": total,
            "shown": len(found)}, errors


def _form_errors(err: Exception, raw: dict[str, Any]) -> dict[str, str]:
    """The form's errors beside its fields; no service chosen says so in words."""
    errors = field_errors(err)
    if "service_id" in errors and "service_id" not in raw:
        errors["service_id"] = _("Choose a service.")
    return errors


def _new_page(sess: Session, user: User, p: Participant, gv: Any, v: dict[str, Any],
              errors: dict[str, str], *, refused: dict | None = None, status: int = 200,
              draft: Referral | None = None):
    results, search_errors = _search(sess, user, v)
    return render_template(
        "referrals/staff/new.html", p=p, gv=gv, v=v, errors={**search_errors, **errors},
        draft=draft,
        refused=refused, results=results, urgencies=pf.choices("urgency"),
        fields=[(f, str(pf.title("field", f))) for f in SHAREABLE],
        consent=has_consent(sess, p.id, Purpose.SHARE_PROVIDERS),
        **pf.search_choices()), 422 if search_errors and status == 200 else status


@bp.get("/participants/<id:participant_id>/referrals/new")
@login_required
def new(participant_id: int):
    """The new-referral form, with the directory search (a grievance's when grievance_id)."""
    sess, user = db.session, g.user
    p = load_participant(sess, user, participant_id, "referrals:create")
    args = pf.NewArgsSchema().load({k: v for k, v in request.args.items() if v})
    gv = _grievance(sess, user, p, args.get("grievance_id"))
    v = {"urgency": "routine", "shared_fields": list(DEFAULT_SHARED),
         "grievance_id": str(gv.id) if gv else "",
         **{k: request.args.get(k, "").strip()[:100] for k in SEARCH_FIELDS}}
    return _new_page(sess, user, p, gv, v, {})


@bp.post("/participants/<id:participant_id>/referrals/new")
@login_required
def create(participant_id: int):
    sess, user = db.session, g.user
    p = load_participant(sess, user, participant_id, "referrals:create")
    v = form_values(NEW_FIELDS + ("shared_fields",), multi=("shared_fields",))
    gid = v["grievance_id"]
    gv = _grievance(sess, user, p, int(gid)) if (gid.isascii() and gid.isdigit()
                                                 and len(gid) < 10) else None
    action = v["action"]
    if action not in ("draft", "send"):  # "Search": the form again, with what was typed
        return _new_page(sess, user, p, gv, v, {})
    raw = form_input({k: v[k] for k in ("service_id", "urgency", "reason", "shared_fields")},
                     ints=("service_id",), nullable=("reason",))
    raw.update(participant_id=p.id, grievance_id=gv.id if gv else None, send=action == "send")
    try:
        data = ReferralCreateSchema().load(raw)
        found = services.create(sess, user, data)
    except FORM_ERRORS as err:
        sess.rollback()
        p = load_participant(sess, user, participant_id, "referrals:create")
        if isinstance(err, Conflict):
            return _new_page(sess, user, p, gv, v, {}, refused=_refusal(err, p.id),
                             status=409)
        return _new_page(sess, user, p, gv, v, _form_errors(err, raw), status=form_status(err))
    if action == "send":
        flash(_("Referral %(reference)s sent. The partner is told, and the participant gets "
                "where to go and what to bring.", reference=found.reference))
    else:
        flash(_("Referral %(reference)s saved as a draft. Send it when it is ready.",
                reference=found.reference))
    return redirect(url_for("referral_pages.referral", referral_id=found.id), 303)


# --- changing a draft ----------------------------------------------------------------------------

def _draft(sess: Session, user: User, referral_id: int) -> tuple[Referral, Participant, Any]:
    row = load_referral(sess, user, referral_id, "referrals:create")
    if row.state != State.DRAFT.value:
        raise NotFound(_("Only a draft referral can be changed."))
    p = load_participant(sess, user, row.participant_id, "referrals:create")
    gv = _grievance(sess, user, p, row.grievance_id) if row.grievance_id else None
    return row, p, gv


@bp.get("/referrals/<id:referral_id>/edit")
@login_required
def edit(referral_id: int):
    """A draft's form: the service, urgency, reason and shared fields, as when it was made."""
    sess, user = db.session, g.user
    row, p, gv = _draft(sess, user, referral_id)
    v = {"service_id": str(row.service_id), "urgency": row.urgency, "reason": row.reason or "",
         "shared_fields": list(row.shared_fields), "version": row.version,
         "grievance_id": str(gv.id) if gv else ""}
    return _new_page(sess, user, p, gv, v, {}, draft=row)


@bp.post("/referrals/<id:referral_id>/edit")
@login_required
def update(referral_id: int):
    sess, user = db.session, g.user
    row, p, gv = _draft(sess, user, referral_id)
    v = form_values(NEW_FIELDS + ("shared_fields", "version"), multi=("shared_fields",))
    v["grievance_id"] = str(gv.id) if gv else ""
    if v["action"] not in ("draft", "send"):
        return _new_page(sess, user, p, gv, v, {}, draft=row)
    raw = form_input({k: v[k] for k in ("service_id", "urgency", "reason", "shared_fields",
                                        "version")},
                     ints=("service_id", "version"), nullable=("reason",))
    raw.setdefault("shared_fields", [])  # none ticked: nothing shared
    send = v["action"] == "send"
    try:
        data = ReferralUpdateSchema().load(raw)
        expected = Precondition(body=data.pop("version", None))
        found = services.update_draft(sess, user, row.id, data, expected=expected)
        if send:
            found = services.transition(sess, user, row.id, "send", {})
    except FORM_ERRORS as err:
        sess.rollback()
        row, p, gv = _draft(sess, user, referral_id)
        if isinstance(err, Conflict):
            return _new_page(sess, user, p, gv, {**v, "version": row.version}, {},
                             refused=_refusal(err, p.id), status=409, draft=row)
        return _new_page(sess, user, p, gv, v, _form_errors(err, raw),
                         status=form_status(err), draft=row)
    if send:
        flash(_("Referral %(reference)s sent. The partner is told, and the participant gets "
                "where to go and what to bring.", reference=found.reference))
    else:
        flash(_("Draft %(reference)s saved.", reference=found.reference))
    return redirect(url_for("referral_pages.referral", referral_id=found.id), 303)


# --- the record page's section and the grievance's panel ------------------------------------

def referrals_section(sess: Session, user: User, p: Participant) -> Section | None:
    """The record page's "Referrals": the person's referrals with their state and outcome, and
    "Refer to a service"."""
    if not allowed(user, "referrals:create"):
        return None
    found = list(sess.scalars(services.list_query(user, participant_id=p.id)
                              .limit(pf.PAGE_SIZE)))
    total = len(found)
    if total == pf.PAGE_SIZE:
        total = sess.scalar(sa.select(sa.func.count()).select_from(
            services.list_query(user, participant_id=p.id).order_by(None).subquery()))
    return Section("referrals", _l("Referrals"), "referrals/staff/_section.html",
                   {"rows": pf.rows(sess, found), "total": total,
                    "consent": has_consent(sess, p.id, Purpose.SHARE_PROVIDERS),
                    "open": sum(1 for r in found if r.state in [s.value for s in OPEN_STATES])},
                   order=48)


def grievance_panel(sess: Session, user: User, grievance: Any) -> dict[str, Any] | None:
    """The grievance page's "Referrals": those made from it, with their outcome, and "Refer to
    a service" (for a grievance of a participant)."""
    if not allowed(user, "referrals:create") or grievance.participant_id is None:
        return None
    found = list(sess.scalars(services.list_query(user, grievance_id=grievance.id)))
    return {"rows": pf.rows(sess, found), "participant_id": grievance.participant_id,
            "grievance_id": grievance.id}
