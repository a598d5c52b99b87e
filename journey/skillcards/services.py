"""Return skill forms and skill cards: open, pre-fill, correct, complete, issue, revoke.

Services never commit. Every write and every read of a form or card is audited, with ids only.
"""

from __future__ import annotations

import logging
import secrets
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

import segno
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.orm import Session
from sqlmodel import select

from journey.continuum.stages import Stage
from journey.core import audit
from journey.core.auth import User, token_digest
from journey.core.db import load_owned, utcnow
from journey.core.errors import Conflict, InvalidInput, NotFound, ProblemError
from journey.core.i18n import _l
from journey.core.versions import Precondition, bump, check_version
from journey.credentials import services as credentials
from journey.credentials.models import Credential, Scope
from journey.organisations.models import Employer
from journey.participants.models import Participant
from journey.passports.models import EntryKind, PassportEntry, Verification
from journey.passports.schemas import LANGUAGE_SKILLS
from journey.passports.services import current_entries
from journey.programmes.models import Programme
from journey.skillcards.models import CompletedVia, FormStatus, SkillCard, SkillForm
from journey.skillcards.schemas import answers_to_json
from journey.taxonomy.models import IscoGroup

logger = logging.getLogger(__name__)

RETURN_STAGES = frozenset({Stage.RETURN.value, Stage.REINTEGRATION.value})
_LINK_SALT = "journey.skillcards.link"

class NotReturning(ProblemError):
    status, code, title = 409, "not-returning", _l("The participant is not returning")


class FormCompleted(ProblemError):
    status, code, title = 409, "form-completed", "The skill form is already completed"


class CardRevoked(ProblemError):
    status, code, title = 409, "card-revoked", "The skill card is already revoked"


class LinkGone(ProblemError):
    """A link that was real but no longer works: expired, replaced, or already used."""

    status, code, title = 410, "link-gone", _l("This link no longer works")


# --- pre-fill ------------------------------------------------------------------------------------

def _rank(entry: PassportEntry) -> int:
    try:
        return Verification(entry.verification).rank
    except ValueError:
        return 0


def _years(periods: list[tuple[date, date]]) -> float:
    """Years covered by the periods, overlaps counted once, to one decimal."""
    days, cursor = 0, None
    for start, end in sorted(periods):
        if cursor is not None and start <= cursor:
            if end > cursor:
                days += (end - cursor).days
                cursor = end
            continue
        days += (end - start).days
        cursor = end
    return round(days / 365.25, 1)


def prefill(sess: Session, participant: Participant, today: date | None = None) -> dict[str, Any]:
    """The form's answers as the passport has them (current entries only)."""
    today = today or utcnow().date()
    kinds: dict[str, list[PassportEntry]] = defaultdict(list)
    for e in current_entries(sess, participant.id):  # by kind, then in the order recorded
        kinds[e.kind].append(e)

    # The best-verified occupation; among equals, the one recorded last.
    occ = max(kinds[EntryKind.OCCUPATION.value], key=lambda e: (_rank(e), e.updated_at, e.id),
              default=None)
    occupation = {"isco_code": occ.isco_code if occ else None,
                  "esco_uri": occ.esco_uri if occ else None,
                  "title": occ.title if occ else None}

    periods: dict[bool, list[tuple[date, date]]] = {True: [], False: []}
    experiences = kinds[EntryKind.EXPERIENCE.value]
    for e in experiences:
        if e.start_date is None or e.start_date > today:
            continue
        end = min(e.end_date or today, today)
        periods[bool(e.acquired_abroad)].append((e.start_date, end))

    abroad = [e for e in experiences if e.acquired_abroad]
    last = max(abroad, key=lambda e: (e.end_date or date.max, e.start_date or date.min, e.id),
               default=None)
    if last is not None:
        employer, country = (last.details or {}).get("employer"), last.country
    elif participant.arrival_date is not None:  # they went abroad with the programme
        employer = (sess.scalar(select(Employer.name).where(Employer.id == participant.employer_id))
                    if participant.employer_id else None)
        country = participant.destination_country
    else:
        employer = country = None

    sector = (sess.scalar(select(Programme.sector).where(Programme.id == participant.programme_id))
              if participant.programme_id else None)

    skills = [{"title": e.title, "esco_uri": e.esco_uri, "entry_id": e.id}
              for e in kinds[EntryKind.SKILL.value] + kinds[EntryKind.SOFT_SKILL.value]]
    certifications = [{"title": e.title, "awarding_body": (e.details or {}).get("awarding_body"),
                       "entry_id": e.id}
                      for e in kinds[EntryKind.QUALIFICATION.value] + kinds[EntryKind.TRAINING.value]]
    languages: dict[str, dict[str, Any]] = {}
    # One row per language: the best-verified entry for it, then the latest.
    for e in sorted(kinds[EntryKind.LANGUAGE.value], key=lambda e: (-_rank(e), -e.id)):
        code = e.language or (e.details or {}).get("language")
        if code and code not in languages:
            languages[code] = {"code": code, **{s: (e.details or {}).get(s) for s in LANGUAGE_SKILLS}}

    return {
        "occupation": occupation,
        "sector": sector,
        "years_experience_home": _years(periods[False]),
        "years_experience_abroad": _years(periods[True]),
        "last_overseas_employer": employer,
        "last_overseas_country": country,
        "skills": skills,
        "certifications": certifications,
        "languages": sorted(languages.values(), key=lambda row: row["code"]),
        "preferred_location": None,
        "preferred_sector": None,
        "availability_date": None,
    }


