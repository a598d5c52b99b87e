"""Participant services: register, read, update and search. They never commit."""

from __future__ import annotations

import logging
import secrets
import unicodedata
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session
from sqlmodel import select

from journey.core import audit, crypto
from journey.core.audit_apart import record_before_refusal
from journey.core.auth import User
from journey.core.db import utcnow
from journey.core.errors import InvalidInput, NotFound
from journey.core.i18n import _
from journey.core.pagination import paginate
from journey.core.policy import Role, office_scope, participant_scope, require
from journey.core.schemas import like_pattern
from journey.core.versions import Precondition, bump, check_version
from journey.organisations.models import Office
from journey.participants.assignment import (
    check_assignment,
    default_caseworker,
    record_assignment,
)
from journey.participants.duplicates import answer_duplicate
from journey.participants.models import Participant
from journey.programmes.models import Programme

logger = logging.getLogger(__name__)

# Crockford's base32: no I, L, O or U, so a reference read aloud or over SMS is unambiguous.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_EDITABLE = (
    "given_name", "family_name", "date_of_birth", "sex", "sex_self_described", "gender_identity",
    "nationality", "origin_country", "destination_country", "phone", "email", "language",
    "timezone", "channels", "disability", "disability_details", "notes", "programme_id",
)


def new_reference() -> str:
    """A reference like 4K7Q-M2XD: seven random symbols and a check symbol."""
    body = "".join(secrets.choice(_ALPHABET) for _ in range(7))
    check = _ALPHABET[sum((i + 1) * _ALPHABET.index(c) for i, c in enumerate(body)) % 32]
    code = body + check
    return f"{code[:4]}-{code[4:]}"


def name_key(given: str, family: str) -> str:
    """Names folded for matching: no accents, no case, order ignored ("Thapa Ram" = "ram thapa")."""
    text = unicodedata.normalize("NFKD", f"{given} {family}")
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    tokens = "".join(c if c.isalnum() else " " for c in text).split()
    return " ".join(sorted(tokens))


def _search_text(p: Participant) -> str:
    # No phone: it is encrypted, and found through phone_index (filtered_query).
    parts = [p.given_name, p.family_name, p.reference]
    return " ".join(x.casefold() for x in parts if x)[:500]


_SAME_PERSON = sa.and_(Participant.name_key == sa.bindparam("key"),
                       Participant.date_of_birth == sa.bindparam("dob"))
# Built once: SQLAlchemy spends longer building a statement than SQLite spends running this one.
_DUPLICATES = {
    with_phone: select(Participant.id, Participant.reference, Participant.phone_index)
    .where(sa.or_(Participant.phone_index.in_(sa.bindparam("phones", expanding=True)),
                  _SAME_PERSON) if with_phone
           else _SAME_PERSON)
    .where(Participant.id != sa.bindparam("exclude"))
    .limit(2)
    for with_phone in (True, False)
}
_PROGRAMME_DEFAULTS = select(Programme.destination_country, Programme.default_language).where(
    Programme.id == sa.bindparam("id"))


def find_duplicate(sess: Session, *, phone: str | None, key: str, date_of_birth,
                   exclude_id: int | None = None) -> tuple[int, str, str] | None:
    """An existing participant with the same phone, or the same names and date of birth.

    Returns (id, reference, matched_on), a phone match winning over a name match.
    """
    # The phone is matched by its blind index under every loaded key (a rotation may be half done).
    phones = (crypto.keyring().blind_indexes(crypto.normalise_phone(phone)) if phone else [])
    rows = sess.execute(_DUPLICATES[bool(phone)], {
        "phones": phones, "key": key, "dob": date_of_birth, "exclude": exclude_id or 0}).all()
    if not rows:
        return None
    by_phone = [r for r in rows if r.phone_index in phones]
    row = (by_phone or rows)[0]
    return row.id, row.reference, "phone" if by_phone else "name_and_date_of_birth"


