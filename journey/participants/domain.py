"""Participants: the registry of the people a centre serves."""

from journey.core.domains import Category, Domain, PersonalData, TimelineKind
from journey.core.i18n import _l
from journey.core.policy import STAFF, Role
from journey.participants.assignment import ASSIGNED
from journey.participants.erasure import erase_participant
from journey.participants.models import Participant
from journey.participants.routes import blp

DOMAIN = Domain(
    name="participants",
    api_blueprints=(blp,),
    models=(Participant,),
    permissions={
        "participants:read": STAFF,
        "participants:create": STAFF,
        "participants:update": STAFF,
        "participants:read_sensitive": frozenset({Role.ADMIN, Role.SUPERVISOR, Role.CASEWORKER}),
    },
    timeline_kinds=(TimelineKind(ASSIGNED, _l("Caseworker assigned")),),
    personal_data=(
        PersonalData("participants",
                     (Category.IDENTITY, Category.CONTACT, Category.SENSITIVE, Category.CASE),
                     ("id",), note="names and birth date; phone and email; sex, gender identity "
                                   "and disability; stage and notes",
                     erase=erase_participant),
    ),
)