# --- forms ---------------------------------------------------------------------------------------

def current_form(sess: Session, participant: Participant) -> SkillForm | None:
    """The form of the participant's current migration cycle, if one was opened."""
    return sess.scalar(select(SkillForm).where(SkillForm.participant_id == participant.id,
                                               SkillForm.cycle == participant.cycle))


def ensure_form(sess: Session, participant: Participant, actor_id: int | None
                ) -> tuple[SkillForm, bool]:
    """The current cycle's form, opened and pre-filled if there is none yet; (form, created)."""
    form = current_form(sess, participant)
    if form is not None:
        return form, False
    now = utcnow()
    answers = prefill(sess, participant, now.date())
    form = SkillForm(participant_id=participant.id, cycle=participant.cycle, prefill=answers,
                     answers=dict(answers), created_at=now, created_by=actor_id, updated_at=now)
    sess.add(form)
    sess.flush()
    audit.record(sess, "skillcards:skill_form:open", actor_id=actor_id, object_type="skill_form",
                 object_id=form.id, office_id=participant.office_id,
                 participant_id=participant.id, cycle=form.cycle)
    logger.info("skill form opened form=%s participant=%s cycle=%s", form.id, participant.id,
                form.cycle)
    return form, True


def open_form(sess: Session, actor: User, participant: Participant) -> tuple[SkillForm, bool]:
    """Open the form by hand: only for a participant preparing to return or back home."""
    if participant.stage not in RETURN_STAGES:
        raise NotReturning(_("A skill form opens when the participant prepares to return."),
                           extra={"stage": participant.stage})
    return ensure_form(sess, participant, actor.id)


def read_form(sess: Session, actor: User, participant: Participant) -> SkillForm:
    """The current cycle's form, for display (the read is audited)."""
    form = current_form(sess, participant)
    if form is None:
        raise NotFound(_("No skill form is open for this participant."), code="no-skill-form")
    audit.record(sess, "skillcards:skill_form:read", actor_id=actor.id, object_type="skill_form",
                 object_id=form.id, office_id=participant.office_id, participant_id=participant.id)
    return form


def _check_version(form: SkillForm, expected: Precondition | None) -> None:
    check_version(form.version, expected,
                  _("Someone changed this form since you read it; reload and try again."))


def _bump(sess: Session, form: SkillForm, expected: Precondition | None) -> None:
    bump(sess, form, expected, _("Someone changed this form at the same time; reload and try again."))