def _check_refs(sess: Session, actor: User, data: dict[str, Any]) -> sa.Row | None:
    """Field errors for an office or programme that does not exist; returns the programme's
    defaults (destination, language)."""
    errors = []
    office_id = data.get("office_id")
    if office_id is not None:
        scope = office_scope(actor)
        if scope is not None and office_id != scope:
            errors.append({"field": "office_id", "code": "not-allowed",
                           "message": _("You can only register participants in your own office.")})
        elif scope is None and sess.get(Office, office_id) is None:
            errors.append({"field": "office_id", "code": "not-found", "message": _("No such office.")})
    programme = None
    if data.get("programme_id") is not None:
        programme = sess.execute(_PROGRAMME_DEFAULTS, {"id": data["programme_id"]}).first()
        if programme is None:
            errors.append({"field": "programme_id", "code": "not-found",
                           "message": _("No such programme.")})
    if errors:
        raise InvalidInput(errors=errors)
    return programme


def _check_channels(p: Participant) -> None:
    errors = []
    if "sms" in p.channels and not p.phone:
        errors.append({"field": "channels", "code": "needs-phone",
                       "message": _("SMS needs a phone number.")})
    if "email" in p.channels and not p.email:
        errors.append({"field": "channels", "code": "needs-email",
                       "message": _("Email needs an email address.")})
    if p.sex != "another" and p.sex_self_described:
        errors.append({"field": "sex_self_described", "code": "not-allowed",
                       "message": _("Only for sex 'another'.")})
    if errors:
        raise InvalidInput(errors=errors)


def create_participant(sess: Session, actor: User, data: dict[str, Any]) -> Participant:
    """Create the participant's record, refusing a likely duplicate unless the caller confirmed
    it. Registration (journey.continuum.intake) adds the consents given and starts the journey."""
    require(actor, "participants:create")
    data = dict(data)
    confirmed = data.pop("confirm_not_duplicate", False)
    if data.get("office_id") is None:
        if Role(actor.role) == Role.ADMIN:
            raise InvalidInput(errors=[{"field": "office_id", "code": "required",
                                        "message": _("Choose the office the participant belongs to.")}])
        data["office_id"] = actor.office_id
    programme = _check_refs(sess, actor, data)
    caseworker_id = default_caseworker(actor, data)
    check_assignment(sess, actor, data["office_id"], None, caseworker_id)

    key = name_key(data["given_name"], data["family_name"])
    duplicate = find_duplicate(sess, phone=data.get("phone"), key=key,
                               date_of_birth=data["date_of_birth"])
    if duplicate:
        answer_duplicate(sess, actor, duplicate, confirmed=confirmed, message=(
            _("A participant with the same phone number is registered.") if duplicate[2] == "phone"
            else _("A participant with the same name and date of birth is registered.")))

    cfg = current_app.config
    now = utcnow()
    p = Participant(
        reference=new_reference(),
        office_id=data["office_id"],
        programme_id=data.get("programme_id"),
        caseworker_id=caseworker_id,
        given_name=data["given_name"].strip(),
        family_name=data["family_name"].strip(),
        name_key=key,
        search_text="",
        date_of_birth=data["date_of_birth"],
        sex=data["sex"],
        sex_self_described=data.get("sex_self_described"),
        gender_identity=data.get("gender_identity"),
        nationality=data["nationality"],
        origin_country=data["origin_country"],
        destination_country=data.get("destination_country")
        or (programme.destination_country if programme else None),
        phone=data.get("phone"),
        email=data.get("email"),
        language=data.get("language")
        or (programme.default_language if programme else cfg["DEFAULT_LANGUAGE"]),
        timezone=data.get("timezone") or cfg["DEFAULT_TIMEZONE"],
        channels=data.get("channels") or (["sms"] if data.get("phone") else []),
        disability=data.get("disability", "unknown"),
        disability_details=data.get("disability_details"),
        notes=data.get("notes"),
        created_by=actor.id,
        created_at=now,
        updated_at=now,
        stage_entered_at=now,
    )
    _check_channels(p)
    p.search_text = _search_text(p)
    sess.add(p)
    sess.flush()
    # The caseworker a registration names (or who registers) is on this event: no separate
    # assignment event or timeline entry for a case that has had no other holder.
    details: dict[str, Any] = {"caseworker_id": p.caseworker_id}
    if duplicate:
        details = {"duplicate_confirmed": True, "duplicate_of": duplicate[0]}
    audit.record(sess, "participants:participant:create", actor_id=actor.id,
                 object_type="participant", object_id=p.id, office_id=p.office_id, **details)
    logger.debug("participant created id=%s office=%s", p.id, p.office_id)
    return p


