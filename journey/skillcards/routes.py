"""Return skill form and skill card endpoints."""

from __future__ import annotations

from flask_babel import gettext as _

from journey.core.api import Blueprint
from journey.core.errors import NotFound
from journey.core.versions import precondition
from journey.participants.routing import participant_context
from journey.skillcards import services, sms
from journey.skillcards.schemas import (
    SkillCardRevokeSchema,
    SkillCardSchema,
    SkillFormCompleteSchema,
    SkillFormLinkSchema,
    SkillFormLinkSentSchema,
    SkillFormSchema,
    SkillFormUpdateSchema,
)

blp = Blueprint("skillcards", __name__, url_prefix="",
                description="SWADES-style return skill forms and the skill cards they issue.")


def _etag(form) -> dict[str, str]:
    return {"ETag": f'"{form.version}"'}


def _open_form(participant_id: int):
    sess, user, p = participant_context(participant_id, "skillcards:manage")
    form = services.current_form(sess, p)
    if form is None:
        raise NotFound(_("No skill form is open for this participant."), code="no-skill-form")
    return sess, user, p, form


@blp.get("/participants/<id:participant_id>/skill-form", permission="skillcards:read")
@blp.response(200, SkillFormSchema)
def get_skill_form(participant_id: int):
    """The current cycle's return skill form: the pre-fill and the answers (the read is audited)."""
    sess, user, p = participant_context(participant_id, "skillcards:read")
    form = services.read_form(sess, user, p)
    return form, _etag(form)


@blp.post("/participants/<id:participant_id>/skill-form", permission="skillcards:manage")
@blp.response(201, SkillFormSchema)
@blp.alt_response(200, schema=SkillFormSchema, description="The cycle's form was already open.")
@blp.alt_response(409, description="The participant is not preparing to return or back home.")
def open_skill_form(participant_id: int):
    """Open the return skill form, pre-filled from the passport (it also opens by itself when
    the participant enters return or reintegration). One per migration cycle."""
    sess, user, p = participant_context(participant_id, "skillcards:manage")
    form, created = services.open_form(sess, user, p)
    return form, 201 if created else 200, _etag(form)


@blp.patch("/participants/<id:participant_id>/skill-form", permission="skillcards:manage")
@blp.arguments(SkillFormUpdateSchema)
@blp.response(200, SkillFormSchema)
@blp.alt_response(409, description="Stale version field, or the form is completed.")
def update_skill_form(data, participant_id: int):
    """Correct some answers, with the returnee, at the version you read (If-Match or version).
    Fields not sent keep their answers; a list sent replaces that list."""
    sess, user, p, form = _open_form(participant_id)
    expected = precondition(data)
    form = services.update_answers(sess, user, p, form, data["answers"], expected=expected)
    return form, _etag(form)


@blp.post("/participants/<id:participant_id>/skill-form/complete", permission="skillcards:manage")
@blp.arguments(SkillFormCompleteSchema)
@blp.response(201, SkillCardSchema)
@blp.alt_response(409, description="Stale version field, or the form is already completed.")
def complete_skill_form(data, participant_id: int):
    """Confirm the answers (with any last corrections) and issue the skill card."""
    sess, user, p, form = _open_form(participant_id)
    expected = precondition(data)
    return services.complete_form(sess, user, p, form, answers=data.get("answers"),
                                  expected=expected)


@blp.post("/participants/<id:participant_id>/skill-form/link", permission="skillcards:manage")
@blp.response(201, SkillFormLinkSchema)
@blp.alt_response(409, description="The form is already completed.")
def create_skill_form_link(participant_id: int):
    """A link through which the returnee confirms the form on their own. Shown once; a new
    link replaces the old one."""
    sess, user, p, form = _open_form(participant_id)
    return services.create_link(sess, user, p, form)


@blp.post("/participants/<id:participant_id>/skill-form/link/sms", permission="skillcards:manage")
@blp.response(201, SkillFormLinkSentSchema)
@blp.alt_response(409, description="The form is already completed, or the participant has no "
                                   "phone, takes no SMS, has no consent to messages, or opted "
                                   "out of SMS.")
def send_skill_form_link(participant_id: int):
    """Send the returnee a new link to the form by SMS, in their language (it replaces the old
    link). The message goes through the outbox like every other."""
    sess, user, p, form = _open_form(participant_id)
    return sms.send_link(sess, user, p, form)


@blp.get("/participants/<id:participant_id>/skill-cards", permission="skillcards:read")
@blp.response(200, SkillCardSchema(many=True))
def list_skill_cards(participant_id: int):
    """Every skill card issued to the participant, newest first (the read is audited)."""
    sess, user, p = participant_context(participant_id, "skillcards:read")
    return services.list_cards(sess, user, p)


@blp.post("/participants/<id:participant_id>/skill-cards/<id:card_id>/revoke", permission="skillcards:revoke")
@blp.arguments(SkillCardRevokeSchema)
@blp.response(200, SkillCardSchema)
@blp.alt_response(409, description="The card is already revoked.")
def revoke_skill_card(data, participant_id: int, card_id: int):
    """Revoke a card; its verification page says so from now on."""
    sess, user, p = participant_context(participant_id, "skillcards:revoke")
    card = services.get_card(sess, p, card_id)
    return services.revoke_card(sess, user, p, card, data["reason"])