def _check_references(sess: Session, participant: Participant, answers: dict[str, Any]) -> None:
    """What the schema cannot know: the ISCO code exists; entry ids are this passport's own."""
    errors = []
    code = (answers.get("occupation") or {}).get("isco_code")
    if code and sess.get(IscoGroup, code) is None:
        errors.append({"field": "answers.occupation.isco_code", "code": "not-found",
                       "message": _("No such ISCO-08 group.")})
    wanted = {(name, i): row["entry_id"] for name in ("skills", "certifications")
              for i, row in enumerate(answers.get(name) or []) if row.get("entry_id") is not None}
    if wanted:
        own = set(sess.scalars(select(PassportEntry.id).where(
            PassportEntry.participant_id == participant.id,
            PassportEntry.id.in_(set(wanted.values())))))
        errors += [{"field": f"answers.{name}.{i}.entry_id", "code": "not-found",
                    "message": _("No such entry in this passport.")}
                   for (name, i), entry_id in sorted(wanted.items()) if entry_id not in own]
    if errors:
        raise InvalidInput(errors=errors)


def _merge(current: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    merged = dict(current)
    for key, value in changes.items():
        if key == "occupation":
            before = dict(current.get("occupation") or {})
            occ = {**before, **value}
            # A corrected occupation is no longer the ESCO occupation the passport named.
            if "esco_uri" not in value and any(
                    k in value and value[k] != before.get(k) for k in ("isco_code", "title")):
                occ["esco_uri"] = None
            merged[key] = occ
        else:
            merged[key] = value
    return merged


def update_answers(sess: Session, actor: User | None, participant: Participant, form: SkillForm,
                   changes: dict[str, Any], *, expected: Precondition | None,
                   via: str = CompletedVia.CASEWORKER.value) -> SkillForm:
    """Correct some answers (loaded by AnswersSchema) at the version the caller read."""
    if form.status == FormStatus.COMPLETED.value:
        raise FormCompleted(_("The skill form is already completed."))
    _check_version(form, expected)
    _check_references(sess, participant, changes)
    merged = _merge(form.answers, answers_to_json(changes))
    changed = sorted(k for k in merged if merged[k] != form.answers.get(k))
    if not changed:
        return form
    form.answers = merged
    form.updated_at = utcnow()
    _bump(sess, form, expected)
    sess.flush()
    audit.record(sess, "skillcards:skill_form:update", actor_id=actor.id if actor else None,
                 object_type="skill_form", object_id=form.id, office_id=participant.office_id,
                 participant_id=participant.id, fields=changed, via=via)
    return form


def complete_form(sess: Session, actor: User | None, participant: Participant, form: SkillForm,
                  *, answers: dict[str, Any] | None = None, expected: Precondition | None,
                  via: str = CompletedVia.CASEWORKER.value) -> SkillCard:
    """Confirm the answers (with any last corrections) and issue the skill card."""
    if form.status == FormStatus.COMPLETED.value:
        raise FormCompleted(_("The skill form is already completed."))
    _check_version(form, expected)
    if answers:
        update_answers(sess, actor, participant, form, answers, expected=None, via=via)
    now = utcnow()
    form.status = FormStatus.COMPLETED.value
    form.completed_at, form.completed_via = now, via
    form.completed_by = actor.id if actor else None
    form.updated_at = now
    _bump(sess, form, expected)
    # The returnee's link is kept (not cleared) so that opening it again says "already used".
    sess.flush()
    actor_id = actor.id if actor else None
    audit.record(sess, "skillcards:skill_form:complete", actor_id=actor_id,
                 object_type="skill_form", object_id=form.id, office_id=participant.office_id,
                 participant_id=participant.id, via=via)
    card = _issue_card(sess, actor_id, participant, form, now)
    _issue_credential(sess, actor, participant, card, form)
    logger.info("skill form completed form=%s card=%s via=%s", form.id, card.id, via)
    return card


# --- links ---------------------------------------------------------------------------------------

def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_LINK_SALT)


