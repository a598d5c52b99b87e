"""Passport services: entries (add, edit, verify, retire, each a new revision) and disclosure
settings (share links: journey.passports.sharing). They never commit; every write is audited with
ids only."""

from __future__ import annotations

import logging
from typing import Any

import marshmallow as ma
import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import select

from journey.core import audit
from journey.core.auth import User
from journey.core.db import load_owned, utcnow
from journey.core.errors import Conflict, InvalidInput, ProblemError
from journey.core.i18n import _, _l
from journey.core.policy import require
from journey.core.versions import Precondition, bump, check_version
from journey.participants.models import Participant
from journey.passports.models import (
    DISCLOSABLE,
    EntryKind,
    Passport,
    PassportEntry,
    PassportEntryRevision,
    RevisionChange,
    Verification,
)
from journey.passports.schemas import KIND_SCHEMAS, language_label
from journey.taxonomy.models import EscoOccupation, IscoGroup

logger = logging.getLogger(__name__)

KIND_TITLES = {
    EntryKind.OCCUPATION: _l("Occupations"),
    EntryKind.SKILL: _l("Skills"),
    EntryKind.QUALIFICATION: _l("Qualifications"),
    EntryKind.PRIOR_LEARNING: _l("Recognised prior learning"),
    EntryKind.EXPERIENCE: _l("Work experience"),
    EntryKind.LANGUAGE: _l("Languages"),
    EntryKind.SOFT_SKILL: _l("Soft skills"),
    EntryKind.TRAINING: _l("Training"),
}

# Where each kind keeps its fields: these in columns (searched and matched on), the rest in
# `details`. Every kind also keeps title, acquired_abroad and evidence in columns.
_COLUMNS: dict[str, dict[str, str]] = {
    EntryKind.OCCUPATION: {"esco_uri": "esco_uri", "isco_code": "isco_code"},
    EntryKind.SKILL: {"esco_uri": "esco_uri"},
    EntryKind.QUALIFICATION: {"country": "country", "awarded_on": "end_date"},
    EntryKind.PRIOR_LEARNING: {"date": "end_date"},
    # The occupation reference {isco_code, esco_uri} is spread over those two columns.
    EntryKind.EXPERIENCE: {"country": "country", "start_date": "start_date", "end_date": "end_date"},
    EntryKind.LANGUAGE: {"language": "language"},
    EntryKind.SOFT_SKILL: {"esco_uri": "esco_uri"},
    EntryKind.TRAINING: {"completed_on": "end_date"},
}
_COMMON = ("title", "acquired_abroad", "evidence")
_ENTRY_COLUMNS = ("title", "esco_uri", "isco_code", "country", "language", "start_date", "end_date",
                  "acquired_abroad", "evidence")
_KIND_ORDER = sa.case({k.value: i for i, k in enumerate(EntryKind)}, value=PassportEntry.kind)


class Gone(ProblemError):
    status, code, title = 410, "gone", _l("Gone")


# --- reading entries -----------------------------------------------------------------------------

def entry_fields(entry: PassportEntry) -> dict[str, Any]:
    """The entry's own fields, by the names its kind's schema uses (None where not given)."""
    kind = EntryKind(entry.kind)
    names = KIND_SCHEMAS[kind]().fields
    out: dict[str, Any] = {name: entry.details.get(name) for name in names}
    for name in _COMMON:
        out[name] = getattr(entry, name)
    for name, column in _COLUMNS[kind].items():
        out[name] = getattr(entry, column)
    if kind == EntryKind.EXPERIENCE:
        ref = {k: v for k, v in (("isco_code", entry.isco_code), ("esco_uri", entry.esco_uri)) if v}
        out["occupation"] = ref or None
    if kind == EntryKind.LANGUAGE:
        out["mother_tongue"] = bool(entry.details.get("mother_tongue"))
    return out


