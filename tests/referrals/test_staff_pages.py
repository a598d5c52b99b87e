"""The caseworker's referral pages: the list, one referral with its steps, the new-referral form
with its directory search, the record's section and the grievance's panel; refusals beside the
fields with nothing typed lost, the consent refusal with its way out, CSRF, scope, Arabic."""

from __future__ import annotations

import re

import sqlalchemy as sa

from journey.core.audit import AuditEvent
from journey.grievances import services as grievances
from journey.grievances.models import Channel
from journey.referrals.models import Referral, ReferralEvent, ReferralLink
from notifications.models import OutboxMessage
from tests.referrals.helpers import add_service, move, person, refer, setting
from tests.web.test_pages import HTML, csrf_token, log_in, text

NO_PROVIDERS = [{"purpose": "case_management", "method": "signed"}]


def _post(client, path, data, token_from=None):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, token_from or path)},
                       headers=HTML)


def test_each_page_renders_for_a_caseworker(app, client, factory, db_session):
    s = setting(factory, db_session)
    p = person(factory, s)
    r = refer(app, db_session, s, p)
    log_in(client, s.caseworker)

    listing = client.get("/referrals", headers=HTML)
    assert listing.status_code == 200
    body = text(listing)
    assert 'href="/referrals"' in body  # the header's link
    assert r.reference in body and f"{p.given_name} {p.family_name}" in body
    assert s.service.name in body and s.provider.name in body
    assert "Sent, waiting for an answer" in body

    detail = text(client.get(f"/referrals/{r.id}", headers=HTML))
    assert f"Referral {r.reference}" in detail
    assert f'href="/participants/{p.id}"' in detail
    assert f'href="/directory/services/{s.service.id}"' in detail
    assert "Unpaid wages: needs advice on a claim" in detail
    assert "Name, Language" in detail  # the fields shared by default
    assert "Answer due" in detail and "Not yet reported" in detail
    assert "Record the partner’s answer on its behalf" in detail
    for event in ("accept", "decline", "withdraw"):
        assert f'id="step-{event}"' in detail
    assert 'id="step-send"' not in detail and 'id="step-complete"' not in detail

    for event in ("decline", "withdraw"):
        resp = client.get(f"/referrals/{r.id}/steps/{event}", headers=HTML)
        assert resp.status_code == 200 and 'name="reason"' in text(resp)

    record = text(client.get(f"/participants/{p.id}", headers=HTML))
    assert 'id="referrals"' in record and r.reference in record
    assert f'href="/participants/{p.id}/referrals/new"' in record

    form = client.get(f"/participants/{p.id}/referrals/new", headers=HTML)
    assert form.status_code == 200
    body = text(form)
    assert f'value="{s.service.id}"' in body and s.service.name in body
    for field in ("name", "language"):  # ticked by default
        assert re.search(rf'value="{field}"\s+checked', body)
    assert re.search(r'value="phone"\s*>', body)
    assert "The partner sees only the fields you tick here" in body
    # Every read of the person's data is in the audit trail.
    actions = set(db_session.scalars(sa.select(AuditEvent.action).where(
        AuditEvent.actor_id == s.caseworker.id)))
    assert {"referrals:referral:list", "referrals:referral:read"} <= actions


def test_another_offices_referral_is_not_found(app, client, factory, db_session):
    s = setting(factory, db_session)
    r = refer(app, db_session, s, person(factory, s))
    elsewhere = factory.user("caseworker")
    log_in(client, elsewhere)
    assert client.get(f"/referrals/{r.id}", headers=HTML).status_code == 404
    assert client.get(f"/referrals/{r.id}/steps/withdraw", headers=HTML).status_code == 404
    resp = _post(client, f"/referrals/{r.id}/steps/withdraw",
                 {"reason": "other", "version": "2"}, "/referrals")
    assert resp.status_code == 404
    assert r.reference not in text(client.get("/referrals", headers=HTML))
    db_session.refresh(r)
    assert r.state == "sent"


