"""Closed-loop figures on known data, every figure worked out by hand below: the 30-day share
with the young open referrals kept apart, response times (median and 90th percentile), the
breakdowns by service, partner and sex, the scope, bad filters, and the report page."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from journey.core.audit import AuditEvent
from journey.core.auth import User
from journey.core.db import utcnow
from journey.core.errors import InvalidInput
from journey.organisations.models import Office, ServiceProvider
from journey.referrals import figures, services
from journey.referrals.models import Referral
from tests.referrals.helpers import CONSENTS, add_service, person, setting
from tests.web.test_pages import HTML, log_in, text

NOW = utcnow().replace(microsecond=0)
H, D = timedelta(hours=1), timedelta(days=1)


def _referral(app, sess, actor: User, participant, service, sent_at, steps=()) -> Referral:
    """A referral sent at ``sent_at``, then each (event, after, data) step at sent_at + after,
    through the services' apply_event (the partner's steps as the partner would take them)."""
    with app.test_request_context():
        r = services.create(sess, actor, {"participant_id": participant.id,
                                           "service_id": service.id, "reason": "Advice"})
        services.apply_event(sess, r, "send", {}, actor_id=actor.id, now=sent_at)
        for event, after, data in steps:
            services.apply_event(sess, r, event, data, actor_id=None, now=sent_at + after)
    sess.flush()
    return r


@pytest.fixture
def known(app, factory, db_session):
    """Six referrals of one office, by hand:

    service A (provider 1)                 sex     sent      answer  final state at
      r1 accepted, completed provided      female  60 d ago   2 h    +10 d (within 30)
      r2 declined (no capacity)            male    50 d ago   6 h    + 6 h (within 30)
      r3 accepted, not provided (contact)  female  45 d ago  10 h    +40 d (after 30)
    service B (provider 2)
      r4 expired, never answered           male    40 d ago   -      + 5 d (within 30)
      r5 accepted, in progress             female  35 d ago  20 h    open past 30 days
      r6 sent, waiting                     female   5 d ago   -      open, under 30 days

    Share closed within 30 days: 3 (r1 r2 r4) of 6 - 1 young open (r6) = 0.6.
    Response hours 2 6 10 20: median 8; 90th percentile at rank 3 x 0.9 = 2.7: 10 + 0.7 x 10 = 17.
    """
    s = setting(factory, db_session)
    other_partner = factory.user("partner")
    service_b = add_service(db_session, other_partner.provider_id, name="Housing advice",
                            legal_aid=False, housing=True)
    f = [person(factory, s, sex="female") for _ in range(4)]
    m = [person(factory, s, sex="male") for _ in range(2)]
    cw = s.caseworker
    outcome = ("complete", 10 * D, {"outcome": "provided"})
    rows = [
        _referral(app, db_session, cw, f[0], s.service, NOW - 60 * D,
                  [("accept", 2 * H, {}), outcome]),
        _referral(app, db_session, cw, m[0], s.service, NOW - 50 * D,
                  [("decline", 6 * H, {"reason": "no_capacity"})]),
        _referral(app, db_session, cw, f[1], s.service, NOW - 45 * D,
                  [("accept", 10 * H, {}),
                   ("complete", 40 * D, {"outcome": "not_provided",
                                         "outcome_reason": "unable_to_contact"})]),
        _referral(app, db_session, cw, m[1], service_b, NOW - 40 * D, [("expire", 5 * D, {})]),
        _referral(app, db_session, cw, f[2], service_b, NOW - 35 * D,
                  [("accept", 20 * H, {}), ("start", 2 * D, {})]),
        _referral(app, db_session, cw, f[3], service_b, NOW - 5 * D),
    ]
    assert [r.state for r in rows] == ["completed", "declined", "completed", "expired",
                                       "in_progress", "sent"]
    return s, service_b, rows


def _figures(app, sess, user, **kw):
    with app.test_request_context():
        return figures.closed_loop(sess, user, now=NOW, **kw)


def test_the_30_day_share_keeps_young_open_referrals_apart(app, db_session, known):
    s, _b, _rows = known
    o = _figures(app, db_session, s.caseworker)["overall"]
    assert (o["sent"], o["closed_within_30"], o["closed_after_30"], o["open_past_30"],
            o["open_within_30"]) == (6, 3, 1, 1, 1)
    assert o["closed_within_30_share"] == 0.6
    assert (o["completed_provided"], o["completed_not_provided"], o["declined"],
            o["withdrawn"], o["expired"]) == (1, 1, 1, 0, 1)
    assert o["not_provided_reasons"] == [{"reason": "unable_to_contact", "count": 1}]


def test_response_times_median_and_90th_percentile_in_hours(app, db_session, known):
    s, _b, _rows = known
    o = _figures(app, db_session, s.caseworker)["overall"]
    assert (o["answered"], o["never_answered"], o["awaiting_answer"]) == (4, 1, 1)
    assert (o["response_median_hours"], o["response_p90_hours"]) == (8.0, 17.0)


def test_the_breakdowns_by_sex_service_and_partner(app, db_session, known):
    s, service_b, _rows = known
    found = _figures(app, db_session, s.caseworker)
    by_sex = {r["sex"]: r for r in found["by_sex"]}
    assert set(by_sex) == {"female", "male"}
    # Women: r1 r3 r5 r6. Closed in time r1 of 4 - 1 young (r6): 1/3. Hours 2 10 20: median 10,
    # p90 at rank 1.8: 10 + 0.8 x 10 = 18.
    female = by_sex["female"]
    assert (female["sent"], female["closed_within_30"], female["open_within_30"]) == (4, 1, 1)
    assert female["closed_within_30_share"] == round(1 / 3, 4)
    assert (female["response_median_hours"], female["response_p90_hours"]) == (10.0, 18.0)
    # Men: r2 r4, both closed in time; one answer, in 6 hours; r4 never answered.
    male = by_sex["male"]
    assert (male["sent"], male["closed_within_30_share"], male["never_answered"]) == (2, 1.0, 1)
    assert (male["response_median_hours"], male["response_p90_hours"]) == (6.0, 6.0)

    by_service = {r["service_id"]: r for r in found["by_service"]}
    a, b = by_service[s.service.id], by_service[service_b.id]
    assert (a["sent"], a["closed_within_30"], a["closed_within_30_share"]) == (3, 2, 0.6667)
    assert a["not_provided_reasons"] == [{"reason": "unable_to_contact", "count": 1}]
    assert (b["sent"], b["closed_within_30"], b["closed_within_30_share"], b["expired"]) == (
        3, 1, 0.5, 1)
    assert b["name"] == "Housing advice" and b["response_median_hours"] == 20.0
    by_partner = {r["provider_id"]: r for r in found["by_partner"]}
    assert by_partner[s.provider.id]["sent"] == 3
    assert by_partner[s.provider.id]["name"] == db_session.get(
        ServiceProvider, s.provider.id).name
    assert by_partner[service_b.provider_id]["response_p90_hours"] == 20.0


def test_the_period_counts_referrals_sent_in_it(app, db_session, known):
    s, _b, _rows = known
    found = _figures(app, db_session, s.caseworker, since=(NOW - 47 * D).date(),
                     until=(NOW - 30 * D).date())
    # r3 (45 days), r4 (40) and r5 (35): r4 alone closed in time.
    assert (found["overall"]["sent"], found["overall"]["closed_within_30"]) == (3, 1)


def test_another_offices_referrals_are_not_counted(app, factory, db_session, known):
    s, _b, _rows = known
    elsewhere = factory.office()
    stranger = factory.participant(s.admin, office_id=elsewhere.id, consents=CONSENTS)
    _referral(app, db_session, s.admin, stranger, s.service, NOW - 3 * D)
    assert _figures(app, db_session, s.caseworker)["overall"]["sent"] == 6
    assert _figures(app, db_session, s.admin)["overall"]["sent"] == 7
    assert _figures(app, db_session, s.admin, office_id=s.office_id)["overall"]["sent"] == 6
    assert _figures(app, db_session, s.admin, office_id=elsewhere.id)["overall"]["sent"] == 1
    # A caseworker naming another office: 422, as an office that does not exist.
    for office_id in (elsewhere.id, 999_999):
        with pytest.raises(InvalidInput) as err:
            _figures(app, db_session, s.caseworker, office_id=office_id)
        assert err.value.errors[0]["field"] == "office_id"


def test_the_read_is_audited_and_drafts_are_not_counted(app, db_session, known):
    s, _b, rows = known
    with app.test_request_context():
        services.create(db_session, s.caseworker, {"participant_id": rows[0].participant_id,
                                                   "service_id": s.service.id})
    assert _figures(app, db_session, s.caseworker)["overall"]["sent"] == 6
    db_session.flush()
    event = db_session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "referrals:figures:read").order_by(AuditEvent.id.desc())).first()
    assert event is not None and event.actor_id == s.caseworker.id
    assert event.details["referrals"] == 6


def test_the_api_answers_and_refuses_bad_dates(client, factory, db_session, known):
    s, _b, _rows = known
    headers = factory.headers(s.caseworker)
    resp = client.get("/api/v1/referrals/figures", headers=headers)
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["overall"]["sent"] == 6 and len(body["by_sex"]) == 2
    for query, field in (("since=yesterday", "since"), ("until=2026-02-30", "until"),
                         ("since=2026-03-02&until=2026-03-01", "until"),
                         ("office_id=abc", "office_id"), ("colour=blue", "colour")):
        resp = client.get(f"/api/v1/referrals/figures?{query}", headers=headers)
        assert resp.status_code == 422, query
        assert resp.mimetype == "application/problem+json"
        assert field in {e["field"] for e in resp.get_json()["errors"]}, resp.get_json()
    partner = client.get("/api/v1/referrals/figures", headers=factory.headers(s.partner))
    assert partner.status_code == 403


def test_the_report_page_shows_the_tables(client, db_session, known):
    s, _b, _rows = known
    log_in(client, s.caseworker)
    resp = client.get("/referrals/report", headers=HTML)
    assert resp.status_code == 200
    page = text(resp)
    for table in ("overall-table", "by-service", "by-partner", "by-sex", "not-provided"):
        assert f'id="{table}"' in page
    assert "<caption" in page and 'scope="col"' in page and 'scope="row"' in page
    assert "Housing advice" in page and "Female" in page
    assert "Unable to contact the person" in page
    assert 'href="/referrals/report"' in page  # in the header
    bad = client.get("/referrals/report?since=2026-03-02&until=2026-03-01", headers=HTML)
    assert bad.status_code == 422
    assert 'id="err-until"' in bad.get_data(as_text=True)
    assert 'aria-invalid="true"' in bad.get_data(as_text=True)


def test_the_report_page_is_in_the_users_language_right_to_left_in_arabic(
        client, factory, db_session, known):
    s, _b, _rows = known
    arabic = factory.user("supervisor", office=db_session.get(Office, s.office_id),
                          language="ar")
    log_in(client, arabic)
    resp = client.get("/referrals/report", headers=HTML)
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in html
