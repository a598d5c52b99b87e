"""Consent, per purpose, with its history."""

from journey.consent.models import ConsentRecord
from journey.consent.pages import bp as pages_bp
from journey.consent.pages import consent_section
from journey.consent.routes import blp
from journey.core.domains import Category, Domain, PersonalData
from journey.core.policy import STAFF

DOMAIN = Domain(
    name="consent",
    api_blueprints=(blp,),
    page_blueprints=(pages_bp,),
    record_sections=(consent_section,),
    models=(ConsentRecord,),
    permissions={"consent:read": STAFF, "consent:record": STAFF},
    personal_data=(PersonalData("consent_records", (Category.CASE,), ("participant_id",),
                                erase_columns=("note", "withdrawal_note")),),
)