_SCOPED: dict[tuple, sa.Select] = {}


def _in_scope(actor: User) -> sa.Select:
    """The participant with id :participant_id if in the actor's scope. Built once per scope:
    SQLAlchemy takes longer to build the statement than the database to run it. The key holds
    everything policy.participant_scope reads of a user (tests/participants/test_fast_reads.py
    checks each role's cached statement against a fresh one)."""
    key = (actor.role, actor.is_active, actor.office_id, actor.employer_id, actor.provider_id)
    stmt = _SCOPED.get(key)
    if stmt is None:
        if len(_SCOPED) >= 1024:  # a bound on memory, far above the offices and partners there are
            _SCOPED.clear()
        stmt = _SCOPED[key] = select(Participant).where(
            Participant.id == sa.bindparam("participant_id"),
            participant_scope(actor, Participant.id, Participant.office_id))
    return stmt


def load_participant(sess: Session, actor: User, participant_id: int,
                     permission: str = "participants:read") -> Participant:
    """The participant if the actor may see it: 403 for the wrong role, 404 outside their scope."""
    require(actor, permission)
    # Outside the actor's scope reads exactly like a missing id, so ids cannot be probed.
    p = sess.scalar(_in_scope(actor), {"participant_id": participant_id})
    if p is None:
        _record_refusal(sess, actor, participant_id, permission)
        raise NotFound(_("No such participant."))
    return p


def _record_refusal(sess: Session, actor: User, participant_id: int, permission: str) -> None:
    # A record that exists outside the actor's scope was asked for: that goes on the trail
    # (an id that exists nowhere is only a 404). Written apart: the refused request rolls back.
    office_id = sess.scalar(select(Participant.office_id).where(Participant.id == participant_id))
    if office_id is not None:
        record_before_refusal(sess, "participants:participant:refused", actor_id=actor.id,
                              object_type="participant", object_id=participant_id,
                              office_id=office_id, permission=permission,
                              actor_office_id=actor.office_id)


def read_participant(sess: Session, actor: User, participant_id: int) -> Participant:
    """Load a participant for display, auditing the read."""
    p = load_participant(sess, actor, participant_id)
    audit.record(sess, "participants:participant:read", actor_id=actor.id,
                 object_type="participant", object_id=p.id, office_id=p.office_id)
    return p


def update_participant(sess: Session, actor: User, participant_id: int, data: dict[str, Any],
                       *, expected: Precondition) -> Participant:
    """Apply a partial update at the version the caller read; a stale version is refused."""
    p = load_participant(sess, actor, participant_id, "participants:update")
    data = dict(data)
    if data.get("office_id") is not None and data["office_id"] != p.office_id:
        raise InvalidInput(errors=[{"field": "office_id", "code": "not-allowed",
                                    "message": _("Moving a participant to another office is a transfer.")}])
    data.pop("office_id", None)
    check_version(p.version, expected,
                  _("Someone changed this participant since you read it; reload and try again."))
    _check_refs(sess, actor, {"programme_id": data.get("programme_id")})

    changed = []
    for field in _EDITABLE:
        if field in data and getattr(p, field) != data[field]:
            value = data[field]
            if isinstance(value, str) and field in ("given_name", "family_name"):
                value = value.strip()
            setattr(p, field, value)
            changed.append(field)
    previous_caseworker = p.caseworker_id
    if "caseworker_id" in data and data["caseworker_id"] != p.caseworker_id:
        check_assignment(sess, actor, p.office_id, p.caseworker_id, data["caseworker_id"])
        p.caseworker_id = data["caseworker_id"]
        changed.append("caseworker_id")
    if not changed:
        return p
    if "sex" in changed and p.sex != "another" and "sex_self_described" not in data:
        p.sex_self_described = None
    _check_channels(p)
    if {"given_name", "family_name", "date_of_birth", "phone"} & set(changed):
        p.name_key = name_key(p.given_name, p.family_name)
        dup = find_duplicate(sess, phone=p.phone, key=p.name_key, date_of_birth=p.date_of_birth,
                             exclude_id=p.id)
        if dup:
            answer_duplicate(sess, actor, dup, confirmed=bool(data.get("confirm_not_duplicate")),
                             message=_("The change makes this record match another participant."))
    p.search_text = _search_text(p)
    p.updated_at = utcnow()
    bump(sess, p, expected, "Someone changed this participant at the same time; reload and try again.")
    sess.flush()
    audit.record(sess, "participants:participant:update", actor_id=actor.id,
                 object_type="participant", object_id=p.id, office_id=p.office_id,
                 fields=sorted(changed), version=p.version)
    if p.caseworker_id != previous_caseworker:
        record_assignment(sess, actor, p, previous_caseworker)
    return p


