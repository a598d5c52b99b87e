"""The erasure page through the test client: confirmation, errors next to fields, holds, roles."""

from __future__ import annotations

import re

from journey.participants.models import Participant
from tests.web.test_pages import HTML, csrf_token, log_in, text


def _page(client, p) -> str:
    return f"/participants/{p.id}/privacy/erase"


def test_a_supervisor_erases_after_typing_the_reference(client, factory, db_session):
    sup = factory.user("supervisor")
    p = factory.participant(sup, office_id=sup.office_id)
    log_in(client, sup)
    url = _page(client, p)
    page = client.get(url, headers=HTML)
    assert page.status_code == 200 and p.reference in text(page)
    assert re.search(r'<label for="f-confirm">', page.get_data(as_text=True))

    wrong = client.post(url, data={"reason": "subject_request", "confirm_reference": "NOPE",
                                   "csrf_token": csrf_token(client, url)}, headers=HTML)
    assert wrong.status_code == 422
    assert 'id="err-confirm"' in wrong.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(Participant, p.id).erased_at is None

    done = client.post(url, data={"reason": "subject_request", "confirm_reference": p.reference,
                                  "csrf_token": csrf_token(client, url)}, headers=HTML)
    assert done.status_code == 303 and done.headers["Location"].endswith(url)
    after = client.get(url, headers=HTML)
    assert "This record is erased" in text(after) and "The record was erased." in text(after)
    db_session.expire_all()
    assert db_session.get(Participant, p.id).given_name == "Erased"


def test_the_form_needs_its_csrf_token(client, factory, db_session):
    sup = factory.user("supervisor")
    p = factory.participant(sup, office_id=sup.office_id)
    log_in(client, sup)
    resp = client.post(_page(client, p), data={"reason": "subject_request",
                                               "confirm_reference": p.reference}, headers=HTML)
    assert resp.status_code == 400
    db_session.expire_all()
    assert db_session.get(Participant, p.id).erased_at is None


def test_a_legal_hold_set_on_the_page_hides_the_form_until_lifted(client, factory, db_session):
    sup = factory.user("supervisor")
    p = factory.participant(sup, office_id=sup.office_id)
    log_in(client, sup)
    url = _page(client, p)
    hold = f"/participants/{p.id}/privacy/legal-hold"
    resp = client.post(hold, data={"hold_reason": "litigation",
                                   "csrf_token": csrf_token(client, url)}, headers=HTML)
    assert resp.status_code == 303
    page = text(client.get(url, headers=HTML))
    assert "A legal hold stands on this record." in page and 'name="confirm_reference"' not in page
    # Posting anyway is refused with the reason.
    refused = client.post(url, data={"reason": "subject_request", "confirm_reference": p.reference,
                                     "csrf_token": csrf_token(client, url)}, headers=HTML)
    assert refused.status_code == 409 and "legal hold" in text(refused)
    lifted = client.post(hold + "/lift", data={"csrf_token": csrf_token(client, url)}, headers=HTML)
    assert lifted.status_code == 303
    assert 'name="confirm_reference"' in client.get(url, headers=HTML).get_data(as_text=True)


def test_a_caseworker_cannot_open_the_page(client, factory):
    cw = factory.user("caseworker")
    p = factory.participant(cw, office_id=cw.office_id)
    log_in(client, cw)
    assert client.get(_page(client, p), headers=HTML).status_code == 403


def test_the_page_speaks_the_user_s_language(client, factory):
    sup = factory.user("supervisor", language="fr")
    p = factory.participant(sup, office_id=sup.office_id)
    log_in(client, sup)
    resp = client.get(_page(client, p), headers={**HTML, "Accept-Language": "fr"})
    assert resp.status_code == 200 and 'lang="fr"' in resp.get_data(as_text=True)
