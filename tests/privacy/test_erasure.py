"""Erasure: anonymisation in place. Nothing of the person is left anywhere; every count stays."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from journey.core.audit import AuditEvent
from journey.core.domains import Domain
from journey.core.errors import Conflict
from journey.core.timeline import JourneyEvent
from journey.credentials.models import Credential
from journey.participants.models import Participant
from journey.passports.models import ShareLink
from journey.privacy import erasure, holds
from notifications.models import InboundMessage, OutboxMessage
from tests.privacy.helpers import (
    EMAIL,
    FAMILY,
    GIVEN,
    NEEDLES,
    PHONE,
    configure,
    database_hits,
    file_hits,
    make_subject,
)


@pytest.fixture
def subject(app, client, factory, db_session, monkeypatch):
    configure(app, monkeypatch)
    return make_subject(app, client, factory, db_session)


def _erase(client, factory, subject, **body):
    body = {"reason": "subject_request", "confirm_reference": subject.participant.reference, **body}
    return client.post(f"/api/v1/participants/{subject.participant.id}/privacy/erase", json=body,
                       headers=factory.headers(subject.supervisor))


def test_after_erasure_no_table_and_no_message_file_holds_the_name_phone_or_email(
        app, client, factory, db_session, connection, subject, instance_dir):
    before = database_hits(connection)
    # The scan finds the person everywhere they were: it can fail.
    # (Phones, emails, notes, permit numbers and messages are encrypted at rest: their copies
    # elsewhere are not, and names are clear everywhere; the messages are read decrypted below.)
    for where in ("participants.given_name", "participants.family_name", "consent_records.note",
                  "journey_events.reason", "passport_entries.title", "share_links.audience",
                  "passport_entry_revisions.snapshot", "costs.note"):
        assert any(h.startswith(where) for h in before), (where, before)
    assert file_hits(instance_dir), "the development SMS log and mail files hold the messages"

    resp = _erase(client, factory, subject)
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["rows"]["outbox_messages"] >= 2

    assert database_hits(connection) == []
    assert file_hits(instance_dir) == []
    texts = [" ".join(filter(None, (m.recipient, m.subject, m.body, m.html))) for m in
             db_session.scalars(sa.select(OutboxMessage)).all()]
    texts += [f"{m.sender} {m.body}" for m in db_session.scalars(sa.select(InboundMessage)).all()]
    assert texts and not [t for t in texts for n in NEEDLES if n.lower() in t.lower()]


def test_erasure_keeps_every_count_monitoring_and_evaluation_reads(
        app, client, factory, db_session, connection, subject):
    other = factory.participant(subject.caseworker, sex="male", nationality="IN",
                                origin_country="IN")

    def counts():
        q = connection.execute
        return {
            "stage_sex_origin": sorted(q(sa.select(Participant.stage, Participant.sex,
                                                   Participant.origin_country,
                                                   Participant.nationality,
                                                   Participant.office_id,
                                                   Participant.programme_id, sa.func.count())
                                         .group_by(Participant.stage, Participant.sex,
                                                   Participant.origin_country,
                                                   Participant.nationality, Participant.office_id,
                                                   Participant.programme_id)).all()),
            # Age groups as reports count them: ten-year bands, at mid-year.
            "age_band": sorted((2026 - d.year) // 10 for d in
                               q(sa.select(Participant.date_of_birth)).scalars()),
            "messages_by_status": sorted(q(sa.select(OutboxMessage.channel, OutboxMessage.status,
                                                     sa.func.count())
                                           .group_by(OutboxMessage.channel,
                                                     OutboxMessage.status)).all()),
            "events_by_kind": sorted(q(sa.select(JourneyEvent.kind, sa.func.count())
                                       .group_by(JourneyEvent.kind)).all()),
        }

    before = counts()
    assert _erase(client, factory, subject).status_code == 200
    assert counts() == before
    # The bystander is untouched.
    db_session.expire_all()
    assert db_session.get(Participant, other.id).given_name == other.given_name


def test_identifiers_are_replaced_and_links_and_credentials_revoked(
        app, client, factory, db_session, subject):
    p = subject.participant
    assert _erase(client, factory, subject).status_code == 200
    db_session.expire_all()
    p = db_session.get(Participant, p.id)
    assert (p.given_name, p.family_name) == ("Erased", "Erased")
    assert p.date_of_birth == date(1993, 7, 1)  # the year stays for age groups
    assert (p.phone, p.email, p.notes, p.gender_identity, p.disability_details) == (None,) * 5
    assert p.sex == "female" and p.disability == "yes" and p.stage == "closed"
    assert p.name_key == "erased erased" and GIVEN.lower() not in p.search_text
    assert p.channels == [] and p.erased_at is not None
    assert p.phone_index is None  # a keyed hash of the number still confirms the number
    cred = db_session.scalars(sa.select(Credential).where(Credential.participant_id == p.id)).one()
    assert cred.revoked_at is not None and cred.token == "" and cred.revocation_reason == "erased"
    link = db_session.scalars(sa.select(ShareLink).where(ShareLink.participant_id == p.id)).one()
    assert link.revoked_at is not None and link.revoked_by == subject.supervisor.id
    # The credential's QR page says revoked, and names nobody.
    page = client.get(f"/verify/{cred.uuid}")
    assert page.status_code == 200 and "Revoked" in page.get_data(as_text=True)
    assert GIVEN not in page.get_data(as_text=True)


def test_erasure_ends_the_links_that_put_the_person_in_an_organisation_s_scope(
        app, client, factory, db_session, subject):
    from journey.core import links

    employer = factory.employer()
    with app.app_context():
        links.link(db_session, subject.caseworker.id, subject.participant.id, "employer",
                   employer.id, "presented")
    assert _erase(client, factory, subject).status_code == 200
    db_session.expire_all()
    ended = db_session.scalars(sa.select(links.ParticipantLink).where(
        links.ParticipantLink.participant_id == subject.participant.id)).all()
    assert ended and all(row.ended_at is not None for row in ended)
    assert all(row.ended_by == subject.supervisor.id for row in ended)


def test_erasure_is_audited_with_ids_codes_and_counts_only(app, client, factory, db_session,
                                                          subject):
    assert _erase(client, factory, subject).status_code == 200
    event = db_session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "privacy:participant:erase")).one()
    assert event.object_id == subject.participant.id and event.actor_id == subject.supervisor.id
    assert event.details["reason"] == "subject_request" and event.details["rows"] > 0
    text = str(event.details).lower()
    assert not any(n.lower() in text for n in (GIVEN, FAMILY, PHONE, EMAIL))


def test_a_message_not_sent_yet_never_will_be(app, client, factory, db_session, monkeypatch):
    configure(app, monkeypatch)
    subject = make_subject(app, client, factory, db_session, close=False)
    with app.app_context():
        from journey.continuum.services import apply_transition

        apply_transition(db_session, subject.caseworker, subject.participant, "withdraw",
                         {"reason": "moved"}, expected=None)
        db_session.flush()
    queued = db_session.scalars(sa.select(OutboxMessage).where(
        OutboxMessage.participant_id == subject.participant.id,
        OutboxMessage.status == "queued")).all()
    assert queued
    assert _erase(client, factory, subject).status_code == 200
    db_session.expire_all()
    statuses = {db_session.get(OutboxMessage, m.id).skip_reason for m in queued}
    assert statuses <= {"no_phone", "no_email"}


def test_the_reference_must_be_typed_to_confirm(app, client, factory, db_session, subject):
    resp = _erase(client, factory, subject, confirm_reference="WRONG-REF")
    assert resp.status_code == 422
    assert resp.get_json()["errors"][0]["field"] == "confirm_reference"
    db_session.expire_all()
    assert db_session.get(Participant, subject.participant.id).given_name == GIVEN


def test_a_legal_hold_refuses_erasure_until_lifted(app, client, factory, db_session, subject):
    url = f"/api/v1/participants/{subject.participant.id}/privacy/legal-hold"
    headers = factory.headers(subject.supervisor)
    assert client.post(url, json={"reason": "litigation"}, headers=headers).status_code == 201
    assert client.post(url, json={"reason": "audit"}, headers=headers).status_code == 409

    resp = _erase(client, factory, subject)
    assert resp.status_code == 409
    problem = resp.get_json()
    assert problem["code"] == "erasure-vetoed" and problem["reasons"] == ["legal-hold"]
    assert "errors" not in problem or not problem["errors"]

    assert client.post(url + "/lift", headers=headers).status_code == 200
    state = client.get(url, headers=headers).get_json()
    assert state["standing"] is None and state["history"][0]["reason"] == "litigation"
    assert _erase(client, factory, subject).status_code == 200
    actions = set(db_session.scalars(sa.select(AuditEvent.action).where(
        AuditEvent.object_id == subject.participant.id)))
    assert {"privacy:legal_hold:set", "privacy:legal_hold:lift"} <= actions


def test_erasing_twice_is_refused(app, client, factory, db_session, subject):
    assert _erase(client, factory, subject).status_code == 200
    resp = _erase(client, factory, subject)
    assert resp.status_code == 409 and resp.get_json()["code"] == "already-erased"


def test_a_domain_s_veto_refuses_erasure_with_its_reason(app, db_session, factory):
    """A grievances domain to come vetoes erasure while a grievance is open: any domain may."""
    calls = []

    def open_grievance(sess, participant):
        calls.append(participant.id)
        return "open-grievance"

    user = factory.user("supervisor")
    p = factory.participant(user)
    domains = (*app.extensions["journey_domains"],
               Domain(name="fake_grievances", erasure_vetoes=(open_grievance,)))
    with app.app_context():
        app.extensions["journey_domains"], saved = domains, app.extensions["journey_domains"]
        try:
            with pytest.raises(Conflict) as err:
                erasure.erase(db_session, p, actor_id=user.id, reason="subject_request")
        finally:
            app.extensions["journey_domains"] = saved
    assert calls == [p.id]
    assert err.value.code == "erasure-vetoed" and err.value.extra["reasons"] == ["open-grievance"]
    assert "grievance" in str(err.value.detail)
    db_session.expire_all()
    assert db_session.get(Participant, p.id).erased_at is None


def test_hold_veto_names_a_standing_hold_only(app, db_session, factory):
    user = factory.user("supervisor")
    p = factory.participant(user)
    with app.app_context():
        assert holds.hold_veto(db_session, p) is None
        holds.set_hold(db_session, user, p, "safeguarding")
        assert holds.hold_veto(db_session, p) == "legal-hold"
        holds.lift_hold(db_session, user, p)
        assert holds.hold_veto(db_session, p) is None


def test_every_view_of_an_erased_record_still_answers(app, client, factory, db_session, subject):
    """Emptied columns ('' titles, {} answers, no phone) must not break any reader."""
    from tests.web.test_pages import HTML, log_in

    assert _erase(client, factory, subject).status_code == 200
    pid = subject.participant.id
    headers = factory.headers(subject.supervisor)
    for path in ("", "/timeline", "/messages", "/consents", "/passport", "/credentials",
                 "/share-links", "/permits", "/costs", "/checklist", "/privacy/legal-hold"):
        resp = client.get(f"/api/v1/participants/{pid}{path}", headers=headers)
        assert resp.status_code == 200, (path, resp.status_code)
        assert GIVEN not in resp.get_data(as_text=True)
    log_in(client, subject.supervisor)
    for path in ("", "/passport", "/privacy", "/privacy/erase"):
        resp = client.get(f"/participants/{pid}{path}", headers=HTML)
        assert resp.status_code == 200, (path, resp.status_code)
        assert GIVEN not in resp.get_data(as_text=True)


def test_only_rows_with_something_to_empty_are_rewritten(app, client, factory, db_session,
                                                        subject):
    pid = subject.participant.id
    events = db_session.scalars(sa.select(JourneyEvent.reason).where(
        JourneyEvent.participant_id == pid)).all()
    with_reason = sum(r is not None for r in events)
    assert 0 < with_reason < len(events)
    rows = _erase(client, factory, subject).get_json()["rows"]
    assert rows["journey_events"] == with_reason


def test_the_sms_log_keeps_other_people_s_lines_and_stays_owner_only(tmp_path):
    import json
    import stat

    from notifications.channels import SmsMessage
    from notifications.sms import ConsoleSmsSender

    sender = ConsoleSmsSender(tmp_path / "outbox-sms.log")
    for mid in (1, 2, 3):
        sender.send(SmsMessage(to=f"+97798000000{mid}", body=f"message {mid}", message_id=mid))
    assert sender.purge({2}) == 1
    lines = [json.loads(x) for x in sender.path.read_text().splitlines()]
    assert [x["message_id"] for x in lines] == [1, 3]
    assert stat.S_IMODE(sender.path.stat().st_mode) == 0o600
