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

from sqlalchemy.orm import Session
from sqlmodel import select

from journey.core import audit
from journey.core.auth import User
from journey.participants.models import Participant
from journey.participants.services import load_participant
from journey.passports.models import EntryKind, Passport, PassportEntry, ShareLink
from journey.passports.services import current_entries


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
