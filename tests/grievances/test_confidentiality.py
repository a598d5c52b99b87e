"""Confidentiality (#14): a restricted grievance is masked for a caseworker of the office, opens
by break-the-glass for a supervisor (audited, focal points told, for a while), never for a
caseworker; an employer never sees a grievance, even one against it about a participant it can
reach; focal points are named and removed by supervisors and admins."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from journey.core import links
from journey.core.audit import AuditEvent
from journey.core.links import LinkReason, OrganisationKind
from journey.grievances import access, glass, queries, services
from journey.grievances.models import AccessGrant, Channel, FocalPoint, GrievanceEntry
from notifications.models import OutboxMessage
from tests.web.test_pages import HTML, csrf_token, log_in, text

DESCRIPTION = "My supervisor Ramesh touched me in the storeroom and threatened me"
REASON = "The focal point is on leave and the complainant reports an immediate risk."


@pytest.fixture
def world(factory, db_session, app):
    """An office with a focal point (with an email), a supervisor, two caseworkers, an employer
    user whose employer a restricted grievance names, about a participant linked to it."""
    office = factory.office()
    focal = factory.user("caseworker", office, email="focal@example.org", language="fr")
    supervisor = factory.user("supervisor", office)
    caseworker = factory.user("caseworker", office)
    employer_user, partner = factory.user("employer"), factory.user("partner")
    p = factory.participant(caseworker, office_id=office.id, given_name="Sunita",
                            family_name="Gurungova")
    links.link(db_session, None, p.id, OrganisationKind.EMPLOYER, employer_user.employer_id,
               LinkReason.PLACED)
    links.link(db_session, None, p.id, OrganisationKind.SERVICE_PROVIDER, partner.provider_id,
               LinkReason.REFERRED)
    with app.test_request_context():
        glass.add_focal_point(db_session, supervisor, office.id, focal.id)
        g, _code = services.intake(db_session, caseworker, {
            "category": "harassment_gbv", "severity": "high", "description": DESCRIPTION,
            "against_employer_id": employer_user.employer_id}, channel=Channel.STAFF,
            participant=p)
        g.assignee_id = None  # the caseworker logged it, but it is not theirs to see
    db_session.flush()
    return {"office": office, "focal": focal, "supervisor": supervisor, "caseworker": caseworker,
            "employer": employer_user, "partner": partner, "participant": p, "grievance": g}


def _route(app, rule: str) -> bool:
    return any(r.rule == rule for r in app.url_map.iter_rules())


def _secret_free(body: str, w) -> None:
    p = w["participant"]
    for secret in (DESCRIPTION, "Ramesh", p.given_name, p.family_name, p.reference):
        assert secret not in body, secret


def test_a_restricted_grievance_is_masked_for_a_caseworker_of_the_office(app, client, factory,
                                                                         db_session, world):
    g, caseworker = world["grievance"], world["caseworker"]
    assert g.confidentiality == "restricted"
    with app.test_request_context():
        _found, full = queries.read(db_session, caseworker, g.id)
        listed = queries.listing(db_session, caseworker)
        searched = queries.listing(db_session, caseworker, q="gurungova")
    assert full is False
    [item] = listed["items"]
    assert item["masked"] and item["participant_name"] is None and item["participant_id"] is None
    assert searched["total"] == 0, "a search by name never finds a masked grievance"
    # The focal point sees it whole.
    assert access.sees_full(db_session, world["focal"], g)
    if _route(app, "/api/v1/grievances/<id:grievance_id>"):
        resp = client.get(f"/api/v1/grievances/{g.id}", headers=factory.headers(caseworker))
        assert resp.status_code == 200 and resp.json["masked"] is True
        _secret_free(resp.get_data(as_text=True), world)
    if _route(app, "/grievances/<id:grievance_id>"):
        assert log_in(client, caseworker).status_code == 303
        resp = client.get(f"/grievances/{g.id}", headers=HTML)
        assert resp.status_code == 200 and g.reference in text(resp)
        _secret_free(text(resp), world)


def test_a_caseworker_cannot_break_the_glass(client, factory, world):
    g, caseworker = world["grievance"], world["caseworker"]
    resp = client.post(f"/api/v1/grievances/{g.id}/break-glass", json={"reason": REASON},
                       headers=factory.headers(caseworker))
    assert resp.status_code == 403
    assert log_in(client, caseworker).status_code == 303
    assert client.get(f"/grievances/{g.id}/break-glass", headers=HTML).status_code == 403


def test_a_supervisor_breaks_the_glass_audited_and_the_focal_point_is_told(
        app, client, factory, db_session, world):
    g, supervisor, focal = world["grievance"], world["supervisor"], world["focal"]
    headers = factory.headers(supervisor)
    assert not access.sees_full(db_session, supervisor, g)
    short = client.post(f"/api/v1/grievances/{g.id}/break-glass", json={"reason": "because"},
                        headers=headers)
    assert short.status_code == 422 and short.json["errors"][0]["field"] == "reason"

    resp = client.post(f"/api/v1/grievances/{g.id}/break-glass", json={"reason": REASON},
                       headers=headers)
    assert resp.status_code == 201, resp.json
    assert resp.json["grievance_id"] == g.id and "reason" not in resp.json
    assert access.sees_full(db_session, supervisor, g)
    again = client.post(f"/api/v1/grievances/{g.id}/break-glass", json={"reason": REASON},
                        headers=headers)
    assert again.status_code == 409 and again.json["code"] == "not-masked"

    grant = db_session.scalars(sa.select(AccessGrant).where(AccessGrant.grievance_id == g.id)).one()
    hours = app.config["GRIEVANCE_BREAK_GLASS_HOURS"]
    assert grant.expires_at - grant.created_at == timedelta(hours=hours)
    assert grant.reason == REASON
    raw = db_session.execute(sa.text("SELECT reason FROM grievance_access_grants WHERE id = :id"),
                             {"id": grant.id}).scalar_one()
    assert REASON not in raw, "the reason is encrypted at rest"
    [event] = db_session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "grievances:grievance:break_glass")).all()
    assert (event.actor_id, event.object_id) == (supervisor.id, g.id)
    assert event.details["grant_id"] == grant.id and event.details["notified"] == [focal.id]
    assert "leave" not in str(event.details), "ids only: the reason stays in the grant"
    assert db_session.scalar(sa.select(sa.func.count()).select_from(GrievanceEntry).where(
        GrievanceEntry.grievance_id == g.id, GrievanceEntry.kind == "break_glass")) == 1

    [mail] = db_session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.template == glass.TEMPLATE)).all()
    assert mail.participant_id is None and mail.channel == "email"
    assert mail.recipient == "focal@example.org" and mail.language == "fr"
    assert g.reference in mail.body and supervisor.full_name in mail.body
    _secret_free(mail.body + (mail.subject or ""), world)


def test_the_grant_expires(app, db_session, world):
    g, supervisor = world["grievance"], world["supervisor"]
    with app.test_request_context():
        grant = glass.break_glass(db_session, supervisor, g.id, REASON)
    assert access.sees_full(db_session, supervisor, g)
    later = grant.expires_at + timedelta(seconds=1)
    assert not access.sees_full(db_session, supervisor, g, later)
    with app.test_request_context():
        _found, full = queries.read(db_session, supervisor, g.id, now=later)
        listed = queries.listing(db_session, supervisor, now=later)
    assert full is False and listed["items"][0]["masked"] is True


def test_the_break_glass_page_asks_a_reason_and_returns_to_the_grievance(client, db_session, world):
    g, supervisor = world["grievance"], world["supervisor"]
    assert log_in(client, supervisor).status_code == 303
    page = client.get(f"/grievances/{g.id}/break-glass", headers=HTML)
    assert page.status_code == 200 and g.reference in text(page)
    _secret_free(text(page), world)
    token = csrf_token(client, f"/grievances/{g.id}/break-glass")
    refused = client.post(f"/grievances/{g.id}/break-glass", headers=HTML,
                          data={"reason": "because", "csrf_token": token})
    assert refused.status_code == 422
    assert re.search(r'id="err-reason"[^>]*>[^<]*15 characters', refused.get_data(as_text=True))
    done = client.post(f"/grievances/{g.id}/break-glass", headers=HTML,
                       data={"reason": REASON, "csrf_token": token})
    assert done.status_code == 303 and done.headers["Location"].endswith(f"/grievances/{g.id}")
    assert access.sees_full(db_session, supervisor, g)
    # Now there is no glass to break: the page says so and offers no form.
    after = client.get(f"/grievances/{g.id}/break-glass", headers=HTML)
    assert 'id="already"' in after.get_data(as_text=True) and "<textarea" not in text(after)


def _grievance_rules(app):
    return [r for r in app.url_map.iter_rules() if "grievance" in r.rule]


def _fill(rule: str, values: dict[str, int]) -> str | None:
    def sub(match):
        name = match.group(1).split(":")[-1]
        return str(values[name]) if name in values else "__missing__"
    url = re.sub(r"<([^>]+)>", sub, rule)
    return None if "__missing__" in url else url


@pytest.mark.parametrize("role", ["employer", "partner"])
def test_the_employer_it_names_reaches_no_grievance_endpoint_or_page(app, client, factory, world,
                                                                      role):
    w = world
    values = {"grievance_id": w["grievance"].id, "office_id": w["office"].id,
              "user_id": w["focal"].id, "participant_id": w["participant"].id}
    headers = factory.headers(w[role])
    rules = _grievance_rules(app)
    assert len(rules) >= 5
    assert log_in(client, w[role]).status_code == 303
    token = csrf_token(client, "/account")
    checked = 0
    for rule in rules:
        url = _fill(rule.rule, values)
        if url is None:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if url.startswith("/api/"):
                resp = client.open(url, method=method, headers=headers,
                                   json={} if method != "GET" else None)
            else:
                resp = client.open(url, method=method, headers=HTML,
                                   data={"csrf_token": token} if method == "POST" else None)
            assert resp.status_code in (403, 404), (method, url, resp.status_code)
            _secret_free(resp.get_data(as_text=True), w)
            checked += 1
    assert checked >= 8


@pytest.mark.parametrize("role", ["employer", "partner"])
def test_the_employer_sees_nothing_of_it_where_it_can_look(app, client, factory, db_session,
                                                             world, role):
    """Every page and API the employer's (or partner's) role can open, about the participant it
    is linked to: no grievance, no timeline entry of one, no count."""
    w = world
    with app.test_request_context():
        services.transition(db_session, w["focal"], w["grievance"], "acknowledge", expected=None)
    values = {"participant_id": w["participant"].id, "office_id": w["office"].id}
    headers = factory.headers(w[role])
    assert log_in(client, w[role]).status_code == 303
    opened = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith(("/api/v1/docs", "/api/v1/openapi", "/static")):
            continue
        url = _fill(rule.rule, values)
        if url is None:
            continue
        resp = client.get(url, headers=headers if url.startswith("/api/") else HTML)
        body = resp.get_data(as_text=True)
        # The participant's name may show (what they agreed to show employers); the grievance not.
        for leak in (w["grievance"].reference, DESCRIPTION, "Ramesh", "grievance_logged",
                     "Grievance logged",                     "grievance_resolved", "Grievance resolved"):
            assert leak not in body, (url, leak)
        if resp.status_code == 200:
            opened.append(url)
    assert any(str(w["participant"].id) in u for u in opened), opened


def test_focal_points_are_named_by_supervisors_and_refused_for_others(client, factory,
                                                                       db_session, world):
    office, supervisor = world["office"], world["supervisor"]
    url = f"/api/v1/offices/{office.id}/grievance-focal-points"
    listed = client.get(url, headers=factory.headers(world["caseworker"]))
    assert listed.status_code == 200
    assert [p["user_id"] for p in listed.json] == [world["focal"].id]
    # A caseworker may know them, not name them.
    assert client.post(url, json={"user_id": world["caseworker"].id},
                       headers=factory.headers(world["caseworker"])).status_code == 403
    headers = factory.headers(supervisor)
    added = client.post(url, json={"user_id": world["caseworker"].id}, headers=headers)
    assert added.status_code == 201 and added.json["user_id"] == world["caseworker"].id
    assert client.post(url, json={"user_id": world["caseworker"].id},
                       headers=headers).status_code == 409
    outsider = factory.user("caseworker")  # another office's
    bad = client.post(url, json={"user_id": outsider.id}, headers=headers)
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "user_id"
    assert client.post(url, json={"user_id": world["employer"].id},
                       headers=headers).status_code == 422
    # Another office's focal points are not this supervisor's to see or change.
    elsewhere = factory.office()
    assert client.get(f"/api/v1/offices/{elsewhere.id}/grievance-focal-points",
                      headers=headers).status_code == 404
    # Being named opens the office's restricted grievances.
    assert access.sees_full(db_session, world["caseworker"], world["grievance"])
    gone = client.delete(f"{url}/{world['caseworker'].id}", headers=headers)
    assert gone.status_code == 204
    assert client.delete(f"{url}/{world['caseworker'].id}", headers=headers).status_code == 404
    assert not access.sees_full(db_session, world["caseworker"], world["grievance"])
    actions = db_session.scalars(sa.select(AuditEvent.action).where(
        AuditEvent.action.like("grievances:focal_point:%"), AuditEvent.actor_id == supervisor.id)
        .order_by(AuditEvent.id)).all()
    assert actions == ["grievances:focal_point:add", "grievances:focal_point:add",
                       "grievances:focal_point:remove"]


def test_the_focal_points_page_names_and_removes(client, db_session, world):
    office, supervisor, caseworker = world["office"], world["supervisor"], world["caseworker"]
    assert log_in(client, supervisor).status_code == 303
    page = client.get("/grievances/focal-points", headers=HTML)
    assert page.status_code == 200 and world["focal"].full_name in text(page)
    token = csrf_token(client, "/grievances/focal-points")
    refused = client.post("/grievances/focal-points", headers=HTML,
                          data={"user_id": "", "csrf_token": token})
    assert refused.status_code == 422 and 'id="err-user_id"' in refused.get_data(as_text=True)
    done = client.post("/grievances/focal-points", headers=HTML,
                       data={"user_id": str(caseworker.id), "csrf_token": token})
    assert done.status_code == 303
    assert db_session.scalar(sa.select(sa.func.count()).select_from(FocalPoint).where(
        FocalPoint.office_id == office.id)) == 2
    removed = client.post(f"/grievances/focal-points/{caseworker.id}/remove", headers=HTML,
                          data={"csrf_token": token})
    assert removed.status_code == 303
    assert access.focal_points(db_session, office.id) == [world["focal"].id]
    # A caseworker cannot open the page.
    client.post("/logout", data={"csrf_token": token}, headers=HTML)
    assert log_in(client, caseworker).status_code == 303
    assert client.get("/grievances/focal-points", headers=HTML).status_code == 403


def test_the_grant_needs_no_glass_when_the_grievance_is_not_restricted(app, client, factory,
                                                                      db_session, world):
    with app.test_request_context():
        g, _code = services.intake(db_session, world["caseworker"], {
            "category": "wages", "description": "Unpaid overtime"}, channel=Channel.STAFF)
    resp = client.post(f"/api/v1/grievances/{g.id}/break-glass", json={"reason": REASON},
                       headers=factory.headers(world["supervisor"]))
    assert resp.status_code == 409 and resp.json["code"] == "not-masked"
    assert db_session.scalar(sa.select(sa.func.count()).select_from(AccessGrant)) == 0


def test_another_offices_supervisor_finds_no_glass_to_break(client, factory, world):
    g = world["grievance"]
    stranger = factory.user("supervisor")  # of another office
    resp = client.post(f"/api/v1/grievances/{g.id}/break-glass", json={"reason": REASON},
                       headers=factory.headers(stranger))
    assert resp.status_code == 404
    assert log_in(client, stranger).status_code == 303
    assert client.get(f"/grievances/{g.id}/break-glass", headers=HTML).status_code == 404


def test_the_break_glass_page_says_when_the_office_has_no_focal_point(app, client, factory,
                                                                       db_session):
    office = factory.office()
    supervisor, caseworker = factory.user("supervisor", office), factory.user("caseworker", office)
    with app.test_request_context():
        g, _code = services.intake(db_session, caseworker, {
            "category": "harassment_gbv", "description": DESCRIPTION}, channel=Channel.STAFF)
    assert log_in(client, supervisor).status_code == 303
    page = client.get(f"/grievances/{g.id}/break-glass", headers=HTML)
    assert page.status_code == 200 and "no focal point yet" in text(page)
    assert f'href="/grievances/focal-points?office_id={office.id}"' in page.get_data(as_text=True)
    assert DESCRIPTION not in text(page)
