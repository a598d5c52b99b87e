"""The employer and recruiter pages (#15): the staff list, an employer's record with its forms
(contacts, commitment, verification), the recruiters registry with its licence flags in words,
an employer user on their own record only, errors beside the fields, English and Arabic."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from journey.core.db import utcnow
from journey.employers.models import EmployerContact, EmployerPaysCommitment, Recruiter
from tests.web.test_pages import HTML, csrf_token, log_in, text


@pytest.fixture
def world(factory, db_session):
    office = factory.office()
    employer = factory.employer(name="Hotel Atlântico", sector="Hospitality", isic_code="5510")
    return {"admin": factory.user("admin"), "supervisor": factory.user("supervisor", office),
            "caseworker": factory.user("caseworker", office), "employer": employer,
            "employer_user": factory.user("employer", employer_id=employer.id,
                                          full_name="Marta Employer")}


def _post(client, path, data, form_page=None):
    token = csrf_token(client, form_page or path)
    return client.post(path, headers=HTML, data={**data, "csrf_token": token})


def test_the_list_shows_verification_and_the_commitment_flag(client, factory, world):
    signed = factory.employer(name="Quinta Assinada")
    factory._add(EmployerPaysCommitment(employer_id=signed.id, version="2026-1",
                                        signed_on=date(2026, 1, 5), signatory_name="Ana",
                                        recorded_at=utcnow()))
    log_in(client, world["caseworker"])
    page = client.get("/employers", headers=HTML)
    body = text(page)
    assert page.status_code == 200
    assert "Hotel Atlântico" in body and "No commitment signed" in body
    assert "Pending verification" in body and "5510" in body
    assert "Signed" in body and "2026-1" in body
    nav = page.get_data(as_text=True)
    assert 'href="/employers"' in nav and 'href="/recruiters"' in nav
    assert client.get("/employers?verification=verified", headers=HTML).status_code == 200
    assert client.get("/employers?verification=maybe", headers=HTML).status_code == 422


def test_the_record_page_and_its_forms(client, db_session, world):
    employer = world["employer"]
    log_in(client, world["admin"])
    path = f"/employers/{employer.id}"
    page = client.get(path, headers=HTML)
    body = text(page)
    assert page.status_code == 200 and "No commitment signed" in body
    assert "Marta Employer" in body and f"/admin/users/{world['employer_user'].id}" in \
        page.get_data(as_text=True)
    assert "Add a user" in body

    # A contact: refused beside the field, then added, edited and removed.
    new = f"{path}/contacts/new"
    refused = _post(client, new, {"name": "", "phone": "12", "language": "pt"})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert 'id="err-name"' in html and 'id="err-phone"' in html
    added = _post(client, new, {"name": "Rui Lopes", "role": "HR", "email": "rui@example.pt",
                                "phone": "+351912345678", "language": "pt"})
    assert added.status_code == 303
    contact = db_session.scalars(sa.select(EmployerContact)).one()
    assert (contact.name, contact.language) == ("Rui Lopes", "pt")
    edit = f"{path}/contacts/{contact.id}"
    assert client.get(edit, headers=HTML).status_code == 200
    assert _post(client, edit, {"name": "Rui M. Lopes", "role": "", "email": "", "phone": "",
                                "language": "pt"}).status_code == 303
    db_session.refresh(contact)
    assert (contact.name, contact.role, contact.phone) == ("Rui M. Lopes", None, None)
    assert "Rui M. Lopes" in text(client.get(path, headers=HTML))

    # Verifying without a commitment is refused beside the status.
    verify = f"{path}/verification"
    refused = _post(client, verify, {"status": "verified", "version": str(employer.version)},
                    path)
    assert refused.status_code == 409 and 'id="err-status"' in refused.get_data(as_text=True)

    commit = f"{path}/commitments/new"
    assert client.get(commit, headers=HTML).status_code == 200
    bad = _post(client, commit, {"version": "", "signed_on": "2099-01-01", "signatory_name": "A"})
    assert bad.status_code == 422 and 'id="err-signed_on"' in bad.get_data(as_text=True)
    assert _post(client, commit, {"version": "2026-1", "signed_on": "2026-02-01",
                                  "signatory_name": "Ana Costa",
                                  "signatory_title": "Director"}).status_code == 303
    again = _post(client, commit, {"version": "2026-1", "signed_on": "2026-02-01",
                                   "signatory_name": "Ana Costa"})
    assert again.status_code == 409 and 'id="err-version"' in again.get_data(as_text=True)
    assert _post(client, verify, {"status": "verified", "version": str(employer.version)},
                 path).status_code == 303
    db_session.refresh(employer)
    assert employer.verification == "verified"
    body = text(client.get(path, headers=HTML))
    assert "Verified" in body and "Ana Costa" in body and "No commitment signed" not in body

    assert _post(client, f"{edit}/remove", {}, path).status_code == 303
    db_session.refresh(contact)
    assert contact.removed_at is not None


def test_staff_without_the_permission_see_no_forms(client, world):
    log_in(client, world["caseworker"])
    path = f"/employers/{world['employer'].id}"
    body = client.get(path, headers=HTML).get_data(as_text=True)
    assert f"{path}/verification" not in body and f"{path}/contacts/new" not in body
    assert "Add a user" not in body
    assert client.get(f"{path}/contacts/new", headers=HTML).status_code == 403
    assert client.get("/employer/record", headers=HTML).status_code == 403
    assert client.get(f"{path}/commitments/new", headers=HTML).status_code == 403


def test_an_employer_user_opens_their_own_record_only(client, factory, world):
    other = factory.employer(name="Someone Else Lda")
    log_in(client, world["employer_user"])
    own = client.get(f"/employers/{world['employer'].id}", headers=HTML)
    assert own.status_code == 200 and "Hotel Atlântico" in text(own)
    assert 'id="users"' not in text(own), "no user list for an employer user"
    assert client.get(f"/employers/{other.id}", headers=HTML).status_code == 404
    mine = client.get("/employer/record", headers=HTML)
    assert mine.status_code == 200 and "Hotel Atlântico" in text(mine)
    assert client.get("/employers", headers=HTML).status_code == 403
    assert client.get("/recruiters", headers=HTML).status_code == 403


def test_the_recruiters_page_flags_licences_in_words(client, db_session, world):
    today = utcnow().date()
    for name, expires in (("Alpha Agency", today + timedelta(days=300)),
                          ("Beta Agency", today + timedelta(days=20)),
                          ("Gamma Agency", today - timedelta(days=3))):
        db_session.add(Recruiter(name=name, country="NP", licence_number="L", created_at=utcnow(),
                                 licence_expires_on=expires, corridors=["NP-PT"]))
    db_session.add(Recruiter(name="Delta Agency", country="NP", created_at=utcnow()))
    db_session.flush()
    log_in(client, world["caseworker"])
    page = client.get("/recruiters", headers=HTML)
    body = text(page)
    assert page.status_code == 200
    for words in ("Licence expires soon", "Licence expired", "No licence on record", "Licensed"):
        assert words in body
    expiring = text(client.get("/recruiters?licence=expiring", headers=HTML))
    assert "Beta Agency" in expiring and "Alpha Agency" not in expiring
    assert client.get("/recruiters?licence=soon", headers=HTML).status_code == 422
    assert "Add a recruiter" not in body, "caseworkers read the registry, they do not keep it"


def test_a_supervisor_adds_and_edits_a_recruiter(client, db_session, world):
    log_in(client, world["supervisor"])
    new = "/recruiters/new"
    refused = _post(client, new, {"name": "Everest Overseas", "country": "NP",
                                  "corridors": "NP-PT NPXX"})
    assert refused.status_code == 422 and 'id="err-corridors"' in refused.get_data(as_text=True)
    assert _post(client, new, {"name": "Everest Overseas", "country": "np",
                               "licence_number": "DoFE-77", "licence_expires_on": "2099-01-01",
                               "corridors": "np-pt, NP-MY"}).status_code == 303
    found = db_session.scalars(sa.select(Recruiter)).one()
    assert found.corridors == ["NP-PT", "NP-MY"] and found.country == "NP"
    taken = _post(client, new, {"name": "EVEREST overseas", "country": "NP"})
    assert taken.status_code == 409 and 'id="err-name"' in taken.get_data(as_text=True)
    path = f"/recruiters/{found.id}"
    assert "Licensed" in text(client.get(path, headers=HTML))
    form = {"name": "Everest Overseas", "country": "NP", "licence_number": "DoFE-77",
            "licence_expires_on": "2099-01-01", "corridors": "NP-PT", "version": "1"}
    assert _post(client, path, form).status_code == 303
    db_session.refresh(found)
    assert found.corridors == ["NP-PT"] and found.version == 2
    stale = _post(client, path, {**form, "corridors": "NP-MY"})
    assert stale.status_code == 409 and "Someone else changed this record" in text(stale)


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_pages_render_in_english_and_arabic(client, db_session, world, language):
    db_session.add(Recruiter(name="Alpha Agency", country="NP", licence_number="L",
                             licence_expires_on=utcnow().date() + timedelta(days=10),
                             created_at=utcnow()))
    world["admin"].language = language
    db_session.flush()
    log_in(client, world["admin"])
    recruiter = db_session.scalars(sa.select(Recruiter)).one()
    for path in ("/employers", f"/employers/{world['employer'].id}",
                 f"/employers/{world['employer'].id}/contacts/new",
                 f"/employers/{world['employer'].id}/commitments/new", "/recruiters",
                 "/recruiters/new", f"/recruiters/{recruiter.id}"):
        page = client.get(path, headers=HTML)
        assert page.status_code == 200, path
        html = page.get_data(as_text=True)
        assert f'lang="{language}"' in html, path
        if language == "ar":
            assert 'dir="rtl"' in html, path
