"""One concurrency rule for every versioned resource (journey.core.versions).

A stale If-Match is 412; a stale version field is 409; a write that needs a version and has
neither is 428. Each resource below is written once in each way, through the API, and nothing
is changed by a refusal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pytest
import sqlalchemy as sa

from journey.continuum import services as continuum
from journey.continuum.models import ChecklistItem
from journey.continuum.stages import Stage
from journey.skillcards import services as skillcards
from tests.skillcards.helpers import place


@dataclass
class Target:
    method: str
    url: str
    body: dict
    version: int  # the current version
    required: bool = True  # False: the write checks a version only when one is sent
    read: str | None = None  # where the new version shows, when the answer is another resource


@pytest.fixture
def world(app, factory, db_session):
    office = factory.office()
    supervisor = factory.user("supervisor", office=office)

    class World:
        headers = factory.headers(supervisor)

        def participant(self):
            return factory.participant(supervisor, office_id=office.id)

        def post(self, client, url, body):
            resp = client.post(url, json=body, headers=self.headers)
            assert resp.status_code == 201, resp.get_json()
            return resp.get_json()

    return World()


def _participant(client, world, db_session, app) -> Target:
    p = world.participant()
    return Target("PATCH", f"/api/v1/participants/{p.id}", {"notes": "changed"}, p.version)


def _transition(client, world, db_session, app) -> Target:
    p = world.participant()
    return Target("POST", f"/api/v1/participants/{p.id}/transitions", {"event": "withdraw",
                  "reason": "Asked to stop."}, p.version)


def _checklist_item(client, world, db_session, app) -> Target:
    p = world.participant()
    with app.app_context():
        continuum.open_checklist(db_session, p, Stage.PRESELECTION, date(2026, 11, 23))
        db_session.flush()
    item = db_session.scalars(sa.select(ChecklistItem).where(
        ChecklistItem.participant_id == p.id)).first()
    return Target("PATCH", f"/api/v1/participants/{p.id}/checklist/{item.id}",
                  {"status": "done"}, item.version)


def _permit(client, world, db_session, app) -> Target:
    p = world.participant()
    permit = world.post(client, f"/api/v1/participants/{p.id}/permits",
                        {"type": "work_visa", "issuing_country": "PT"})
    return Target("PATCH", f"/api/v1/participants/{p.id}/permits/{permit['id']}",
                  {"status": "applied"}, permit["version"])


def _passport(client, world, db_session, app) -> Target:
    p = world.participant()
    return Target("PATCH", f"/api/v1/participants/{p.id}/passport", {"disclosure": ["name"]}, 1)


def _entry(client, world, db_session, app, action: str = "") -> Target:
    p = world.participant()
    entry = world.post(client, f"/api/v1/participants/{p.id}/passport/entries",
                       {"kind": "soft_skill", "title": "Teamwork"})
    url = f"/api/v1/participants/{p.id}/passport/entries/{entry['id']}"
    if action == "verify":
        return Target("POST", url + "/verify", {"level": "documents_seen", "evidence": "A letter."},
                      entry["version"], required=False)
    if action == "retire":
        return Target("POST", url + "/retire", {"reason": "Duplicate."}, entry["version"],
                      required=False)
    return Target("PATCH", url, {"title": "Working in a team"}, entry["version"])


def _skill_form(client, world, db_session, app, action: str = "") -> Target:
    p = world.participant()
    place(db_session, p, Stage.RETURN, arrival_date=date(2024, 1, 10))
    with app.test_request_context():
        form, _created = skillcards.ensure_form(db_session, p, None)
        db_session.flush()
    url = f"/api/v1/participants/{p.id}/skill-form"
    if action == "complete":
        return Target("POST", url + "/complete", {}, form.version, read=url)
    return Target("PATCH", url, {"answers": {"sector": "Hospitality"}}, form.version)


RESOURCES: dict[str, Callable[..., Target]] = {
    "participant": _participant,
    "transition": _transition,
    "checklist item": _checklist_item,
    "permit": _permit,
    "passport": _passport,
    "passport entry": _entry,
    "entry verification": lambda *a: _entry(*a, action="verify"),
    "entry retirement": lambda *a: _entry(*a, action="retire"),
    "skill form": _skill_form,
    "skill form completion": lambda *a: _skill_form(*a, action="complete"),
}

# how the client says which version it read -> (status, code)
WAYS = {
    "stale If-Match": (412, "stale-version"),
    "stale version field": (409, "stale-version"),
    "no version at all": (428, "precondition-required"),
    "current If-Match": (200, None),
    "current version field": (200, None),
    "If-Match with a Unicode digit": (412, "invalid-if-match"),
}


def _send(client, world, target: Target, way: str):
    body, headers = dict(target.body), dict(world.headers)
    stale = target.version + 1  # any version but the current one
    if way == "stale If-Match":
        headers["If-Match"] = f'"{stale}"'
    elif way == "stale version field":
        body["version"] = stale
    elif way == "current If-Match":
        headers["If-Match"] = f'"{target.version}"'
    elif way == "current version field":
        body["version"] = target.version
    elif way == "If-Match with a Unicode digit":
        headers["If-Match"] = '"²"'
    return client.open(target.url, method=target.method, json=body, headers=headers)


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("resource", RESOURCES)
def test_one_concurrency_rule_for_every_versioned_resource(app, client, world, db_session,
                                                           resource, way):
    target = RESOURCES[resource](client, world, db_session, app)
    status, code = WAYS[way]
    if way == "no version at all" and not target.required:
        status, code = 200, None
    resp = _send(client, world, target, way)
    if status == 200:
        assert resp.status_code in (200, 201), resp.get_json()
        written = client.get(target.read, headers=world.headers) if target.read else resp
        assert written.get_json()["version"] == target.version + 1
        return
    assert resp.status_code == status, resp.get_json()
    assert resp.mimetype == "application/problem+json"
    problem = resp.get_json()
    assert problem["code"] == code
    if code == "stale-version":
        assert problem["current_version"] == target.version
    # Nothing changed: the current version still writes.
    again = _send(client, world, target, "current If-Match")
    assert again.status_code in (200, 201), again.get_json()