def test_partners_do_not_reach_the_staff_pages(app, client, factory, db_session):
    s = setting(factory, db_session)
    p = person(factory, s)
    r = refer(app, db_session, s, p)
    log_in(client, s.partner)
    assert client.get("/referrals", headers=HTML).status_code == 403
    assert client.get(f"/referrals/{r.id}", headers=HTML).status_code == 403
    assert client.get(f"/participants/{p.id}/referrals/new", headers=HTML).status_code == 403


def test_the_form_shows_errors_beside_the_fields_and_keeps_what_was_typed(
        app, client, factory, db_session):
    s = setting(factory, db_session)
    p = person(factory, s)
    log_in(client, s.caseworker)
    page = f"/participants/{p.id}/referrals/new"
    typed = {"reason": "Needs a lawyer for the wage claim", "urgency": "urgent",
             "shared_fields": ["name", "phone"], "action": "send"}
    resp = _post(client, page, typed)
    assert resp.status_code == 422
    body = text(resp)
    assert 'id="err-service_id"' in body and "Choose a service." in body
    assert "Needs a lawyer for the wage claim" in body
    assert re.search(r'value="urgent"\s+checked', body)
    assert re.search(r'value="phone"\s+checked', body)
    assert not re.search(r'value="language"\s+checked', body)  # unticked stays unticked

    resp = _post(client, page, {**typed, "service_id": str(s.service.id), "urgency": "soon",
                                "reason": "x" * 2001})
    assert resp.status_code == 422
    body = text(resp)
    assert 'id="err-urgency"' in body and 'id="err-reason"' in body
    assert re.search(rf'value="{s.service.id}"[^>]*checked', body)

    # A search keeps everything typed, and refuses its own bad values beside them.
    other = add_service(db_session, s.provider.id, name="Shelter for women", housing=True,
                        legal_aid=False, women_only=True, languages=("ar",))
    resp = _post(client, page, {**typed, "service_id": str(s.service.id), "action": "search",
                                "category": "housing"})
    body = text(resp)
    assert resp.status_code == 200 and "Shelter for women" in body and "Women only" in body
    assert re.search(rf'value="{s.service.id}"[^>]*checked', body)  # the choice is kept
    assert "Needs a lawyer for the wage claim" in body
    resp = _post(client, page, {**typed, "action": "search", "language": "klingon"})
    assert resp.status_code == 422 and 'id="err-language"' in text(resp)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Referral).where(
        Referral.participant_id == p.id)) == 0

    resp = _post(client, page, {**typed, "service_id": str(other.id)})
    assert resp.status_code == 303
    r = db_session.scalars(sa.select(Referral).where(Referral.participant_id == p.id)).one()
    assert (r.state, r.urgency, r.shared_fields) == ("sent", "urgent", ["name", "phone"])
    assert resp.headers["Location"].endswith(f"/referrals/{r.id}")


def test_a_refusal_for_want_of_consent_is_shown_with_the_way_to_consent(
        app, client, factory, db_session):
    s = setting(factory, db_session)
    p = person(factory, s, consents=NO_PROVIDERS)
    log_in(client, s.caseworker)
    page = f"/participants/{p.id}/referrals/new"
    assert 'id="consent-missing"' in text(client.get(page, headers=HTML))
    record = text(client.get(f"/participants/{p.id}", headers=HTML))
    assert 'id="referral-consent"' in record and f'href="/participants/{p.id}/consent/new"' in record
    typed = {"service_id": str(s.service.id), "reason": "Wage claim advice",
             "shared_fields": ["name", "email"], "action": "send"}
    resp = _post(client, page, typed)
    assert resp.status_code == 409
    body = text(resp)
    assert "has not consented to share their information with service providers" in body
    assert f'href="/participants/{p.id}/consent/new"' in body
    assert "Wage claim advice" in body and re.search(r'value="email"\s+checked', body)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Referral).where(
        Referral.participant_id == p.id)) == 0  # nothing half-made

    resp = _post(client, page, {**typed, "action": "draft"})
    assert resp.status_code == 303
    r = db_session.scalars(sa.select(Referral).where(Referral.participant_id == p.id)).one()
    assert r.state == "draft"
    detail = f"/referrals/{r.id}"
    assert 'id="consent-missing"' in text(client.get(detail, headers=HTML))
    resp = _post(client, f"{detail}/steps/send", {"version": str(r.version)}, detail)
    assert resp.status_code == 409
    body = text(resp)
    assert "has not consented" in body and f'href="/participants/{p.id}/consent/new"' in body
    db_session.refresh(r)
    assert r.state == "draft"


