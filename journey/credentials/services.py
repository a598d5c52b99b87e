"""Issue, verify and revoke credentials. Services never commit.

A credential is a VC-JWT (Open Badges 3.0 §8.2, "JSON Web Token Proof Format"): the JOSE header
is {alg: EdDSA, kid, typ: JWT}; the payload is the credential's JSON itself plus the registered
claims iss (issuer.id), jti (id), nbf (validFrom), exp (validUntil) and sub
(credentialSubject.id). The header's kid is a URL that dereferences to the key: the JWKS address
with the key's RFC 7638 thumbprint as fragment; signing_keys and the JWKS use the bare thumbprint.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from flask import current_app
from sqlalchemy.orm import Session
from sqlmodel import select

from journey.core import audit
from journey.core.auth import User
from journey.core.db import load_owned, utcnow
from journey.core.errors import Conflict, InvalidInput, NotFound
from journey.core.i18n import _, normalise_language
from journey.core.policy import require
from journey.credentials import builder, keys
from journey.credentials.models import Credential, Scope, SigningKey
from journey.organisations.models import Office
from journey.participants.models import Participant
from journey.passports.models import EntryKind, PassportEntry
from journey.passports.services import current_entries

logger = logging.getLogger(__name__)

ENTRY_KINDS = (EntryKind.QUALIFICATION.value, EntryKind.SKILL.value)
ALGORITHM = "EdDSA"
_HEADER_KEYS = frozenset({"alg", "kid", "typ"})
_CLOCK_SKEW = timedelta(minutes=5)


# --- issuing -----------------------------------------------------------------------------------

def _facts(sess: Session, entries: list[PassportEntry]) -> list[builder.EntryFacts]:
    verifier_ids = {e.verified_by for e in entries if e.verified_by is not None}
    names = dict(sess.execute(select(User.id, User.full_name).where(User.id.in_(verifier_ids)))
                 .all()) if verifier_ids else {}
    return [builder.EntryFacts(
        id=e.id, version=e.version, kind=e.kind, title=e.title, esco_uri=e.esco_uri,
        isco_code=e.isco_code, country=e.country, start_date=e.start_date, end_date=e.end_date,
        acquired_abroad=e.acquired_abroad, verification=e.verification,
        verified_by=names.get(e.verified_by), verified_at=e.verified_at,
        details=e.details if isinstance(e.details, dict) else {},
    ) for e in entries]


def _entry(sess: Session, participant: Participant, entry_id: int | None) -> PassportEntry:
    def refuse(code: str, message: str) -> InvalidInput:
        return InvalidInput(errors=[{"field": "entry_id", "code": code, "message": message}])

    if entry_id is None:
        raise refuse("required", _("A single-entry credential names its entry."))
    entry = sess.get(PassportEntry, entry_id)
    if entry is None or entry.participant_id != participant.id or entry.retired_at is not None:
        raise refuse("not-found", _("No such current entry in this participant's passport."))
    if entry.kind not in ENTRY_KINDS:
        raise refuse("not-allowed", _("Only a qualification or a skill can be issued on its own."))
    return entry


def _card_entries(sess: Session, participant_id: int,
                  answers: Mapping[str, Any]) -> list[PassportEntry]:
    ids = []
    for key in ("skills", "certifications"):
        for item in answers.get(key) or []:
            if isinstance(item, Mapping) and isinstance(item.get("entry_id"), int) \
                    and not isinstance(item.get("entry_id"), bool):
                ids.append(item["entry_id"])
    entries = current_entries(sess, participant_id, ids=ids) if ids else []
    return sorted(entries, key=lambda e: (e.kind, e.id))


@dataclass(frozen=True)
class CardFacts:
    """What a "skill_card" credential states: the card's number and the returnee's answers.

    The caller (the skill card) hands these over; credentials never reads another domain's tables.
    """

    number: str
    answers: Mapping[str, Any]


def issue(sess: Session, actor: User | None, participant: Participant, scope: Scope | str, *,
          entry_id: int | None = None, card: CardFacts | None = None, now: datetime | None = None,
          valid_for: timedelta | None = None) -> Credential:
    """Build, sign and record a credential for the participant.

    scope "passport": every current entry (409 when there is none); "entry": entry_id, a current
    qualification or skill of this participant (422 otherwise); "skill_card": card, the number and
    answers of the card being issued.
    actor None means the returnee completed their own form (no staff member issued it). now and
    valid_for exist for tests and benchmarks; by default the credential is valid from now for
    CREDENTIAL_VALID_DAYS.
    """
    if actor is not None:
        require(actor, "credentials:issue")
    scope = Scope(scope)
    cfg = current_app.config
    now = (now or utcnow()).astimezone(UTC).replace(microsecond=0)
    valid_for = valid_for if valid_for is not None else timedelta(days=cfg["CREDENTIAL_VALID_DAYS"])
    base = cfg["PUBLIC_BASE_URL"]
    language = normalise_language(participant.language) or "en"
    office = sess.get(Office, participant.office_id)
    subject = builder.Subject(
        base_url=base, subject_id=builder.subject_id(base, participant.id),
        name=f"{participant.given_name} {participant.family_name}".strip(), language=language,
        office_id=office.id, office_name=office.name, office_country=office.country,
        valid_from=now, valid_until=now + valid_for)
    credential_uuid = str(uuid.uuid4())
    entry = None
    if scope == Scope.PASSPORT:
        # Evidence is listed by kind name, then id, as credentials have always listed it.
        entries = sorted(current_entries(sess, participant.id), key=lambda e: (e.kind, e.id))
        if not entries:
            raise Conflict(_("The passport has no entries to put in a credential."),
                           code="passport-empty")
        doc = builder.passport_credential(subject, credential_uuid, _facts(sess, entries))
    elif scope == Scope.ENTRY:
        entry = _entry(sess, participant, entry_id)
        doc = builder.entry_credential(subject, credential_uuid, _facts(sess, [entry])[0])
    else:
        if card is None:
            raise ValueError("a skill-card credential needs the card's facts")
        answers = card.answers if isinstance(card.answers, Mapping) else {}
        doc = builder.skill_card_credential(
            subject, credential_uuid, card.number, answers,
            _facts(sess, _card_entries(sess, participant.id, answers)))

    pair = keys.key_pair()
    keys.register(sess, pair)
    token = sign(doc, pair, base)
    cred = Credential(
        uuid=credential_uuid, participant_id=participant.id, scope=scope.value,
        entry_id=entry.id if entry else None, entry_version=entry.version if entry else None,
        kid=pair.kid, language=language, token=token, issued_by=actor.id if actor else None,
        issued_at=now, valid_until=subject.valid_until)
    sess.add(cred)
    sess.flush()
    audit.record(sess, "credentials:credential:issue", actor_id=actor.id if actor else None,
                 object_type="credential", object_id=cred.id, office_id=participant.office_id,
                 participant_id=participant.id, scope=scope.value, entry_id=cred.entry_id,
                 kid=pair.kid)
    logger.info("issued credential %s scope=%s participant=%s", cred.id, scope.value,
                participant.id)
    return cred


def key_url(base_url: str, kid: str) -> str:
    return f"{base_url}/.well-known/jwks.json#{kid}"


def claims(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The registered JWT claims Open Badges 3.0 derives from the credential."""
    issuer = doc["issuer"]
    out = {
        "iss": issuer["id"] if isinstance(issuer, Mapping) else issuer,
        "jti": doc["id"],
        "nbf": _epoch(doc["validFrom"]),
        "sub": doc["credentialSubject"]["id"],
    }
    if "validUntil" in doc:
        out["exp"] = _epoch(doc["validUntil"])
    return out


