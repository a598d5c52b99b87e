"""Access and portability: the archive holds every declared table the person has rows in, and
only theirs; the summary is in their language and lists who read the record; the export is
audited; the CLI writes the same archive."""

from __future__ import annotations

import io
import json
import os
import stat
import zipfile
from decimal import Decimal

import sqlalchemy as sa

from journey.continuum.services import record_permit
from journey.core import links
from journey.core.audit import AuditEvent
from journey.core.db import utcnow
from journey.core.domains import load
from journey.core.links import LinkReason, OrganisationKind
from journey.costs.services import record_cost
from journey.credentials import services as credentials
from journey.domains import DOMAINS
from journey.grievances import services as grievances
from journey.participants.services import read_participant
from journey.passports import services as passports
from journey.passports import sharing
from journey.privacy import holds
from notifications.models import InboundMessage, SmsOptOut
from tests.skillcards.helpers import card_for

CONSENTS = [{"purpose": "case_management", "method": "signed"},
            {"purpose": "updates", "method": "verbal"},
            {"purpose": "share_employers", "method": "signed"}]


def populate(factory, sess, admin, office, **kw):
    """A participant with rows in every declared participant table, made through the services
    where one exists (registration, links, permits, costs, passport, share link, credential,
    skill form and card) and directly for what arrives from outside (an SMS, a STOP)."""
    app = factory.app
    p = factory.participant(admin, office_id=office.id, consents=CONSENTS, **kw)
    employer, provider = factory.employer(), factory.provider()
    with app.app_context():
        links.link(sess, admin.id, p.id, OrganisationKind.EMPLOYER, employer.id,
                   LinkReason.PRESENTED)
        links.link(sess, admin.id, p.id, OrganisationKind.SERVICE_PROVIDER, provider.id,
                   LinkReason.REFERRED)
        record_permit(sess, admin, p, {"type": "work_visa", "issuing_country": "PT",
                                       "number": f"PT-{p.id}-X"})
        record_cost(sess, admin, p.id, {"category": "passport", "amount": Decimal("50.00"),
                                        "currency": "NPR", "paid_by": "programme"})
        passports.add_entry(sess, admin, p, "skill", {"title": f"Cooking {p.id}"})
        passports.get_or_create_passport(sess, p)
        sharing.create_share_link(sess, admin, p, audience="Export test")
        with app.test_request_context():
            credentials.issue(sess, admin, p, "passport")
        sess.add(InboundMessage(sender=p.phone, body=f"HELLO from {p.id}", participant_id=p.id,
                                received_at=utcnow()))
        sess.add(SmsOptOut(phone=p.phone, source="keyword", opted_out_at=utcnow()))
        holds.set_hold(sess, admin, p, "audit")
        with app.test_request_context():
            grievance, _code = grievances.intake(
                sess, admin, {"category": "wages", "description": f"Unpaid {p.id}"},
                channel="staff", participant=p)
            grievances.add_entry(sess, admin, grievance, f"Called the employer {p.id}",
                                 public=False)
        _placed(sess, admin, p, employer.id, factory.programme().id)
        sess.flush()
    card_for(app, sess, admin, p)  # a skill form and its card
    _referred(app, sess, admin, p, factory.provider().id)
    return p


def _referred(app, sess, admin, p, provider_id: int) -> None:
    """Referred to a partner service (with consent to share with providers), with a signed link."""
    from datetime import timedelta

    from journey.consent import services as consent_services
    from journey.referrals import services as referrals
    from journey.referrals.models import ReferralLink
    from tests.referrals.helpers import add_service

    service = add_service(sess, provider_id)
    with app.app_context(), app.test_request_context():
        consent_services.grant(sess, admin, p, purpose="share_providers", method="signed")
        r = referrals.create(sess, admin, {"participant_id": p.id, "service_id": service.id,
                                           "reason": f"Advice {p.id}", "send": True})
        now = utcnow()
        sess.add(ReferralLink(referral_id=r.id, purpose="respond", nonce_hash=f"{p.id:064d}",
                              created_at=now, expires_at=now + timedelta(days=14)))
        sess.flush()



