"""No staff form answers with a 500, whatever is typed into it.

Each role crawls the staff pages from its home page (links to local pages, two levels deep, plus
the record page of a participant in its scope), collects every POST form it is shown, and submits
each with its fields filled with hostile values: empty, far too long, NUL, numbers out of range,
impossible dates, digits from another script, markup. Every answer must be a page (HTML), below
500. The forms that end the session (logout) or a user's access are left out: they would stop
the crawl, and they have tests of their own.
"""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urljoin, urlsplit

import pytest

from journey.grievances import services as grievances
from tests.web.test_pages import HTML, log_in

HOSTILE = {
    "empty": "",
    "long": "x" * 5000,
    "nul": "a\x00b",
    "huge": "99999999999999999999",
    "negative": "-1",
    "bad-date": "2026-02-30",
    "other-digits": "٣٤",
    "markup": "<script>alert(1)</script>",
}
# Forms whose action would end the crawl (the session, the user's access) or leave the site.
SKIP_ACTIONS = re.compile(r"/logout$|/deactivate$|/sessions/end-all$|/totp/disable$|/erase$")
FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
ATTR = re.compile(r'(\w[\w-]*)="([^"]*)"')
FIELD = re.compile(r"<(input|select|textarea)\b([^>]*)>", re.I)
LINK = re.compile(r'href="(/[^"#?]*)(?:\?[^"#]*)?"')


def _attrs(raw: str) -> dict[str, str]:
    return {k.lower(): unescape(v) for k, v in ATTR.findall(raw)}


def _forms(page_url: str, body: str) -> list[tuple[str, list[str], str]]:
    """(action, field names, csrf token) of the POST forms on a page."""
    found = []
    for head, inner in FORM.findall(body):
        attrs = _attrs(head)
        if attrs.get("method", "get").lower() != "post":
            continue
        action = urljoin(page_url, attrs.get("action") or page_url)
        names, token = [], ""
        for _tag, raw in FIELD.findall(inner):
            field = _attrs(raw)
            name = field.get("name")
            if not name:
                continue
            if name == "csrf_token":
                token = field.get("value", "")
            elif name not in names:
                names.append(name)
        found.append((action, names, token))
    return found


def _crawl(client, start: list[str], depth: int = 2, limit: int = 80) -> dict[str, str]:
    """Local staff pages reachable from `start`: {path: html}."""
    seen: dict[str, str] = {}
    frontier = list(start)
    for _ in range(depth + 1):
        nxt = []
        for path in frontier:
            if path in seen or len(seen) >= limit or path.startswith(("/api/", "/static/")):
                continue
            resp = client.get(path, headers=HTML)
            assert resp.status_code < 500, f"GET {path} answered {resp.status_code}"
            if resp.mimetype != "text/html" or resp.status_code != 200:
                continue
            body = resp.get_data(as_text=True)
            seen[path] = body
            nxt += [p for p in LINK.findall(body) if p not in seen and "logout" not in p]
        frontier = nxt
    return seen


@pytest.mark.parametrize("role", ["admin", "supervisor", "caseworker"])
def test_no_staff_form_answers_500_to_hostile_input(app, client, factory, db_session, role):
    office = factory.office()
    user = factory.user(role, office=None if role == "admin" else office)
    helper = factory.user("caseworker", office=office)
    participant = factory.participant(helper, office_id=office.id)
    # Grievances the user sees in full, one received and one in review, so their pages' forms
    # (each step's, notes, assignee) are tried.
    with app.test_request_context():
        received, reviewed = (grievances.intake(
            db_session, helper, {"category": "wages", "description": "Unpaid",
                                 "assignee_id": user.id if role != "admin" else None},
            channel="staff", participant=participant)[0] for _ in range(2))
        for event in ("acknowledge", "start_review"):
            grievances.transition(db_session, helper, reviewed, event, expected=None)
    db_session.flush()
    resp = log_in(client, user)
    assert resp.status_code == 303, "logged in"

    pages = _crawl(client, ["/", f"/participants/{participant.id}", "/account",
                            f"/grievances/{received.id}", f"/grievances/{reviewed.id}"])
    assert f"/participants/{participant.id}" in pages, "the record page was crawled"
    forms = {}
    for path, body in pages.items():
        for action, names, token in _forms(path, body):
            if SKIP_ACTIONS.search(urlsplit(action).path) or not urlsplit(action).path.startswith("/"):
                continue
            forms.setdefault((urlsplit(action).path, tuple(names)), token)
    assert forms, "the crawl found forms to try"

    failures = []
    for (action, names), token in forms.items():
        for kind, value in HOSTILE.items():
            data = {name: value for name in names}
            data["csrf_token"] = token
            resp = client.post(action, data=data, headers=HTML)
            if resp.status_code >= 500 or resp.mimetype != "text/html":
                failures.append(f"POST {action} ({kind}): {resp.status_code} {resp.mimetype}")
            if resp.status_code in (302, 303) and "/login" in resp.headers.get("Location", ""):
                log_in(client, user)  # a form ended the session after all: carry on
    assert not failures, "\n".join(failures)