def sign(doc: dict[str, Any], pair: keys.KeyPair, base_url: str) -> str:
    """The credential as a compact JWS (VC-JWT)."""
    return jwt.encode({**doc, **claims(doc)}, pair.private, algorithm=ALGORITHM,
                      headers={"kid": key_url(base_url, pair.kid), "typ": "JWT"})


def _epoch(text: str) -> int:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("timestamp without a time zone")
    return int(moment.timestamp())


def document(cred: Credential) -> dict[str, Any]:
    """The credential JSON of a token we issued (its registered JWT claims left out)."""
    payload = jwt.decode(cred.token, options={"verify_signature": False})
    return {k: v for k, v in payload.items() if k not in ("iss", "jti", "nbf", "exp", "sub")}


# --- reading and revoking ----------------------------------------------------------------------

def list_for(sess: Session, participant_id: int) -> list[Credential]:
    return list(sess.scalars(select(Credential).where(Credential.participant_id == participant_id)
                             .order_by(Credential.issued_at.desc(), Credential.id.desc())))


def get_for(sess: Session, participant_id: int, credential_id: int) -> Credential:
    return load_owned(sess, Credential, credential_id, participant_id, _("No such credential."))


def read_list(sess: Session, actor: User, participant: Participant) -> list[Credential]:
    """The participant's credentials, newest first; the read is audited."""
    require(actor, "credentials:read")
    creds = list_for(sess, participant.id)
    audit.record(sess, "credentials:credential:list", actor_id=actor.id,
                 object_type="participant", object_id=participant.id,
                 office_id=participant.office_id)
    return creds


