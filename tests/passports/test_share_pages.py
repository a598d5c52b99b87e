"""Share links from the staff pages: create (the address shown once), list, revoke."""

from __future__ import annotations

import re

from sqlmodel import select

from journey.passports.models import ShareLink
from tests.web.test_pages import HTML, csrf_token, log_in, text


def _url(case) -> str:
    return f"/participants/{case.participant.id}/passport/share-links"


def _post(client, url: str, data: dict, page: str):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, page)}, headers=HTML)


def test_create_shows_the_link_once_then_lists_and_revokes_it(client, case, db_session):
    log_in(client, case.user)
    assert client.get(_url(case), headers=HTML).status_code == 200
    resp = _post(client, _url(case), {"audience": "Hotel Atlântico", "kinds": ["language",
                                      "qualification"], "expires_in_days": "7"}, _url(case))
    assert resp.status_code == 201
    assert resp.headers["Cache-Control"] == "no-store"
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    found = re.search(r'href="(http[^"]+/shared/([^"]+))"', resp.get_data(as_text=True))
    assert found, "the new link is shown"
    [link] = db_session.scalars(select(ShareLink).where(
        ShareLink.participant_id == case.participant.id)).all()
    assert link.kinds == ["qualification", "language"] and link.audience == "Hotel Atlântico"
    assert (link.expires_at - link.created_at).days == 7
    # The employer's view works through the shown address, and the list never shows it again.
    assert client.get(f"/shared/{found.group(2)}", headers=HTML).status_code == 200
    listing = client.get(_url(case), headers=HTML)
    assert found.group(2) not in listing.get_data(as_text=True)
    assert "Hotel Atlântico" in text(listing) and "Active" in text(listing)

    revoke = f"{_url(case)}/{link.id}/revoke"
    resp = _post(client, revoke, {}, _url(case))
    assert resp.status_code == 303
    db_session.refresh(link)
    assert link.revoked_at is not None and link.revoked_by == case.user.id
    assert client.get(f"/shared/{found.group(2)}", headers=HTML).status_code == 410
    again = _post(client, revoke, {}, _url(case))
    assert again.status_code == 409 and "already revoked" in text(again)


def test_invalid_share_link_form_shows_errors_beside_fields(client, case, db_session):
    log_in(client, case.user)
    resp = _post(client, _url(case), {"audience": "", "expires_in_days": "999"}, _url(case))
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert 'id="err-audience"' in html and 'id="err-expires_in_days"' in html
    assert db_session.scalars(select(ShareLink).where(
        ShareLink.participant_id == case.participant.id)).all() == []


def test_without_consent_to_share_the_page_says_so(client, factory, taxonomy, db_session):
    office = factory.office()
    cw = factory.user("caseworker", office=office)
    p = factory.participant(cw, office_id=office.id)
    log_in(client, cw)
    url = f"/participants/{p.id}/passport/share-links"
    resp = _post(client, url, {"audience": "Hotel", "expires_in_days": "7"}, url)
    assert resp.status_code == 409
    assert "has not agreed to share with employers" in text(resp)
