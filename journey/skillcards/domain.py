"""Return skill forms and skill cards (SWADES)."""

from journey.core.domains import Category, Domain, PersonalData
from journey.core.policy import STAFF, Role
from journey.skillcards import hooks
from journey.skillcards.erasure import close_form_links, revoke_cards
from journey.skillcards.models import SkillCard, SkillForm
from journey.skillcards.pages import bp as pages_bp
from journey.skillcards.routes import blp

DOMAIN = Domain(
    name="skillcards",
    api_blueprints=(blp,),
    page_blueprints=(pages_bp,),
    models=(SkillForm, SkillCard),
    permissions={
        "skillcards:read": STAFF,
        "skillcards:manage": STAFF,
        "skillcards:revoke": frozenset({Role.ADMIN, Role.SUPERVISOR}),
    },
    # A skill form opens when the participant enters return or reintegration.
    timeline_handlers=(hooks.on_entry,),
    personal_data=(
        PersonalData("skill_forms", (Category.CASE,), ("participant_id",),
                     erase_columns=("prefill", "answers"), erase=close_form_links),
        PersonalData("skill_cards", (Category.CASE,), ("participant_id",), erase=revoke_cards),
    ),
)
