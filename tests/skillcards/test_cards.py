"""Skill cards: numbers with a check digit, the QR code, the printable page, the public check,
listing and revoking."""

from __future__ import annotations

import re
from html import unescape

import segno
from sqlmodel import select

from journey.continuum.stages import Stage
from journey.core.audit import AuditEvent
from journey.core.db import utcnow
from journey.credentials import services as credentials
from journey.credentials.models import Credential, Scope
from journey.passports.models import Passport
from journey.skillcards import services
from tests.factories import PASSWORD
from tests.skillcards.conftest import HTML
from tests.skillcards.helpers import card_for

_TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def _text(resp) -> str:
    return re.sub(r"\s+", " ", unescape(resp.get_data(as_text=True)))


def _log_in(client, user):
    page = client.get("/login", headers=HTML).get_data(as_text=True)
    token = _TOKEN_RE.search(page).group(1)
    resp = client.post("/login", data={"username": user.username, "password": PASSWORD,
                                       "csrf_token": token}, headers=HTML)
    assert resp.status_code == 303


# --- numbers -------------------------------------------------------------------------------------

def test_card_numbers_carry_a_damm_check_digit():
    number = services.card_number(2026, 42)
    assert re.fullmatch(r"SC-2026-000042-\d", number) and services.valid_card_number(number)
    assert services.damm("572") == 4  # the textbook example
    digits = number.replace("SC-", "").replace("-", "")
    for i in range(len(digits)):
        for d in "0123456789":
            if d != digits[i]:  # every single-digit typo is caught
                typo = digits[:i] + d + digits[i + 1:]
                assert not services.valid_card_number(f"SC-{typo[:4]}-{typo[4:10]}-{typo[10]}")
    for i in range(len(digits) - 1):  # and every swap of two different neighbours
        if digits[i] != digits[i + 1]:
            swap = digits[:i] + digits[i + 1] + digits[i] + digits[i + 2:]
            assert not services.valid_card_number(f"SC-{swap[:4]}-{swap[4:10]}-{swap[10]}")
    assert not services.valid_card_number("SC-2026-42-1")
    assert not services.valid_card_number("XX-2026-000042-1")


def test_an_issued_card_has_a_valid_unique_number_and_an_unguessable_id(app, kit, db_session):
    cards = [card_for(app, db_session, kit.caseworker, kit.participant(Stage.RETURN))
             for _ in range(3)]
    assert all(services.valid_card_number(c.number) for c in cards)
    assert all(c.number.startswith(f"SC-{utcnow().year}-") for c in cards)
    assert len({c.number for c in cards}) == 3 and len({c.public_id for c in cards}) == 3
    assert all(len(c.public_id) == 32 for c in cards)


# --- the printable card --------------------------------------------------------------------------

def test_printable_card_is_bilingual_with_a_qr_code_of_the_verification_url(app, client, kit,
                                                                             db_session):
    p = kit.participant(Stage.STAY, language="fr")
    kit.passport(p)
    kit.move(p, "prepare_return")
    card = card_for(app, db_session, kit.caseworker, p)
    _log_in(client, kit.caseworker)
    resp = client.get(f"/participants/{p.id}/skill-card", headers=HTML)
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert '<article class="skill-card" lang="fr"' in html
    # Each label twice: in the participant's language and in English.
    assert '<span lang="fr" dir="ltr">Métier</span> <span lang="en" dir="ltr" class="en">' \
           'Occupation</span>' in html
    for english in ("Card number", "Years of experience abroad", "Skills", "Certifications",
                    "Languages", "Listening", "Available from"):
        assert f'class="en">{english}</span>' in html
    text = _text(resp)
    assert card.number in text and f"{p.given_name} {p.family_name}" in text
    assert "Cook" in text and "Knife skills" in text and "HACCP level 2 — CTEVT" in text
    assert "Hotel Sevilla" in text and "3.5" in text
    # The QR code is the one segno makes for exactly the verification URL.
    url = f"{app.config['PUBLIC_BASE_URL']}/cards/{card.public_id}"
    path = re.search(r'<svg[^>]*class="qr"[^>]*>.*?<path[^>]* d="([^"]+)"', html, re.S).group(1)
    expected = re.search(r' d="([^"]+)"', segno.make_qr(url, error="m").svg_inline()).group(1)
    assert path == expected
    other = re.search(r' d="([^"]+)"', segno.make_qr(url + "x", error="m").svg_inline()).group(1)
    assert path != other
    assert f"<title>{url}</title>" in html
    assert "<script" not in html and "style=" not in html
    assert "script-src 'none'" in resp.headers["Content-Security-Policy"]
    assert db_session.scalar(select(AuditEvent.id).where(
        AuditEvent.action == "skillcards:skill_card:read", AuditEvent.object_id == card.id,
        AuditEvent.actor_id == kit.caseworker.id)) is not None


def test_printable_card_needs_login_the_right_role_and_office(app, client, factory, kit,
                                                              db_session):
    p = kit.participant(Stage.RETURN)
    url = f"/participants/{p.id}/skill-card"
    anonymous = client.get(url, headers=HTML)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    _log_in(client, kit.caseworker)
    none_yet = client.get(url, headers=HTML)
    assert none_yet.status_code == 404 and "No skill card yet" in _text(none_yet)
    card_for(app, db_session, kit.caseworker, p)
    assert client.get(url, headers=HTML).status_code == 200
    client.post("/logout", data={"csrf_token": _TOKEN_RE.search(
        client.get("/participants", headers=HTML).get_data(as_text=True)).group(1)}, headers=HTML)
    _log_in(client, kit.other_supervisor)
    elsewhere = client.get(url, headers=HTML)
    assert elsewhere.status_code == 404 and elsewhere.mimetype == "text/html"
    assert p.family_name not in elsewhere.get_data(as_text=True)


