"""The referral state machine through its services: consent, the partner's steps, outcomes."""

from __future__ import annotations

import pytest

from journey.core.errors import Conflict, InvalidInput, NotFound
from journey.core.links import OrganisationKind, linked_participants
from journey.referrals.models import ReferralEvent
from tests.referrals.helpers import move, person, refer, setting


def test_a_referral_without_consent_is_refused_with_the_reason(app, factory, db_session):
    s = setting(factory, db_session)
    p = person(factory, s, consents=[{"purpose": "case_management", "method": "signed"}])
    with pytest.raises(Conflict) as err:
        refer(app, db_session, s, p)
    assert err.value.code == "consent-required"
    assert "consented" in str(err.value.detail)
    assert [u["guard"] for u in err.value.extra["unmet"]] == ["consent_share_providers"]


def test_the_whole_loop_links_then_records_every_step(app, factory, db_session):
    s = setting(factory, db_session)
    p = person(factory, s)
    r = refer(app, db_session, s, p)
    assert r.state == "sent" and r.reference.startswith("RF-")
    assert r.response_due_at > r.remind_at > r.sent_at
    linked = db_session.scalars(linked_participants(OrganisationKind.SERVICE_PROVIDER,
                                                    s.provider.id)).all()
    assert linked == [p.id]
    move(app, db_session, s.partner, r, "accept")
    assert r.state == "accepted" and r.complete_due_at is not None
    move(app, db_session, s.partner, r, "progress", note="First meeting held")
    assert r.state == "in_progress" and r.started_at is not None
    move(app, db_session, s.partner, r, "complete", outcome="provided")
    assert (r.state, r.outcome, r.closed_at is not None) == ("completed", "provided", True)
    kinds = db_session.scalars(ReferralEvent.__table__.select().with_only_columns(
        ReferralEvent.kind).where(ReferralEvent.referral_id == r.id)
        .order_by(ReferralEvent.id)).all()
    assert kinds == ["created", "send", "accept", "progress", "complete"]


def test_completion_without_an_outcome_is_refused(app, factory, db_session):
    s = setting(factory, db_session)
    r = refer(app, db_session, s, person(factory, s))
    move(app, db_session, s.partner, r, "accept")
    with pytest.raises(InvalidInput) as err:
        move(app, db_session, s.partner, r, "complete")
    assert [e["field"] for e in err.value.errors] == ["outcome"]
    with pytest.raises(Conflict) as err:
        move(app, db_session, s.partner, r, "complete", outcome="not_provided")
    assert err.value.extra["unmet"][0]["guard"] == "outcome_given"
    assert r.state == "accepted"


def test_another_partner_reads_the_referral_as_missing(app, factory, db_session):
    s = setting(factory, db_session)
    r = refer(app, db_session, s, person(factory, s))
    other = factory.user("partner")
    with pytest.raises(NotFound):
        move(app, db_session, other, r, "accept")


def test_withdrawing_consent_withdraws_open_referrals_and_ends_the_link(app, factory, db_session):
    from journey.consent import services as consent

    s = setting(factory, db_session)
    p = person(factory, s)
    r = refer(app, db_session, s, p)
    with app.test_request_context():
        consent.withdraw(db_session, s.caseworker, p, purpose="share_providers", method="verbal")
    assert r.state == "withdrawn"
    assert db_session.scalars(linked_participants(OrganisationKind.SERVICE_PROVIDER,
                                                  s.provider.id)).all() == []
    with pytest.raises(NotFound):
        move(app, db_session, s.partner, r, "accept")
