"""Participant endpoints: thin; load through a schema, call one service, dump through a schema."""

from __future__ import annotations

from journey.core.api import Blueprint
from journey.core.auth import current_user
from journey.core.db import db, reads_first
from journey.core.pagination import with_total
from journey.core.versions import precondition
from journey.participants import services
from journey.participants.schemas import (
    SUMMARY_COLUMNS,
    ParticipantQuerySchema,
    ParticipantSchema,
    ParticipantSummarySchema,
    ParticipantUpdateSchema,
    plain_page_schema,
)

blp = Blueprint("participants", __name__, url_prefix="/participants",
                description="The participants registry.")
ParticipantPageSchema = plain_page_schema(ParticipantSummarySchema, "ParticipantPage")


def _etag(p) -> dict[str, str]:
    return {"ETag": f'"{p.version}"'}


@blp.get("/", permission="participants:read")
@blp.arguments(ParticipantQuerySchema, location="query")
@blp.response(200, ParticipantPageSchema)
@reads_first
def list_participants(args):
    """List participants you may see, filtered, sorted and paged (total included)."""
    return with_total(services.search_participants(db.session, current_user(), args,
                                                   columns=SUMMARY_COLUMNS))


@blp.get("/<id:participant_id>", permission="participants:read")
@blp.response(200, ParticipantSchema)
@reads_first
def get_participant(participant_id: int):
    """One participant's full record (the read is audited)."""
    p = services.read_participant(db.session, current_user(), participant_id)
    return p, _etag(p)


@blp.patch("/<id:participant_id>", permission="participants:update")
@blp.arguments(ParticipantUpdateSchema)
@blp.response(200, ParticipantSchema)
@blp.alt_response(412, description="The version you sent is stale.")
@blp.alt_response(409, description="The change makes the record match another participant.")
@blp.alt_response(429, description="Too many matches outside your scope this hour.")
def update_participant(data, participant_id: int):
    """Change some fields, at the version you read (If-Match or the version field)."""
    sess = db.session
    expected = precondition(data)
    p = services.update_participant(sess, current_user(sess), participant_id, data,
                                    expected=expected)
    return p, _etag(p)
