"""The privacy API: a participant's archive (access and portability), the register of processing."""

from __future__ import annotations

import marshmallow as ma

from journey.core.api import Blueprint
from journey.participants.routing import participant_context
from journey.privacy import export, register

blp = Blueprint("privacy", __name__, url_prefix="",
                description="The data subject's rights: export, and the register of processing.")


class RecipientSchema(ma.Schema):
    code = ma.fields.String(required=True)
    kind = ma.fields.String(required=True, metadata={"enum": ["staff", "external", "processor"]})
    title = ma.fields.String(required=True)


class LegalBasisSchema(ma.Schema):
    code = ma.fields.String(required=True)
    title = ma.fields.String(required=True)


class RegisterTableSchema(ma.Schema):
    table = ma.fields.String(required=True)
    domain = ma.fields.String(required=True)
    subject = ma.fields.String(required=True, metadata={"enum": ["participant", "staff"]})
    note = ma.fields.String(required=True)
    purpose = ma.fields.String(allow_none=True)
    read_permissions = ma.fields.List(ma.fields.String(), required=True)
    recipients = ma.fields.List(ma.fields.String(), required=True)


class RegisterCategorySchema(ma.Schema):
    category = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    purposes = ma.fields.List(ma.fields.String(), required=True)
    legal_bases = ma.fields.List(ma.fields.Nested(LegalBasisSchema), required=True)
    retention_days = ma.fields.Integer(allow_none=True, metadata={"minimum": 1})
    recipients = ma.fields.List(ma.fields.Nested(RecipientSchema), required=True)
    tables = ma.fields.List(ma.fields.Nested(RegisterTableSchema), required=True)


_ZIP = {"200": {"description": "A ZIP archive: data.json (every declared table with the "
                               "person's rows) and summary.html (in the participant's language).",
                "content": {"application/zip": {"schema": {"type": "string",
                                                           "format": "binary"}}}}}


@blp.get("/participants/<id:participant_id>/privacy/export", permission="privacy:export")
@blp.doc(responses=_ZIP)
def export_participant(participant_id: int):
    """All of a participant's data as one archive (supervisors of their office and admins);
    the export is audited."""
    sess, user, p = participant_context(participant_id, "privacy:export")
    return export.archive_response(sess, p, actor_id=user.id, via="api")


@blp.get("/privacy/register", permission="privacy:register")
@blp.response(200, RegisterCategorySchema(many=True))
def processing_register():
    """The register of processing: each category of personal data with its purposes, legal
    bases, retention, recipients and tables, generated from the domains' declarations."""
    return register.build()
