"""Building and signing credentials: the official schema, the VC-JWT shape, the scopes and both
languages."""

from __future__ import annotations

import jwt
import pytest

from journey.core.db import utcnow
from journey.core.errors import Conflict, InvalidInput
from journey.credentials import builder, services
from journey.credentials.models import Credential, SigningKey
from journey.skillcards.models import SkillForm


def _issue(app, db_session, actor, participant, scope="passport", **kw):
    with app.test_request_context():
        return services.issue(db_session, actor, participant, scope, **kw)


def _card(db_session, card) -> services.CardFacts:
    """What the skill card hands credentials: its number and its form's answers."""
    return services.CardFacts(number=card.number,
                              answers=db_session.get(SkillForm, card.form_id).answers)


def _payload(cred: Credential) -> dict:
    return jwt.decode(cred.token, options={"verify_signature": False})


def _credential_part(cred: Credential) -> dict:
    return {k: v for k, v in _payload(cred).items() if k not in ("iss", "jti", "nbf", "exp", "sub")}


def test_passport_credential_validates_against_the_official_schema(
        app, factory, db_session, passports, ob_validator):
    cw = factory.user("caseworker")
    p = factory.participant(cw)
    entries = passports.full(p, cw)
    cred = _issue(app, db_session, cw, p)
    doc = _credential_part(cred)

    errors = sorted(ob_validator.iter_errors(doc), key=lambda e: e.path)
    assert errors == [], [f"{list(e.path)}: {e.message}" for e in errors]
    assert doc["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert doc["@context"][:2] == ["https://www.w3.org/ns/credentials/v2",
                                   "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
    assert doc["id"] == f"urn:uuid:{cred.uuid}"
    assert doc["issuer"]["id"].endswith(f"/issuers/{p.office_id}")
    assert doc["credentialStatus"] == {
        "id": f"{app.config['PUBLIC_BASE_URL']}/api/v1/credentials/{cred.uuid}/status",
        "type": "1EdTechRevocationList"}
    # Every current entry is evidence, with its level; the verified one names who and when.
    assert [e["name"] for e in doc["evidence"]] == sorted(
        (e.title for e in entries), key=lambda t: next(x.kind for x in entries if x.title == t))
    hygiene = next(e for e in doc["evidence"] if e["name"] == "Food hygiene certificate")
    assert cw.full_name in hygiene["narrative"] and "Assessed" in hygiene["narrative"]
    assert "CTEVT" in hygiene["description"]
    barista = next(e for e in doc["evidence"] if e["name"] == "Barista course")
    assert "abroad" in barista["narrative"]
    # Occupations align to ESCO and ISCO-08; ESCO skills as competencies.
    aligned = {(a["targetFramework"], a.get("targetCode"), a.get("targetType"))
               for a in doc["credentialSubject"]["achievement"]["alignment"]}
    assert ("ISCO-08", "5120", "ext:Occupation") in aligned
    assert ("ESCO", "90f75f67-495d-49fa-ab57-2f320e251d7e", "ext:Occupation") in aligned
    assert any(t == "ceasn:Competency" for _f, _c, t in aligned)
    # The holder is named (an IdentityObject), and identified by a URN without personal data.
    subject = doc["credentialSubject"]
    assert subject["identifier"][0]["identityHash"] == f"{p.given_name} {p.family_name}"
    assert subject["id"] == builder.subject_id(app.config["PUBLIC_BASE_URL"], p.id)
    assert p.reference not in cred.token and p.phone not in cred.token


def test_jwt_carries_the_registered_claims_open_badges_requires(app, factory, db_session, passports):
    cw = factory.user("caseworker")
    p = factory.participant(cw)
    passports.entry(p)
    cred = _issue(app, db_session, cw, p)
    header = jwt.get_unverified_header(cred.token)
    payload = _payload(cred)

    assert header["alg"] == "EdDSA" and header["typ"] == "JWT"
    assert header["kid"].endswith(f"/.well-known/jwks.json#{cred.kid}")
    assert set(header) == {"alg", "typ", "kid"}
    assert payload["iss"] == payload["issuer"]["id"]
    assert payload["jti"] == payload["id"]
    assert payload["sub"] == payload["credentialSubject"]["id"]
    assert payload["nbf"] == int(cred.issued_at.timestamp())
    assert payload["exp"] == int(cred.valid_until.timestamp())
    assert (cred.valid_until - cred.issued_at).days == app.config["CREDENTIAL_VALID_DAYS"]
    assert db_session.get(SigningKey, cred.kid) is not None
    assert cred.language == "ne" and cred.issued_by == cw.id


def test_text_is_in_english_and_the_participants_language(app, factory, db_session, passports):
    cw = factory.user("caseworker")
    p = factory.participant(cw, language="fr")
    passports.entry(p, verification="certified", verified_by=cw.id, verified_at=utcnow())
    doc = _credential_part(_issue(app, db_session, cw, p))
    achievement = doc["credentialSubject"]["achievement"]

    assert achievement["inLanguage"] == "en"
    assert achievement["name"] == "Skills passport"
    assert set(achievement["localizedName"]) == {"en", "fr"}
    assert set(achievement["localizedDescription"]) == {"en", "fr"}
    assert achievement["localizedName"]["en"] == achievement["name"]
    assert set(doc["localizedName"]) == {"en", "fr"}
    assert set(achievement["criteria"]["localizedNarrative"]) == {"en", "fr"}
    assert all(set(e["localizedNarrative"]) == {"en", "fr"} for e in doc["evidence"])
    # The language maps are defined terms, not stray keys: an inline context declares them.
    inline = doc["@context"][2]
    assert inline["localizedName"]["@container"] == "@language"
    # Fixed texts really are rendered per language: the French verification level.
    from flask_babel import force_locale

    from journey.passports.models import Verification
    with app.test_request_context(), force_locale("fr"):
        french = Verification.CERTIFIED.title
    certified = next(e for e in doc["evidence"] if e["name"] == "Cooking")
    assert certified["localizedNarrative"]["fr"].startswith(french)
    # ...and really translated, not English twice.
    assert french != "Certified"
    assert achievement["localizedName"] == {"en": "Skills passport", "fr": "Passeport de compétences"}


def test_english_speaker_gets_english_only(app, factory, db_session, passports):
    cw = factory.user("caseworker")
    p = factory.participant(cw, language="en")
    passports.entry(p)
    doc = _credential_part(_issue(app, db_session, cw, p))
    assert doc["credentialSubject"]["achievement"]["localizedName"] == {"en": "Skills passport"}


@pytest.mark.parametrize("kind, achievement_type", [("qualification", "Certificate"),
                                                    ("skill", "Competency")])
def test_single_entry_credential(app, factory, db_session, passports, ob_validator, kind,
                                 achievement_type):
    cw = factory.user("caseworker")
    p = factory.participant(cw)
    other = passports.entry(p, "skill", "Something else")
    entry = passports.entry(p, kind, "Food hygiene", details={"level": "EQF 3"})
    cred = _issue(app, db_session, cw, p, "entry", entry_id=entry.id)
    doc = _credential_part(cred)

    assert list(ob_validator.iter_errors(doc)) == []
    achievement = doc["credentialSubject"]["achievement"]
    assert achievement["name"] == "Food hygiene"
    assert achievement["achievementType"] == achievement_type
    assert [e["name"] for e in doc["evidence"]] == ["Food hygiene"]
    assert other.title not in cred.token
    assert (cred.scope, cred.entry_id, cred.entry_version) == ("entry", entry.id, 1)


@pytest.mark.parametrize("kind", ["occupation", "experience", "language", "soft_skill",
                                  "training", "prior_learning"])
def test_single_entry_credential_refused_for_other_kinds(app, factory, db_session, passports,
                                                         kind):
    cw = factory.user("caseworker")
    p = factory.participant(cw)
    entry = passports.entry(p, kind, "Not alone")
    with pytest.raises(InvalidInput) as exc:
        _issue(app, db_session, cw, p, "entry", entry_id=entry.id)
    assert exc.value.errors[0]["code"] == "not-allowed"


def test_entry_of_another_participant_or_retired_is_refused(app, factory, db_session, passports):
    cw = factory.user("caseworker")
    p, q = factory.participant(cw), factory.participant(cw)
    theirs = passports.entry(q, "skill")
    retired = passports.entry(p, "skill", retired_at=theirs.created_at, retired_by=cw.id)
    for entry_id in (theirs.id, retired.id, None):
        with pytest.raises(InvalidInput) as exc:
            _issue(app, db_session, cw, p, "entry", entry_id=entry_id)
        assert exc.value.errors[0]["field"] == "entry_id"


def test_empty_passport_is_a_conflict(app, factory, db_session):
    cw = factory.user("caseworker")
    p = factory.participant(cw)
    with pytest.raises(Conflict) as exc:
        _issue(app, db_session, cw, p)
    assert exc.value.code == "passport-empty"
    assert db_session.query(Credential).filter_by(participant_id=p.id).count() == 0


def test_retired_entries_are_left_out(app, factory, db_session, passports):
    cw = factory.user("caseworker")
    p = factory.participant(cw)
    passports.entry(p, "skill", "Current")
    old = passports.entry(p, "skill", "Old")
    old.retired_at, old.retired_by = old.created_at, cw.id
    db_session.flush()
    doc = _credential_part(_issue(app, db_session, cw, p))
    assert [e["name"] for e in doc["evidence"]] == ["Current"]


def test_skill_card_credential(app, factory, db_session, passports, ob_validator):
    cw = factory.user("caseworker")
    p = factory.participant(cw)
    entries = passports.full(p, cw)
    card = passports.skill_card(p, entries)
    cred = _issue(app, db_session, None, p, "skill_card", card=_card(db_session, card))
    doc = _credential_part(cred)

    assert list(ob_validator.iter_errors(doc)) == []
    achievement = doc["credentialSubject"]["achievement"]
    assert achievement["name"] == "Skill card SC-000123"
    assert achievement["humanCode"] == "SC-000123"
    assert {a["targetFramework"] for a in achievement["alignment"]} == {"ESCO", "ISCO-08"}
    narrative = doc["credentialSubject"]["narrative"]
    assert "Cook" in narrative and "Casa Lisboa, PT" in narrative and "pt (B1/A2/B1/A2)" in narrative
    assert set(doc["credentialSubject"]["localizedNarrative"]) == {"en", "ne"}
    # The form cites one passport entry: it is the evidence, with its verification.
    assert [e["name"] for e in doc["evidence"]] == ["Prepare fish dishes"]
    assert cred.scope == "skill_card" and cred.issued_by is None and cred.entry_id is None


def test_skill_card_tolerates_sparse_answers(app, factory, db_session, passports, ob_validator):
    cw = factory.user("caseworker")
    p = factory.participant(cw)
    card = passports.skill_card(p, [passports.entry(p)], number="SC-9")
    form = db_session.get(SkillForm, card.form_id)
    form.answers = {"occupation": {"title": "Cook"}, "skills": "not a list", "languages": [None]}
    db_session.flush()
    doc = _credential_part(_issue(app, db_session, cw, p, "skill_card", card=_card(db_session, card)))
    assert list(ob_validator.iter_errors(doc)) == []
    assert doc["credentialSubject"]["narrative"] == "- Occupation: Cook"


def test_issuing_is_audited_with_ids_only(app, factory, db_session, passports):
    from journey.core.audit import AuditEvent

    cw = factory.user("caseworker")
    p = factory.participant(cw)
    passports.entry(p)
    cred = _issue(app, db_session, cw, p)
    event = db_session.query(AuditEvent).filter_by(action="credentials:credential:issue",
                                                   object_id=cred.id).one()
    assert event.actor_id == cw.id and event.office_id == p.office_id
    assert event.details["participant_id"] == p.id and event.details["scope"] == "passport"
    assert p.given_name not in str(event.details)