def read_one(sess: Session, actor: User, participant: Participant,
             credential_id: int) -> Credential:
    """One of the participant's credentials (404 for another's); the read is audited."""
    require(actor, "credentials:read")
    cred = get_for(sess, participant.id, credential_id)
    audit.record(sess, "credentials:credential:read", actor_id=actor.id, object_type="credential",
                 object_id=cred.id, office_id=participant.office_id,
                 participant_id=participant.id)
    return cred


def revoke(sess: Session, actor: User, participant: Participant, cred: Credential, *,
           reason: str, now: datetime | None = None) -> Credential:
    """Revoke at once; verification answers "revoked" from then on."""
    require(actor, "credentials:revoke")
    if cred.revoked_at is not None:
        raise Conflict(_("This credential is already revoked."), code="already-revoked")
    cred.revoked_at = now or utcnow()
    cred.revoked_by = actor.id
    cred.revocation_reason = reason
    sess.flush()
    audit.record(sess, "credentials:credential:revoke", actor_id=actor.id,
                 object_type="credential", object_id=cred.id, office_id=participant.office_id,
                 participant_id=participant.id)
    return cred


def by_uuid(sess: Session, credential_uuid: str) -> Credential | None:
    try:
        credential_uuid = str(uuid.UUID(credential_uuid))
    except (ValueError, TypeError, AttributeError):
        return None
    return sess.scalar(select(Credential).where(Credential.uuid == credential_uuid))


# --- verifying ---------------------------------------------------------------------------------

class Status:
    VALID = "valid"
    REVOKED = "revoked"
    EXPIRED = "expired"
    TAMPERED = "tampered"  # bad signature, malformed token, inconsistent claims, unknown key
    UNKNOWN = "unknown"  # genuine signature, but no such credential here


@dataclass
class Result:
    status: str
    reason: str | None = None  # why it is not valid, as a code
    credential: Credential | None = None
    document: dict[str, Any] = field(default_factory=dict)  # the credential JSON (verified only)

    @property
    def id(self) -> str | None:
        return self.document.get("id")

    @property
    def issuer(self) -> dict[str, Any] | None:
        issuer = self.document.get("issuer")
        return issuer if isinstance(issuer, dict) else ({"id": issuer} if issuer else None)

    @property
    def valid_from(self) -> str | None:
        return self.document.get("validFrom")

    @property
    def valid_until(self) -> str | None:
        return self.document.get("validUntil")

    @property
    def revoked_at(self) -> datetime | None:
        return self.credential.revoked_at if self.credential else None

    @property
    def name(self) -> str | None:
        return self.document.get("name")

    @property
    def achievement(self) -> dict[str, Any]:
        subject = self.document.get("credentialSubject")
        achievement = subject.get("achievement") if isinstance(subject, dict) else None
        return achievement if isinstance(achievement, dict) else {}


_public_keys: dict[str, Ed25519PublicKey] = {}


def public_key(sess: Session, kid: str) -> Ed25519PublicKey | None:
    """The registered key with this thumbprint. A kid names its key material, so keys found are
    cached; misses are not (a key may be registered later)."""
    found = _public_keys.get(kid)
    if found is not None:
        return found
    row = sess.get(SigningKey, kid)
    if row is None:
        return None
    try:
        if keys.thumbprint(row.public_jwk) != kid:
            return None
        found = keys.public_key_from_jwk(row.public_jwk)
    except (KeyError, TypeError, ValueError):
        return None
    _public_keys[kid] = found
    return found


def _canonical_b64(segment: str) -> bool:
    """Whether a base64url segment is the one encoding of its bytes: spare bits in the last
    character, or stray characters the decoder skips, would let a changed token still verify."""
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError):
        return False
    return keys.b64url(raw) == segment


