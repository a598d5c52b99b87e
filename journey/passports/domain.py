"""Skills passports, their entries' history, and share links for employers."""

from flask import Flask

from journey.consent.models import Purpose
from journey.consent.services import on_withdrawal
from journey.core.domains import Category, Domain, PersonalData
from journey.core.policy import STAFF, Role
from journey.passports.entry_pages import bp as entry_pages_bp
from journey.passports.erasure import erase_passport, revoke_share_links
from journey.passports.models import Passport, PassportEntry, PassportEntryRevision, ShareLink
from journey.passports.pages import bp as pages_bp
from journey.passports.routes import blp
from journey.passports.share_pages import bp as share_pages_bp
from journey.passports.sharing import revoke_on_withdrawal


def _init_app(app: Flask) -> None:
    # Withdrawing consent to share closes the participant's share links for good.
    on_withdrawal(app, Purpose.SHARE_EMPLOYERS, revoke_on_withdrawal)


DOMAIN = Domain(
    name="passports",
    api_blueprints=(blp,),
    page_blueprints=(pages_bp, entry_pages_bp, share_pages_bp),
    models=(Passport, PassportEntry, PassportEntryRevision, ShareLink),
    permissions={
        "passports:read": STAFF,
        "passports:write": STAFF,
        "passports:verify": STAFF,
        # What a participant agreed to show publicly, for anyone whose scope holds them: staff, and
        # employer and partner users linked to the participant.
        "passports:read_disclosed": frozenset(Role),
        "shares:read": STAFF,
        "shares:manage": STAFF,
    },
    personal_data=(
        PersonalData("passports", (Category.CASE,), ("participant_id",), erase=erase_passport),
        PersonalData("passport_entries", (Category.CASE,), ("participant_id",),
                     erase_columns=("title", "details", "evidence")),
        PersonalData("passport_entry_revisions", (Category.CASE,),
                     ("entry_id", "passport_entries.participant_id"),
                     note="full snapshots of each entry", erase_columns=("snapshot", "reason")),
        PersonalData("share_links", (Category.CASE,), ("participant_id",),
                     erase_columns=("audience",), erase=revoke_share_links),
    ),
    init_app=_init_app,
)