def create_link(sess: Session, actor: User, participant: Participant, form: SkillForm
                ) -> dict[str, Any]:
    """A link for the returnee's own use; a new one replaces the old. Shown once."""
    if form.status == FormStatus.COMPLETED.value:
        raise FormCompleted(_("The skill form is already completed."))
    # Signed, so that a link we issued and later replaced is told apart from a made-up one;
    # only its SHA-256 is stored.
    token = _serializer().dumps([form.id, secrets.token_urlsafe(24)])
    expires = utcnow() + timedelta(days=current_app.config["SKILL_FORM_LINK_DAYS"])
    form.link_token_hash, form.link_expires_at = token_digest(token), expires
    sess.flush()
    audit.record(sess, "skillcards:skill_form:link", actor_id=actor.id, object_type="skill_form",
                 object_id=form.id, office_id=participant.office_id, participant_id=participant.id)
    return {"url": f"{current_app.config['PUBLIC_BASE_URL']}/skill-form/{token}",
            "expires_at": expires}


def resolve_link(sess: Session, token: str, now: datetime | None = None
                 ) -> tuple[SkillForm, Participant]:
    """The open form behind a returnee's link; 410 when it was real but is spent, else 404."""
    now = now or utcnow()
    if not token or len(token) > 300:
        raise NotFound()
    form = sess.scalar(select(SkillForm).where(SkillForm.link_token_hash == token_digest(token)))
    if form is None:
        try:
            form_id, _nonce = _serializer().loads(token)
        except (BadSignature, TypeError, ValueError):
            raise NotFound() from None
        if isinstance(form_id, int) and sess.get(SkillForm, form_id) is not None:
            raise LinkGone(code="link-replaced")
        raise NotFound()
    if form.status == FormStatus.COMPLETED.value:
        raise LinkGone(code="link-used")
    if form.link_expires_at <= now:
        raise LinkGone(code="link-expired")
    return form, sess.get(Participant, form.participant_id)


def view_link(sess: Session, token: str) -> tuple[SkillForm, Participant]:
    """The form and returnee behind a link, opened to be seen: the view is audited."""
    form, participant = resolve_link(sess, token)
    audit.record(sess, "skillcards:skill_form:view", actor_id=None, object_type="skill_form",
                 object_id=form.id, office_id=participant.office_id,
                 participant_id=participant.id, via="self_link")
    return form, participant


# --- cards ---------------------------------------------------------------------------------------

# Damm's quasigroup (order 10): a check digit that catches every single-digit error and every
# swap of two adjacent digits, the two typos people make copying a number.
_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2), (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9), (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8), (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4), (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5), (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)


def damm(digits: str) -> int:
    """The Damm check digit of a string of digits."""
    interim = 0
    for d in digits:
        interim = _DAMM[interim][int(d)]
    return interim


def card_number(year: int, serial: int) -> str:
    """SC-<year>-<6 digits>-<check>: the check digit covers the year and the serial."""
    return f"SC-{year:04d}-{serial:06d}-{damm(f'{year:04d}{serial:06d}')}"


def valid_card_number(number: str) -> bool:
    """Whether a card number is well formed and its check digit matches."""
    parts = number.strip().upper().split("-")
    if len(parts) != 4 or parts[0] != "SC" or not all(p.isdigit() for p in parts[1:]):
        return False
    year, serial, check = parts[1:]
    if len(year) != 4 or len(serial) != 6 or len(check) != 1:
        return False
    return damm(year + serial + check) == 0


def _issue_credential(sess: Session, actor: User | None, participant: Participant,
                      card: SkillCard, form: SkillForm) -> None:
    """Every card also comes as a signed Open Badges credential the returnee can carry."""
    answers = form.answers if isinstance(form.answers, dict) else {}
    cred = credentials.issue(sess, actor, participant, Scope.SKILL_CARD,
                             card=credentials.CardFacts(number=card.number, answers=answers))
    card.credential_id = cred.id
    sess.flush()


def _issue_card(sess: Session, actor_id: int | None, participant: Participant, form: SkillForm,
                now: datetime) -> SkillCard:
    # Random serials: sequential ones would reveal how many cards an office issues.
    for _attempt in range(20):
        number = card_number(now.year, secrets.randbelow(1_000_000))
        if sess.scalar(select(SkillCard.id).where(SkillCard.number == number)) is None:
            break
    else:  # pragma: no cover - a million serials a year
        raise Conflict(_("No free card number; try again."), code="card-number-exhausted")
    card = SkillCard(number=number, participant_id=participant.id, form_id=form.id,
                     public_id=secrets.token_urlsafe(24), issued_at=now, issued_by=actor_id)
    sess.add(card)
    sess.flush()
    audit.record(sess, "skillcards:skill_card:issue", actor_id=actor_id, object_type="skill_card",
                 object_id=card.id, office_id=participant.office_id, participant_id=participant.id,
                 form_id=form.id)
    return card


