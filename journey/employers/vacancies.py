"""Vacancies: employers (and staff for them) draft, staff publish, fill and close. Services never
commit; every change is audited with ids and codes only.

An employer user only ever reaches their own employer's vacancies (journey.employers.access) and
may edit only drafts; staff edit drafts and open vacancies. Writes take the version read
(journey.core.versions): a stale If-Match is a 412, a stale body version a 409.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from journey.core import audit
from journey.core.auth import User
from journey.core.db import utcnow
from journey.core.errors import Conflict, InvalidInput
from journey.core.i18n import _
from journey.core.policy import require
from journey.core.versions import Precondition, bump, check_version
from journey.employers.access import employer_id_of, is_employer, load_vacancy, vacancy_scope
from journey.employers.models import Candidacy, CandidacyState, Vacancy, VacancyStatus
from journey.organisations.models import Employer
from journey.programmes.models import Programme, ProgrammeEmployer
from journey.taxonomy.models import EscoOccupation, IscoGroup

logger = logging.getLogger(__name__)

FIELDS = ("title", "occupation_uri", "isco_code", "required_skills", "optional_skills",
          "languages", "certificates", "place", "positions", "start_date", "wage_amount",
          "wage_currency", "wage_period", "conditions", "programme_id")

# Where a status may go by hand (publish is draft -> open; selection fills a vacancy itself).
_STATUS_MOVES = {
    VacancyStatus.DRAFT: {VacancyStatus.CLOSED},
    VacancyStatus.OPEN: {VacancyStatus.FILLED, VacancyStatus.CLOSED},
    VacancyStatus.FILLED: {VacancyStatus.OPEN, VacancyStatus.CLOSED},
    VacancyStatus.CLOSED: set(),
}


def _stale() -> str:
    return _("Someone changed this vacancy since you read it; reload and try again.")


def _race() -> str:
    return _("Someone changed this vacancy at the same time; reload and try again.")


def _field_error(field: str, code: str, message: str) -> InvalidInput:
    return InvalidInput(errors=[{"field": field, "code": code, "message": message}])


def _check_occupation(sess: Session, data: dict[str, Any]) -> None:
    """The ESCO occupation and ISCO group exist in the taxonomy; an ESCO occupation fixes the
    ISCO unit group (filled in when not given)."""
    uri, code = data.get("occupation_uri"), data.get("isco_code")
    if uri:
        isco = sess.scalar(sa.select(EscoOccupation.isco_code).where(EscoOccupation.uri == uri))
        if isco is None:
            raise _field_error("occupation_uri", "not-found", _("No such ESCO occupation."))
        if code and code != isco:
            raise _field_error("isco_code", "mismatch",
                               _("The ESCO occupation is in ISCO unit group %(code)s.", code=isco))
        data["isco_code"] = isco
    elif code and sess.get(IscoGroup, code) is None:
        raise _field_error("isco_code", "not-found", _("No such ISCO-08 group."))


def _check_programme(sess: Session, user: User, programme_id: int, employer_id: int) -> None:
    """The programme exists; an employer user drafts only in programmes their employer is in."""
    if sess.get(Programme, programme_id) is None:
        raise _field_error("programme_id", "not-found", _("No such programme."))
    if is_employer(user) and sess.get(ProgrammeEmployer, (programme_id, employer_id)) is None:
        raise _field_error("programme_id", "not-in-programme",
                           _("Your organisation does not take part in this programme."))


def _employer_for(sess: Session, user: User, data: dict[str, Any]) -> int:
    """The employer a new vacancy is for: an employer user's own; the one staff name."""
    given = data.pop("employer_id", None)
    own = employer_id_of(user)
    if own is not None:
        if given is not None and given != own:
            raise _field_error("employer_id", "not-yours",
                               _("You can draft vacancies for your own organisation only."))
        return own
    if given is None:
        raise _field_error("employer_id", "required", _("Name the employer."))
    if sess.get(Employer, given) is None:
        raise _field_error("employer_id", "not-found", _("No such employer."))
    return given


def list_vacancies(sess: Session, user: User, *, status: str | None = None) -> list[Vacancy]:
    """The vacancies the user may see (an employer user's own), newest first."""
    require(user, "vacancies:read")
    stmt = sa.select(Vacancy).where(vacancy_scope(user))
    if status is not None:
        stmt = stmt.where(Vacancy.status == VacancyStatus(status).value)
    return list(sess.scalars(stmt.order_by(Vacancy.id.desc())))


def read_vacancy(sess: Session, user: User, vacancy_id: int) -> Vacancy:
    """One vacancy the user may see (404 otherwise)."""
    return load_vacancy(sess, user, vacancy_id, "vacancies:read")


def create_vacancy(sess: Session, user: User, data: dict[str, Any]) -> Vacancy:
    """A draft vacancy: for an employer user's own employer, in a programme it takes part in."""
    require(user, "vacancies:draft")
    data = dict(data)
    employer_id = _employer_for(sess, user, data)
    _check_programme(sess, user, data["programme_id"], employer_id)
    _check_occupation(sess, data)
    now = utcnow()
    vacancy = Vacancy(employer_id=employer_id, created_by=user.id, created_at=now, updated_at=now,
                      status=VacancyStatus.DRAFT.value, **{k: data[k] for k in FIELDS if k in data})
    sess.add(vacancy)
    sess.flush()
    audit.record(sess, "employers:vacancy:create", actor_id=user.id, object_type="vacancy",
                 object_id=vacancy.id, employer_id=employer_id,
                 programme_id=vacancy.programme_id)
    logger.info("vacancy drafted vacancy=%s employer=%s", vacancy.id, employer_id)
    return vacancy


