"""The employer's own pages (issue #15 item 7): their home, vacancies and candidates, the
onboarding steps waiting for them, their placements with retention, and their Employer Pays
summary. Only employer users open them (employers:own); staff have their own pages.

Server-rendered, no script, in the user's own language. The routes live in portal_vacancies,
portal_candidates and portal_work, on the blueprint of portal_kit; importing them here puts every
route on `bp`.
"""

from __future__ import annotations

from flask import current_app, render_template, url_for

from journey.core.db import db
from journey.employers import (  # noqa: F401  (their routes join the blueprint)
    portal_candidates,
    portal_vacancies,
    portal_work,
)
from journey.employers.models import VACANCY_STATUS_TITLES, VERIFICATION_TITLES
from journey.employers.portal_kit import bp, employer_user
from journey.employers.portal_queries import home_figures
from journey.web.routes import login_required

__all__ = ["bp"]


@bp.get("/employer")
@login_required
def home():
    """The employer's start page: what waits for them, and where they stand."""
    user = employer_user()
    figures = home_figures(db.session, user)
    # The organisation's own record (contacts, commitments), when the registry's pages are in.
    record = ("employer_registry_pages.own_employer" in current_app.view_functions
              and url_for("employer_registry_pages.own_employer"))
    return render_template("employers/portal/home.html", f=figures, record_url=record or None,
                           pays=portal_work.pays_figures(db.session, user),
                           statuses=VACANCY_STATUS_TITLES, verification=VERIFICATION_TITLES)