# --- the public check ----------------------------------------------------------------------------

def test_the_public_check_shows_status_and_only_what_was_disclosed(app, client, kit, db_session):
    p = kit.participant(Stage.STAY)
    kit.passport(p)
    kit.move(p, "prepare_return")
    card = card_for(app, db_session, kit.caseworker, p)
    url = f"/cards/{card.public_id}"
    resp = client.get(url, headers=HTML)
    text = _text(resp)
    assert resp.status_code == 200 and 'data-status="valid"' in resp.get_data(as_text=True)
    assert card.number in text and kit.office.name in text
    for hidden in (p.given_name, p.family_name, "Cook", "Knife skills", "Teamwork", "HACCP",
                   "Hotel Sevilla", "Portuguese"):
        assert hidden not in text  # nothing by default
    now = utcnow()
    passport = Passport(participant_id=p.id, disclosure=["name", "skill", "language"],
                        created_at=now, updated_at=now)
    db_session.add(passport)
    db_session.flush()
    text = _text(client.get(url, headers=HTML))
    assert f"{p.given_name} {p.family_name}" in text and "Knife skills" in text
    assert "Portuguese" in text
    for hidden in ("Cook", "Teamwork", "HACCP", "Hotel Sevilla"):  # soft skills not disclosed
        assert hidden not in text
    views = db_session.scalars(select(AuditEvent).where(
        AuditEvent.action == "skillcards:skill_card:verify",
        AuditEvent.object_id == card.id)).all()
    assert len(views) == 2 and all(v.actor_id is None for v in views)
    assert views[0].details == {"participant_id": p.id, "revoked": False}


def test_the_public_check_of_an_unknown_or_revoked_card(app, client, factory, kit, db_session):
    assert client.get("/cards/nope", headers=HTML).status_code == 404
    assert client.get("/cards/" + "x" * 200, headers=HTML).status_code == 404
    p = kit.participant(Stage.RETURN)
    card = card_for(app, db_session, kit.caseworker, p)
    resp = client.post(f"/api/v1/participants/{p.id}/skill-cards/{card.id}/revoke",
                       headers=factory.headers(kit.supervisor), json={"reason": "Issued in error"})
    assert resp.status_code == 200 and resp.get_json()["revoked_at"]
    page = client.get(f"/cards/{card.public_id}", headers=HTML)
    assert page.status_code == 200 and 'data-status="revoked"' in page.get_data(as_text=True)
    assert "Issued in error" not in _text(page)


# --- listing and revoking ------------------------------------------------------------------------

def test_listing_cards_is_audited(app, client, factory, kit, db_session):
    p = kit.participant(Stage.RETURN)
    card = card_for(app, db_session, kit.caseworker, p)
    resp = client.get(f"/api/v1/participants/{p.id}/skill-cards",
                      headers=factory.headers(kit.caseworker))
    assert resp.status_code == 200
    assert [(c["id"], c["number"]) for c in resp.get_json()] == [(card.id, card.number)]
    assert db_session.scalar(select(AuditEvent.details).where(
        AuditEvent.action == "skillcards:skill_card:list")) == {"count": 1}


def test_revoking_needs_the_permission_the_office_and_a_reason(app, client, factory, kit,
                                                               db_session):
    p = kit.participant(Stage.RETURN)
    card = card_for(app, db_session, kit.caseworker, p)
    url = f"/api/v1/participants/{p.id}/skill-cards/{card.id}/revoke"
    body = {"reason": "Details were wrong"}
    assert client.post(url, headers=factory.headers(kit.caseworker), json=body).status_code == 403
    assert client.post(url, headers=factory.headers(kit.other_supervisor),
                       json=body).status_code == 404
    blank = client.post(url, headers=factory.headers(kit.supervisor), json={"reason": " "})
    assert blank.status_code == 422 and blank.get_json()["errors"][0]["field"] == "reason"
    other = card_for(app, db_session, kit.caseworker, kit.participant(Stage.RETURN))
    wrong_card = client.post(f"/api/v1/participants/{p.id}/skill-cards/{other.id}/revoke",
                             headers=factory.headers(kit.supervisor), json=body)
    assert wrong_card.status_code == 404
    ok = client.post(url, headers=factory.headers(kit.supervisor), json=body)
    assert ok.status_code == 200 and ok.get_json()["revocation_reason"] == "Details were wrong"
    again = client.post(url, headers=factory.headers(kit.admin), json=body)
    assert again.status_code == 409 and again.get_json()["code"] == "card-revoked"


# --- the card's credential ---------------------------------------------------------------------

def test_a_card_comes_with_a_signed_credential_that_dies_with_it(app, kit, db_session):
    participant = kit.participant(Stage.RETURN)
    card = card_for(app, db_session, kit.caseworker, participant)
    cred = db_session.get(Credential, card.credential_id)
    assert cred is not None and cred.scope == Scope.SKILL_CARD and cred.participant_id == participant.id
    with app.test_request_context():
        result = credentials.verify(db_session, cred.token)
        assert result.status == "valid"
        assert card.number in result.achievement["name"]
        services.revoke_card(db_session, kit.supervisor, participant, card, reason="Issued in error")
        assert credentials.verify(db_session, cred.token).status == "revoked"