def _selected(sess: Session, vacancy_id: int) -> int:
    return sess.scalar(sa.select(sa.func.count()).select_from(Candidacy).where(
        Candidacy.vacancy_id == vacancy_id, Candidacy.state == CandidacyState.SELECTED.value))


def update_vacancy(sess: Session, user: User, vacancy_id: int, data: dict[str, Any], *,
                   expected: Precondition | None) -> Vacancy:
    """Edit a vacancy at the version read: an employer its drafts, staff drafts and open ones."""
    vacancy = load_vacancy(sess, user, vacancy_id, "vacancies:draft")
    check_version(vacancy.version, expected, _stale())
    editable = ({VacancyStatus.DRAFT} if is_employer(user)
                else {VacancyStatus.DRAFT, VacancyStatus.OPEN})
    if VacancyStatus(vacancy.status) not in editable:
        raise Conflict(_("Only a draft can be changed by the employer; staff can also change an "
                         "open vacancy.") if is_employer(user)
                       else _("A filled or closed vacancy cannot be changed."),
                       code="vacancy-not-editable", extra={"vacancy_status": vacancy.status})
    data = dict(data)
    if "programme_id" in data and data["programme_id"] != vacancy.programme_id:
        _check_programme(sess, user, data["programme_id"], vacancy.employer_id)
    if "occupation_uri" in data or "isco_code" in data:
        merged = {"occupation_uri": data.get("occupation_uri", vacancy.occupation_uri),
                  "isco_code": data.get("isco_code", vacancy.isco_code)}
        if "occupation_uri" in data and "isco_code" not in data:
            merged["isco_code"] = None  # a new occupation fixes its own group
        _check_occupation(sess, merged)
        data.update(merged)
    if "positions" in data and data["positions"] < _selected(sess, vacancy.id):
        raise _field_error("positions", "below-selected",
                           _("More candidates are already selected than that."))
    changed = sorted(k for k in FIELDS if k in data and getattr(vacancy, k) != data[k])
    for k in changed:
        setattr(vacancy, k, data[k])
    if changed:
        vacancy.updated_at = utcnow()
        bump(sess, vacancy, expected, _race())
        sess.flush()
        audit.record(sess, "employers:vacancy:update", actor_id=user.id, object_type="vacancy",
                     object_id=vacancy.id, employer_id=vacancy.employer_id, fields=changed)
    return vacancy


def _move(sess: Session, user: User, vacancy: Vacancy, status: VacancyStatus, action: str,
          expected: Precondition | None) -> Vacancy:
    before = vacancy.status
    vacancy.status = status.value
    vacancy.updated_at = utcnow()
    if status == VacancyStatus.OPEN and vacancy.published_at is None:
        vacancy.published_at, vacancy.published_by = vacancy.updated_at, user.id
    bump(sess, vacancy, expected, _race())
    sess.flush()
    audit.record(sess, f"employers:vacancy:{action}", actor_id=user.id, object_type="vacancy",
                 object_id=vacancy.id, employer_id=vacancy.employer_id, from_status=before,
                 to_status=vacancy.status)
    logger.info("vacancy %s vacancy=%s %s->%s", action, vacancy.id, before, vacancy.status)
    return vacancy


def publish_vacancy(sess: Session, user: User, vacancy_id: int, *,
                    expected: Precondition | None = None) -> Vacancy:
    """Staff publish a draft: it opens for candidates."""
    vacancy = load_vacancy(sess, user, vacancy_id, "vacancies:publish")
    check_version(vacancy.version, expected, _stale())
    if vacancy.status != VacancyStatus.DRAFT.value:
        raise Conflict(_("Only a draft can be published."), code="vacancy-not-draft",
                       extra={"vacancy_status": vacancy.status})
    return _move(sess, user, vacancy, VacancyStatus.OPEN, "publish", expected)


def set_vacancy_status(sess: Session, user: User, vacancy_id: int, status: str, *,
                       expected: Precondition | None = None) -> Vacancy:
    """Staff mark a vacancy filled or closed (or open again a filled one)."""
    vacancy = load_vacancy(sess, user, vacancy_id, "vacancies:publish")
    check_version(vacancy.version, expected, _stale())
    target = VacancyStatus(status)
    if target not in _STATUS_MOVES[VacancyStatus(vacancy.status)]:
        raise Conflict(_("A vacancy cannot go from %(before)s to %(after)s.",
                         before=vacancy.status, after=target.value),
                       code="vacancy-status", extra={"vacancy_status": vacancy.status})
    return _move(sess, user, vacancy, target, "status", expected)


def fill_if_complete(sess: Session, user: User, vacancy: Vacancy) -> bool:
    """Mark the vacancy filled once as many candidates are selected as it has positions."""
    if vacancy.status != VacancyStatus.OPEN.value or _selected(sess, vacancy.id) < vacancy.positions:
        return False
    _move(sess, user, vacancy, VacancyStatus.FILLED, "fill", None)
    return True


def positions_left(sess: Session, vacancy: Vacancy) -> int:
    return max(0, vacancy.positions - _selected(sess, vacancy.id))