def test_send_record_and_withdraw_through_the_forms(app, client, factory, db_session):
    s = setting(factory, db_session)
    p = person(factory, s)
    r = refer(app, db_session, s, p, send=False)
    log_in(client, s.caseworker)
    detail = f"/referrals/{r.id}"
    assert 'id="step-send"' in text(client.get(detail, headers=HTML))

    # Without the CSRF token: refused, nothing moves.
    resp = client.post(f"{detail}/steps/send", data={"version": str(r.version)}, headers=HTML)
    assert resp.status_code == 400
    db_session.refresh(r)
    assert r.state == "draft"

    resp = _post(client, f"{detail}/steps/send", {"version": str(r.version)}, detail)
    assert resp.status_code == 303, text(resp)[:2000]
    body = text(client.get(detail, headers=HTML))
    assert f"Referral {r.reference} sent." in body
    db_session.refresh(r)
    assert r.state == "sent" and r.response_due_at is not None

    # A stale version: refused at the top, nothing moves.
    resp = _post(client, f"{detail}/steps/accept", {"version": "1"}, detail)
    assert resp.status_code == 409 and "changed by someone else" in text(resp)
    resp = _post(client, f"{detail}/steps/accept", {"version": str(r.version)}, detail)
    assert resp.status_code == 303
    db_session.refresh(r)
    assert r.state == "accepted"

    step = f"{detail}/steps/progress"
    resp = _post(client, step, {"version": str(r.version), "note": " "}, step)
    assert resp.status_code == 422 and 'id="err-note"' in text(resp)
    resp = _post(client, step, {"version": str(r.version), "note": "First meeting held"}, step)
    assert resp.status_code == 303

    step = f"{detail}/steps/complete"
    db_session.refresh(r)
    resp = _post(client, step, {"version": str(r.version), "note": "Tried twice"}, step)
    assert resp.status_code == 422
    body = text(resp)
    assert 'id="err-outcome"' in body and "Tried twice" in body
    resp = _post(client, step, {"version": str(r.version), "outcome": "not_provided",
                                "note": "Tried twice"}, step)
    assert resp.status_code == 409
    body = text(resp)
    assert 'id="err-outcome_reason"' in body and "Say why the service was not provided." in body
    resp = _post(client, step, {"version": str(r.version), "outcome": "not_provided",
                                "outcome_reason": "client_did_not_attend",
                                "note": "Tried twice"}, step)
    assert resp.status_code == 303
    db_session.refresh(r)
    assert (r.state, r.outcome, r.outcome_reason) == ("completed", "not_provided",
                                                      "client_did_not_attend")
    body = text(client.get(detail, headers=HTML))
    assert "Service not provided: The person did not come" in body
    assert "Tried twice" in body and "First meeting held" in body
    assert s.caseworker.full_name in body  # who recorded each step
    assert 'id="step-' not in body  # completed: nothing more to do
    record = text(client.get(f"/participants/{p.id}", headers=HTML))
    assert "Service not provided: The person did not come" in record

    other = refer(app, db_session, s, p)
    detail = f"/referrals/{other.id}"
    step = f"{detail}/steps/withdraw"
    resp = _post(client, step, {"version": str(other.version), "reason": "whim"}, step)
    assert resp.status_code == 422 and 'id="err-reason"' in text(resp)
    resp = _post(client, step, {"version": str(other.version), "reason": "referred_elsewhere",
                                "note": "Went to the union instead"}, step)
    assert resp.status_code == 303
    db_session.refresh(other)
    assert other.state == "withdrawn"
    event = db_session.scalars(sa.select(ReferralEvent).where(
        ReferralEvent.referral_id == other.id, ReferralEvent.kind == "withdraw")).one()
    assert event.partner_visible is False  # internal unless ticked
    body = text(client.get(detail, headers=HTML))
    assert "Referred elsewhere" in body and "Not shown to the partner" in body