def _placed(sess, admin, p, employer_id: int, programme_id: int) -> None:
    """Presented to a vacancy, selected with a step of the selection, placed (its onboarding
    steps open) and arrived (its retention checks open)."""
    from journey.employers.models import Candidacy, CandidacyStep, Vacancy
    from journey.employers.placements import open_placement
    from journey.employers.retention import open_checks

    now = utcnow()
    vacancy = Vacancy(employer_id=employer_id, programme_id=programme_id, title="Cook",
                      place="Lisbon", status="open", created_at=now, updated_at=now)
    sess.add(vacancy)
    sess.flush()
    candidacy = Candidacy(vacancy_id=vacancy.id, participant_id=p.id, employer_id=employer_id,
                          state="selected", presented_at=now, updated_at=now)
    sess.add(candidacy)
    sess.flush()
    sess.add(CandidacyStep(candidacy_id=candidacy.id, state="selected", reason="skills_match",
                           note=f"Good cook {p.id}", actor_id=admin.id, at=now))
    placement = open_placement(sess, admin, candidacy)
    open_checks(sess, placement, now.date())


def _archive(resp) -> tuple[dict, str]:
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    zf = zipfile.ZipFile(io.BytesIO(resp.data))
    assert sorted(zf.namelist()) == ["data.json", "summary.html"]
    return json.loads(zf.read("data.json")), zf.read("summary.html").decode()


def _export(client, factory, user, participant):
    return client.get(f"/api/v1/participants/{participant.id}/privacy/export",
                      headers=factory.headers(user))


def _participant_tables() -> list[str]:
    return [e.table for d in load(DOMAINS) for e in d.personal_data if e.subject == "participant"]


def test_the_archive_has_rows_from_every_declared_participant_table(client, db_session, factory):
    office = factory.office()
    admin, sup = factory.user("admin"), factory.user("supervisor", office=office)
    p = populate(factory, db_session, admin, office)
    data, _summary = _archive(_export(client, factory, sup, p))
    tables = {t["table"]: t for t in data["tables"]}
    assert list(tables) == _participant_tables()
    empty = [name for name, t in tables.items() if not t["rows"]]
    assert not empty, f"no rows exported from {empty}"
    assert tables["participants"]["categories"] == ["identity", "contact", "sensitive", "case"]
    assert tables["permits"]["rows"][0]["number"] == f"PT-{p.id}-X"  # read through the ORM types
    assert tables["sms_opt_outs"]["rows"][0]["phone"] == p.phone
    assert tables["participants"]["rows"][0]["given_name"] == p.given_name


def test_the_archive_holds_no_other_participant_s_rows(client, db_session, factory):
    office = factory.office()
    admin, sup = factory.user("admin"), factory.user("supervisor", office=office)
    p = populate(factory, db_session, admin, office)
    other = populate(factory, db_session, admin, office)
    data, summary = _archive(_export(client, factory, sup, p))
    raw = json.dumps(data)
    for text in (other.given_name, other.family_name, other.phone, other.reference,
                 f"PT-{other.id}-X", f"Cooking {other.id}", f"HELLO from {other.id}"):
        assert text not in raw and text not in summary, text
    for table in data["tables"]:
        for row in table["rows"]:
            assert row.get("participant_id") in (None, p.id), (table["table"], row)
    audit = next(t for t in data["tables"] if t["table"] == "audit_events")["rows"]
    assert audit and all(r["object_id"] == p.id if r["object_type"] == "participant"
                         else r["details"]["participant_id"] == p.id for r in audit)


def test_the_summary_is_in_the_participant_s_language(client, db_session, factory):
    office = factory.office()
    sup = factory.user("supervisor", office=office, language="en")
    arabic = factory.participant(sup, language="ar")
    french = factory.participant(sup, language="fr")
    _data, summary = _archive(_export(client, factory, sup, arabic))
    assert '<html lang="ar" dir="rtl">' in summary
    assert "تاريخ الميلاد" in summary and "Date of birth" not in summary
    _data, summary = _archive(_export(client, factory, sup, french))
    assert '<html lang="fr" dir="ltr">' in summary
    assert "Date de naissance" in summary and "Date of birth" not in summary


