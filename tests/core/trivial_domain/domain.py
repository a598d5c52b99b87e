"""The trivial domain's declaration: everything it adds to the app."""

from journey.core.domains import Category, Domain, Keyword, PersonalData, TimelineKind
from journey.core.policy import STAFF
from tests.core.trivial_domain import services
from tests.core.trivial_domain.models import Note
from tests.core.trivial_domain.routes import blp

DOMAIN = Domain(
    name="trivial",
    api_blueprints=(blp,),
    models=(Note,),
    permissions={"trivial:write": STAFF},
    timeline_kinds=(TimelineKind(services.NOTE_ADDED, "Note added"),),
    keywords=(Keyword("note", {"en": ["NOTE"]}, services.on_sms, takes_text=True),),
    personal_data=(PersonalData("trivial_notes", (Category.CASE,), ("participant_id",)),),
)
