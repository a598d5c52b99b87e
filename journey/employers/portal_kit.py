"""What the employer's own pages share: their blueprint, the rule that only an employer user opens
them, and the reading of their small query strings.

The pages are journey.employers.portal (home), portal_vacancies, portal_candidates and
portal_work (onboarding, placements, Employer Pays); journey.employers.portal imports them all so
that the blueprint carries every route.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import g, request
from flask_babel import gettext as _
from marshmallow import ValidationError

from journey.core.auth import User
from journey.core.errors import ProblemError
from journey.core.ids import MAX_ID
from journey.core.policy import require
from journey.web.pagekit import html_blueprint
from journey.web.routes import invalid_query_page

bp = html_blueprint("employer_portal", __name__)
bp.register_error_handler(ValidationError, invalid_query_page)

PAGE_SIZE = 25


def employer_user() -> User:
    """The logged-in employer user: every other role gets 403 (staff have their own pages)."""
    require(g.user, "employers:own")
    return g.user


def query_args(allowed: Iterable[str]) -> dict[str, str]:
    """The query string, refusing (422) a parameter the page does not know, as the API does."""
    allowed = set(allowed)
    unknown = sorted(set(request.args) - allowed)
    if unknown:
        raise ValidationError({name: [_("Unknown field.")] for name in unknown})
    return {name: request.args.get(name, "").strip() for name in allowed}


def choice_arg(args: dict[str, str], name: str, values: Iterable[str]) -> str | None:
    """An optional filter from a fixed list (422 for anything else)."""
    value = args.get(name) or None
    if value is not None and value not in set(values):
        raise ValidationError({name: [_("Choose a value from the list.")]})
    return value


def id_arg(args: dict[str, str], name: str) -> int | None:
    """An optional id in the query string (422 when it is not one)."""
    value = args.get(name) or ""
    if not value:
        return None
    if not (value.isascii() and value.isdigit() and len(value) < 11 and 0 < int(value) <= MAX_ID):
        raise ValidationError({name: [_("Not a valid id.")]})
    return int(value)


def refusal(err: ProblemError) -> dict[str, object]:
    """A refused step (409) as the page shows it: the service's message and, when the continuum
    refused the move, each condition not met."""
    reasons = [str(u.get("message")) for u in err.extra.get("unmet", [])
               if isinstance(u, dict) and u.get("message")]
    return {"message": str(err.detail or err.title), "reasons": reasons}