def entry_to_dict(entry: PassportEntry) -> dict[str, Any]:
    """An entry for other domains and for EntrySchema: meta data, verification, and `fields`
    (the kind's own fields, Python values); `title` and the verification title are ready to show."""
    level = Verification(entry.verification)
    return {
        "id": entry.id, "participant_id": entry.participant_id, "kind": entry.kind,
        "title": entry.title, "acquired_abroad": entry.acquired_abroad, "evidence": entry.evidence,
        "verification": level.value, "verification_title": level.title,
        "verified_by": entry.verified_by, "verified_at": entry.verified_at,
        "version": entry.version, "created_by": entry.created_by, "created_at": entry.created_at,
        "updated_at": entry.updated_at, "retired_at": entry.retired_at,
        "retired_by": entry.retired_by, "fields": entry_fields(entry),
    }


def current_entries(sess: Session, participant_id: int,
                    kinds: list[str] | tuple[str, ...] | None = None, *,
                    ids: list[int] | None = None) -> list[PassportEntry]:
    """The participant's entries that are not retired, by kind (in EntryKind order) then id;
    only of these kinds, or only these ids, when given."""
    stmt = select(PassportEntry).where(PassportEntry.participant_id == participant_id,
                                       PassportEntry.retired_at.is_(None))
    if kinds:
        stmt = stmt.where(PassportEntry.kind.in_(list(kinds)))
    if ids is not None:
        stmt = stmt.where(PassportEntry.id.in_(ids))
    return list(sess.scalars(stmt.order_by(_KIND_ORDER, PassportEntry.id)))


def load_entry(sess: Session, participant: Participant, entry_id: int) -> PassportEntry:
    """One of this participant's entries; another participant's reads as missing."""
    return load_owned(sess, PassportEntry, entry_id, participant.id, _("No such passport entry."))


def read_entry(sess: Session, actor: User, participant: Participant, entry_id: int) -> PassportEntry:
    require(actor, "passports:read")
    entry = load_entry(sess, participant, entry_id)
    audit.record(sess, "passports:entry:read", actor_id=actor.id, object_type="passport_entry",
                 object_id=entry.id, office_id=participant.office_id, participant_id=participant.id)
    return entry


def history(sess: Session, actor: User, participant: Participant,
            entry: PassportEntry) -> list[PassportEntryRevision]:
    """Every version of the entry, oldest first (the read is audited)."""
    require(actor, "passports:read")
    audit.record(sess, "passports:history:read", actor_id=actor.id, object_type="passport_entry",
                 object_id=entry.id, office_id=participant.office_id, participant_id=participant.id)
    return list(sess.scalars(select(PassportEntryRevision)
                             .where(PassportEntryRevision.entry_id == entry.id)
                             .order_by(PassportEntryRevision.version)))


# --- validating and storing an entry's fields ----------------------------------------------------

