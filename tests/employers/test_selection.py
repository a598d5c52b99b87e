"""Selection: presenting needs consent; an employer sees only its own presented candidates;
decisions need a reason; selecting moves the continuum (with its guards) and opens the one
active placement, never through an expired recruiter."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from journey.consent import services as consent
from journey.continuum.models import ChecklistItem
from journey.core.audit import AuditEvent
from journey.core.db import utcnow
from journey.core.links import ParticipantLink
from journey.employers.models import (
    Candidacy,
    CandidacyStep,
    Placement,
    Recruiter,
)
from journey.participants.models import Participant
from tests.employers.selection_helpers import (
    candidate,
    open_vacancy,
    presented,
    setting,
)


def _present(client, factory, user, vacancy_id, participant_id, **kw):
    return client.post(f"/api/v1/vacancies/{vacancy_id}/candidates",
                       json={"participant_id": participant_id, **kw},
                       headers=factory.headers(user))


def _decide(client, factory, user, vacancy_id, candidacy_id, state, reason="skills_match", **kw):
    body = {"state": state, **({"reason": reason} if reason else {}), **kw}
    return client.post(f"/api/v1/vacancies/{vacancy_id}/candidates/{candidacy_id}/decisions",
                       json=body, headers=factory.headers(user))


def test_presenting_needs_consent_an_open_vacancy_and_a_verified_employer(
        app, client, factory, db_session):
    s = setting(factory, db_session)
    v = open_vacancy(app, db_session, s)
    no_consent = candidate(factory, db_session, s, consents=[
        {"purpose": "case_management", "method": "signed"}])
    resp = _present(client, factory, s.caseworker, v.id, no_consent.id)
    assert resp.status_code == 409 and resp.get_json()["code"] == "consent-required"

    p = candidate(factory, db_session, s)
    resp = _present(client, factory, s.caseworker, v.id, p.id, note="Strong cook")
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["state"] == "presented"
    again = _present(client, factory, s.caseworker, v.id, p.id)
    assert again.status_code == 409 and again.get_json()["code"] == "already-presented"
    link = db_session.scalar(sa.select(ParticipantLink).where(
        ParticipantLink.participant_id == p.id, ParticipantLink.reason == "presented"))
    assert link.employer_id == s.employer.id and link.ended_at is None
    # The employer cannot present; a participant of another office is missing.
    assert _present(client, factory, s.employer_user, v.id, p.id).status_code == 403
    stranger = factory.participant(s.admin, office_id=factory.office().id)
    assert _present(client, factory, s.caseworker, v.id, stranger.id).status_code == 404

    unverified = setting(factory, db_session, verified=False)
    w = open_vacancy(app, db_session, unverified)
    q = candidate(factory, db_session, unverified)
    resp = _present(client, factory, unverified.caseworker, w.id, q.id)
    assert resp.status_code == 409 and resp.get_json()["code"] == "employer-not-verified"
    with app.test_request_context():
        from journey.employers import vacancies
        vacancies.set_vacancy_status(db_session, s.caseworker, v.id, "closed")
    resp = _present(client, factory, s.caseworker, v.id, candidate(factory, db_session, s).id)
    assert resp.status_code == 409 and resp.get_json()["code"] == "vacancy-not-open"


def test_employer_a_never_sees_employer_b_s_candidates(app, client, factory, db_session):
    a, b = setting(factory, db_session), setting(factory, db_session)
    va, vb = open_vacancy(app, db_session, a), open_vacancy(app, db_session, b)
    _pa, ca = presented(app, factory, db_session, a, va)
    pb, cb = presented(app, factory, db_session, b, vb)
    ha = factory.headers(a.employer_user)
    listed = client.get(f"/api/v1/vacancies/{va.id}/candidates", headers=ha).get_json()
    assert [c["candidacy_id"] for c in listed["items"]] == [ca.id]
    # Employer B's vacancy, its candidate, and B's candidate under A's vacancy: all missing.
    assert client.get(f"/api/v1/vacancies/{vb.id}/candidates", headers=ha).status_code == 404
    assert client.get(f"/api/v1/vacancies/{vb.id}/candidates/{cb.id}",
                      headers=ha).status_code == 404
    assert client.get(f"/api/v1/vacancies/{va.id}/candidates/{cb.id}",
                      headers=ha).status_code == 404
    assert _decide(client, factory, a.employer_user, va.id, cb.id,
                   "shortlisted").status_code == 404
    # A participant never presented to A: not a candidate A can reach in any way.
    assert client.get(f"/api/v1/participants/{pb.id}/passport/disclosed",
                      headers=ha).status_code in (403, 404)
    assert client.get(f"/api/v1/vacancies/{va.id}/candidates/{ca.id}",
                      headers=ha).status_code == 200
    # A's own candidate of another vacancy is not a candidate of this one.
    va2 = open_vacancy(app, db_session, a)
    _p2, ca2 = presented(app, factory, db_session, a, va2)
    assert client.get(f"/api/v1/vacancies/{va.id}/candidates/{ca2.id}",
                      headers=ha).status_code == 404
    assert _decide(client, factory, a.employer_user, va.id, ca2.id,
                   "shortlisted").status_code == 404


def test_the_candidate_list_pages_and_filters(app, client, factory, db_session):
    s = setting(factory, db_session)
    v = open_vacancy(app, db_session, s)
    ids = [presented(app, factory, db_session, s, v)[1].id for _ in range(5)]
    h = factory.headers(s.employer_user)
    first = client.get(f"/api/v1/vacancies/{v.id}/candidates?limit=3", headers=h).get_json()
    assert [c["candidacy_id"] for c in first["items"]] == ids[:3]
    rest = client.get(f"/api/v1/vacancies/{v.id}/candidates?limit=3&after={first['next_after']}",
                      headers=h).get_json()
    assert [c["candidacy_id"] for c in rest["items"]] == ids[3:] and rest["next_after"] is None
    _decide(client, factory, s.employer_user, v.id, ids[1], "shortlisted")
    short = client.get(f"/api/v1/vacancies/{v.id}/candidates?state=shortlisted",
                       headers=h).get_json()
    assert [c["candidacy_id"] for c in short["items"]] == [ids[1]]
    assert client.get(f"/api/v1/vacancies/{v.id}/candidates?page=2",
                      headers=h).status_code == 422
    assert db_session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "employers:candidacy:list")) == 3


def test_decisions_need_a_reason_and_move_forward_only(app, client, factory, db_session):
    s = setting(factory, db_session)
    v = open_vacancy(app, db_session, s)
    _p, c = presented(app, factory, db_session, s, v)
    emp = s.employer_user
    resp = _decide(client, factory, emp, v.id, c.id, "shortlisted", reason=None)
    assert resp.status_code == 422 and resp.get_json()["errors"][0]["field"] == "reason"
    assert _decide(client, factory, emp, v.id, c.id, "shortlisted", reason="nice").status_code == 422
    resp = _decide(client, factory, emp, v.id, c.id, "shortlisted", note="Good references")
    assert resp.status_code == 200 and resp.get_json()["state"] == "shortlisted"
    resp = _decide(client, factory, emp, v.id, c.id, "interviewed",
                   reason="interview_performance")
    assert resp.status_code == 200
    back = _decide(client, factory, emp, v.id, c.id, "shortlisted")
    assert back.status_code == 409 and back.get_json()["code"] == "candidacy-state"
    assert _decide(client, factory, emp, v.id, c.id, "rejected",
                   reason="language_gap").status_code == 200
    again = _decide(client, factory, emp, v.id, c.id, "rejected", reason="other")
    assert again.status_code == 409
    steps = db_session.scalars(sa.select(CandidacyStep).where(
        CandidacyStep.candidacy_id == c.id).order_by(CandidacyStep.id)).all()
    assert [(st.state, st.reason) for st in steps] == [
        ("presented", None), ("shortlisted", "skills_match"),
        ("interviewed", "interview_performance"), ("rejected", "language_gap")]
    assert steps[1].note == "Good references"
    body = client.get(f"/api/v1/vacancies/{v.id}/candidates/{c.id}",
                      headers=factory.headers(emp)).get_json()
    assert [st["state"] for st in body["steps"]] == [st.state for st in steps]


def test_selecting_moves_the_continuum_opens_the_placement_and_fills_the_vacancy(
        app, client, factory, db_session):
    s = setting(factory, db_session)
    v = open_vacancy(app, db_session, s)
    p, c = presented(app, factory, db_session, s, v)
    other, late = presented(app, factory, db_session, s, v)
    resp = _decide(client, factory, s.employer_user, v.id, c.id, "selected")
    assert resp.status_code == 200, resp.get_json()
    db_session.refresh(p)
    assert p.stage == "matched" and p.employer_id == s.employer.id
    placement = db_session.scalar(sa.select(Placement).where(Placement.participant_id == p.id))
    assert placement.status == "active" and placement.candidacy_id == c.id
    db_session.refresh(v)
    assert v.status == "filled"
    # The transition is audited with the employer user as the actor.
    actor = db_session.scalar(sa.select(AuditEvent.actor_id).where(
        AuditEvent.action == "continuum:participant:transition", AuditEvent.object_id == p.id))
    assert actor == s.employer_user.id
    resp = _decide(client, factory, s.employer_user, v.id, late.id, "selected")
    assert resp.status_code == 409 and resp.get_json()["code"] == "vacancy-not-open"
    db_session.refresh(other)
    assert other.stage == "training"


def test_an_unmet_guard_refuses_the_selection(app, client, factory, db_session):
    s = setting(factory, db_session)
    v = open_vacancy(app, db_session, s)
    p, c = presented(app, factory, db_session, s, v)
    db_session.add(ChecklistItem(participant_id=p.id, stage="training", cycle=p.cycle,
                                 key="language_course", title="Language course",
                                 required=True, status="pending", updated_at=utcnow()))
    db_session.flush()
    resp = _decide(client, factory, s.employer_user, v.id, c.id, "selected")
    assert resp.status_code == 409
    body = resp.get_json()
    assert body["code"] == "guards-unmet"
    assert body["unmet"][0]["guard"] == "stage_items_done"
    db_session.expire_all()
    assert db_session.get(Candidacy, c.id).state == "presented"
    assert db_session.get(Participant, p.id).stage == "training"


def test_a_participant_holds_at_most_one_active_placement(app, client, factory, db_session):
    s = setting(factory, db_session)
    v1, v2 = open_vacancy(app, db_session, s), open_vacancy(app, db_session, s)
    p = candidate(factory, db_session, s)
    with app.test_request_context():
        from journey.employers import candidates
        c1 = candidates.present(db_session, s.caseworker, v1.id, p.id)
        c2 = candidates.present(db_session, s.caseworker, v2.id, p.id)
    assert _decide(client, factory, s.employer_user, v1.id, c1.id, "selected").status_code == 200
    resp = _decide(client, factory, s.employer_user, v2.id, c2.id, "selected")
    assert resp.status_code == 409 and resp.get_json()["code"] == "placement-active"
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Placement).where(
        Placement.participant_id == p.id, Placement.status == "active")) == 1


def test_a_placement_through_an_expired_recruiter_is_refused(app, client, factory, db_session):
    s = setting(factory, db_session)
    v = open_vacancy(app, db_session, s)
    expired = Recruiter(name="Old Licence Agency", country="NP", licence_number="L-1",
                        issuing_authority="DoFE", corridors=["NP-PT"],
                        licence_expires_on=date.today() - timedelta(days=1),
                        created_at=utcnow())
    db_session.add(expired)
    db_session.flush()
    p = candidate(factory, db_session, s)
    resp = _present(client, factory, s.caseworker, v.id, p.id, recruiter_id=expired.id)
    assert resp.status_code == 201
    cid = resp.get_json()["id"]
    resp = _decide(client, factory, s.employer_user, v.id, cid, "selected")
    assert resp.status_code == 409
    assert resp.get_json()["code"] == "recruiter-licence-expired"
    db_session.refresh(p)
    assert p.stage == "training"
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Placement)) == 0
    resp = _present(client, factory, s.caseworker, v.id, candidate(factory, db_session, s).id,
                    recruiter_id=99_999)
    assert resp.status_code == 422


def test_a_rehire_from_reintegration(app, client, factory, db_session):
    from journey.continuum.stages import Stage
    s = setting(factory, db_session)
    v = open_vacancy(app, db_session, s)
    p, c = presented(app, factory, db_session, s, v, stage=Stage.REINTEGRATION)
    assert _decide(client, factory, s.employer_user, v.id, c.id, "selected").status_code == 200
    db_session.refresh(p)
    assert p.stage == "matched" and p.cycle == 2


def test_withdrawing_consent_withdraws_active_candidacies(app, client, factory, db_session):
    s = setting(factory, db_session)
    v, w = open_vacancy(app, db_session, s), open_vacancy(app, db_session, s)
    p = candidate(factory, db_session, s)
    with app.test_request_context():
        from journey.employers import candidates
        c1 = candidates.present(db_session, s.caseworker, v.id, p.id)
        c2 = candidates.present(db_session, s.caseworker, w.id, p.id)
        candidates.decide(db_session, s.employer_user, w.id, c2.id, state="rejected",
                          reason="skills_gap")
        consent.withdraw(db_session, s.caseworker, p, purpose="share_employers", method="verbal")
    db_session.expire_all()
    assert db_session.get(Candidacy, c1.id).state == "withdrawn"
    assert db_session.get(Candidacy, c2.id).state == "rejected"
    assert db_session.scalar(sa.select(sa.func.count()).select_from(ParticipantLink).where(
        ParticipantLink.participant_id == p.id, ParticipantLink.reason == "presented",
        ParticipantLink.ended_at.is_(None))) == 0
    listed = client.get(f"/api/v1/vacancies/{v.id}/candidates?state=presented",
                        headers=factory.headers(s.employer_user)).get_json()
    assert listed["items"] == []
    # Nothing of the person stays in the employer's sight: the withdrawn candidacy and the
    # rejected one (whose history stays for staff) are both missing.
    for vacancy, candidacy in ((v, c1), (w, c2)):
        gone = client.get(f"/api/v1/vacancies/{vacancy.id}/candidates/{candidacy.id}",
                          headers=factory.headers(s.employer_user))
        assert gone.status_code == 404
        assert client.get(f"/api/v1/vacancies/{vacancy.id}/candidates",
                          headers=factory.headers(s.employer_user)).get_json()["items"] == []
    staff = client.get(f"/api/v1/vacancies/{w.id}/candidates/{c2.id}",
                       headers=factory.headers(s.caseworker))
    assert staff.status_code == 200 and staff.get_json()["state"] == "rejected"


def test_the_selection_is_on_the_participant_s_timeline(app, client, factory, db_session):
    from journey.core import timeline
    s = setting(factory, db_session)
    v = open_vacancy(app, db_session, s)
    p, c = presented(app, factory, db_session, s, v)
    _decide(client, factory, s.employer_user, v.id, c.id, "selected")
    with app.test_request_context():
        kinds = [e["kind"] for e in timeline.entries(db_session, p)]
    assert "candidacy_presented" in kinds and "candidacy_selected" in kinds
