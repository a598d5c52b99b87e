"""Signed Open Badges credentials, their keys and public verification."""

from journey.core.domains import Category, Domain, PersonalData
from journey.core.policy import STAFF, Role
from journey.credentials.erasure import revoke_credentials
from journey.credentials.models import Credential, SigningKey
from journey.credentials.pages import bp as pages_bp
from journey.credentials.routes import blp
from journey.credentials.staff_pages import bp as staff_pages_bp

DOMAIN = Domain(
    name="credentials",
    api_blueprints=(blp,),
    page_blueprints=(pages_bp, staff_pages_bp),
    models=(SigningKey, Credential),
    permissions={
        "credentials:read": STAFF,
        "credentials:issue": STAFF,
        "credentials:revoke": frozenset({Role.ADMIN, Role.SUPERVISOR}),
    },
    personal_data=(
        PersonalData("credentials", (Category.IDENTITY, Category.CASE), ("participant_id",),
                     note="the signed credential names its holder",
                     erase_columns=("token",), erase=revoke_credentials),
    ),
)
