"""Staff pages that change a passport: add, edit (with a conflict), verify, retire; the ESCO
search; errors beside the fields. The forms load the API's schemas and call its services."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from sqlmodel import select

from journey.passports.models import PassportEntry, PassportEntryRevision
from journey.passports.services import entry_fields
from tests.passports.conftest import COOK_URI, add
from tests.web.test_pages import HTML, csrf_token, log_in, text


def _new(case) -> str:
    return f"/participants/{case.participant.id}/passport/entries/new"


def _entry_url(case, entry_id: int, action: str = "edit") -> str:
    return f"/participants/{case.participant.id}/passport/entries/{entry_id}/{action}"


def _post(client, url: str, data: dict, page: str | None = None):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, page or url)},
                       headers=HTML)


def _entries(db_session, case) -> list[PassportEntry]:
    return list(db_session.scalars(select(PassportEntry).where(
        PassportEntry.participant_id == case.participant.id).order_by(PassportEntry.id)))


def test_adding_a_language_redirects_and_stores_what_the_api_would(client, case, db_session):
    log_in(client, case.user)
    picker = client.get(_new(case), headers=HTML)
    assert picker.status_code == 200 and "kind=language" in picker.get_data(as_text=True)
    resp = _post(client, _new(case), {"kind": "language", "language": "nep", "listening": "B2",
                                      "reading": "B1", "speaking": "B2", "writing": "A2"},
                 f"{_new(case)}?kind=language")
    assert resp.status_code == 303
    assert resp.headers["Location"].endswith(f"/participants/{case.participant.id}/passport")
    [entry] = _entries(db_session, case)
    fields = entry_fields(entry)
    assert (entry.kind, entry.title, fields["language"]) == ("language", "Nepali", "ne")
    assert fields["writing"] == "A2" and entry.created_by == case.user.id
    page = client.get(f"/participants/{case.participant.id}/passport", headers=HTML)
    assert "Added to the passport: Nepali." in text(page)


def test_errors_are_shown_beside_the_fields_with_422(client, case, db_session):
    log_in(client, case.user)
    resp = _post(client, _new(case), {"kind": "qualification", "title": "", "formality": "formal",
                                      "level_framework": "EQF", "level_level": "12",
                                      "country": "XX"}, f"{_new(case)}?kind=qualification")
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    for field in ("title", "level_level", "country"):
        assert f'id="err-{field}"' in html, field
    assert re.search(r'id="f-title"[^>]*aria-invalid="true"', html)
    assert "An EQF level is a whole number from 1 to 8." in text(resp)
    assert _entries(db_session, case) == []


def test_an_unknown_isco_code_is_refused_by_the_service_beside_its_field(client, case):
    log_in(client, case.user)
    resp = _post(client, _new(case), {"kind": "occupation", "isco_code": "9999"},
                 f"{_new(case)}?kind=occupation")
    assert resp.status_code == 422
    assert 'id="err-isco_code"' in resp.get_data(as_text=True)
    assert "No such ISCO-08 group." in text(resp)


def test_esco_search_lists_occupations_and_a_pick_fills_the_field(client, case, db_session):
    log_in(client, case.user)
    found = client.get(f"{_new(case)}?kind=occupation&q=cook", headers=HTML)
    assert found.status_code == 200
    assert "cook · ISCO 5120" in text(found) and "sommelier" not in text(found)
    picked = client.get(f"{_new(case)}?kind=occupation&pick={COOK_URI}", headers=HTML)
    assert f'value="{COOK_URI}"' in picked.get_data(as_text=True)
    resp = _post(client, _new(case), {"kind": "occupation", "esco_uri": COOK_URI, "years": "4.5",
                                      "acquired_abroad": "yes"}, f"{_new(case)}?kind=occupation")
    assert resp.status_code == 303
    [entry] = _entries(db_session, case)
    assert (entry.title, entry.isco_code, entry.acquired_abroad) == ("cook", "5120", True)


def test_editing_saves_a_new_version_with_the_reason(client, case, db_session):
    e = add(client, case, {"kind": "training", "title": "Food hygiene", "hours": 12})
    log_in(client, case.user)
    form = client.get(_entry_url(case, e["id"]), headers=HTML)
    assert form.status_code == 200 and 'value="Food hygiene"' in form.get_data(as_text=True)
    resp = _post(client, _entry_url(case, e["id"]), {"title": "Food hygiene level 2",
                                                     "hours": "16", "version": "1",
                                                     "why": "Certificate seen"})
    assert resp.status_code == 303
    entry = db_session.get(PassportEntry, e["id"])
    db_session.refresh(entry)
    assert (entry.title, entry_fields(entry)["hours"], entry.version) == \
        ("Food hygiene level 2", 16, 2)
    reasons = db_session.scalars(select(PassportEntryRevision.reason).where(
        PassportEntryRevision.entry_id == e["id"]).order_by(PassportEntryRevision.version)).all()
    assert reasons == [None, "Certificate seen"]


def test_a_stale_edit_shows_both_versions_and_overwrites_nothing(client, case, db_session):
    e = add(client, case, {"kind": "training", "title": "Food hygiene"})
    # Someone else saves first, through the API.
    client.patch(f"{case.base}/passport/entries/{e['id']}",
                 json={"title": "Food safety", "version": 1}, headers=case.headers)
    log_in(client, case.user)
    resp = _post(client, _entry_url(case, e["id"]), {"title": "Kitchen hygiene", "version": "1"})
    assert resp.status_code == 409
    body = text(resp)
    assert "Someone else changed this record while you were editing" in body
    assert "Food safety" in body and "Kitchen hygiene" in body
    assert 'name="version" value="2"' in resp.get_data(as_text=True)
    entry = db_session.get(PassportEntry, e["id"])
    db_session.refresh(entry)
    assert (entry.title, entry.version) == ("Food safety", 2)


def test_verify_needs_evidence_then_records_the_level(client, case, db_session):
    e = add(client, case, {"kind": "skill", "title": "Knife skills"})
    log_in(client, case.user)
    url = _entry_url(case, e["id"], "verify")
    page = _entry_url(case, e["id"])
    missing = _post(client, url, {"verify_level": "assessed", "verify_evidence": ""}, page)
    assert missing.status_code == 422
    assert 'id="err-verify_evidence"' in missing.get_data(as_text=True)
    ok = _post(client, url, {"verify_level": "assessed", "verify_evidence": "Practical test"},
               page)
    assert ok.status_code == 303
    entry = db_session.get(PassportEntry, e["id"])
    db_session.refresh(entry)
    assert (entry.verification, entry.verified_by) == ("assessed", case.user.id)


@pytest.fixture
def verify_for_supervisors(app, monkeypatch):
    """A policy where only admins and supervisors verify (the table is the app's own)."""
    from journey.core.policy import Role  # noqa: PLC0415

    table = dict(app.extensions["journey_policy"])
    table["passports:verify"] = frozenset({Role.ADMIN, Role.SUPERVISOR})
    monkeypatch.setitem(app.extensions, "journey_policy", table)


def test_verify_is_offered_and_allowed_only_to_roles_with_the_permission(
        client, case, factory, db_session, verify_for_supervisors):
    e = add(client, case, {"kind": "skill", "title": "Knife skills"})
    log_in(client, case.user)
    page = client.get(_entry_url(case, e["id"]), headers=HTML)
    assert page.status_code == 200 and "/verify" not in page.get_data(as_text=True)
    refused = _post(client, _entry_url(case, e["id"], "verify"),
                    {"verify_level": "assessed", "verify_evidence": "Test"}, _entry_url(case, e["id"]))
    assert refused.status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")}, headers=HTML)

    supervisor = factory.user("supervisor", office_id=case.participant.office_id)
    log_in(client, supervisor)
    page = client.get(_entry_url(case, e["id"]), headers=HTML)
    assert _entry_url(case, e["id"], "verify") in page.get_data(as_text=True)
    ok = _post(client, _entry_url(case, e["id"], "verify"),
               {"verify_level": "documents_seen", "verify_evidence": "Certificate"},
               _entry_url(case, e["id"]))
    assert ok.status_code == 303
    assert db_session.get(PassportEntry, e["id"]).verification == "documents_seen"


def test_retiring_needs_a_reason_and_takes_the_entry_off_the_page(client, case, db_session):
    e = add(client, case, {"kind": "skill", "title": "Knife skills"})
    log_in(client, case.user)
    url = _entry_url(case, e["id"], "retire")
    empty = _post(client, url, {"reason": ""}, _entry_url(case, e["id"]))
    assert empty.status_code == 422 and 'id="err-reason"' in empty.get_data(as_text=True)
    ok = _post(client, url, {"reason": "Entered twice"}, _entry_url(case, e["id"]))
    assert ok.status_code == 303
    assert db_session.get(PassportEntry, e["id"]).retired_at is not None
    page = client.get(f"/participants/{case.participant.id}/passport", headers=HTML)
    assert "Entry retired: Knife skills." in text(page)
    assert "Knife skills" not in text(page).replace("Entry retired: Knife skills.", "")


def test_forms_refuse_a_post_without_csrf(client, case, db_session):
    log_in(client, case.user)
    resp = client.post(_new(case), data={"kind": "skill", "title": "X"}, headers=HTML)
    assert resp.status_code == 400
    assert _entries(db_session, case) == []


def test_another_office_gets_404_pages(client, case, factory):
    e = add(client, case, {"kind": "skill", "title": "Knife skills"})
    log_in(client, factory.user("caseworker"))
    for url in (_new(case), _entry_url(case, e["id"])):
        assert client.get(url, headers=HTML).status_code == 404


class _Form(HTMLParser):
    """The fields of the edit form (the one posting to .../edit) as a browser would send them."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self._in_form = False
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._in_form = (a.get("action") or "").endswith("/edit")
        elif not self._in_form:
            return
        elif tag == "input" and a.get("name") and a.get("name") != "csrf_token":
            if a.get("type") != "checkbox" or "checked" in a:
                self.values[a["name"]] = a.get("value") or ""
        elif tag == "select":
            self._select = a["name"]
            self.values.setdefault(self._select, "")
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select] = a.get("value") or ""
        elif tag == "textarea":
            self._textarea = a["name"]
            self.values[self._textarea] = ""

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


_EVERY_KIND = [
    {"kind": "occupation", "esco_uri": COOK_URI, "years": 3},
    {"kind": "skill", "title": "Knife skills"},
    {"kind": "qualification", "title": "Diploma", "formality": "formal", "country": "QA",
     "level": {"framework": "EQF", "level": 4}, "awarded_on": "2020-06-30"},
    {"kind": "qualification", "title": "Certificado", "formality": "non_formal",
     "level": {"framework": "national", "level": "Nível 2", "name": "QNQ"}},
    {"kind": "prior_learning", "title": "Cooking", "assessed_by": "CTEVT", "date": "2021-01-02"},
    {"kind": "experience", "country": "PT", "start_date": "2019-01-01",
     "occupation": {"isco_code": "5120"}, "employer": "Hotel"},
    {"kind": "language", "language": "pt", "listening": "B1", "reading": "A2",
     "speaking": "B1", "writing": "A2"},
    {"kind": "language", "language": "ne", "mother_tongue": True},
    {"kind": "soft_skill", "title": "Teamwork"},
    {"kind": "training", "title": "Food hygiene", "hours": 12.5, "completed_on": "2022-03-04"},
]


@pytest.mark.parametrize("body", _EVERY_KIND, ids=lambda b: b["kind"])
def test_every_kind_round_trips_through_its_edit_form_unchanged(client, case, db_session, body):
    e = add(client, case, body)
    log_in(client, case.user)
    page = client.get(_entry_url(case, e["id"]), headers=HTML)
    assert page.status_code == 200
    form = _Form()
    form.feed(page.get_data(as_text=True))
    assert form.values["version"] == "1"
    resp = _post(client, _entry_url(case, e["id"]), form.values)
    assert resp.status_code == 303, text(resp)
    entry = db_session.get(PassportEntry, e["id"])
    db_session.refresh(entry)
    assert entry.version == 1  # nothing changed, nothing saved