def test_the_summary_lists_a_read_and_the_consents(app, client, db_session, factory):
    office = factory.office()
    sup = factory.user("supervisor", office=office, language="en")
    reader = factory.user("caseworker", office=office)
    p = factory.participant(sup, language="en", consents=CONSENTS)
    _data, summary = _archive(_export(client, factory, sup, p))
    assert reader.username not in summary
    with app.app_context():
        read_participant(db_session, reader, p.id)
    _data, summary = _archive(_export(client, factory, sup, p))
    row = next(line for line in summary.split("<tr") if reader.username in line)
    assert "Caseworker" in row and "participants:participant:read" in row and "Read" in row
    assert "Sharing with employers" in summary and "Signed form" in summary


def test_the_export_is_audited_with_ids_only(client, db_session, factory):
    office = factory.office()
    sup = factory.user("supervisor", office=office)
    p = factory.participant(sup)
    resp = _export(client, factory, sup, p)
    assert resp.headers["Content-Type"] == "application/zip"
    assert resp.headers["Content-Disposition"] == \
        f'attachment; filename="journey-export-{p.reference}.zip"'
    assert resp.headers["Cache-Control"] == "no-store"
    assert int(resp.headers["Content-Length"]) == len(resp.data)
    event = db_session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "privacy:export:create")).one()
    assert (event.actor_id, event.object_type, event.object_id, event.office_id) == \
        (sup.id, "participant", p.id, office.id)
    assert event.details["via"] == "api" and event.details["rows"] > 0
    assert p.given_name not in json.dumps(event.details)


def test_another_office_s_participant_cannot_be_exported(client, factory):
    sup = factory.user("supervisor")
    other = factory.participant(factory.user("supervisor"))
    assert _export(client, factory, sup, other).status_code == 404
    assert _export(client, factory, factory.user("caseworker"), other).status_code == 403


def test_the_cli_writes_the_archive_readable_by_its_owner_only(app, connection, db_session,
                                                               factory, tmp_path):
    sup = factory.user("supervisor")
    p = factory.participant(sup, language="ar")
    out = tmp_path / "export.zip"
    result = app.test_cli_runner().invoke(args=["privacy", "export", p.reference.lower(),
                                                "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    with zipfile.ZipFile(out) as zf:
        data = json.loads(zf.read("data.json"))
        assert 'dir="rtl"' in zf.read("summary.html").decode()
    assert data["participant"]["id"] == p.id
    missing = app.test_cli_runner().invoke(args=["privacy", "export", "NOPE-NOPE"])
    assert missing.exit_code != 0 and "no participant" in missing.output


def test_a_public_card_check_is_among_the_person_s_audit_events(app, client, db_session, factory):
    """A verifier checking the skill card reads about its holder: the event names them."""
    from journey.skillcards.services import check_card

    office = factory.office()
    admin, sup = factory.user("admin"), factory.user("supervisor", office=office)
    p = factory.participant(admin, office_id=office.id)
    card = card_for(app, db_session, admin, p)
    with app.app_context():
        check_card(db_session, card.public_id)
    data, summary = _archive(_export(client, factory, sup, p))
    audit = next(t for t in data["tables"] if t["table"] == "audit_events")["rows"]
    assert "skillcards:skill_card:verify" in [r["action"] for r in audit]
    assert "skillcards:skill_card:verify" in summary


def test_texts_from_the_person_s_number_nobody_linked_are_in_the_archive(client, db_session,
                                                                         factory):
    """The sender is encrypted at rest: the export finds them through inbound_messages'
    sender_index, and not a stranger's."""
    office = factory.office()
    admin, sup = factory.user("admin"), factory.user("supervisor", office=office)
    p = populate(factory, db_session, admin, office)
    with factory.app.app_context():
        for sender in (p.phone, "+9779800011122"):
            db_session.add(InboundMessage(sender=sender, body=f"unlinked from {sender}",
                                          received_at=utcnow()))
        db_session.flush()
    raw = db_session.execute(sa.text("SELECT sender, body FROM inbound_messages")).all()
    assert not [r for r in raw if "unlinked" in r.body or r.sender == p.phone]
    data, _summary = _archive(_export(client, factory, sup, p))
    inbound = next(t for t in data["tables"] if t["table"] == "inbound_messages")["rows"]
    assert sorted(r["body"] for r in inbound) == [f"HELLO from {p.id}", f"unlinked from {p.phone}"]