def test_decline_on_the_partners_behalf_needs_a_reason(app, client, factory, db_session):
    s = setting(factory, db_session)
    r = refer(app, db_session, s, person(factory, s))
    log_in(client, s.caseworker)
    step = f"/referrals/{r.id}/steps/decline"
    resp = _post(client, step, {"version": str(r.version), "note": "Full this month"}, step)
    assert resp.status_code == 422
    body = text(resp)
    assert 'id="err-reason"' in body and "Full this month" in body
    resp = _post(client, step, {"version": str(r.version), "reason": "no_capacity",
                                "note": "Full this month"}, step)
    assert resp.status_code == 303
    body = text(client.get("/referrals?state=declined", headers=HTML))
    assert r.reference in body and "Declined: No capacity now" in body
    # A step the state no longer allows: said plainly, not a 500.
    resp = _post(client, f"/referrals/{r.id}/steps/accept", {"version": str(r.version + 1)},
                 step)
    assert resp.status_code == 409 and "cannot be moved that way" in text(resp)


def test_the_list_filters(app, client, factory, db_session):
    s = setting(factory, db_session)
    p = person(factory, s)
    late = refer(app, db_session, s, p, urgency="urgent")
    late.response_due_at = late.response_due_at.replace(year=2020)
    fresh = refer(app, db_session, s, p)
    draft = refer(app, db_session, s, p, send=False)
    db_session.flush()
    log_in(client, s.caseworker)

    def shown(query: str) -> set[str]:
        resp = client.get(f"/referrals{query}", headers=HTML)
        assert resp.status_code == 200
        return {ref for ref in (late.reference, fresh.reference, draft.reference)
                if ref in text(resp)}

    assert shown("") == {late.reference, fresh.reference, draft.reference}
    assert shown("?overdue=1") == {late.reference}
    assert shown("?urgency=urgent") == {late.reference}
    assert shown("?state=draft") == {draft.reference}
    assert shown(f"?provider_id={s.provider.id}&service_id={s.service.id}") == {
        late.reference, fresh.reference, draft.reference}
    assert "Overdue" in text(client.get("/referrals?overdue=1", headers=HTML))
    assert client.get("/referrals?state=lost", headers=HTML).status_code == 422
    assert client.get("/referrals?colour=red", headers=HTML).status_code == 422


def test_the_grievance_shows_its_referrals_and_their_outcome(app, client, factory, db_session):
    s = setting(factory, db_session)
    p = person(factory, s)
    with app.test_request_context():
        gv, _code = grievances.intake(db_session, s.caseworker, {
            "category": "wages", "severity": "medium",
            "description": "My wages were not paid for three months."},
            channel=Channel.STAFF, participant=p)
    db_session.flush()
    log_in(client, s.caseworker)
    page = f"/grievances/{gv.id}"
    body = text(client.get(page, headers=HTML))
    assert "No referral made from this grievance yet." in body
    new = f"/participants/{p.id}/referrals/new?grievance_id={gv.id}"
    assert f'href="{new.replace("&", "&amp;")}"' in client.get(page, headers=HTML).get_data(
        as_text=True) or f'href="{new}"' in body
    form = text(client.get(new, headers=HTML))
    assert f"from grievance {gv.reference}" in form and f'value="{gv.id}"' in form
    resp = _post(client, f"/participants/{p.id}/referrals/new",
                 {"service_id": str(s.service.id), "grievance_id": str(gv.id),
                  "shared_fields": ["name"], "action": "send"}, new)
    assert resp.status_code == 303
    r = db_session.scalars(sa.select(Referral).where(Referral.grievance_id == gv.id)).one()
    move(app, db_session, s.partner, r, "accept")
    move(app, db_session, s.partner, r, "complete", outcome="provided", note="Claim filed")
    body = text(client.get(page, headers=HTML))
    assert r.reference in body and "Service provided" in body
    # Another person's grievance cannot be the source.
    q = person(factory, s)
    assert client.get(f"/participants/{q.id}/referrals/new?grievance_id={gv.id}",
                      headers=HTML).status_code == 404
    # A grievance of someone who is not a participant has no referrals to make.
    with app.test_request_context():
        unnamed, _code = grievances.intake(db_session, s.caseworker, {
            "category": "wages", "severity": "low", "description": "Wages late again."},
            channel=Channel.STAFF, contact_phone="+351912345678")
    db_session.flush()
    body = text(client.get(f"/grievances/{unnamed.id}", headers=HTML))
    assert 'id="refer-from-grievance"' not in body and "Wages late again." in body


