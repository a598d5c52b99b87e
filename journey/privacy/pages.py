"""Pages: a participant's privacy page (what is held, the Export button) and the register of
processing. Plain HTML without scripts, like every staff page."""

from __future__ import annotations

from flask import g, render_template

from journey.core.db import db
from journey.core.policy import require
from journey.participants.services import load_participant
from journey.privacy import export, register, subjects
from journey.web.pagekit import html_blueprint
from journey.web.routes import login_required

bp = html_blueprint("privacy_pages", __name__)


@bp.get("/participants/<id:participant_id>/privacy")
@login_required
def participant_privacy(participant_id: int):
    """What the record holds, table by table, and the button that exports it."""
    sess = db.session
    p = load_participant(sess, g.user, participant_id, "privacy:export")
    tables = [{"name": item.name, "domain": item.domain, "categories": item.entry.categories,
               "rows": subjects.count(sess, item, p)} for item in subjects.declared()]
    return render_template("privacy/export.html", p=p, tables=tables,
                           category_title=register.category_title)


@bp.get("/participants/<id:participant_id>/privacy/export")
@login_required
def participant_export(participant_id: int):
    """The participant's archive, as a download; audited."""
    sess = db.session
    p = load_participant(sess, g.user, participant_id, "privacy:export")
    return export.archive_response(sess, p, actor_id=g.user.id, via="page")


@bp.get("/privacy/register")
@login_required
def processing_register():
    """The register of processing, in the reader's language."""
    require(g.user, "privacy:register")
    return render_template("privacy/register.html", register=register.build())