def verify(sess: Session, token: str, *, now: datetime | None = None) -> Result:
    """Check a VC-JWT: signature (by the key its kid names), claims, expiry, then revocation."""
    def tampered(reason: str) -> Result:
        return Result(Status.TAMPERED, reason)

    if not isinstance(token, str):
        return tampered("malformed")
    token = token.strip()
    parts = token.split(".")
    if len(parts) != 3 or not all(parts) or not all(_canonical_b64(p) for p in parts):
        return tampered("malformed")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        return tampered("malformed")
    kid = header.get("kid")
    if header.get("alg") != ALGORITHM or not set(header) <= _HEADER_KEYS \
            or header.get("typ", "JWT") != "JWT" or not isinstance(kid, str):
        return tampered("unsupported-header")
    key = public_key(sess, kid.rsplit("#", 1)[-1])
    if key is None:
        return tampered("unknown-key")
    try:
        payload = jwt.decode(token, key, algorithms=[ALGORITHM], options={
            "verify_exp": False, "verify_nbf": False, "verify_iat": False, "verify_aud": False,
            "verify_iss": False, "require": ["iss", "jti", "nbf", "sub"]})
    except jwt.InvalidSignatureError:
        return tampered("bad-signature")
    except jwt.PyJWTError:
        return tampered("malformed")
    doc = {k: v for k, v in payload.items() if k not in ("iss", "jti", "nbf", "exp", "sub")}
    try:
        expected = claims(doc)
    except (KeyError, TypeError, ValueError, AttributeError, OverflowError):
        return tampered("claims-mismatch")
    if {k: payload.get(k) for k in ("iss", "jti", "nbf", "sub", "exp")} != \
            {k: expected.get(k) for k in ("iss", "jti", "nbf", "sub", "exp")}:
        return tampered("claims-mismatch")

    jti = str(doc.get("id", ""))
    cred = by_uuid(sess, jti.removeprefix("urn:uuid:")) if jti.startswith("urn:uuid:") else None
    if cred is None:
        return Result(Status.UNKNOWN, "not-issued-here", document=doc)
    # What we signed is what we stored: any difference is a changed token, whatever the library
    # made of it.
    if not hmac.compare_digest(cred.token.encode(), token.encode()):
        return tampered("not-as-issued")
    result = Result(Status.VALID, credential=cred, document=doc)
    now = now or utcnow()
    if expected["nbf"] > (now + _CLOCK_SKEW).timestamp():
        result.status, result.reason = Status.TAMPERED, "not-yet-valid"
    elif "exp" in expected and now.timestamp() >= expected["exp"]:
        result.status, result.reason = Status.EXPIRED, "expired"
    elif cred.revoked_at is not None:
        result.status, result.reason = Status.REVOKED, "revoked"
    return result


def audit_view(sess: Session, result: Result, *, via: str) -> None:
    """Record a public verification of a credential issued here (ids only, no actor)."""
    cred = result.credential
    if cred is None:
        return
    office_id = sess.scalar(sa.select(Participant.office_id)
                            .where(Participant.id == cred.participant_id))
    audit.record(sess, "credentials:credential:verify_view", actor_id=None,
                 object_type="credential", object_id=cred.id, office_id=office_id,
                 participant_id=cred.participant_id, status=result.status, via=via)


# --- what is published ---------------------------------------------------------------------------

def jwks(sess: Session) -> dict[str, Any]:
    """Every public key credentials were ever signed with (rotated ones too)."""
    rows = sess.scalars(select(SigningKey).order_by(SigningKey.created_at, SigningKey.kid))
    return {"keys": [{**row.public_jwk, "kid": row.kid} for row in rows]}


def issuer_document(sess: Session, office_id: int) -> dict[str, Any]:
    office = sess.get(Office, office_id)
    if office is None:
        raise NotFound(_("No such issuer."))
    base = current_app.config["PUBLIC_BASE_URL"]
    return {"@context": [builder.VC_CONTEXT, builder.OB_CONTEXT],
            **builder.issuer_profile(base, office.id, office.name, office.country)}


def status_document(cred: Credential) -> dict[str, Any]:
    """The revocation status of one credential: its id, whether it is revoked, and when.
    No reason: that is free text written by staff."""
    urn = f"urn:uuid:{cred.uuid}"
    return {"id": urn, "revoked": cred.revoked_at is not None, "revoked_at": cred.revoked_at,
            "revokedCredentials": [{"id": urn}] if cred.revoked_at is not None else []}
