"""Verification: valid, revoked, expired, tampered (any one character changed), unknown."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from journey.core.db import utcnow
from journey.credentials import keys, services


@pytest.fixture
def issued(app, factory, db_session, passports):
    cw = factory.user("caseworker")
    p = factory.participant(cw)
    passports.full(p, cw)
    with app.test_request_context():
        return services.issue(db_session, cw, p, "passport")


def _verify(app, db_session, token, **kw):
    with app.test_request_context():
        return services.verify(db_session, token, **kw)


def _swap(token: str, i: int) -> str:
    """The token with the character at i replaced by another base64url character."""
    c = token[i]
    new = "B" if c == "A" else "A"
    return token[:i] + new + token[i + 1:]


def test_issued_credential_is_valid(app, db_session, issued):
    result = _verify(app, db_session, issued.token)
    assert result.status == "valid" and result.reason is None
    assert result.id == f"urn:uuid:{issued.uuid}"
    assert result.issuer["name"].startswith("Office")
    assert result.valid_from and result.valid_until and result.revoked_at is None


def test_one_changed_character_anywhere_is_tampered(app, db_session, issued):
    token = issued.token
    head, payload, sig = token.split(".")
    positions = {
        "header start": 0, "header middle": len(head) // 2, "header end": len(head) - 1,
        "payload start": len(head) + 1, "payload middle": len(head) + 1 + len(payload) // 2,
        "payload end": len(head) + len(payload),
        "signature start": len(head) + len(payload) + 2,
        "signature middle": len(token) - len(sig) // 2,
        # Its last character carries spare bits: a change there may decode to the same bytes.
        "signature end": len(token) - 1,
    }
    for where, i in positions.items():
        result = _verify(app, db_session, _swap(token, i))
        assert result.status == "tampered", where
    for i in (len(head), len(head) + len(payload) + 1):  # the dots
        assert _verify(app, db_session, token[:i] + "x" + token[i + 1:]).status == "tampered"


def test_every_position_of_the_signature_and_header_is_checked(app, db_session, issued):
    token = issued.token
    head, _payload, sig = token.split(".")
    for i in [*range(len(head)), *range(len(token) - len(sig), len(token))]:
        assert _verify(app, db_session, _swap(token, i)).status == "tampered", i


def test_a_re_signed_change_with_another_key_is_tampered(app, db_session, issued):
    payload = jwt.decode(issued.token, options={"verify_signature": False})
    payload["name"] = "Something grander"
    header = jwt.get_unverified_header(issued.token)
    forged = jwt.encode(payload, Ed25519PrivateKey.generate(), algorithm="EdDSA",
                        headers={"kid": header["kid"], "typ": "JWT"})
    assert _verify(app, db_session, forged).status == "tampered"


def test_unknown_kid_is_tampered(app, db_session, issued):
    other = Ed25519PrivateKey.generate()
    payload = jwt.decode(issued.token, options={"verify_signature": False})
    token = jwt.encode(payload, other, algorithm="EdDSA",
                       headers={"kid": keys.public_jwk(other.public_key())["kid"]})
    result = _verify(app, db_session, token)
    assert (result.status, result.reason) == ("tampered", "unknown-key")


def test_claims_must_match_the_credential(app, db_session, issued):
    """Signed with our key, but iss no longer the issuer's id: not a valid credential."""
    pair = keys.key_pair(app)
    payload = jwt.decode(issued.token, options={"verify_signature": False})
    payload["iss"] = "https://elsewhere.example/issuers/1"
    token = jwt.encode(payload, pair.private, algorithm="EdDSA",
                       headers={"kid": pair.kid, "typ": "JWT"})
    assert _verify(app, db_session, token).reason == "claims-mismatch"


def test_genuine_but_not_issued_here_is_unknown(app, db_session, issued):
    pair = keys.key_pair(app)
    payload = jwt.decode(issued.token, options={"verify_signature": False})
    payload["id"] = payload["jti"] = "urn:uuid:00000000-0000-4000-8000-000000000000"
    token = jwt.encode(payload, pair.private, algorithm="EdDSA", headers={"kid": pair.kid})
    assert _verify(app, db_session, token).status == "unknown"


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "....", "é.é.é", "eyJ9.eyJ9.AA",
                                     "x" * 5000, None, 12])
def test_garbage_is_tampered_never_an_error(app, db_session, garbage):
    assert _verify(app, db_session, garbage).status == "tampered"


def test_alg_none_and_other_algorithms_are_refused(app, db_session, issued):
    payload = jwt.decode(issued.token, options={"verify_signature": False})
    unsigned = jwt.encode(payload, None, algorithm="none")
    hs = jwt.encode(payload, "secret-secret-secret-secret-secret", algorithm="HS256",
                    headers={"kid": issued.kid})
    for token in (unsigned, hs):
        assert _verify(app, db_session, token).status == "tampered"


def test_extra_header_members_are_refused(app, db_session, issued):
    head, payload, sig = issued.token.split(".")
    header = json.loads(base64.urlsafe_b64decode(head + "=="))
    header["crit"] = ["x"]
    new_head = keys.b64url(json.dumps(header).encode())
    assert _verify(app, db_session, f"{new_head}.{payload}.{sig}").status == "tampered"


def test_revoked_is_revoked(app, factory, db_session, issued):
    from journey.participants.models import Participant

    supervisor = factory.user("supervisor")
    p = db_session.get(Participant, issued.participant_id)
    with app.test_request_context():
        services.revoke(db_session, supervisor, p, issued, reason="Issued in error")
    result = _verify(app, db_session, issued.token)
    assert result.status == "revoked" and result.revoked_at is not None


def test_expired_is_expired(app, factory, db_session, passports):
    cw = factory.user("caseworker")
    p = factory.participant(cw)
    passports.entry(p)
    with app.test_request_context():
        cred = services.issue(db_session, cw, p, "passport", now=utcnow() - timedelta(days=10),
                              valid_for=timedelta(days=3))
    assert _verify(app, db_session, cred.token).status == "expired"
    # Valid at a moment within its validity.
    assert _verify(app, db_session, cred.token, now=utcnow() - timedelta(days=9)).status == "valid"


def test_old_keys_still_verify_after_rotation(app, factory, db_session, passports, tmp_path,
                                              monkeypatch):
    cw = factory.user("caseworker")
    p = factory.participant(cw)
    passports.entry(p)
    with app.test_request_context():
        old = services.issue(db_session, cw, p, "passport")
    monkeypatch.setitem(app.config, "CREDENTIAL_KEY_FILE", str(tmp_path / "rotated.pem"))
    with app.test_request_context():
        new = services.issue(db_session, cw, p, "passport")
        published = {k["kid"] for k in services.jwks(db_session)["keys"]}
    assert new.kid != old.kid and {old.kid, new.kid} <= published
    assert _verify(app, db_session, old.token).status == "valid"
    assert _verify(app, db_session, new.token).status == "valid"
    from journey.credentials.models import SigningKey
    assert db_session.get(SigningKey, old.kid).retired_at is not None
    assert db_session.get(SigningKey, new.kid).retired_at is None
