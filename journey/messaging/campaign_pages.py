"""Campaign pages: choose the audience and the message, preview what each language will read
(segments, encoding, cost, who is skipped and why), then send after confirming.

The form loads through the API's CampaignSchema and the numbers come from the same plan as
POST /api/v1/campaigns/preview (journey.messaging.services); sending calls send_campaign, the
service behind POST /api/v1/campaigns.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlmodel import select

from journey.config import SUPPORTED_LANGUAGES
from journey.core.auth import User
from journey.core.db import db
from journey.core.policy import office_scope, require
from journey.messaging import services
from journey.messaging.schemas import CampaignSchema
from journey.organisations.models import Office
from journey.programmes.models import Programme
from journey.stages import Stage
from journey.web.display import language_name, stage_title
from journey.web.forms import FORM_ERRORS, field_errors, form_input, form_status, form_values
from journey.web.pagekit import html_blueprint
from journey.web.routes import login_required
from notifications.models import Campaign, OutboxMessage
from notifications.templates import TEMPLATES

bp = html_blueprint("campaign_pages", __name__)

_FIELDS = ("name", "template", "filter.programme_id", "filter.office_id", "filter.language")
_ALL_PARAMS = sorted({key for t in TEMPLATES.values() for key in t.params})


def skip_titles() -> dict[str, str]:
    return {
        "no_consent": _("No consent to SMS and email updates"),
        "no_channel": _("No channel chosen (neither SMS nor email)"),
        "opted_out": _("Replied STOP to our texts (opted out)"),
        "no_phone": _("No phone number"),
        "no_email": _("No email address"),
        "invalid_number": _("The phone number is not valid"),
    }


def param_labels() -> dict[str, str]:
    return {"what": _("What (e.g. Orientation session)"), "date": _("Date"),
            "place": _("Place"), "item": _("Checklist item"), "country": _("Country name"),
            "url": _("Link (https://…)"), "service": _("Service"), "employer": _("Employer"),
            "reference": _("Reference")}


def _read_form() -> tuple[dict[str, Any], dict[str, Any]]:
    """(the values typed, to show again; the schema's input)."""
    values = form_values(_FIELDS + tuple(f"params.{k}" for k in _ALL_PARAMS))
    values["filter.stage"] = [s for s in request.form.getlist("filter.stage")][:20]
    template = TEMPLATES.get(values["template"])
    declared = set(template.params) if template else set()
    raw = form_input({k: values[k] for k in ("name", "template")})
    raw["params"] = {k: values[f"params.{k}"] for k in declared}
    flt = form_input({k.split(".", 1)[1]: values[k] for k in _FIELDS if k.startswith("filter.")},
                     ints=("programme_id", "office_id"))
    if values["filter.stage"]:
        flt["stage"] = values["filter.stage"]
    raw["filter"] = flt
    return values, raw


def _choices(user: User) -> dict[str, Any]:
    sess = db.session
    scope = office_scope(user)
    offices = select(Office).order_by(Office.code)
    if scope is not None:
        offices = offices.where(Office.id == scope)
    return {
        "templates": [(name, name) for name in sorted(TEMPLATES)],
        "programmes": [(p.id, f"{p.code} · {p.name}") for p in sess.scalars(
            select(Programme).order_by(Programme.code))],
        "offices": [(o.id, f"{o.code} · {o.name}") for o in sess.scalars(offices)],
        "stages": [(s.value, stage_title(s.value)) for s in Stage],
        "languages": [(code, language_name(code)) for code in SUPPORTED_LANGUAGES],
        "param_labels": param_labels(),
    }


def _render_form(v: dict[str, Any], errors: dict[str, str]):
    template = TEMPLATES.get(v.get("template") or "")
    params = [(k, template.params[k].kind) for k in template.params] if template else []
    return render_template("campaigns/new.html", v=v, errors=errors, params=params,
                           template=template, **_choices(g.user))


@bp.get("/campaigns/new")
@login_required
def new_campaign():
    """The form; ?template= chooses the message, whose fields then appear (no script needed)."""
    require(g.user, "campaigns:send")
    template = request.args.get("template", "")
    v: dict[str, Any] = {"template": template if template in TEMPLATES else "",
                         "filter.stage": []}
    return _render_form(v, {})


def _samples(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per language and channel: one message as it will be sent, its segments, encoding, cost."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for r in rows:
        entry = out.setdefault((r["language"], r["channel"]), {
            "language": r["language"], "channel": r["channel"], "body": r["body"],
            "subject": r["subject"], "encoding": r["encoding"], "segments": r["segments"],
            "messages": 0, "total_segments": 0, "cost": Decimal("0")})
        entry["messages"] += 1
        entry["total_segments"] += r["segments"] or 0
        entry["cost"] += r["cost"] or 0
    return sorted(out.values(), key=lambda e: (e["language"], e["channel"]))


@bp.post("/campaigns/preview")
@login_required
def preview():
    """What the campaign would send, to whom, and who it would skip and why."""
    user = g.user
    require(user, "campaigns:send")
    values, raw = _read_form()
    try:
        data = CampaignSchema().load(raw)
        # The plan behind POST /api/v1/campaigns/preview, and its summary.
        people, rows, skipped = services._plan(db.session, user, data)  # noqa: SLF001
    except FORM_ERRORS as err:
        return _render_form(values, field_errors(err)), form_status(err)
    summary = services._summary(people, rows, skipped)  # noqa: SLF001
    return _render_preview(values, summary, _samples(rows), {})


def _render_preview(values, summary, samples, errors):
    return render_template("campaigns/preview.html", v=values, summary=summary, samples=samples,
                           errors=errors, skip_titles=skip_titles(), param_labels=param_labels(),
                           template=TEMPLATES[values["template"]], language_name=language_name,
                           **{k: v for k, v in _choices(g.user).items() if k != "param_labels"})


@bp.post("/campaigns/send")
@login_required
def send():
    """Queue the previewed campaign once the sender has confirmed it."""
    user = g.user
    require(user, "campaigns:send")
    values, raw = _read_form()
    try:
        data = CampaignSchema().load(raw)
        if request.form.get("confirm") != "yes":
            people, rows, skipped = services._plan(db.session, user, data)  # noqa: SLF001
            return _render_preview(values, services._summary(people, rows, skipped),  # noqa: SLF001
                                   _samples(rows),
                                   {"confirm": _("Tick the box to confirm before sending.")}), 422
        result = services.send_campaign(db.session, user, data)
    except FORM_ERRORS as err:
        return _render_form(values, field_errors(err)), form_status(err)
    flash(_("Campaign queued: %(num)d messages.", num=result["messages"]))
    return redirect(url_for("campaign_pages.result", campaign_id=result["campaign_id"]), 303)


@bp.get("/campaigns/<int:campaign_id>")
@login_required
def result(campaign_id: int):
    """A sent campaign: its audience, and its messages by status."""
    user = g.user
    require(user, "campaigns:send")
    sess = db.session
    campaign = sess.get(Campaign, campaign_id)
    if campaign is None:
        abort(404)
    scope = office_scope(user)
    if scope is not None:
        creator_office = sess.scalar(sa.select(User.office_id).where(
            User.id == campaign.created_by))
        if creator_office != scope:
            abort(404)
    by_status = dict(sess.execute(
        sa.select(OutboxMessage.status, sa.func.count()).where(
            OutboxMessage.campaign_id == campaign.id).group_by(OutboxMessage.status)).all())
    return render_template("campaigns/result.html", campaign=campaign, by_status=by_status,
                           stage_title=stage_title, language_name=language_name)
