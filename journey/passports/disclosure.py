"""What may be seen of a person outside their case: one service for every such view.

A participant decides what public verification pages (a credential's, a skill card's) show beyond
status, issuer and dates: their name, and entries of the kinds they chose (Passport.disclosure).
A share link shows an employer the kinds the caseworker picked, under the participant's name.
Employer and partner users reading a linked participant see what the participant agreed to show
publicly. Every one of these views asks this module, so the rule is written once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import select

from journey.core import audit
from journey.core.auth import User
from journey.participants.models import Participant
from journey.participants.services import load_participant
from journey.passports.models import EntryKind, Passport, PassportEntry, ShareLink
from journey.passports.services import current_entries, entry_fields


@dataclass(frozen=True)
class Disclosure:
    """The name (None when not shown) and the entry kinds a viewer may see."""

    name: str | None
    kinds: frozenset[str]

    def shows(self, kind: str) -> bool:
        return kind in self.kinds


NOTHING = Disclosure(name=None, kinds=frozenset())


def _full_name(p: Participant | None) -> str | None:
    return f"{p.given_name} {p.family_name}".strip() if p is not None else None


def public(sess: Session, participant_id: int) -> Disclosure:
    """What the participant agreed to show publicly (nothing until they choose)."""
    chosen = set(sess.scalar(select(Passport.disclosure)
                             .where(Passport.participant_id == participant_id)) or [])
    name = _full_name(sess.get(Participant, participant_id)) if "name" in chosen else None
    return Disclosure(name=name, kinds=frozenset(chosen & {k.value for k in EntryKind}))


def through_link(sess: Session, link: ShareLink, participant: Participant) -> Disclosure:
    """What a share link shows its employer: the name, and the kinds picked (none: every kind)."""
    kinds = link.kinds or [k.value for k in EntryKind]
    return Disclosure(name=_full_name(participant), kinds=frozenset(kinds))


def entries(sess: Session, participant_id: int, disclosure: Disclosure) -> list[PassportEntry]:
    """The participant's current entries of the disclosed kinds."""
    if not disclosure.kinds:
        return []
    return current_entries(sess, participant_id, sorted(disclosure.kinds))


def evidence(disclosure: Disclosure, items: Iterable[Any]) -> list[dict[str, Any]]:
    """A credential's evidence items (Open Badges: kind in "genre") of the disclosed kinds."""
    return [e for e in items if isinstance(e, Mapping) and disclosure.shows(e.get("genre"))]


def rows(sess: Session, disclosure: Disclosure, items: Iterable[Any], *, default_kind: str,
         kinds: tuple[str, ...]) -> list[dict[str, Any]]:
    """Rows citing a passport entry (by "entry_id") whose entry is of a disclosed kind among
    `kinds`; a row citing no entry counts as default_kind."""
    items = [r for r in items if isinstance(r, Mapping)]
    ids = [r["entry_id"] for r in items if isinstance(r.get("entry_id"), int)]
    kind_of = dict(sess.execute(select(PassportEntry.id, PassportEntry.kind)
                                .where(PassportEntry.id.in_(ids))).all()) if ids else {}
    allowed = disclosure.kinds & set(kinds)
    return [r for r in items if kind_of.get(r.get("entry_id"), default_kind) in allowed]


def read_disclosed(sess: Session, actor: User, participant_id: int) -> dict[str, Any]:
    """A participant as someone outside their case sees them (an employer they are linked to, a
    partner they were referred to): only what they agreed to show publicly. The read is audited."""
    p = load_participant(sess, actor, participant_id, "passports:read_disclosed")
    shown = public(sess, p.id)
    found = entries(sess, p.id, shown)
    audit.record(sess, "passports:passport:read_disclosed", actor_id=actor.id,
                 object_type="participant", object_id=p.id, office_id=p.office_id,
                 entries=[e.id for e in found])
    return {"participant_id": p.id, "name": shown.name, "entries": found}


