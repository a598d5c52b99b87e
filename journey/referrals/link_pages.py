"""The page of a signed link (no login): a partner without an account sees the referral as
journey.referrals.disclosure.for_partner allows, and only the forms of the link's purpose
(accept or decline; record progress or report the outcome). journey.referrals.links decides
everything: 404 for a token we did not sign, 410 for a link expired, used or past its purpose.

The page is in the language the link carries (?lang=, which links.link_url sets from
links.link_language and the forms keep). It is small (no script, one stylesheet) and never
indexed: the token in its address is the key to it.

Also here, for staff: emailing the partner a fresh link (referrals:link), e.g. when the first
expired. The staff's referral page (journey.referrals.pages) links a button to it.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from journey.config import SUPPORTED_LANGUAGES
from journey.core.db import db
from journey.core.errors import NotFound
from journey.referrals import links, partner_notify, partner_pages
from journey.web.forms import FORM_ERRORS, field_errors, form_status, form_values
from journey.web.pagekit import html_blueprint
from journey.web.routes import login_required

bp = html_blueprint(
    "referral_link_pages", __name__,
    # The token in the address is a key: no search engine keeps it, no other site is told it.
    headers={"X-Robots-Tag": "noindex, nofollow", "Referrer-Policy": "no-referrer"},
    gone=lambda: (_("This link no longer works"),
                  _("It was already used, it has expired, or the referral has moved on. Ask "
                    "the centre that sent it if there is still something to do.")))


def _lang() -> str | None:
    lang = request.args.get("lang")
    return lang if lang in SUPPORTED_LANGUAGES else None


def _page(token: str, found: dict[str, Any], *, errors: dict[str, dict[str, str]] | None = None,
          v: dict[str, dict[str, Any]] | None = None, status: int = 200):
    action = url_for("referral_link_pages.act", token=token, lang=_lang())
    return render_template(
        "referrals/link/act.html", seen=found["seen"], steps=found["events"],
        purpose=found["link"].purpose, expires_at=found["link"].expires_at,
        errors=errors or {}, v=v or {}, actions={e: action for e in found["events"]},
        done=None, **partner_pages.step_context()), status


@bp.route("/r/<token>", methods=["GET", "POST"])
def act(token: str):
    """GET: the referral and the link's forms. POST: one step of the link's purpose."""
    sess = db.session
    if request.method == "GET":
        return _page(token, links.view(sess, token))
    event = request.form.get("step", "")
    if event not in partner_pages.FORM_EVENTS:
        raise NotFound(_("No such step."))
    v = form_values(partner_pages.STEP_FIELDS[event])
    try:
        data = partner_pages.read_step(event, v)
        referral = links.act(sess, token, event, data)
    except FORM_ERRORS as err:
        sess.rollback()
        return _page(token, links.view(sess, token), errors={event: field_errors(err)},
                     v={event: v}, status=form_status(err))
    if event == "progress":
        # The link works on: show it again, with the note in the history.
        flash(_("Progress recorded."))
        return redirect(url_for("referral_link_pages.act", token=token, lang=_lang()), 303)
    return render_template("referrals/link/act.html", done=event, seen=None, steps=(),
                           reference=referral.reference, errors={}, v={}, actions={},
                           **partner_pages.step_context())


@bp.post("/referrals/<id:referral_id>/partner-link")
@login_required
def send(referral_id: int):
    """Staff email the partner a fresh signed link for what the referral waits for now."""
    partner_notify.send_link(db.session, g.user, referral_id)
    flash(_("A link is on its way to the service by email. It works for %(days)d days.",
            days=links.link_days()))
    if "referral_pages.referral" in current_app.view_functions:
        return redirect(url_for("referral_pages.referral", referral_id=referral_id), 303)
    return redirect(url_for("web.home"), 303)