_SORT_COLUMNS = {
    "id": Participant.id,
    "reference": Participant.reference,
    "family_name": Participant.family_name,
    "given_name": Participant.given_name,
    "date_of_birth": Participant.date_of_birth,
    "created_at": Participant.created_at,
    "updated_at": Participant.updated_at,
    "stage": Participant.stage,
}


def filtered_query(actor: User, args: dict[str, Any]) -> sa.Select:
    """Participants the actor may see, narrowed by the list filters (no paging)."""
    require(actor, "participants:read")
    stmt = select(Participant).where(
        participant_scope(actor, Participant.id, Participant.office_id))
    if args.get("office_id") is not None:
        stmt = stmt.where(Participant.office_id == args["office_id"])
    for field in ("programme_id", "nationality", "origin_country", "destination_country",
                  "language"):
        if args.get(field) is not None:
            stmt = stmt.where(getattr(Participant, field) == args[field])
    if args.get("caseworker_id") is not None:
        stmt = stmt.where(Participant.caseworker_id == args["caseworker_id"])
    if args.get("unassigned"):
        stmt = stmt.where(Participant.caseworker_id.is_(None))
    for field in ("stage", "sex"):
        if args.get(field):
            stmt = stmt.where(getattr(Participant, field).in_(args[field]))
    q = (args.get("q") or "").strip().casefold()
    if "\x00" in q:
        raise InvalidInput(errors=[{"field": "q", "code": "invalid",
                                    "message": _("Invalid character: text must not contain NUL.")}])
    if q:
        text = Participant.search_text.like(like_pattern(q), escape="\\")
        compact = q.replace(" ", "").replace("-", "").replace("(", "").replace(")", "")
        if compact.lstrip("+").isdigit():
            # A phone number, typed with spaces or dashes: the whole number in international form
            # matches its blind index (no partial match: the number is stored encrypted).
            text = sa.or_(text, crypto.lookup(Participant.phone_index, compact))
        stmt = stmt.where(text)
    return stmt


# A list shows no encrypted field (ParticipantSummarySchema), so a page does not decrypt them.
_LIST_DEFERRED = [sa.orm.defer(getattr(Participant, c.name)) for c in Participant.__table__.c
                  if isinstance(c.type, crypto.EncryptedText)]


def search_participants(sess: Session, actor: User, args: dict[str, Any], *, audited: bool = True,
                        columns: Sequence[str] | None = None) -> dict[str, Any]:
    """One page of the participants the actor may see, filtered and sorted.

    With `columns`, the page holds rows of only those columns (what a list shows), not
    Participant objects: no ORM objects to build, nothing encrypted read.
    """
    stmt = filtered_query(actor, args)
    if columns:
        stmt = stmt.with_only_columns(*(getattr(Participant, c) for c in columns))
    else:
        stmt = stmt.options(*_LIST_DEFERRED)
    scope = office_scope(actor)
    page = paginate(sess, stmt, columns=_SORT_COLUMNS, id_column=Participant.id,
                    sort=args.get("sort") or [("created_at", True)],
                    page=args.get("page", 1), per_page=args.get("per_page", 25))
    if audited:
        audit.record(sess, "participants:participant:list", actor_id=actor.id,
                     object_type="participant", office_id=scope if scope and scope > 0 else None,
                     ids=[p.id for p in page["items"]], total=page["total"])
    return page