def test_the_pages_in_arabic_read_right_to_left(app, client, factory, db_session):
    s = setting(factory, db_session)
    p = person(factory, s)
    r = refer(app, db_session, s, p)
    s.caseworker.language = "ar"
    db_session.flush()
    log_in(client, s.caseworker)
    for path in ("/referrals", f"/referrals/{r.id}", f"/participants/{p.id}/referrals/new",
                 f"/referrals/{r.id}/steps/withdraw"):
        resp = client.get(path, headers=HTML)
        assert resp.status_code == 200, path
        assert 'dir="rtl"' in resp.get_data(as_text=True) and 'lang="ar"' in resp.get_data(
            as_text=True)


def test_a_draft_is_changed_then_sent_through_its_form(app, client, factory, db_session):
    s = setting(factory, db_session)
    p = person(factory, s)
    r = refer(app, db_session, s, p, send=False)
    other = add_service(db_session, s.provider.id, name="Employment counselling",
                        legal_aid=False, employment=True)
    log_in(client, s.caseworker)
    page = f"/referrals/{r.id}/edit"
    assert f'href="{page}"' in text(client.get(f"/referrals/{r.id}", headers=HTML))
    form = text(client.get(page, headers=HTML))
    assert f"Change the draft referral {r.reference}" in form
    assert "Unpaid wages: needs advice on a claim" in form
    assert re.search(rf'value="{s.service.id}"[^>]*checked', form)
    typed = {"version": str(r.version), "service_id": str(other.id), "urgency": "urgent",
             "reason": "Looking for work after the claim", "shared_fields": ["name", "sex"],
             "action": "draft"}
    resp = _post(client, page, {**typed, "version": "99"})
    assert resp.status_code == 409 and "changed by someone else" in text(resp)
    assert "Looking for work after the claim" in text(resp)  # nothing typed is lost
    resp = _post(client, page, {**typed, "urgency": "later"})
    assert resp.status_code == 422 and 'id="err-urgency"' in text(resp)
    resp = _post(client, page, typed)
    assert resp.status_code == 303
    db_session.refresh(r)
    assert (r.state, r.service_id, r.urgency, r.shared_fields) == (
        "draft", other.id, "urgent", ["name", "sex"])
    resp = _post(client, page, {**typed, "version": str(r.version), "action": "send"})
    assert resp.status_code == 303
    db_session.refresh(r)
    assert r.state == "sent"
    assert client.get(page, headers=HTML).status_code == 404  # sent: no longer a draft


def test_email_the_partner_a_signed_link(app, client, factory, db_session):
    s = setting(factory, db_session)
    r = refer(app, db_session, s, person(factory, s))
    log_in(client, s.caseworker)
    detail = f"/referrals/{r.id}"
    body = text(client.get(detail, headers=HTML))
    assert 'id="send-link"' in body and "It goes to intake@example.org" in body
    before = db_session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))
    resp = _post(client, f"{detail}/link", {}, detail)
    assert resp.status_code == 303
    assert "A signed link is on its way to intake@example.org" in text(
        client.get(detail, headers=HTML))
    link = db_session.scalars(sa.select(ReferralLink).where(
        ReferralLink.referral_id == r.id).order_by(ReferralLink.id.desc())).first()
    assert (link.purpose, link.email, link.created_by) == ("respond", "intake@example.org",
                                                           s.caseworker.id)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) > before
    # Without an address in the directory: said beside the button, nothing sent.
    s.service.email = None
    s.provider.email = None
    db_session.flush()
    resp = _post(client, f"{detail}/link", {}, detail)
    assert resp.status_code == 422 and "has an email address in the directory" in text(resp)
    # Nothing left for the partner to do: no link.
    move(app, db_session, s.caseworker, r, "withdraw", reason="other")
    assert 'id="send-link"' not in text(client.get(detail, headers=HTML))
    assert _post(client, f"{detail}/link", {}, detail).status_code == 409
