"""What every HTML blueprint shares: security headers, CSRF on form posts, errors as pages.

The staff pages (journey.web.routes) and the public pages of passports, credentials and skill
cards all answer a browser; none of them may answer with problem+json or without the headers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from journey.core.errors import ProblemError, http_title

SECURITY_HEADERS = {
    # The pages use no scripts at all; nothing may frame them or post their forms elsewhere.
    "Content-Security-Policy": "default-src 'self'; script-src 'none'; object-src 'none'; "
                               "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
    "Referrer-Policy": "same-origin",
    # Pages carry personal data: no copies in shared browser caches or after logout.
    "Cache-Control": "no-store",
}


def error_page(status: int, title: str, detail: str | None = None,
               headers: Mapping[str, str] | None = None, *, help_lines: list[str] | None = None):
    return render_template("error.html", status=status, title=title, detail=detail,
                           help_lines=help_lines or []), status, dict(headers or {})


def problem_page(err: ProblemError, gone: Callable[[], tuple[str, str | None]] | None = None):
    """A ProblemError as a page; 403 and 404 say no more than their title."""
    if err.status == 410 and gone is not None:
        return error_page(410, *gone())
    titles = {403: _("Your role cannot open this page"), 404: _("Page not found")}
    detail = err.detail if err.status not in titles else None
    return error_page(err.status, titles.get(err.status, str(err.title)), detail, err.headers)


def html_blueprint(name: str, import_name: str, *, headers: Mapping[str, str] | None = None,
                   gone: Callable[[], tuple[str, str | None]] | None = None) -> Blueprint:
    """A blueprint whose every answer is a page: CSRF checked on POST, the security headers
    (`headers` overrides some), and HTML for errors. `gone` gives the title and detail of the
    410 page (a link that expired or was revoked)."""
    bp = Blueprint(name, import_name)
    page_headers = {**SECURITY_HEADERS, **(headers or {})}

    @bp.before_request
    def _check_csrf() -> None:
        if request.method == "POST":
            current_app.extensions["csrf"].protect()

    @bp.after_request
    def _headers(response):
        for header, value in page_headers.items():
            response.headers.setdefault(header, value)
        return response

    @bp.errorhandler(CSRFError)
    def _csrf_failed(_err: CSRFError):
        return error_page(400, _("The form expired"), _("Go back, reload the page and try again."))

    @bp.errorhandler(ProblemError)
    def _problem(err: ProblemError):
        return problem_page(err, gone)

    @bp.errorhandler(HTTPException)
    def _http(err: HTTPException):
        return error_page(err.code or 500, http_title(err))

    return bp
