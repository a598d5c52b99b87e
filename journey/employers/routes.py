"""Vacancies and the candidates presented to them; the employer selects.

Thin: load through a schema, call one service (journey.employers.vacancies, .candidates), dump
through a schema. An employer user reaches only their own employer's vacancies and candidates;
anything else reads as missing (404).
"""

from __future__ import annotations

from journey.core.api import Blueprint
from journey.core.auth import current_user
from journey.core.db import db
from journey.core.versions import precondition
from journey.employers import candidates, vacancies
from journey.employers.schemas import (
    CandidacySchema,
    CandidatePageSchema,
    CandidateQuerySchema,
    CandidateSchema,
    DecisionSchema,
    PresentSchema,
    VacancyPublishSchema,
    VacancyQuerySchema,
    VacancySchema,
    VacancyStatusSchema,
    VacancyUpdateSchema,
)

blp = Blueprint("vacancies", __name__, url_prefix="",
                description="Vacancies and the candidates presented to them; the employer "
                            "selects.")

_NOT_EDITABLE = "The vacancy is not a draft (employers) or is filled or closed (code " \
                "vacancy-not-editable), or the version you sent is stale (stale-version)."


def _etag(obj) -> dict[str, str]:
    return {"ETag": f'"{obj.version}"'}


@blp.get("/vacancies", permission="vacancies:read")
@blp.arguments(VacancyQuerySchema, location="query")
@blp.response(200, VacancySchema(many=True))
def list_vacancies(args):
    """The vacancies you may see (an employer user: their own), newest first."""
    return vacancies.list_vacancies(db.session, current_user(), status=args.get("status"))


@blp.post("/vacancies", permission="vacancies:draft")
@blp.arguments(VacancySchema)
@blp.response(201, VacancySchema)
def create_vacancy(data):
    """Draft a vacancy: an employer user for their own employer, in a programme it takes part
    in; staff name the employer."""
    vacancy = vacancies.create_vacancy(db.session, current_user(), data)
    return vacancy, _etag(vacancy)


@blp.get("/vacancies/<id:vacancy_id>", permission="vacancies:read")
@blp.response(200, VacancySchema)
def get_vacancy(vacancy_id: int):
    """One vacancy."""
    vacancy = vacancies.read_vacancy(db.session, current_user(), vacancy_id)
    return vacancy, _etag(vacancy)


@blp.patch("/vacancies/<id:vacancy_id>", permission="vacancies:draft")
@blp.arguments(VacancyUpdateSchema)
@blp.response(200, VacancySchema)
@blp.alt_response(409, description=_NOT_EDITABLE)
@blp.alt_response(412, description="The If-Match version is stale.")
def update_vacancy(data, vacancy_id: int):
    """Edit a vacancy at the version you read (If-Match or the version field): an employer its
    drafts, staff drafts and open vacancies."""
    sess = db.session
    expected = precondition(data)
    vacancy = vacancies.update_vacancy(sess, current_user(sess), vacancy_id, data,
                                       expected=expected)
    return vacancy, _etag(vacancy)


@blp.post("/vacancies/<id:vacancy_id>/publish", permission="vacancies:publish")
@blp.arguments(VacancyPublishSchema)
@blp.response(200, VacancySchema)
@blp.alt_response(409, description="Only a draft can be published (code vacancy-not-draft).")
@blp.alt_response(412, description="The If-Match version is stale.")
def publish_vacancy(data, vacancy_id: int):
    """Publish a draft: it opens for candidates."""
    sess = db.session
    expected = precondition(data, required=False)
    vacancy = vacancies.publish_vacancy(sess, current_user(sess), vacancy_id, expected=expected)
    return vacancy, _etag(vacancy)


@blp.post("/vacancies/<id:vacancy_id>/status", permission="vacancies:publish")
@blp.arguments(VacancyStatusSchema)
@blp.response(200, VacancySchema)
@blp.alt_response(409, description="That status cannot follow the current one (code "
                                   "vacancy-status).")
@blp.alt_response(412, description="The If-Match version is stale.")
def set_vacancy_status(data, vacancy_id: int):
    """Mark a vacancy filled or closed."""
    sess = db.session
    expected = precondition(data, required=False)
    vacancy = vacancies.set_vacancy_status(sess, current_user(sess), vacancy_id, data["status"],
                                           expected=expected)
    return vacancy, _etag(vacancy)


@blp.get("/vacancies/<id:vacancy_id>/candidates", permission="candidates:read")
@blp.arguments(CandidateQuerySchema, location="query")
@blp.response(200, CandidatePageSchema)
def list_candidates(args, vacancy_id: int):
    """The vacancy's candidates you may see, by candidacy id, a page at a time (?after= the
    last candidacy_id): names and skills summaries only."""
    limit = args["limit"]
    items = candidates.list_candidates(db.session, current_user(), vacancy_id,
                                       state=args.get("state"), after_id=args.get("after"),
                                       limit=limit)
    return {"items": items,
            "next_after": items[-1]["candidacy_id"] if len(items) == limit else None}


@blp.post("/vacancies/<id:vacancy_id>/candidates", permission="candidates:present")
@blp.arguments(PresentSchema)
@blp.response(201, CandidacySchema)
@blp.alt_response(409, description="The vacancy is not open (vacancy-not-open), the employer is "
                                   "not verified (employer-not-verified), the participant has "
                                   "not consented to share with employers (consent-required), "
                                   "or was already presented (already-presented).")
def present_candidate(data, vacancy_id: int):
    """Present a participant in your scope to an open vacancy of a verified employer."""
    return candidates.present(db.session, current_user(), vacancy_id, data["participant_id"],
                              recruiter_id=data.get("recruiter_id"), note=data.get("note"))


@blp.get("/vacancies/<id:vacancy_id>/candidates/<id:candidacy_id>", permission="candidates:read")
@blp.response(200, CandidateSchema)
def get_candidate(vacancy_id: int, candidacy_id: int):
    """One candidate as the employer may see them (name, passport entries, skill card data,
    never gender identity, disability, contact details or grievances) and the selection's
    steps. The read is audited."""
    return candidates.read_candidate(db.session, current_user(), vacancy_id, candidacy_id)


@blp.post("/vacancies/<id:vacancy_id>/candidates/<id:candidacy_id>/decisions",
          permission="candidates:decide")
@blp.arguments(DecisionSchema)
@blp.response(200, CandidacySchema)
@blp.alt_response(409, description="The step cannot follow the current one (candidacy-state); "
                                   "selecting: the vacancy is not open (vacancy-not-open), its "
                                   "positions are filled (positions-filled), the continuum's "
                                   "conditions are unmet (guards-unmet, with unmet), the "
                                   "participant holds a placement (placement-active), or the "
                                   "recruiter may not place (recruiter-…); a stale version.")
@blp.alt_response(412, description="The If-Match version is stale.")
def decide(data, vacancy_id: int, candidacy_id: int):
    """Shortlist, interview, select or reject a candidate, with a reason from the fixed list and
    an optional note. Selecting moves the participant to matched and opens the placement."""
    sess = db.session
    expected = precondition(data, required=False)
    candidacy = candidates.decide(sess, current_user(sess), vacancy_id, candidacy_id,
                                  state=data["state"], reason=data.get("reason"),
                                  note=data.get("note"), expected=expected)
    return candidacy, _etag(candidacy)
