"""Pages: login, logout, the caseload list and a participant's record."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError, CSRFProtect

from journey.core.auth import authenticate, load_current_user
from journey.core.db import db
from journey.core.errors import ProblemError
from journey.core.policy import allowed
from journey.participants import services as participants
from journey.participants.schemas import ParticipantQuerySchema

bp = Blueprint("web", __name__)
_csrf = CSRFProtect()


@bp.before_request
def _check_csrf():
    if request.method == "POST":
        _csrf.protect()


@bp.errorhandler(CSRFError)
def _csrf_failed(err):
    return render_template("error.html", status=400,
                           title="The form expired; go back and try again."), 400


def _login_required():
    user = load_current_user(db.session)
    if user is None:
        return None, redirect(url_for("web.login", next=request.path))
    return user, None


@bp.get("/login")
def login():
    return render_template("login.html", error=None)


@bp.post("/login")
def login_post():
    username = request.form.get("username", "")[:80]
    password = request.form.get("password", "")[:1024]
    try:
        user = authenticate(db.session, username, password)
    except ProblemError as err:
        return render_template("login.html", error=err.detail, username=username), err.status
    session.clear()
    session["uid"] = user.id
    target = request.args.get("next", "")
    # Only local paths, so the login page cannot be used to bounce people elsewhere.
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("web.home")
    return redirect(target)


@bp.post("/logout")
def logout():
    session.clear()
    return redirect(url_for("web.login"))


@bp.get("/")
def home():
    user, redirect_to = _login_required()
    if redirect_to:
        return redirect_to
    if not allowed(user, "participants:read"):
        return render_template("home.html", user=user, page=None, q="")
    args = ParticipantQuerySchema().load(
        {k: v for k, v in request.args.items() if k in {"q", "page", "stage"}}
        | ({"stage": request.args.getlist("stage")} if request.args.get("stage") else {})
    )
    page = participants.search_participants(db.session, user, args)
    return render_template("home.html", user=user, page=page, q=request.args.get("q", ""))


@bp.get("/participants/<id:participant_id>")
def participant(participant_id: int):
    user, redirect_to = _login_required()
    if redirect_to:
        return redirect_to
    p = participants.read_participant(db.session, user, participant_id)
    return render_template("participant.html", user=user, p=p)