def _load(kind: EntryKind, raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ma.ValidationError({"_body": ["Send the entry's fields as a JSON object."]})
    return KIND_SCHEMAS[kind]().load(raw)


def _occupation_ref(sess: Session, esco_uri: str | None, isco_code: str | None,
                    prefix: str = "") -> tuple[str | None, str | None, list[dict[str, str]]]:
    """Check the codes exist; returns (isco_code, label, errors). An ESCO occupation fixes the
    ISCO unit group and gives the label."""
    errors = []
    if esco_uri:
        occ = sess.scalar(select(EscoOccupation).where(EscoOccupation.uri == esco_uri))
        if occ is None:
            errors.append({"field": f"{prefix}esco_uri", "code": "not-found",
                           "message": _("No such ESCO occupation.")})
            return isco_code, None, errors
        if isco_code and isco_code != occ.isco_code:
            errors.append({"field": f"{prefix}isco_code", "code": "mismatch",
                           "message": _("The ESCO occupation is in ISCO unit group %(code)s.",
                                        code=occ.isco_code)})
        return occ.isco_code, occ.label, errors
    if isco_code:
        group = sess.get(IscoGroup, isco_code)
        if group is None:
            errors.append({"field": f"{prefix}isco_code", "code": "not-found",
                           "message": _("No such ISCO-08 group.")})
            return isco_code, None, errors
        return isco_code, group.label, errors
    return None, None, errors


def _default_title(sess: Session, kind: EntryKind, fields: dict[str, Any]) -> str | None:
    """The title an entry gets when none is given: its code's label."""
    if kind == EntryKind.LANGUAGE and fields.get("language"):
        return language_label(fields["language"])
    if kind in (EntryKind.SKILL, EntryKind.SOFT_SKILL):
        return fields.get("esco_uri")
    if kind == EntryKind.OCCUPATION:
        return _occupation_ref(sess, fields.get("esco_uri"), fields.get("isco_code"))[1]
    if kind == EntryKind.EXPERIENCE and fields.get("occupation"):
        ref = fields["occupation"]
        return _occupation_ref(sess, ref.get("esco_uri"), ref.get("isco_code"))[1]
    return None


def _resolve(sess: Session, participant: Participant, kind: EntryKind,
             data: dict[str, Any]) -> dict[str, Any]:
    """Check codes against the taxonomy and fill the defaults (title, acquired_abroad)."""
    data = dict(data)
    errors: list[dict[str, str]] = []
    label = None
    if kind == EntryKind.OCCUPATION:
        data["isco_code"], label, errors = _occupation_ref(sess, data.get("esco_uri"),
                                                           data.get("isco_code"))
    elif kind == EntryKind.EXPERIENCE and data.get("occupation"):
        ref = dict(data["occupation"])
        ref["isco_code"], label, errors = _occupation_ref(
            sess, ref.get("esco_uri"), ref.get("isco_code"), prefix="occupation.")
        data["occupation"] = ref
    elif kind == EntryKind.LANGUAGE:
        label = language_label(data["language"])
    elif kind in (EntryKind.SKILL, EntryKind.SOFT_SKILL):
        label = data.get("esco_uri")
    if errors:
        raise InvalidInput(errors=errors)
    if not data.get("title"):
        data["title"] = (label or "")[:255]
    if "acquired_abroad" not in data:
        # Gained in another country than the participant's own: marked as such.
        country = data.get("country")
        data["acquired_abroad"] = bool(country and country != participant.origin_country)
    return data


def _to_row(kind: EntryKind, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Columns and details for validated fields."""
    columns: dict[str, Any] = {c: None for c in _ENTRY_COLUMNS}
    columns["acquired_abroad"] = False
    details: dict[str, Any] = {}
    mapping = _COLUMNS[kind]
    for name, value in data.items():
        if name in _COMMON:
            columns[name] = value
        elif name in mapping:
            columns[mapping[name]] = value
        elif kind == EntryKind.EXPERIENCE and name == "occupation":
            columns["isco_code"] = (value or {}).get("isco_code")
            columns["esco_uri"] = (value or {}).get("esco_uri")
        elif value is not None:
            details[name] = value
    if isinstance(columns["evidence"], str):
        columns["evidence"] = columns["evidence"].strip() or None
    columns["title"] = columns["title"].strip()
    return columns, details


def _snapshot(entry: PassportEntry) -> dict[str, Any]:
    """The entry as it stands, JSON-ready, for its revision."""
    def plain(value):
        return value.isoformat() if hasattr(value, "isoformat") else value

    names = ("kind", *_ENTRY_COLUMNS, "details", "verification", "verified_by", "verified_at",
             "version", "retired_at", "retired_by")
    return {name: plain(getattr(entry, name)) for name in names}


def _revise(sess: Session, entry: PassportEntry, change: RevisionChange, actor: User | None,
            reason: str | None = None) -> None:
    sess.add(PassportEntryRevision(entry_id=entry.id, version=entry.version, change=change.value,
                                   snapshot=_snapshot(entry), reason=reason,
                                   changed_by=actor.id if actor else None, changed_at=utcnow()))
    sess.flush()


def _check_live(entry: PassportEntry) -> None:
    if entry.retired_at is not None:
        raise Conflict(_("This entry is retired; add a new one instead."), code="entry-retired")


_STALE = {
    "entry": _l("Someone changed this entry since you read it; reload and try again."),
    "passport": _l("Someone changed this passport since you read it; reload and try again."),
}
_RACED = _l("Someone changed this at the same time; reload and try again.")


# --- writing entries -----------------------------------------------------------------------------

def add_entry(sess: Session, actor: User, participant: Participant, kind: str,
              raw: dict[str, Any]) -> PassportEntry:
    """Add an entry of one kind, self-declared until someone verifies it."""
    require(actor, "passports:write")
    kind = EntryKind(kind)
    data = _resolve(sess, participant, kind, _load(kind, raw))
    columns, details = _to_row(kind, data)
    now = utcnow()
    entry = PassportEntry(participant_id=participant.id, kind=kind.value, details=details,
                          created_by=actor.id, created_at=now, updated_at=now, **columns)
    sess.add(entry)
    sess.flush()
    _revise(sess, entry, RevisionChange.CREATED, actor)
    audit.record(sess, "passports:entry:create", actor_id=actor.id, object_type="passport_entry",
                 object_id=entry.id, office_id=participant.office_id,
                 participant_id=participant.id, kind=kind.value)
    logger.debug("passport entry created id=%s kind=%s", entry.id, kind.value)
    return entry


_CODE_FIELDS = {"esco_uri", "isco_code", "occupation", "language"}


def update_entry(sess: Session, actor: User, participant: Participant, entry: PassportEntry,
                 raw: dict[str, Any], *, expected: Precondition | None,
                 reason: str | None = None) -> PassportEntry:
    """Change some of an entry's fields at the version the caller read. A verified entry whose
    substance changes drops back to self-declared; the revision history keeps what was verified."""
    require(actor, "passports:write")
    _check_live(entry)
    check_version(entry.version, expected, _STALE["entry"])
    kind = EntryKind(entry.kind)
    raw = dict(raw)
    if raw.pop("kind", entry.kind) != entry.kind:
        raise InvalidInput(errors=[{"field": "kind", "code": "not-allowed",
                                    "message": _("An entry's kind cannot change; add a new entry.")}])
    schema = KIND_SCHEMAS[kind]()
    fields = entry_fields(entry)
    current = {k: v for k, v in schema.dump(fields).items() if v is not None}
    # Defaults follow what they were derived from, unless the caller set them.
    if "country" in raw and "acquired_abroad" not in raw:
        current.pop("acquired_abroad", None)
    if (_CODE_FIELDS & raw.keys() and "title" not in raw
            and entry.title == _default_title(sess, kind, fields)):
        current.pop("title", None)
    data = _resolve(sess, participant, kind, _load(kind, {**current, **raw}))
    columns, details = _to_row(kind, data)

    changed = sorted([c for c, v in columns.items() if getattr(entry, c) != v]
                     + [k for k in details.keys() | entry.details.keys()
                        if details.get(k) != entry.details.get(k)])
    if not changed:
        return entry
    for column, value in columns.items():
        setattr(entry, column, value)
    entry.details = details
    dropped = entry.verification != Verification.SELF_DECLARED
    if dropped:
        entry.verification = Verification.SELF_DECLARED.value
        entry.verified_by = None
        entry.verified_at = None
        if "evidence" not in raw:  # what the verifier saw was about the old content
            entry.evidence = None
    entry.updated_at = utcnow()
    bump(sess, entry, expected, _RACED)
    sess.flush()
    _revise(sess, entry, RevisionChange.UPDATED, actor, reason)
    audit.record(sess, "passports:entry:update", actor_id=actor.id, object_type="passport_entry",
                 object_id=entry.id, office_id=participant.office_id,
                 participant_id=participant.id, fields=changed, version=entry.version,
                 verification_dropped=dropped)
    return entry


def verify_entry(sess: Session, actor: User, participant: Participant, entry: PassportEntry, *,
                 level: str, evidence: str | None,
                 expected: Precondition | None = None) -> PassportEntry:
    """Record how far the entry has been checked, by whom, when, and on what evidence."""
    require(actor, "passports:verify")
    _check_live(entry)
    check_version(entry.version, expected, _STALE["entry"])
    level = Verification(level)
    evidence = (evidence or "").strip() or None
    if level != Verification.SELF_DECLARED and evidence is None:
        raise InvalidInput(errors=[{"field": "evidence", "code": "required",
                                    "message": _("Say what evidence you saw, tested or received.")}])
    entry.verification = level.value
    if level == Verification.SELF_DECLARED:
        entry.verified_by = entry.verified_at = None
    else:
        entry.verified_by = actor.id
        entry.verified_at = utcnow()
    if evidence is not None:
        entry.evidence = evidence
    entry.updated_at = utcnow()
    bump(sess, entry, expected, _RACED)
    sess.flush()
    _revise(sess, entry, RevisionChange.VERIFIED, actor)
    audit.record(sess, "passports:entry:verify", actor_id=actor.id, object_type="passport_entry",
                 object_id=entry.id, office_id=participant.office_id,
                 participant_id=participant.id, level=level.value, version=entry.version)
    return entry


def retire_entry(sess: Session, actor: User, participant: Participant, entry: PassportEntry, *,
                 reason: str, expected: Precondition | None = None) -> PassportEntry:
    """Take an entry out of the passport; it and its history stay on record."""
    require(actor, "passports:write")
    _check_live(entry)
    check_version(entry.version, expected, _STALE["entry"])
    entry.retired_at = entry.updated_at = utcnow()
    entry.retired_by = actor.id
    bump(sess, entry, expected, _RACED)
    sess.flush()
    _revise(sess, entry, RevisionChange.RETIRED, actor, reason.strip())
    audit.record(sess, "passports:entry:retire", actor_id=actor.id, object_type="passport_entry",
                 object_id=entry.id, office_id=participant.office_id,
                 participant_id=participant.id, version=entry.version)
    return entry


# --- the passport and what it discloses ----------------------------------------------------------

def get_passport(sess: Session, participant_id: int) -> Passport | None:
    return sess.scalar(select(Passport).where(Passport.participant_id == participant_id))


def get_or_create_passport(sess: Session, participant: Participant) -> Passport:
    """The participant's passport settings, created (disclosing nothing) on first use."""
    passport = get_passport(sess, participant.id)
    if passport is None:
        now = utcnow()
        passport = Passport(participant_id=participant.id, disclosure=[], version=1,
                            created_at=now, updated_at=now)
        sess.add(passport)
        sess.flush()
    return passport


def read_passport(sess: Session, actor: User, participant: Participant,
                  kinds: list[str] | None = None, *, via: str | None = None) -> dict[str, Any]:
    """Settings and current entries, for PassportSchema (the read is audited). A participant
    without settings yet reads as version 1, disclosing nothing."""
    require(actor, "passports:read")
    passport = get_passport(sess, participant.id)
    entries = current_entries(sess, participant.id, kinds)
    audit.record(sess, "passports:passport:read", actor_id=actor.id, object_type="participant",
                 object_id=participant.id, office_id=participant.office_id,
                 entries=[e.id for e in entries], **({"via": via} if via else {}))
    return {
        "participant_id": participant.id,
        "disclosure": passport.disclosure if passport else [],
        "version": passport.version if passport else 1,
        "updated_at": passport.updated_at if passport else None,
        "entries": [entry_to_dict(e) for e in entries],
    }


def update_disclosure(sess: Session, actor: User, participant: Participant, disclosure: list[str],
                      expected: Precondition | None) -> Passport:
    """Set what public verification pages may show (values from DISCLOSABLE)."""
    require(actor, "passports:write")
    bad = [{"field": f"disclosure.{i}", "code": "not-allowed", "message": _("Not disclosable.")}
           for i, value in enumerate(disclosure) if value not in DISCLOSABLE]
    if bad:
        raise InvalidInput(errors=bad)
    passport = get_or_create_passport(sess, participant)
    check_version(passport.version, expected, _STALE["passport"])
    wanted = [d for d in DISCLOSABLE if d in set(disclosure)]
    if wanted == passport.disclosure:
        return passport
    passport.disclosure = wanted
    passport.updated_at = utcnow()
    passport.updated_by = actor.id
    bump(sess, passport, expected, _RACED)
    sess.flush()
    audit.record(sess, "passports:passport:update", actor_id=actor.id, object_type="passport",
                 object_id=passport.id, office_id=participant.office_id,
                 participant_id=participant.id, disclosure=wanted, version=passport.version)
    return passport
