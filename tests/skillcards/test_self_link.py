"""The returnee's own link: shown once, works once, in their language, CSRF-protected, and
forgiving of mistakes (the form comes back with messages and with what was typed)."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from html import unescape
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask_babel import force_locale, gettext
from sqlmodel import select

from journey.continuum.stages import Stage
from journey.core.audit import AuditEvent
from journey.core.db import utcnow
from journey.skillcards.models import SkillCard, SkillForm
from tests.skillcards.conftest import HTML
from tests.skillcards.helpers import form_for

_TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def linked(app, client, factory, kit, db_session):
    """A returnee (language ne) with a passport, an open form and a fresh link: (p, form, path)."""
    p = kit.participant(Stage.STAY)
    kit.passport(p)
    kit.move(p, "prepare_return")
    resp = client.post(f"/api/v1/participants/{p.id}/skill-form/link",
                       headers=factory.headers(kit.caseworker))
    assert resp.status_code == 201
    body = resp.get_json()
    assert body["url"].startswith(app.config["PUBLIC_BASE_URL"] + "/skill-form/")
    form = db_session.scalars(select(SkillForm).where(SkillForm.participant_id == p.id)).one()
    return p, form, urlsplit(body["url"]).path


def _fields(path_html: str) -> dict[str, str]:
    """The form's inputs and selected options as a browser would post them."""
    out = {}
    for m in re.finditer(r'<input[^>]*name="([^"]+)"[^>]*?value="([^"]*)"', path_html):
        out[m.group(1)] = unescape(m.group(2))
    for m in re.finditer(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', path_html, re.S):
        # the page writes short options: <option value=ES selected>Spain (no quotes, no end tag)
        chosen = re.search(r'<option(?: value="?([^" >]*)"?)? selected>([^<]*)', m.group(2))
        out[m.group(1)] = (chosen.group(1) if chosen.group(1) is not None
                           else chosen.group(2).strip()) \
            if chosen else ""
    return out


def _text(resp) -> str:
    return re.sub(r"\s+", " ", unescape(resp.get_data(as_text=True)))


def test_the_link_is_shown_once_and_only_its_hash_is_kept(linked, db_session):
    _p, form, path = linked
    token = path.rsplit("/", 1)[1]
    db_session.refresh(form)
    assert form.link_token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(form.answers) and form.link_expires_at > utcnow() + timedelta(days=13)
    audit = db_session.scalars(select(AuditEvent).where(
        AuditEvent.action == "skillcards:skill_form:link")).one()
    assert token not in str(audit.details)


def test_the_page_shows_the_prefilled_form_in_the_participants_language(client, linked,
                                                                       db_session):
    p, form, path = linked
    resp = client.get(path, headers=HTML)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and '<html lang="ne"' in html
    fields = _fields(html)
    assert fields["occupation.title"] == "Cook" and fields["occupation.isco_code"] == "5120"
    assert fields["years_experience_abroad"] == "3.5" and fields["last_overseas_country"] == "ES"
    assert fields["skills.0.title"] == "Knife skills" and fields["languages.0.code"] == "pt"
    assert fields["languages.0.listening"] == "B1" and fields["version"] == "1"
    assert "<script" not in html and "script-src 'none'" in resp.headers["Content-Security-Policy"]
    assert resp.headers["Cache-Control"] == "no-store"
    view = db_session.scalars(select(AuditEvent).where(
        AuditEvent.action == "skillcards:skill_form:view")).one()
    assert view.actor_id is None and view.object_id == form.id
    assert view.details == {"participant_id": p.id, "via": "self_link"}


def test_posting_needs_the_csrf_token(client, linked, db_session):
    _p, form, path = linked
    fields = _fields(client.get(path, headers=HTML).get_data(as_text=True))
    fields.pop("csrf_token")
    resp = client.post(path, data={**fields, "sector": "Changed", "action": "save"}, headers=HTML)
    assert resp.status_code == 400 and resp.mimetype == "text/html"
    forged = client.post(path, data={**fields, "csrf_token": "forged", "action": "save"},
                         headers=HTML)
    assert forged.status_code == 400
    db_session.refresh(form)
    assert form.answers["sector"] == "Hospitality" and form.version == 1


def _in(language: str, app, message: str) -> str:
    with app.test_request_context(), force_locale(language):
        return gettext(message)


def test_bad_input_shows_the_form_again_with_messages_and_what_was_typed(app, client, linked,
                                                                        db_session):
    _p, form, path = linked
    fields = _fields(client.get(path, headers=HTML).get_data(as_text=True))
    typed = {**fields, "sector": "Construction", "years_experience_home": "abc",
             "occupation.isco_code": "9999", "availability_date": "2027-02-30",
             "skills.0.title": "", "skills.1.title": "Teamwork", "skills.2.title": "Tiling",
             "languages.0.speaking": "C2", "action": "complete"}
    resp = client.post(path, data=typed, headers=HTML)
    assert resp.status_code == 422 and resp.mimetype == "text/html"
    html = resp.get_data(as_text=True)
    again = _fields(html)
    for name in ("sector", "years_experience_home", "availability_date", "skills.2.title",
                 "languages.0.speaking"):
        assert again[name] == typed[name], name
    assert 'id="err-years_experience_home"' in html and 'id="err-availability_date"' in html
    assert 'name="years_experience_home" value="abc" type="number"' in html
    assert 'aria-invalid="true"' in html
    text = _text(resp)
    # In the returnee's language (Nepali here), not English.
    for message in ("Enter a number of years from 0 to 60.", "Enter a date, for example 2027-03-01."):
        assert _in("ne", app, message) != message and _in("ne", app, message) in text
    db_session.refresh(form)
    assert (form.status, form.version, form.answers["sector"]) == ("open", 1, "Hospitality")
    assert db_session.scalar(select(sa.func.count()).select_from(SkillCard)) == 0
    # The ISCO code alone wrong: the message stands by that field.
    second = client.post(path, headers=HTML, data={
        **fields, "occupation.isco_code": "9999", "action": "save"})
    assert second.status_code == 422 and 'id="err-occupation-isco_code"' in second.get_data(
        as_text=True)


def test_odd_input_never_breaks_the_page(client, linked):
    _p, _form, path = linked
    fields = _fields(client.get(path, headers=HTML).get_data(as_text=True))
    for odd in ({"sector": "a\x00b"}, {"version": "x"}, {"version": "\u0661"},  # Arabic-Indic 1
                {"version": "\u00b9"}, {"version": "9" * 5000}, {"skills.0.title": "x" * 5000},
                {"languages.0.code": "zz"}, {"languages.1.code": "pt"},
                {"last_overseas_country": "QQ"}, {"years_experience_abroad": "1e400"}):
        resp = client.post(path, data={**fields, **odd, "action": "save"}, headers=HTML)
        assert resp.status_code in (409, 422), (odd, resp.status_code)
        assert resp.mimetype == "text/html" and "Traceback" not in resp.get_data(as_text=True)


def test_saving_then_confirming_issues_the_card_once(client, linked, db_session):
    p, form, path = linked
    fields = _fields(client.get(path, headers=HTML).get_data(as_text=True))
    saved = client.post(path, headers=HTML, data={
        **fields, "preferred_location": "Pokhara", "skills.0.title": "", "skills.2.title": "Tiling",
        "action": "save"})
    assert saved.status_code == 303 and saved.headers["Location"].endswith(path)
    db_session.refresh(form)
    assert form.answers["preferred_location"] == "Pokhara" and form.version == 2
    # Removed "Knife skills", kept "Teamwork" with its entry, added "Tiling".
    assert [(s["title"], s["entry_id"] is not None) for s in form.answers["skills"]] == [
        ("Teamwork", True), ("Tiling", False)]
    page = client.get(path, headers=HTML)
    assert "Pokhara" in _text(page)
    fields = _fields(page.get_data(as_text=True))
    done = client.post(path, headers=HTML, data={**fields, "action": "complete"})
    assert done.status_code == 200
    db_session.refresh(form)
    card = db_session.scalars(select(SkillCard).where(SkillCard.form_id == form.id)).one()
    assert card.number in _text(done) and f"/cards/{card.public_id}" in done.get_data(as_text=True)
    assert (form.status, form.completed_via, form.completed_by) == ("completed", "self_link", None)
    assert card.issued_by is None
    completed = db_session.scalars(select(AuditEvent).where(
        AuditEvent.action == "skillcards:skill_form:complete")).one()
    assert completed.actor_id is None and completed.details == {"participant_id": p.id,
                                                                "via": "self_link"}
    used = client.get(path, headers=HTML)
    assert used.status_code == 410 and "This link no longer works" in _text(used)
    assert client.post(path, headers=HTML, data={**fields, "action": "complete"}).status_code \
        == 410


def test_a_caseworker_change_meanwhile_is_not_overwritten(client, factory, kit, linked,
                                                          db_session):
    p, form, path = linked
    fields = _fields(client.get(path, headers=HTML).get_data(as_text=True))
    assert client.patch(f"/api/v1/participants/{p.id}/skill-form", headers=factory.headers(
        kit.caseworker), json={"version": 1, "answers": {"sector": "Care"}}).status_code == 200
    resp = client.post(path, headers=HTML, data={**fields, "preferred_location": "Butwal",
                                                 "action": "save"})
    assert resp.status_code == 409 and _fields(resp.get_data(as_text=True))["version"] == "2"
    assert _fields(resp.get_data(as_text=True))["preferred_location"] == "Butwal"
    db_session.refresh(form)
    assert form.answers["sector"] == "Care" and form.answers["preferred_location"] is None


def test_expired_replaced_and_unknown_links(app, client, factory, kit, linked, db_session):
    p, form, path = linked
    newer = client.post(f"/api/v1/participants/{p.id}/skill-form/link",
                        headers=factory.headers(kit.caseworker)).get_json()["url"]
    assert client.get(path, headers=HTML).status_code == 410  # replaced
    new_path = urlsplit(newer).path
    assert client.get(new_path, headers=HTML).status_code == 200
    db_session.execute(sa.update(SkillForm).where(SkillForm.id == form.id).values(
        link_expires_at=utcnow() - timedelta(seconds=1)))
    assert client.get(new_path, headers=HTML).status_code == 410  # expired
    for unknown in ("nope", new_path.rsplit("/", 1)[1][:-3] + "abc", "x" * 400):
        resp = client.get(f"/skill-form/{unknown}", headers=HTML)
        assert resp.status_code == 404 and resp.mimetype == "text/html"


def test_a_link_for_a_form_of_another_cycle_or_participant_needs_its_own_form(app, client,
                                                                              factory, kit,
                                                                              db_session):
    p = kit.participant(Stage.RETURN)
    form_for(app, db_session, kit.caseworker, p)
    h = factory.headers(kit.other_supervisor)
    assert client.post(f"/api/v1/participants/{p.id}/skill-form/link", headers=h).status_code \
        == 404
    q = kit.participant(Stage.STAY)
    missing = client.post(f"/api/v1/participants/{q.id}/skill-form/link",
                          headers=factory.headers(kit.caseworker))
    assert missing.status_code == 404 and missing.get_json()["code"] == "no-skill-form"
