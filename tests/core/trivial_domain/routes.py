"""The trivial domain's one route."""

from __future__ import annotations

import marshmallow as ma

from journey.core.api import Blueprint
from journey.core.auth import current_user
from journey.core.db import db
from journey.participants.services import load_participant
from tests.core.trivial_domain import services

blp = Blueprint("trivial_notes", __name__, url_prefix="/participants",
                description="Notes (a trivial domain used by the tests).")


class NoteSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    text = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=500))
    source = ma.fields.String(dump_only=True)


@blp.post("/<id:participant_id>/notes", permission="trivial:write")
@blp.arguments(NoteSchema)
@blp.response(201, NoteSchema)
def add_note(data, participant_id: int):
    """Add a note to a participant."""
    sess = db.session
    user = current_user(sess)
    p = load_participant(sess, user, participant_id, "trivial:write")
    return services.add_note(sess, user, p, data["text"], "api")
