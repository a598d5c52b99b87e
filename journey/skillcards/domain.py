"""Return skill forms and skill cards (SWADES)."""

from journey.core.domains import Category, Domain, PersonalData
from journey.core.policy import STAFF, Role
from journey.skillcards import hooks, section
from journey.skillcards.erasure import close_form_links, revoke_cards
from journey.skillcards.models import SkillCard, SkillForm
from journey.skillcards.pages import bp as pages_bp
from journey.skillcards.routes import blp
from journey.skillcards.sms import TEMPLATE as LINK_TEMPLATE
from journey.skillcards.staff_pages import bp as staff_pages_bp

DOMAIN = Domain(
    name="skillcards",
    api_blueprints=(blp,),
    page_blueprints=(pages_bp, staff_pages_bp),
    models=(SkillForm, SkillCard),
    permissions={
        "skillcards:read": STAFF,
        "skillcards:manage": STAFF,
        "skillcards:revoke": frozenset({Role.ADMIN, Role.SUPERVISOR}),
    },
    templates=(LINK_TEMPLATE,),
    # The "Skills passport" part of the record page: it sums up passports, credentials and
    # skill cards, and only this package may read all three (credentials never imports us, and
    # passports imports neither).
    record_sections=(section.skills_passport,),
    # A skill form opens when the participant enters return or reintegration.
    timeline_handlers=(hooks.on_entry,),
    personal_data=(
        PersonalData("skill_forms", (Category.CASE,), ("participant_id",),
                     erase_columns=("prefill", "answers"), erase=close_form_links),
        PersonalData("skill_cards", (Category.CASE,), ("participant_id",), erase=revoke_cards),
    ),
)
