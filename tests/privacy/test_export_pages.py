"""The privacy page of a participant: linked from their record for those who may export, shows
what the record holds, and its Export button downloads the archive; scope as everywhere."""

from __future__ import annotations

import io
import zipfile

from tests.web.test_pages import HTML, log_in, text


def test_the_record_links_to_the_privacy_page_for_those_who_may_export(app, client, factory):
    office = factory.office()
    sup, cw = factory.user("supervisor", office=office), factory.user("caseworker", office=office)
    p = factory.participant(sup)
    log_in(client, cw)
    assert f"/participants/{p.id}/privacy" not in client.get(
        f"/participants/{p.id}", headers=HTML).get_data(as_text=True)
    assert client.get(f"/participants/{p.id}/privacy", headers=HTML).status_code == 403
    client = app.test_client()
    log_in(client, sup)
    record = client.get(f"/participants/{p.id}", headers=HTML).get_data(as_text=True)
    assert f'href="/participants/{p.id}/privacy"' in record


def test_the_privacy_page_counts_the_record_and_exports_it(client, factory):
    sup = factory.user("supervisor")
    p = factory.participant(sup)
    log_in(client, sup)
    page = client.get(f"/participants/{p.id}/privacy", headers=HTML)
    assert page.status_code == 200
    body = text(page)
    assert f'action="/participants/{p.id}/privacy/export"' in body
    assert "<code>participants</code></th> <td>Identity, Contact details, Sensitive data, " \
           "Case records</td> <td>1</td>" in body
    resp = client.get(f"/participants/{p.id}/privacy/export", headers=HTML)
    assert resp.status_code == 200 and resp.mimetype == "application/zip"
    assert resp.headers["Cache-Control"] == "no-store"
    assert zipfile.ZipFile(io.BytesIO(resp.data)).namelist() == ["data.json", "summary.html"]


def test_another_office_s_participant_is_missing(client, factory):
    sup = factory.user("supervisor")
    other = factory.participant(factory.user("supervisor"))
    log_in(client, sup)
    for url in (f"/participants/{other.id}/privacy", f"/participants/{other.id}/privacy/export"):
        resp = client.get(url, headers=HTML)
        assert resp.status_code == 404 and resp.mimetype == "text/html"
        assert other.reference not in resp.get_data(as_text=True)