def list_cards(sess: Session, actor: User, participant: Participant) -> list[SkillCard]:
    """Every card the participant was issued, newest first (the read is audited)."""
    cards = sess.scalars(select(SkillCard).where(SkillCard.participant_id == participant.id)
                         .order_by(SkillCard.issued_at.desc(), SkillCard.id.desc())).all()
    audit.record(sess, "skillcards:skill_card:list", actor_id=actor.id, object_type="participant",
                 object_id=participant.id, office_id=participant.office_id, count=len(cards))
    return list(cards)


def get_card(sess: Session, participant: Participant, card_id: int) -> SkillCard:
    return load_owned(sess, SkillCard, card_id, participant.id, _("No such skill card."))


def latest_card(sess: Session, participant: Participant) -> SkillCard | None:
    return sess.scalar(select(SkillCard).where(SkillCard.participant_id == participant.id)
                       .order_by(SkillCard.issued_at.desc(), SkillCard.id.desc()).limit(1))


def read_latest_card(sess: Session, actor: User, participant: Participant) -> SkillCard | None:
    """The participant's latest card, to show or print; the read is audited."""
    card = latest_card(sess, participant)
    if card is not None:
        audit.record(sess, "skillcards:skill_card:read", actor_id=actor.id,
                     object_type="skill_card", object_id=card.id,
                     office_id=participant.office_id, participant_id=participant.id)
    return card


def revoke_card(sess: Session, actor: User, participant: Participant, card: SkillCard,
                reason: str) -> SkillCard:
    """Revoke a card: the verification page says so from now on. The reason stays here."""
    if card.revoked_at is not None:
        raise CardRevoked(_("The skill card is already revoked."))
    card.revoked_at, card.revoked_by, card.revocation_reason = utcnow(), actor.id, reason.strip()
    sess.flush()
    # The card's credential goes with it, or it would keep verifying as valid.
    if card.credential_id is not None:
        cred = sess.get(Credential, card.credential_id)
        if cred is not None and cred.revoked_at is None:
            credentials.revoke(sess, actor, participant, cred, reason=card.revocation_reason)
    audit.record(sess, "skillcards:skill_card:revoke", actor_id=actor.id,
                 object_type="skill_card", object_id=card.id, office_id=participant.office_id,
                 participant_id=participant.id)
    logger.info("skill card revoked card=%s", card.id)
    return card


def verification_url(card: SkillCard) -> str:
    """The public page the card's QR code leads to."""
    return f"{current_app.config['PUBLIC_BASE_URL']}/cards/{card.public_id}"


def qr_svg(url: str) -> str:
    """The QR code of a URL as inline SVG (pure Python: no image library needed)."""
    # Error correction M (15%) survives a worn or creased printed card.
    return segno.make_qr(url, error="m").svg_inline(scale=4, title=url, svgclass="qr", omitsize=True)


def card_by_public_id(sess: Session, public_id: str) -> SkillCard | None:
    if not public_id or len(public_id) > 32:
        return None
    return sess.scalar(select(SkillCard).where(SkillCard.public_id == public_id))


def check_card(sess: Session, public_id: str) -> tuple[SkillCard, Participant] | None:
    """The card behind a public verification address and its holder (None: no such card);
    every check is audited, valid or revoked."""
    card = card_by_public_id(sess, public_id)
    if card is None:
        return None
    participant = sess.get(Participant, card.participant_id)
    audit.record(sess, "skillcards:skill_card:verify", actor_id=None, object_type="skill_card",
                 object_id=card.id, office_id=participant.office_id,
                 participant_id=participant.id, revoked=card.revoked_at is not None)
    return card, participant