# --- what an employer sees of a candidate presented to it ---------------------------------------
# Consent to share with employers (checked when the candidate is presented) covers the person's
# name, their passport and their skill card: what is needed to select for skills. Never the rest
# of the record: gender identity, sex, disability, date of birth, phone, email, address, notes,
# grievances, costs. The lists below are allow-lists, so a field added to a table later stays
# hidden until it is added here on purpose.

# Of an entry, its kind's own fields but the evidence (a caseworker's note of documents seen,
# which may name identity papers).
_ENTRY_HIDDEN = frozenset({"evidence"})
# Of a skill card's answers: the skills picture, not where the person wants to live.
_CARD_FIELDS = ("occupation", "sector", "years_experience_home", "years_experience_abroad",
                "last_overseas_country", "skills", "certifications", "languages",
                "availability_date")
_SUMMARY_SKILL_KINDS = (EntryKind.SKILL.value, EntryKind.SOFT_SKILL.value)
SUMMARY_SIZE = 8  # titles per list in an employer's candidate list


def _employer_entry(entry: PassportEntry) -> dict[str, Any]:
    fields = {k: v for k, v in entry_fields(entry).items() if k not in _ENTRY_HIDDEN}
    return {"id": entry.id, "kind": entry.kind, "title": entry.title,
            "verification": entry.verification, "fields": fields}


def for_employer(sess: Session, participant: Participant,
                 card: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What the employer a candidate was presented to may see: the name, the current passport
    entries (without evidence notes) and the skills data of their latest valid skill card.

    `card` is that card ({"number", "issued_at", "answers"}), read by the caller: skill cards
    import passports, so passports cannot read them; which of its answers show is decided here.
    The caller checks the candidacy and audits the read."""
    shown_card = None
    if card is not None:
        answers = card.get("answers") or {}
        shown_card = {"number": card.get("number"), "issued_at": card.get("issued_at"),
                      **{k: answers.get(k) for k in _CARD_FIELDS}}
    return {"participant_id": participant.id, "name": _full_name(participant),
            "entries": [_employer_entry(e) for e in current_entries(sess, participant.id)],
            "skill_card": shown_card}


_OCCUPATION, _LANGUAGE = EntryKind.OCCUPATION.value, EntryKind.LANGUAGE.value
# Built once: a page of candidates runs them on every call, and building costs more than running.
_NAMES = select(Participant.id, Participant.given_name, Participant.family_name).where(
    Participant.id.in_(sa.bindparam("ids", expanding=True)))
_SUMMARY_ENTRIES = (
    select(PassportEntry.participant_id, PassportEntry.kind, PassportEntry.title,
           PassportEntry.language)
    .where(PassportEntry.participant_id.in_(sa.bindparam("ids", expanding=True)),
           PassportEntry.retired_at.is_(None),
           PassportEntry.kind.in_([_OCCUPATION, _LANGUAGE, *_SUMMARY_SKILL_KINDS]))
    .order_by(PassportEntry.participant_id, PassportEntry.id))


def summaries_for_employer(sess: Session, participant_ids: list[int]) -> dict[int, dict[str, Any]]:
    """For an employer's list of candidates, per participant: the name and the titles of their
    occupations and skills and their languages (two queries, whatever the page's size)."""
    if not participant_ids:
        return {}
    ids = {"ids": list(participant_ids)}
    out: dict[int, dict[str, Any]] = {
        pid: {"name": f"{given} {family}".strip(),
              "skills": {"occupations": [], "skills": [], "languages": []}}
        for pid, given, family in sess.execute(_NAMES, ids)}
    for pid, kind, title, language in sess.execute(_SUMMARY_ENTRIES, ids):
        summary = out[pid]["skills"]
        if kind == _OCCUPATION:
            found, value = summary["occupations"], title
        elif kind == _LANGUAGE:
            found, value = summary["languages"], language
        else:
            found, value = summary["skills"], title
        if value and len(found) < SUMMARY_SIZE and value not in found:
            found.append(value)
    return out
