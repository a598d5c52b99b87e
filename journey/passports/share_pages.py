"""Staff pages for share links: make one (the address is shown once), list them, revoke one.

The form loads through ShareLinkCreateSchema and calls journey.passports.sharing, exactly as
POST /participants/<id>/share-links does.
"""

from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlmodel import select

from journey.core.db import db
from journey.core.policy import allowed
from journey.organisations.models import Employer
from journey.participants.services import load_participant
from journey.passports import services, sharing
from journey.passports.models import EntryKind
from journey.passports.schemas import ShareLinkCreateSchema
from journey.web.forms import (
    FORM_ERRORS,
    field_errors,
    form_input,
    form_status,
    form_values,
)
from journey.web.pagekit import html_blueprint
from journey.web.routes import login_required

bp = html_blueprint("passport_share_pages", __name__,
                    headers={"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"})

_FIELDS = ("audience", "employer_id", "kinds", "expires_in_days")


def _render(p, *, values=None, errors=None, created=None, status=200):
    sess = db.session
    links = sharing.list_share_links(sess, g.user, p)
    return render_template(
        "passports/share_links.html", p=p, errors=errors or {}, created=created,
        v=values if values is not None else {"expires_in_days": 14, "kinds": []},
        links=[(link, sharing.share_status(link)) for link in links],
        can_manage=allowed(g.user, "shares:manage"),
        max_days=current_app.config["SHARE_LINK_MAX_DAYS"],
        kinds=[(k.value, services.KIND_TITLES[k]) for k in EntryKind],
        employers=[(e.id, e.name) for e in sess.scalars(select(Employer).order_by(Employer.name))],
    ), status


@bp.get("/participants/<id:participant_id>/passport/share-links")
@login_required
def share_links(participant_id: int):
    """The participant's share links, and the form for a new one."""
    p = load_participant(db.session, g.user, participant_id, "shares:read")
    return _render(p)


@bp.post("/participants/<id:participant_id>/passport/share-links")
@login_required
def create_share_link(participant_id: int):
    sess, user = db.session, g.user
    p = load_participant(sess, user, participant_id, "shares:manage")
    values = form_values(_FIELDS, multi=("kinds",))
    try:
        data = ShareLinkCreateSchema().load(
            form_input(values, ints=("employer_id", "expires_in_days"), nullable=("employer_id",)))
        link, token = sharing.create_share_link(sess, user, p, **data)
    except FORM_ERRORS as err:
        return _render(p, values=values, errors=field_errors(err), status=form_status(err))
    # The address is shown on this answer only (it is never stored), so no redirect here; the
    # page is not cached and sends no Referer.
    return _render(p, created={"link": link, "url": sharing.share_url(token)}, status=201)


@bp.post("/participants/<id:participant_id>/passport/share-links/<id:link_id>/revoke")
@login_required
def revoke_share_link(participant_id: int, link_id: int):
    sess, user = db.session, g.user
    p = load_participant(sess, user, participant_id, "shares:manage")
    link = sharing.load_share_link(sess, p, link_id)
    try:
        sharing.revoke_share_link(sess, user, p, link)
    except FORM_ERRORS as err:
        return _render(p, errors=field_errors(err), status=form_status(err))
    flash(_("Share link for %(audience)s revoked.", audience=link.audience))
    return redirect(url_for("passport_share_pages.share_links", participant_id=p.id), 303)
