"""Domains declare themselves once; create_app walks the list; every registry is per app."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator

from journey import create_app
from journey.cli import alembic_config
from journey.core import timeline
from journey.core.domains import Domain, Job, Keyword, TimelineKind, load
from journey.core.policy import STAFF
from journey.domains import DOMAINS
from notifications.hooks import hooks_for
from notifications.scheduler import jobs
from notifications.templates import Template, render, templates_for
from tests.factories import Factory

PUBLIC_BASE = "https://journey.example.org"
TWILIO_TOKEN = "trivial-domain-test-token-0123456789"
TRIVIAL = "tests.core.trivial_domain"


def _settings(url: str) -> dict:
    return {"DATABASE_URL": url, "LOG_TRACEBACKS": False, "PASSWORD_HASH_PROFILE": "cheapest",
            "TWILIO_AUTH_TOKEN": TWILIO_TOKEN, "PUBLIC_BASE_URL": PUBLIC_BASE}


@pytest.fixture
def trivial_app(app, fresh_database_url):
    """The standard domains plus the trivial one, on a database of its own (migrated, plus the
    trivial table, which has no migration: it exists only for this test)."""
    from tests.core.trivial_domain.models import Note

    url = fresh_database_url()
    command.upgrade(alembic_config(url), "head")
    trivial = create_app(_settings(url), domains=[*DOMAINS, TRIVIAL])
    engine = trivial.extensions["journey_db"].engine
    Note.metadata.create_all(engine)
    yield trivial
    engine.dispose()


def _inbound(client, sender: str, body: str):
    params = {"From": sender, "Body": body, "MessageSid": f"SM{abs(hash((sender, body))):032d}"}
    url = f"{PUBLIC_BASE}/webhooks/twilio/inbound"
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(url, params)
    return client.post("/webhooks/twilio/inbound", data=params,
                       headers={"X-Twilio-Signature": signature})


def test_a_trivial_domain_needs_only_its_package_and_the_list(app, trivial_app):
    """tests/core/trivial_domain is a package and one entry in the list given to create_app:
    its route answers, its permission decides, its timeline kind shows on the participant's
    timeline, and its SMS keyword is routed by the inbound webhook."""
    from tests.core.trivial_domain.models import Note

    engine = trivial_app.extensions["journey_db"].engine
    with Session(engine, expire_on_commit=False) as sess:
        factory = Factory(trivial_app, sess)
        office = factory.office()
        caseworker = factory.user("caseworker", office=office)
        employer = factory.user("employer")
        p = factory.participant(caseworker, office_id=office.id)
        sess.commit()
        cw_headers, emp_headers = factory.headers(caseworker), factory.headers(employer)
        sess.commit()
    client = trivial_app.test_client()

    # The route, and the permission it declared (staff yes, employer no).
    resp = client.post(f"/api/v1/participants/{p.id}/notes", json={"text": "Called the family"},
                       headers=cw_headers)
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["source"] == "api"
    refused = client.post(f"/api/v1/participants/{p.id}/notes", json={"text": "x"},
                          headers=emp_headers)
    assert refused.status_code == 403
    assert "/api/v1/participants/{participant_id}/notes" in client.get(
        "/api/v1/openapi.json").get_json()["paths"]

    # The keyword, through the signed inbound webhook.
    reply = _inbound(client, p.phone, "note Arrived safely")
    assert reply.status_code == 200
    assert "Noted" in reply.get_data(as_text=True)

    # Both notes are on the timeline, with the kind the domain registered.
    body = client.get(f"/api/v1/participants/{p.id}/timeline", headers=cw_headers).get_json()
    notes = [e for e in body["events"] if e["kind"] == "trivial_note_added"]
    assert [(e["data"]["source"], e["actor_id"]) for e in notes] == [("api", caseworker.id),
                                                                     ("sms", None)]
    with Session(engine) as sess:
        assert sess.scalars(sa.select(Note.text).order_by(Note.id)).all() == [
            "Called the family", "Arrived safely"]
    with trivial_app.app_context():
        assert timeline.registry().title("trivial_note_added") == "Note added"

    # The standard app has none of it.
    assert "trivial:write" not in app.extensions["journey_policy"]
    assert "trivial_note_added" not in timeline.registry(app).kinds
    assert hooks_for(app).keywords.route("NOTE hello") is None
    assert hooks_for(trivial_app).keywords.route("NOTE hello").action == "note"
    assert not any(r.rule.endswith("/notes") for r in app.url_map.iter_rules())


def _probe_domain(calls: list) -> Domain:
    return Domain(
        name="probe",
        permissions={"probe:do": STAFF},
        jobs=(Job("probe_job", lambda app: None, 60),),
        keywords=(Keyword("probe", {"en": ["PROBE"]}, lambda *a: "ok"),),
        timeline_kinds=(TimelineKind("probe_kind", "Probe"),),
        timeline_handlers=(lambda sess, p, entry: calls.append(entry["kind"]),),
        templates=(Template("probe_hello", "Hello %(name)s", "Hello"),),
    )


def test_two_apps_in_one_process_never_share_hooks(app, database_url):
    """What one app's domains register stays on that app: building another app (with or
    without the same domains) adds nothing to the first, and nothing is registered twice."""
    before = (list(timeline.registry(app).handlers), list(hooks_for(app).jobs),
              dict(app.extensions["journey_policy"]))
    calls: list = []
    other = create_app(_settings(database_url), domains=[*DOMAINS, _probe_domain(calls)])
    again = create_app(_settings(database_url))
    try:
        assert (timeline.registry(app).handlers, hooks_for(app).jobs,
                app.extensions["journey_policy"]) == before
        assert hooks_for(other) is not hooks_for(app)
        assert timeline.registry(other) is not timeline.registry(app)
        assert "probe:do" in other.extensions["journey_policy"]
        assert "probe:do" not in app.extensions["journey_policy"]
        assert "probe:do" not in again.extensions["journey_policy"]
        assert [n for n, _f, _s in jobs(other)] == ["release_deferred", "continuum_scan",
                                                    "message_stats_compact", "audit_seal",
                                                    "privacy_retention", "grievance_sla_scan",
                                                    "retention_reminders", "referral_deadline_scan",
                                                    "probe_job"]
        assert [n for n, _f, _s in hooks_for(again).jobs] == ["continuum_scan",
                                                              "message_stats_compact",
                                                              "audit_seal",
                                                              "privacy_retention",
                                                              "grievance_sla_scan",
                                                              "retention_reminders",
                                                              "referral_deadline_scan"]
        assert len(timeline.registry(other).handlers) == len(timeline.registry(app).handlers) + 1
        assert timeline.registry(again).handlers == timeline.registry(app).handlers
        assert hooks_for(app).keywords.route("PROBE") is None
        assert hooks_for(other).keywords.route("probe").action == "probe"
        assert "probe_hello" in templates_for(other) and "probe_hello" not in templates_for(app)
        with other.app_context():
            assert render("probe_hello", "en", {"name": "Asha", "centre": "MRC", "phone": "+3512",
                                                "reference": "R-1"}).sms == "Hello Asha"
    finally:
        for built in (other, again):
            built.extensions["journey_db"].engine.dispose()


def test_the_scheduler_runs_the_jobs_the_domains_declare(app):
    assert [name for name, _f, _s in jobs(app)] == ["release_deferred", "continuum_scan",
                                                    "message_stats_compact", "audit_seal",
                                                    "privacy_retention", "grievance_sla_scan",
                                                    "retention_reminders",
                                                    "referral_deadline_scan"]


def test_recording_an_unregistered_kind_is_refused(app, factory, db_session):
    office = factory.office()
    p = factory.participant(factory.user("caseworker", office=office), office_id=office.id)
    with app.app_context(), pytest.raises(ValueError, match="unregistered timeline kind"):
        timeline.record(db_session, p, "grievance_filed")


def test_a_kind_belongs_to_one_domain(database_url):
    clash = Domain(name="clash", timeline_kinds=(TimelineKind("stage_entered", "Mine"),))
    with pytest.raises(ValueError, match="registered by continuum"):
        create_app(_settings(database_url), domains=[*DOMAINS, clash])


def test_a_permission_or_a_keyword_is_declared_once(database_url):
    twice = Domain(name="twice", permissions={"participants:read": STAFF})
    with pytest.raises(ValueError, match="declared twice"):
        create_app(_settings(database_url), domains=[*DOMAINS, twice])
    stop = Domain(name="stop", keywords=(Keyword("quit", {"en": ["STOP"]}, lambda *a: None),))
    with pytest.raises(ValueError, match="already routes to 'stop'"):
        create_app(_settings(database_url), domains=[*DOMAINS, stop])


def test_every_listed_package_declares_a_domain_and_every_model_is_collected():
    import journey.models
    from journey.core.db import metadata

    domains = load(DOMAINS)
    assert [d.name for d in domains][:2] == ["core", "accounts"]
    declared = {m.__table__.name for d in domains for m in d.models}
    # Every table on the application's metadata comes from some domain's declaration.
    assert declared == set(metadata.tables)
    assert len(journey.models.MODELS) == len(declared)


def test_every_timeline_kind_has_a_translatable_title(app):
    from flask_babel.speaklater import LazyString

    registry = timeline.registry(app)
    assert {"stage_entered", "message_received", "message"} <= registry.kinds.keys()
    # Lazy, so each is rendered in the language of whoever reads it.
    assert all(isinstance(title, LazyString) for title, _domain in registry.kinds.values())
    with app.test_request_context():
        assert registry.title("stage_entered") == "Stage entered"
        assert registry.title("no_such_kind") == "no_such_kind"
