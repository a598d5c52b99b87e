"""Who may call what: every API endpoint against every role, as one table.

Read MATRIX as the authorisation policy seen from outside. Each row is one endpoint and the exact
status each caller gets: the endpoint's own success status when allowed, 401 without a token, 403
when the role lacks the permission, and 404 when a caseworker or supervisor reaches a participant
of another office (records outside a user's scope are reported missing, so ids cannot be probed).

Three checks keep the table honest: every endpoint the app routes under /api/v1 has a row; every
row agrees with the policy table the domains declare (journey.core.policy.permissions()); every
permission there is exercised.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pyotp
import pytest
import sqlalchemy as sa

from journey import create_app
from journey.accounts import totp
from journey.accounts.services import create_user, user_version
from journey.continuum.models import ChecklistItem
from journey.continuum.services import record_permit
from journey.continuum.stages import Stage
from journey.core import links
from journey.core.audit import AuditEvent
from journey.core.auth import ApiToken, User, issue_token, start_session
from journey.core.db import db, metadata, utcnow
from journey.core.domains import load, permission_table
from journey.core.errors import NotFound
from journey.core.links import LinkReason, OrganisationKind
from journey.core.policy import Role, participant_scope
from journey.core.versions import Precondition
from journey.costs.services import record_cost
from journey.credentials import services as credentials
from journey.domains import DOMAINS
from journey.employers import candidates, vacancies
from journey.employers.models import EmployerContact, Recruiter
from journey.grievances import glass
from journey.grievances import services as grievance_services
from journey.grievances.models import Escalation
from journey.organisations.models import Employer, Office, OfficeHoliday
from journey.participants.models import Participant
from journey.participants.services import load_participant
from journey.passports import services as passports
from journey.passports import sharing
from journey.privacy import holds
from journey.programmes.models import ProgrammeEmployer
from journey.taxonomy import services as taxonomy
from notifications.models import InboundMessage
from tests.factories import PASSWORD
from tests.skillcards.helpers import card_for, form_for, place

# The policy table as create_app assembles it from the domains' rows, read before any app exists
# (parametrize needs it at collection); test_the_app_enforces_the_assembled_table ties the two.
PERMISSIONS = permission_table(load(DOMAINS))

ANON = "anonymous"
ROLES = ("admin", "supervisor", "caseworker", "employer", "partner", ANON)
PUBLIC = "(public)"  # no token needed
SIGNED_IN = "(signed-in)"  # any valid token, whatever the role


# One row per endpoint, paths relative to /api/v1. {own}: a participant of the caller's office,
# presented to the employer user's employer and referred to the partner user's provider (employer
# and partner users have no office: the participants linked to their organisation are their scope). {other}: a
# participant of another office. {own_item}, {own_permit}, {own_cost}: a checklist item, a permit and
# a cost of {own}; {other_item}, {other_permit}, {other_cost}: the same for {other}.
# {programme}: an existing programme.
# {own_grievance}, {other_grievance}: a grievance of the callers' office and one of another office.
# {token}: a spare token of the caller. {session}: a browser session of the caller. {user}: a
# user other than the callers, with a session {user_session}. {otp}: the caller's current TOTP
# code (for /auth/totp/confirm a pending set-up, for /auth/totp/disable a confirmed one).
MATRIX_TABLE = """
#      path                                            permission            adm sup cw  emp prt anon
GET    /participants/                                  participants:read     200 200 200 403 403 401
POST   /participants/                                  participants:create   201 201 201 403 403 401
GET    /participants/{own}                             participants:read     200 200 200 403 403 401
GET    /participants/{other}                           participants:read     200 404 404 403 403 401
PATCH  /participants/{own}                             participants:update   200 200 200 403 403 401
PATCH  /participants/{other}                           participants:update   200 404 404 403 403 401
GET    /participants/{own}/consents                    consent:read          200 200 200 403 403 401
GET    /participants/{other}/consents                  consent:read          200 404 404 403 403 401
POST   /participants/{own}/consents                    consent:record        201 201 201 403 403 401
POST   /participants/{other}/consents                  consent:record        201 404 404 403 403 401
POST   /participants/{own}/consents/updates/withdraw   consent:record        200 200 200 403 403 401
POST   /participants/{other}/consents/updates/withdraw consent:record        200 404 404 403 403 401
GET    /stages                                         participants:read     200 200 200 403 403 401
POST   /participants/transitions                       continuum:transition  200 200 200 403 403 401
POST   /participants/{own}/transitions                 continuum:transition  200 200 200 403 403 401
POST   /participants/{other}/transitions               continuum:transition  200 404 404 403 403 401
GET    /participants/{own}/checklist                   participants:read     200 200 200 403 403 401
GET    /participants/{other}/checklist                 participants:read     200 404 404 403 403 401
PATCH  /participants/{own}/checklist/{own_item}        continuum:checklist   200 200 200 403 403 401
PATCH  /participants/{other}/checklist/{other_item}    continuum:checklist   200 404 404 403 403 401
GET    /participants/{own}/permits                     permits:read          200 200 200 403 403 401
GET    /participants/{other}/permits                   permits:read          200 404 404 403 403 401
POST   /participants/{own}/permits                     permits:manage        201 201 201 403 403 401
POST   /participants/{other}/permits                   permits:manage        201 404 404 403 403 401
PATCH  /participants/{own}/permits/{own_permit}        permits:manage        200 200 200 403 403 401
PATCH  /participants/{other}/permits/{other_permit}    permits:manage        200 404 404 403 403 401
GET    /participants/{own}/timeline                    participants:read     200 200 200 403 403 401
GET    /participants/{other}/timeline                  participants:read     200 404 404 403 403 401
GET    /participants/{own}/costs                       costs:read            200 200 200 403 403 401
GET    /participants/{other}/costs                     costs:read            200 404 404 403 403 401
POST   /participants/{own}/costs                       costs:record          201 201 201 403 403 401
POST   /participants/{other}/costs                     costs:record          201 404 404 403 403 401
PATCH  /participants/{own}/costs/{own_cost}            costs:record          200 200 200 403 403 401
PATCH  /participants/{other}/costs/{other_cost}        costs:record          200 404 404 403 403 401
POST   /participants/{own}/costs/{own_cost}/refund     costs:refund          200 200 200 403 403 401
POST   /participants/{other}/costs/{other_cost}/refund costs:refund          200 404 404 403 403 401
GET    /costs/categories                               costs:read            200 200 200 403 403 401
GET    /costs/summary                                  costs:summary         200 200 200 200 403 401
GET    /participants/{own}/passport                                 passports:read    200 200 200 403 403 401
GET    /participants/{own}/passport/disclosed             passports:read_disclosed 200 200 200 200 200 401
GET    /participants/{other}/passport/disclosed           passports:read_disclosed 200 404 404 404 404 401
GET    /participants/{other}/passport                               passports:read    200 404 404 403 403 401
PATCH  /participants/{own}/passport                                 passports:write   200 200 200 403 403 401
PATCH  /participants/{other}/passport                               passports:write   200 404 404 403 403 401
POST   /participants/{own}/passport/entries                         passports:write   201 201 201 403 403 401
POST   /participants/{other}/passport/entries                       passports:write   201 404 404 403 403 401
GET    /participants/{own}/passport/entries/{own_entry}             passports:read    200 200 200 403 403 401
GET    /participants/{other}/passport/entries/{other_entry}         passports:read    200 404 404 403 403 401
PATCH  /participants/{own}/passport/entries/{own_entry}             passports:write   200 200 200 403 403 401
PATCH  /participants/{other}/passport/entries/{other_entry}         passports:write   200 404 404 403 403 401
POST   /participants/{own}/passport/entries/{own_entry}/verify      passports:verify  200 200 200 403 403 401
POST   /participants/{other}/passport/entries/{other_entry}/verify  passports:verify  200 404 404 403 403 401
POST   /participants/{own}/passport/entries/{own_entry}/retire      passports:write   200 200 200 403 403 401
POST   /participants/{other}/passport/entries/{other_entry}/retire  passports:write   200 404 404 403 403 401
GET    /participants/{own}/passport/entries/{own_entry}/history     passports:read    200 200 200 403 403 401
GET    /participants/{other}/passport/entries/{other_entry}/history passports:read    200 404 404 403 403 401
POST   /participants/{own}/share-links                              shares:manage     201 201 201 403 403 401
POST   /participants/{other}/share-links                            shares:manage     201 404 404 403 403 401
GET    /participants/{own}/share-links                              shares:read       200 200 200 403 403 401
GET    /participants/{other}/share-links                            shares:read       200 404 404 403 403 401
POST   /participants/{own}/share-links/{own_link}/revoke            shares:manage     200 200 200 403 403 401
POST   /participants/{other}/share-links/{other_link}/revoke        shares:manage     200 404 404 403 403 401
GET    /participants/{own}/credentials                              credentials:read   200 200 200 403 403 401
GET    /participants/{other}/credentials                            credentials:read   200 404 404 403 403 401
POST   /participants/{own}/credentials                              credentials:issue  201 201 201 403 403 401
POST   /participants/{other}/credentials                            credentials:issue  201 404 404 403 403 401
GET    /participants/{own}/credentials/{own_credential}             credentials:read   200 200 200 403 403 401
GET    /participants/{other}/credentials/{other_credential}         credentials:read   200 404 404 403 403 401
POST   /participants/{own}/credentials/{own_credential}/revoke      credentials:revoke 200 200 403 403 403 401
POST   /participants/{other}/credentials/{other_credential}/revoke  credentials:revoke 200 404 403 403 403 401
POST   /credentials/verify                                          (public)           200 200 200 200 200 200
GET    /credentials/{own_credential_uuid}/status                    (public)           200 200 200 200 200 200
GET    /participants/{own}/skill-form                               skillcards:read    200 200 200 403 403 401
GET    /participants/{other}/skill-form                             skillcards:read    200 404 404 403 403 401
POST   /participants/{own}/skill-form                               skillcards:manage  201 201 201 403 403 401
POST   /participants/{other}/skill-form                             skillcards:manage  201 404 404 403 403 401
PATCH  /participants/{own}/skill-form                               skillcards:manage  200 200 200 403 403 401
PATCH  /participants/{other}/skill-form                             skillcards:manage  200 404 404 403 403 401
POST   /participants/{own}/skill-form/complete                      skillcards:manage  201 201 201 403 403 401
POST   /participants/{other}/skill-form/complete                    skillcards:manage  201 404 404 403 403 401
POST   /participants/{own}/skill-form/link                          skillcards:manage  201 201 201 403 403 401
POST   /participants/{other}/skill-form/link                        skillcards:manage  201 404 404 403 403 401
POST   /participants/{own}/skill-form/link/sms                      skillcards:manage  201 201 201 403 403 401
POST   /participants/{other}/skill-form/link/sms                    skillcards:manage  201 404 404 403 403 401
GET    /participants/{own}/skill-cards                              skillcards:read    200 200 200 403 403 401
GET    /participants/{other}/skill-cards                            skillcards:read    200 404 404 403 403 401
POST   /participants/{own}/skill-cards/{own_card}/revoke            skillcards:revoke  200 200 403 403 403 401
POST   /participants/{other}/skill-cards/{other_card}/revoke        skillcards:revoke  200 404 403 403 403 401
POST   /participants/{own}/privacy/erase                        privacy:erase      200 200 403 403 403 401
POST   /participants/{other}/privacy/erase                      privacy:erase      200 404 403 403 403 401
GET    /participants/{own}/privacy/legal-hold                   privacy:hold       200 200 403 403 403 401
GET    /participants/{other}/privacy/legal-hold                 privacy:hold       200 404 403 403 403 401
POST   /participants/{own}/privacy/legal-hold                   privacy:hold       201 201 403 403 403 401
POST   /participants/{other}/privacy/legal-hold                 privacy:hold       201 404 403 403 403 401
POST   /participants/{own}/privacy/legal-hold/lift              privacy:hold       200 200 403 403 403 401
POST   /participants/{other}/privacy/legal-hold/lift            privacy:hold       200 404 403 403 403 401
GET    /participants/{own}/messages                    messages:read         200 200 200 403 403 401
GET    /participants/{other}/messages                  messages:read         200 404 404 403 403 401
GET    /participants/{own}/inbound                     messages:read         200 200 200 403 403 401
GET    /participants/{other}/inbound                   messages:read         200 404 404 403 403 401
POST   /inbound/{inbound}/handled                      messages:reply        200 200 200 403 403 401
POST   /inbound/{inbound}/reply                        messages:reply        201 201 201 403 403 401
GET    /inbound/triage                                 messages:triage       200 200 200 403 403 401
POST   /inbound/{unknown}/attach                       messages:triage       200 200 200 403 403 401
POST   /inbound/{unknown}/dismiss                      messages:triage       200 200 200 403 403 401
GET    /messages/stats                                 messages:read         200 200 200 403 403 401
GET    /my-work                                        workbench:read        200 200 200 403 403 401
POST   /my-work/escalations/{escalation}/seen          workbench:read        204 204 204 403 403 401
POST   /messages/reconcile                             messages:reconcile    200 200 200 403 403 401
POST   /campaigns/preview                              campaigns:send        200 200 200 403 403 401
POST   /campaigns                                      campaigns:send        201 201 201 403 403 401
GET    /audit-events/                                  audit:read            200 200 403 403 403 401
GET    /participants/{own}/privacy/export              privacy:export        200 200 403 403 403 401
GET    /participants/{other}/privacy/export            privacy:export        200 404 403 403 403 401
GET    /privacy/register                               privacy:register      200 200 403 403 403 401
POST   /audit/verify                                   audit:verify          200 403 403 403 403 401
GET    /taxonomy/isco-groups                           taxonomy:read         200 200 200 200 200 401
GET    /taxonomy/isco-groups/5120                      taxonomy:read         200 200 200 200 200 401
GET    /taxonomy/occupations                           taxonomy:read         200 200 200 200 200 401
GET    /users                                          users:manage          200 403 403 403 403 401
POST   /users                                          users:manage          201 403 403 403 403 401
GET    /users/{target}                                 users:manage          200 403 403 403 403 401
PATCH  /users/{target}                                 users:manage          200 403 403 403 403 401
POST   /users/{target}/deactivate                      users:manage          200 403 403 403 403 401
POST   /users/{inactive_target}/reactivate             users:manage          200 403 403 403 403 401
POST   /users/{target}/password-reset                  users:manage          201 403 403 403 403 401
GET    /offices                                        offices:read          200 200 200 403 403 401
POST   /offices                                        offices:manage        201 403 403 403 403 401
PATCH  /offices/{office_a}                             offices:manage        200 403 403 403 403 401
GET    /offices/{office_a}/working-days                offices:read          200 200 200 403 403 401
PUT    /offices/{office_a}/working-days                offices:manage        200 403 403 403 403 401
GET    /offices/{office_a}/holidays                    offices:read          200 200 200 403 403 401
POST   /offices/{office_a}/holidays                    offices:manage        201 403 403 403 403 401
DELETE /offices/{office_a}/holidays/{holiday}          offices:manage        204 403 403 403 403 401
GET    /employers                                      organisations:read    200 200 200 200 200 401
POST   /employers                                      organisations:manage  201 403 403 403 403 401
PATCH  /employers/{employer}                           organisations:manage  200 403 403 403 403 401
GET    /service-providers                              organisations:read    200 200 200 200 200 401
POST   /service-providers                              organisations:manage  201 403 403 403 403 401
PATCH  /service-providers/{provider}                   organisations:manage  200 403 403 403 403 401
GET    /employers/{employer}/record                    employers:read        200 200 200 403 403 401
GET    /employer/me                                    employers:own         403 403 403 200 403 401
POST   /employers/{employer}/contacts                  employers:manage      201 403 403 403 403 401
PATCH  /employers/{employer}/contacts/{contact}        employers:manage      200 403 403 403 403 401
DELETE /employers/{employer}/contacts/{contact}        employers:manage      204 403 403 403 403 401
POST   /employers/{employer}/commitments               employers:manage      201 403 403 403 403 401
POST   /employers/{employer}/verification              employers:verify      200 403 403 403 403 401
GET    /recruiters                                     recruiters:read       200 200 200 403 403 401
POST   /recruiters                                     recruiters:manage     201 201 403 403 403 401
GET    /recruiters/{recruiter}                         recruiters:read       200 200 200 403 403 401
PATCH  /recruiters/{recruiter}                         recruiters:manage     200 200 403 403 403 401
GET    /directory/services                             directory:read        200 200 200 403 200 401
POST   /directory/services                             directory:manage      201 201 403 403 403 401
GET    /directory/services/{dservice}                  directory:read        200 200 200 403 200 401
PATCH  /directory/services/{dservice}                  directory:manage      200 200 403 403 403 401
POST   /directory/services/{dservice}/confirm          directory:manage      200 200 403 403 403 401
GET    /directory/locations                            directory:read        200 200 200 403 200 401
POST   /directory/locations                            directory:manage      201 201 403 403 403 401
PATCH  /directory/locations/{dlocation}                directory:manage      200 200 403 403 403 401
GET    /directory/export                               directory:read        200 200 200 403 200 401
GET    /programmes/                                    programmes:read       200 200 200 200 200 401
GET    /programmes/{programme}                         programmes:read       200 200 200 200 200 401
POST   /programmes/                                    programmes:manage     201 403 403 403 403 401
PATCH  /programmes/{programme}                         programmes:manage     200 403 403 403 403 401
POST   /auth/tokens                                    (public)              201 201 201 201 201 201
GET    /auth/tokens                                    (signed-in)           200 200 200 200 200 401
DELETE /auth/tokens/{token}                            (signed-in)           204 204 204 204 204 401
GET    /auth/me                                        (signed-in)           200 200 200 200 200 401
POST   /auth/password                                  (signed-in)           200 200 200 200 200 401
GET    /auth/sessions                                  (signed-in)           200 200 200 200 200 401
DELETE /auth/sessions/{session}                        (signed-in)           204 204 204 204 204 401
POST   /auth/sessions/end-all                          (signed-in)           200 200 200 200 200 401
POST   /auth/totp                                      (signed-in)           201 201 201 201 201 401
POST   /auth/totp/confirm                              (signed-in)           204 204 204 204 204 401
POST   /auth/totp/disable                              (signed-in)           204 204 204 204 204 401
GET    /users/{user}/tokens                            users:manage          200 403 403 403 403 401
GET    /users/{user}/sessions                          users:manage          200 403 403 403 403 401
DELETE /users/{user}/sessions/{user_session}           users:manage          204 403 403 403 403 401
POST   /users/{user}/sessions/end-all                  users:manage          200 403 403 403 403 401
DELETE /users/{user}/totp                          users:manage          204 403 403 403 403 401
GET    /security/roles/caseworker                      users:manage          200 403 403 403 403 401
PUT    /security/roles/caseworker                      users:manage          200 403 403 403 403 401
GET    /offices/{office_a}/grievance-focal-points      grievances:read       200 200 200 403 403 401
POST   /offices/{office_a}/grievance-focal-points      grievances:focal_points 201 201 403 403 403 401
DELETE /offices/{office_a}/grievance-focal-points/{focal} grievances:focal_points 204 204 403 403 403 401
POST   /grievances/{restricted}/break-glass            grievances:break_glass 201 201 403 403 403 401
GET    /grievances/patterns                            grievances:report     200 200 403 403 403 401
GET    /referrals/figures                              referrals:report      200 200 200 403 403 401
GET    /grievances                                     grievances:read       200 200 200 403 403 401
POST   /grievances                                     grievances:create     201 201 201 403 403 401
GET    /grievances/{own_grievance}                     grievances:read       200 200 200 403 403 401
GET    /grievances/{other_grievance}                   grievances:read       200 404 404 403 403 401
POST   /grievances/{own_grievance}/transitions         grievances:manage     200 200 200 403 403 401
POST   /grievances/{other_grievance}/transitions       grievances:manage     200 404 404 403 403 401
POST   /grievances/{own_grievance}/entries             grievances:manage     201 201 201 403 403 401
POST   /grievances/{other_grievance}/entries           grievances:manage     201 404 404 403 403 401
PUT    /grievances/{own_grievance}/assignee            grievances:manage     200 200 200 403 403 401
PATCH  /grievances/{own_grievance}                     grievances:manage     200 200 200 403 403 401
PATCH  /grievances/{other_grievance}                   grievances:manage     200 404 404 403 403 401
PUT    /grievances/{other_grievance}/assignee          grievances:manage     200 404 404 403 403 401
GET    /vacancies                                      vacancies:read        200 200 200 200 403 401
POST   /vacancies                                      vacancies:draft       201 201 201 201 403 401
GET    /vacancies/{vacancy}                            vacancies:read        200 200 200 200 403 401
PATCH  /vacancies/{vacancy}                            vacancies:draft       200 200 200 200 403 401
POST   /vacancies/{vacancy}/publish                    vacancies:publish     200 200 200 403 403 401
POST   /vacancies/{open_vacancy}/status                vacancies:publish     200 200 200 403 403 401
GET    /vacancies/{open_vacancy}/candidates            candidates:read       200 200 200 200 403 401
POST   /vacancies/{open_vacancy}/candidates            candidates:present    201 201 201 403 403 401
GET    /vacancies/{open_vacancy}/candidates/{candidacy} candidates:read      200 200 200 200 403 401
POST   /vacancies/{open_vacancy}/candidates/{candidacy}/decisions candidates:decide 200 200 200 200 403 401
GET    /placements                                     placements:read       200 200 200 200 403 401
GET    /placements/{placement}                         placements:read       200 200 200 200 403 401
PATCH  /placements/{placement}                         placements:manage     200 200 200 403 403 401
POST   /placements/{placement}/end                     placements:manage     200 200 200 403 403 401
POST   /placements/{placement}/steps/{waiting_step}/confirm   onboarding:confirm   200 200 200 200 403 401
POST   /placements/{placement}/steps/{confirmed_step}/contest onboarding:contest   201 201 201 403 403 401
POST   /placements/{placement}/steps/{waiting_step}/links     onboarding:send_link 201 201 201 403 403 401
POST   /placements/{placement}/retention               retention:record      200 200 200 200 403 401
# Referrals (issue #16, helper "api"): {own_referral} is an office A participant's referral to the
# partner user's provider, {other_referral} an office B participant's to another provider; each
# in the state the row's step starts from (journey.tests: _referral_world).
GET    /referrals                                      referrals:read        200 200 200 403 200 401
POST   /referrals                                      referrals:create      201 201 201 403 403 401
GET    /referrals/{own_referral}                       referrals:read        200 200 200 403 200 401
GET    /referrals/{other_referral}                     referrals:read        200 404 404 403 404 401
PATCH  /referrals/{own_referral}                       referrals:create      200 200 200 403 403 401
PATCH  /referrals/{other_referral}                     referrals:create      200 404 404 403 403 401
POST   /referrals/{own_referral}/send                  referrals:send        200 200 200 403 403 401
POST   /referrals/{other_referral}/send                referrals:send        200 404 404 403 403 401
POST   /referrals/{own_referral}/accept                referrals:respond     200 200 200 403 200 401
POST   /referrals/{other_referral}/accept              referrals:respond     200 404 404 403 404 401
POST   /referrals/{own_referral}/decline               referrals:respond     200 200 200 403 200 401
POST   /referrals/{other_referral}/decline             referrals:respond     200 404 404 403 404 401
POST   /referrals/{own_referral}/start                 referrals:respond     200 200 200 403 200 401
POST   /referrals/{other_referral}/start               referrals:respond     200 404 404 403 404 401
POST   /referrals/{own_referral}/progress              referrals:respond     200 200 200 403 200 401
POST   /referrals/{other_referral}/progress            referrals:respond     200 404 404 403 404 401
POST   /referrals/{own_referral}/complete              referrals:respond     200 200 200 403 200 401
POST   /referrals/{other_referral}/complete            referrals:respond     200 404 404 403 404 401
POST   /referrals/{own_referral}/withdraw              referrals:send        200 200 200 403 403 401
POST   /referrals/{other_referral}/withdraw            referrals:send        200 404 404 403 403 401
GET    /openapi.json                                   (public)              200 200 200 200 200 200
GET    /docs                                           (public)              200 200 200 200 200 200
GET    /docs/assets/swagger-ui.css                     (public)              200 200 200 200 200 200
"""

# What each write sends: valid, so that the status depends on who asks and nothing else. Keys use
# {id}, {item}, {permit}, {cost} for either office's participant, item and permit. Strings like "{own}"
# are filled in from the World.
BODIES = {
    ("POST", "/audit/verify"): {},
    ("POST", "/participants/"): {
        "given_name": "Matrix", "family_name": "Person", "date_of_birth": "1991-05-06", "sex": "male",
        "nationality": "NP", "origin_country": "NP", "phone": "+9779812300000",
        "office_id": "{office_a}"},
    ("PATCH", "/participants/{id}"): {"notes": "Checked by the matrix", "version": 1},
    ("POST", "/participants/{id}/consents"): {"purpose": "monitoring", "method": "signed"},
    ("POST", "/participants/{id}/consents/updates/withdraw"): {"method": "verbal"},
    ("POST", "/participants/transitions"): {"event": "preselect", "participant_ids": ["{own}"]},
    ("POST", "/participants/{id}/transitions"): {"event": "preselect", "version": 1},
    ("PATCH", "/participants/{id}/checklist/{item}"): {"status": "done", "version": 1},
    ("POST", "/participants/{id}/permits"): {"type": "work_visa", "issuing_country": "PT"},
    ("PATCH", "/participants/{id}/permits/{permit}"): {"status": "applied",
                                                       "applied_on": "2026-01-05", "version": 1},
    ("POST", "/participants/{id}/costs"): {"category": "passport", "amount": "50.00",
                                           "currency": "NPR", "paid_by": "programme"},
    ("PATCH", "/participants/{id}/costs/{cost}"): {"note": "Edited by the matrix", "version": 1},
    ("POST", "/participants/{id}/costs/{cost}/refund"): {"amount": "50.00"},
    ("PATCH", "/participants/{id}/passport"): {"disclosure": ["name"], "version": 1},
    ("POST", "/participants/{id}/passport/entries"): {"kind": "skill", "title": "Matrix skill"},
    ("PATCH", "/participants/{id}/passport/entries/{entry}"): {"title": "Edited by the matrix",
                                                             "version": 1},
    ("POST", "/participants/{id}/passport/entries/{entry}/verify"): {
        "level": "documents_seen", "evidence": "Certificate seen by the matrix"},
    ("POST", "/participants/{id}/passport/entries/{entry}/retire"): {"reason": "Retired by the matrix"},
    ("POST", "/participants/{id}/share-links"): {"audience": "Matrix employer"},
    ("POST", "/participants/{id}/share-links/{link}/revoke"): {},
    ("POST", "/participants/{id}/credentials"): {"scope": "passport"},
    ("POST", "/participants/{id}/credentials/{credential}/revoke"): {"reason": "Issued in error"},
    ("POST", "/credentials/verify"): {"token": "not-a-credential"},
    ("POST", "/participants/{id}/privacy/erase"): {"reason": "subject_request",
                                                   "confirm_reference": "{reference}"},
    ("POST", "/participants/{id}/privacy/legal-hold"): {"reason": "litigation"},
    ("POST", "/participants/{id}/privacy/legal-hold/lift"): {},
    ("POST", "/participants/{id}/skill-form"): {},
    ("PATCH", "/participants/{id}/skill-form"): {"answers": {"preferred_location": "Pokhara"},
                                                "version": 1},
    ("POST", "/participants/{id}/skill-form/complete"): {"version": 1},
    ("POST", "/participants/{id}/skill-form/link"): {},
    ("POST", "/participants/{id}/skill-form/link/sms"): {},
    ("POST", "/participants/{id}/skill-cards/{card}/revoke"): {"reason": "Issued in error"},
    ("POST", "/campaigns/preview"): {"name": "Matrix", "template": "appointment_reminder",
                                     "params": {"what": "Orientation", "place": "MRC",
                                                "date": "2026-12-01"}},
    ("POST", "/campaigns"): {"name": "Matrix", "template": "appointment_reminder",
                             "params": {"what": "Orientation", "place": "MRC", "date": "2026-12-01"}},
    ("POST", "/messages/reconcile"): {},
    ("POST", "/inbound/{inbound}/handled"): {},
    ("POST", "/inbound/{inbound}/reply"): {"text": "Matrix answer"},
    ("POST", "/inbound/{unknown}/attach"): {"participant_id": "{own}"},
    ("POST", "/inbound/{unknown}/dismiss"): {"reason": "spam"},
    ("POST", "/users"): {"username": "matrix.user", "full_name": "Matrix User", "role": "caseworker",
                         "password": "a long enough password", "office_id": "{office_a}"},
    ("PATCH", "/users/{target}"): {"language": "ne", "version": "{target_version}"},
    ("POST", "/users/{target}/deactivate"): {"reason": "left"},
    ("POST", "/users/{inactive_target}/reactivate"): {"reason": "returned"},
    ("POST", "/users/{target}/password-reset"): {},
    ("POST", "/auth/password"): {"current_password": PASSWORD,
                                 "new_password": "plum kettle orbit saffron"},
    ("POST", "/offices"): {"code": "MX-1", "name": "Matrix office", "country": "NP",
                           "timezone": "Asia/Kathmandu"},
    ("POST", "/employers"): {"name": "Matrix Employer", "country": "PT"},
    ("POST", "/service-providers"): {"name": "Matrix Provider", "country": "PT", "kind": "health"},
    ("POST", "/programmes/"): {"code": "MX-PROG", "name": "Matrix programme",
                               "origin_country": "NP", "destination_country": "PT",
                               "sector": "Care"},
    ("PATCH", "/programmes/{programme}"): {"name": "Renamed by the matrix"},
    ("PATCH", "/offices/{office_a}"): {"name": "Renamed by the matrix", "version": 1},
    ("PUT", "/offices/{office_a}/working-days"): {"working_days": [1, 2, 3, 4, 5, 6],
                                                  "version": 1},
    ("POST", "/offices/{office_a}/holidays"): {"day": "2026-12-25", "name": "Matrix holiday"},
    ("POST", "/my-work/escalations/{escalation}/seen"): {},
    ("PATCH", "/employers/{employer}"): {"name": "Renamed by the matrix", "version": 1},
    ("PATCH", "/service-providers/{provider}"): {"name": "Renamed by the matrix", "version": 1},
    ("POST", "/employers/{employer}/contacts"): {"name": "Matrix Contact"},
    ("PATCH", "/employers/{employer}/contacts/{contact}"): {"role": "Matrix role"},
    ("POST", "/employers/{employer}/commitments"): {"version": "2026-1", "signed_on": "2026-01-05",
                                                    "signatory_name": "Matrix Signatory"},
    ("POST", "/employers/{employer}/verification"): {"status": "suspended"},
    ("POST", "/recruiters"): {"name": "Matrix Recruiter", "country": "NP"},
    ("PATCH", "/recruiters/{recruiter}"): {"licence_number": "MX-1", "version": 1},
    # The service directory (owner: directory).
    ("POST", "/directory/services"): {"provider_id": "{provider}", "name": "Matrix service",
                                      "legal_aid": True, "languages": ["pt"]},
    ("PATCH", "/directory/services/{dservice}"): {"capacity": 3, "version": 1},
    ("POST", "/directory/services/{dservice}/confirm"): {},
    ("POST", "/directory/locations"): {"provider_id": "{provider}", "name": "Matrix place",
                                       "country": "PT"},
    ("PATCH", "/directory/locations/{dlocation}"): {"city": "Porto", "version": 1},
    ("POST", "/auth/tokens"): {"username": "{username}", "password": PASSWORD, "name": "matrix"},
    ("POST", "/auth/sessions/end-all"): {"keep_current": True},
    ("POST", "/auth/totp"): {},
    ("POST", "/auth/totp/confirm"): {"otp": "{otp}"},
    ("POST", "/auth/totp/disable"): {"otp": "{otp}"},
    ("POST", "/users/{user}/sessions/end-all"): {"revoke_tokens": True},
    ("PUT", "/security/roles/caseworker"): {"require_totp": True},
    ("POST", "/offices/{office_a}/grievance-focal-points"): {"user_id": "{candidate}"},
    ("POST", "/grievances/{restricted}/break-glass"): {
        "reason": "The focal point is away and the matrix needs to read it."},
    ("POST", "/grievances"): {"category": "wages", "description": "Matrix complaint",
                              "office_id": "{office_a}"},
    ("POST", "/grievances/{grievance}/transitions"): {"event": "acknowledge", "version": 1},
    ("POST", "/grievances/{grievance}/entries"): {"body": "Matrix note"},
    ("PUT", "/grievances/{grievance}/assignee"): {"assignee_id": None, "version": 1},
    ("PATCH", "/grievances/{grievance}"): {"severity": "high", "version": 1},
    ("POST", "/vacancies"): {"title": "Matrix cook", "place": "Lisbon",
                             "programme_id": "{programme}", "employer_id": "{employer}"},
    ("PATCH", "/vacancies/{vacancy}"): {"place": "Porto", "version": 1},
    ("POST", "/vacancies/{vacancy}/publish"): {},
    ("POST", "/vacancies/{open_vacancy}/status"): {"status": "closed"},
    ("POST", "/vacancies/{open_vacancy}/candidates"): {"participant_id": "{own}"},
    ("POST", "/vacancies/{open_vacancy}/candidates/{candidacy}/decisions"): {
        "state": "shortlisted", "reason": "skills_match"},
    ("PATCH", "/placements/{placement}"): {"contract_end": "2028-01-31", "version": 1},
    ("POST", "/placements/{placement}/end"): {"reason": "contract_completed"},
    ("POST", "/placements/{placement}/steps/{waiting_step}/confirm"): {"note": "Matrix"},
    ("POST", "/placements/{placement}/steps/{confirmed_step}/contest"): {"text": "Not paid"},
    ("POST", "/placements/{placement}/steps/{waiting_step}/links"): {"contact_id": "{contact}"},
    ("POST", "/placements/{placement}/retention"): {"months": 3, "retained": True},
    # Referrals (helper "api").
    ("POST", "/referrals"): {"participant_id": "{own}", "service_id": "{service}", "send": True,
                             "shared_fields": ["name"], "reason": "Matrix referral"},
    ("PATCH", "/referrals/{referral}"): {"urgency": "urgent", "version": 1},
    ("POST", "/referrals/{referral}/send"): {},
    ("POST", "/referrals/{referral}/accept"): {},
    ("POST", "/referrals/{referral}/decline"): {"reason": "no_capacity"},
    ("POST", "/referrals/{referral}/start"): {},
    ("POST", "/referrals/{referral}/progress"): {"note": "Matrix progress"},
    ("POST", "/referrals/{referral}/complete"): {"outcome": "provided"},
    ("POST", "/referrals/{referral}/withdraw"): {"reason": "no_longer_needed"},
}


def _generic(path: str) -> str:
    """/participants/{other}/permits/{other_permit} -> /participants/{id}/permits/{permit}"""
    return re.sub(r"\{(?:own|other)_(\w+)\}", r"{\1}", re.sub(r"\{(?:own|other)\}", "{id}", path))


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    permission: str
    statuses: dict[str, int]

    @property
    def success(self) -> int:
        (ok,) = {s for s in self.statuses.values() if s < 300}
        return ok

    @property
    def body(self) -> dict[str, Any] | None:
        return BODIES.get((self.method, _generic(self.path)))

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _parse(table: str) -> list[Endpoint]:
    rows = []
    for line in table.strip().splitlines():
        if line.startswith("#"):
            continue
        method, path, permission, *statuses = line.split()
        rows.append(Endpoint(method, path, permission,
                             dict(zip(ROLES, map(int, statuses), strict=True))))
    return rows


MATRIX = _parse(MATRIX_TABLE)

# Permissions that decide which fields a response carries rather than whether an endpoint answers,
# each with the test that exercises it.
FIELD_PERMISSIONS = {
    "participants:read_sensitive": "test_sensitive_fields_follow_read_sensitive",
    "continuum:override": "test_overriding_unmet_guards_follows_continuum_override",
    # Page-only permissions of referrals (owner: partner): the partner's own pages, and staff's
    # "email the partner a fresh link". No API endpoint answers to them.
    "partners:own": "test_partner_pages_follow_partners_own",
    "referrals:link": "test_emailing_a_partner_link_follows_referrals_link",
}


@dataclass
class World:
    """Two offices, a user of every role (staff in office A) with a token and a spare token; for
    rows that need them, a participant in each office (consent standing for case management and
    updates, a checklist, a permit) and a programme."""

    office_a: int
    office_b: int
    usernames: dict[str, str]  # the anonymous caller logs in as the admin
    headers: dict[str, dict[str, str]]
    tokens: dict[str, int]  # each caller's spare token (the admin's, for the anonymous caller)
    own: int = 0
    other: int = 0
    own_item: int = 0
    other_item: int = 0
    own_permit: int = 0
    other_permit: int = 0
    own_cost: int = 0
    other_cost: int = 0
    own_entry: int = 0
    other_entry: int = 0
    own_link: int = 0
    other_link: int = 0
    own_credential: int = 0
    other_credential: int = 0
    own_credential_uuid: str = "-"
    own_card: int = 0
    other_card: int = 0
    own_grievance: int = 0  # a grievance of office A, and one of office B
    other_grievance: int = 0
    other_reference: str = "-"
    own_reference: str = "-"
    programme: int = 0
    employer: int = 0
    contact: int = 0  # a contact person of {employer}
    recruiter: int = 0  # a recruiter of the registry
    dservice: int = 0  # a directory service of {provider}, at {dlocation}
    dlocation: int = 0
    provider: int = 0
    inbound: int = 0  # a text from {own} (an /inbound/ row's participant, in office A)
    holiday: int = 0  # a public holiday of office A
    escalations: dict[str, int] = field(default_factory=dict)  # one addressed to each caller
    unknown: int = 0  # a text from an unknown number
    target: int = 0  # a caseworker of office A, for the user management rows
    target_version: int = 0
    inactive_target: int = 0
    user: int = 0
    user_session: int = 0
    sessions: dict[str, int] = field(default_factory=dict)
    otps: dict[str, str] = field(default_factory=dict)
    # Grievances: a focal point of office A, a caseworker there who is not one yet, and a
    # restricted grievance of office A that none of the callers sees in full.
    focal: int = 0
    candidate: int = 0
    restricted: int = 0
    # Vacancies of the employer user's (verified) employer: a draft, an open one, and a
    # candidacy of an office A participant presented to the open one.
    vacancy: int = 0
    open_vacancy: int = 0
    candidacy: int = 0
    # Placements: one of {own}'s kind (office A) with the employer user's employer, arrived 13
    # months ago; a step waiting, one confirmed; a contact of the employer with an email.
    placement: int = 0
    waiting_step: int = 0
    confirmed_step: int = 0
    contact: int = 0
    # Referrals (helper "api"): a directory service of the partner user's provider, and a
    # referral of {own} to it and one of {other} to another provider's service.
    service: int = 0
    own_referral: int = 0
    other_referral: int = 0

    def _values(self, role: str) -> dict[str, Any]:
        return {**vars(self), "token": self.tokens[role], "username": self.usernames[role],
                "session": self.sessions.get(role, 0), "otp": self.otps.get(role, ""),
                "escalation": self.escalations.get(role, 0)}

    def url(self, endpoint: Endpoint, role: str, **override: int) -> str:
        return "/api/v1" + endpoint.path.format(**{**self._values(role), **override})

    def body(self, endpoint: Endpoint, role: str) -> dict[str, Any] | None:
        values = self._values(role)
        values["reference"] = self.other_reference if "{other}" in endpoint.path else self.own_reference

        def fill(value):
            if isinstance(value, list):
                return [fill(v) for v in value]
            if isinstance(value, str) and value.startswith("{"):
                return values[value.strip("{}")]
            return value

        return None if endpoint.body is None else {k: fill(v) for k, v in endpoint.body.items()}


def _world(factory, db_session, endpoint: Endpoint) -> World:
    """Build what the row needs, once for all six callers."""
    office_a, office_b = factory.office(), factory.office()
    users = {role: factory.user(role, office=office_a) for role in ROLES if role != ANON}
    users[ANON] = users["admin"]
    world = World(
        office_a=office_a.id, office_b=office_b.id,
        usernames={role: u.username for role, u in users.items()},
        headers={role: factory.headers(u) for role, u in users.items() if role != ANON} | {ANON: {}},
        tokens={role: issue_token(db_session, u, "spare", 1)[0].id for role, u in users.items()},
    )
    if endpoint.path.startswith("/participants/") or "_credential" in endpoint.path:
        admin = users["admin"]
        consents = [{"purpose": "case_management", "method": "signed"},
                    {"purpose": "updates", "method": "verbal"},
                    {"purpose": "share_employers", "method": "signed"}]
        for side, office in (("own", office_a), ("other", office_b)):
            p = factory.participant(admin, office_id=office.id, consents=consents)
            setattr(world, side, p.id)
            if side == "own":
                links.link(db_session, admin.id, p.id, OrganisationKind.EMPLOYER,
                           users["employer"].employer_id, LinkReason.PRESENTED)
                links.link(db_session, admin.id, p.id, OrganisationKind.SERVICE_PROVIDER,
                           users["partner"].provider_id, LinkReason.REFERRED)
            if side == "other":
                world.other_reference = p.reference
            else:
                world.own_reference = p.reference
            if endpoint.path.endswith("/legal-hold/lift"):
                with factory.app.app_context():
                    holds.set_hold(db_session, admin, p, "audit")
            if "_item}" in endpoint.path:
                setattr(world, f"{side}_item", db_session.scalars(
                    sa.select(ChecklistItem.id).where(ChecklistItem.participant_id == p.id)).first())
            if "_permit}" in endpoint.path:
                with factory.app.app_context():
                    permit = record_permit(db_session, admin, p,
                                           {"type": "work_visa", "issuing_country": "PT"})
                setattr(world, f"{side}_permit", permit.id)
            if "_cost}" in endpoint.path:
                with factory.app.app_context():
                    # A refund needs an Employer Pays breach: a passport the migrant paid.
                    payer = "migrant" if endpoint.path.endswith("/refund") else "programme"
                    cost = record_cost(db_session, admin, p.id, {
                        "category": "passport", "amount": Decimal("50.00"), "currency": "NPR",
                        "paid_by": payer})
                setattr(world, f"{side}_cost", cost.id)
            with factory.app.app_context():
                if "_entry}" in endpoint.path:
                    entry = passports.add_entry(db_session, admin, p, "skill", {"title": "Matrix skill"})
                    setattr(world, f"{side}_entry", entry.id)
                if "credential" in endpoint.path:  # a credential needs something to certify
                    passports.add_entry(db_session, admin, p, "skill", {"title": "Cooking"})
                if "_credential" in endpoint.path:
                    with factory.app.test_request_context():
                        cred = credentials.issue(db_session, admin, p, "passport")
                    setattr(world, f"{side}_credential", cred.id)
                    if side == "own":
                        world.own_credential_uuid = cred.uuid
                if "/skill-" in endpoint.path:
                    # Placed in return without a transition, so no form opens by itself.
                    place(db_session, p, Stage.RETURN)
                    if "_card}" in endpoint.path:
                        setattr(world, f"{side}_card", card_for(factory.app, db_session, admin, p).id)
                    elif not (endpoint.path.endswith("/skill-form") and endpoint.method == "POST"):
                        form_for(factory.app, db_session, admin, p)  # an open form, version 1
                if "_link}" in endpoint.path:
                    link, _token = sharing.create_share_link(db_session, admin, p, audience="Matrix")
                    setattr(world, f"{side}_link", link.id)
    if endpoint.path.startswith("/inbound/"):
        p = factory.participant(users["admin"], office_id=office_a.id, consents=[
            {"purpose": "case_management", "method": "signed"},
            {"purpose": "updates", "method": "verbal"}])
        world.own = p.id
        for attr, pid in (("inbound", p.id), ("unknown", None)):
            text = InboundMessage(sender=p.phone if pid else "+351912000999", body="Matrix text",
                                  participant_id=pid, needs_attention=True, received_at=utcnow())
            db_session.add(text)
            db_session.flush()
            setattr(world, attr, text.id)
    if "grievance-focal-points" in endpoint.path or "/break-glass" in endpoint.path:
        focal = factory.user("caseworker", office=office_a)
        world.focal, world.candidate = focal.id, factory.user("caseworker", office=office_a).id
        with factory.app.test_request_context():
            glass.add_focal_point(db_session, users["admin"], office_a.id, focal.id)
            grievance, _code = grievance_services.intake(
                db_session, focal, {"category": "harassment_gbv", "description": "Matrix"},
                channel="staff")
        world.restricted = grievance.id
    if endpoint.path.startswith("/grievances/{"):
        with factory.app.test_request_context():
            for side, office in (("own", office_a), ("other", office_b)):
                g, _code = grievance_services.intake(db_session, users["admin"], {
                    "category": "wages", "description": "Matrix complaint",
                    "office_id": office.id}, channel="staff")
                setattr(world, f"{side}_grievance", g.id)
                if side == "other":  # a 404 must not name it
                    world.other_reference = g.reference
    if endpoint.path.startswith("/taxonomy/"):
        taxonomy.load_base(db_session)
    if "{programme}" in endpoint.path:
        world.programme = factory.programme().id
    if "{holiday}" in endpoint.path:
        holiday = OfficeHoliday(office_id=office_a.id, day=utcnow().date(), name="Matrix",
                                created_at=utcnow())
        db_session.add(holiday)
        db_session.flush()
        world.holiday = holiday.id
    if "{escalation}" in endpoint.path:
        with factory.app.test_request_context():
            g, _code = grievance_services.intake(db_session, users["caseworker"], {
                "category": "wages", "description": "Matrix"}, channel="staff")
        for role, u in users.items():
            if role == ANON:  # the admin again
                continue
            row = Escalation(grievance_id=g.id, user_id=u.id, deadline="acknowledge",
                             created_at=utcnow())
            db_session.add(row)
            db_session.flush()
            world.escalations[role] = row.id
        world.escalations[ANON] = world.escalations["admin"]
    if endpoint.path.startswith("/vacancies"):
        _vacancies(factory, db_session, world, users, office_a)
    if endpoint.path.startswith("/placements"):
        _placement_world(factory, db_session, world, office_a, users)
    if endpoint.path.startswith("/referrals"):
        _referral_world(factory, db_session, world, users, office_a, office_b, endpoint)
    if "{employer}" in endpoint.path:
        world.employer = factory.employer().id
    if "{contact}" in endpoint.path:
        world.contact = factory._add(EmployerContact(employer_id=world.employer, name="Matrix",
                                                     created_at=utcnow())).id
    if "{recruiter}" in endpoint.path:
        world.recruiter = factory._add(Recruiter(name="Matrix Agency", country="NP",
                                                 created_at=utcnow())).id
    if endpoint.path.startswith("/directory/"):  # the service directory (owner: directory)
        from tests.referrals.helpers import add_service
        world.provider = factory.provider().id
        world.dservice = add_service(db_session, world.provider).id
        world.dlocation = db_session.scalar(sa.text(
            "SELECT location_id FROM directory_service_locations WHERE service_id = :s"),
            {"s": world.dservice})
    if "{provider}" in endpoint.path:
        world.provider = factory.provider().id
    if "target}" in endpoint.path:
        target = factory.user("caseworker", office=office_a)
        world.target, world.target_version = target.id, user_version(target)
        inactive = factory.user("caseworker", office=office_a)
        inactive.is_active = False
        db_session.flush()
        world.inactive_target = inactive.id
    if endpoint.path.startswith(("/auth/sessions", "/users/{user}")):
        target = factory.user("caseworker", office=office_a)
        world.user = target.id
        with factory.app.test_request_context():
            world.user_session = start_session(db_session, target)[0].id
            world.sessions = {role: start_session(db_session, u)[0].id for role, u in users.items()}
        if endpoint.path.endswith("/totp"):  # a confirmed second factor for the admin to remove
            totp.start_enrolment(db_session, target).confirmed_at = utcnow()
            db_session.flush()
    if endpoint.path.startswith("/auth/totp/"):
        with factory.app.test_request_context():
            for role, u in users.items():
                if role == ANON:  # the admin again, refused before the code is read
                    continue
                row = totp.start_enrolment(db_session, u)
                if endpoint.path.endswith("/disable"):
                    row.confirmed_at = utcnow()
                world.otps[role] = pyotp.TOTP(row.secret).now()
            db_session.flush()
    return world


def _vacancies(factory, db_session, world: World, users: dict, office) -> None:
    admin, emp = users["admin"], users["employer"]
    db_session.get(Employer, emp.employer_id).verification = "verified"
    programme = factory.programme()
    db_session.add(ProgrammeEmployer(programme_id=programme.id, employer_id=emp.employer_id))
    db_session.flush()
    world.programme, world.employer = programme.id, emp.employer_id
    consents = [{"purpose": "case_management", "method": "signed"},
                {"purpose": "share_employers", "method": "signed"}]
    presented, world.own = (factory.participant(admin, office_id=office.id, consents=consents)
                            for _ in range(2))
    world.own = world.own.id
    body = {"title": "Matrix cook", "place": "Lisbon", "programme_id": programme.id}
    with factory.app.test_request_context():
        world.vacancy = vacancies.create_vacancy(db_session, emp, body).id
        opened = vacancies.create_vacancy(db_session, emp, body)
        world.open_vacancy = vacancies.publish_vacancy(db_session, admin, opened.id).id
        world.candidacy = candidates.present(db_session, admin, opened.id, presented.id).id
def _placement_world(factory, db_session, world: World, office_a, users) -> None:
    from journey.employers import steps
    from journey.employers.retention import open_checks
    from tests.employers.onboarding_helpers import contact, place

    placed = place(factory, db_session, office=office_a, caseworker=users["caseworker"],
                   employer_user=users["employer"])
    placed.placement.arrived_on = utcnow().date() - timedelta(days=400)
    open_checks(db_session, placed.placement, placed.placement.arrived_on)
    confirmed = placed.step(db_session, "contract_signed")
    with factory.app.test_request_context():
        steps.confirm_step(db_session, users["admin"], confirmed.id)
    world.placement, world.confirmed_step = placed.placement.id, confirmed.id
    world.waiting_step = placed.step(db_session, "arrival_met").id
    world.contact = contact(factory, users["employer"].employer_id).id


def _referral_world(factory, db_session, world: World, users, office_a, office_b,
                    endpoint: Endpoint) -> None:
    """Referrals in the state the row's step starts from: a draft to send or change, an accepted
    one to start, progress or complete, else a sent one."""
    from journey.referrals import services as referrals
    from tests.referrals.helpers import add_service

    step = endpoint.path.rsplit("/", 1)[-1]
    if endpoint.method == "PATCH" or step == "send":
        send, accept = False, False
    else:
        send, accept = True, step in ("start", "progress", "complete")
    admin = users["admin"]
    consents = [{"purpose": "case_management", "method": "signed"},
                {"purpose": "share_providers", "method": "signed"}]
    world.service = add_service(db_session, users["partner"].provider_id).id
    elsewhere = add_service(db_session, factory.provider().id).id
    for side, office, service in (("own", office_a, world.service),
                                  ("other", office_b, elsewhere)):
        p = factory.participant(admin, office_id=office.id, consents=consents)
        setattr(world, side, p.id)
        with factory.app.test_request_context():
            r = referrals.create(db_session, admin, {"participant_id": p.id,
                                                     "service_id": service, "send": send})
            if accept:
                referrals.transition(db_session, admin, r.id, "accept", {})
        setattr(world, f"{side}_referral", r.id)
        if side == "other":
            world.other_reference = p.reference


def _call(client, world: World, endpoint: Endpoint, role: str, **override: int):
    resp = client.open(world.url(endpoint, role, **override), method=endpoint.method,
                       headers=world.headers[role], json=world.body(endpoint, role))
    resp.get_data()
    resp.close()  # static files are streamed; close them so no file is left open
    return resp


def _snapshot(db_session) -> dict[str, Any]:
    """Per table: the row count, and the columns an update or a revocation moves."""
    probes = {}
    for table in metadata.sorted_tables:
        aggregates = {"rows": sa.func.count()}
        for name, agg in (("version", sa.func.sum), ("updated_at", sa.func.max),
                          ("revoked_at", sa.func.count), ("withdrawn_at", sa.func.count),
                          ("completed_at", sa.func.count)):
            # A "version" that is not a row version (a commitment's text, "2026-1") is no sum.
            if name in table.c and not (name == "version"
                                        and not isinstance(table.c[name].type, sa.Integer)):
                aggregates[name] = agg(table.c[name])
        for what, expr in aggregates.items():
            query = sa.select(expr).select_from(table)
            if table.name == "audit_events":  # a refused out-of-scope read is counted apart
                query = query.where(table.c.action != REFUSED)
            if table.name == "audit_seals":  # and so is its seal (SQLite seals at commit)
                query = query.where(table.c.event_id.not_in(
                    sa.select(AuditEvent.id).where(AuditEvent.action == REFUSED)))
            probes[f"{table.name} {what}"] = query.scalar_subquery()
    probes[REFUSED] = sa.select(sa.func.count()).where(
        AuditEvent.action == REFUSED).scalar_subquery()
    # One round trip: a scalar subquery per probe.
    row = db_session.execute(sa.select(*probes.values())).one()
    return dict(zip(probes, row, strict=True))


REFUSED = "participants:participant:refused"
_PROBLEM_CODES = {401: "unauthorized", 403: "forbidden", 404: "not-found"}


def _refusal_faults(resp, world: World, before, after) -> list[str]:
    """What is wrong with a refusal, beyond its status."""
    faults = []
    if resp.mimetype != "application/problem+json":
        faults.append(f"content type {resp.mimetype}")
    elif resp.get_json()["code"] != _PROBLEM_CODES.get(resp.status_code):
        faults.append(f"problem code {resp.get_json()['code']}")
    # A refusal changes nothing, not even the audit trail of a read, but for one event: that a
    # participant outside the caller's scope was asked for (issue #11, finding 7).
    refused = after.pop(REFUSED) - before.pop(REFUSED)
    if after != before:
        faults.append("the database changed")
    if refused and (resp.status_code != 404 or refused > 1):
        faults.append(f"{refused} refusal event(s) for a {resp.status_code}")
    if resp.status_code == 401 and not resp.headers.get("WWW-Authenticate", "").startswith("Bearer"):
        faults.append("no WWW-Authenticate: Bearer")
    if resp.status_code == 404 and world.other_reference in resp.get_data(as_text=True):
        faults.append("the 404 names the participant")
    return faults


@pytest.mark.parametrize("endpoint", MATRIX, ids=str)
def test_matrix(client, factory, db_session, connection, endpoint: Endpoint):
    """One row: each caller in turn, each call undone (a savepoint) before the next."""
    world = _world(factory, db_session, endpoint)
    statuses, faults = {}, {}
    for role in ROLES:
        savepoint = connection.begin_nested()
        try:
            before = _snapshot(db_session)
            resp = _call(client, world, endpoint, role)
            statuses[role] = resp.status_code
            if resp.status_code >= 400:
                faults[role] = _refusal_faults(resp, world, before, _snapshot(db_session))
        finally:
            savepoint.rollback()
    assert statuses == endpoint.statuses
    assert {role: f for role, f in faults.items() if f} == {}


# --- the table itself ------------------------------------------------------------------------

def _route(app, endpoint: Endpoint) -> tuple[str, str]:
    """The Flask endpoint a row reaches, found by routing a sample URL (every id 1)."""
    sample = "/api/v1" + re.sub(r"\{\w+\}", "1", endpoint.path)
    name, _args = app.url_map.bind("localhost").match(sample, method=endpoint.method)
    return name, endpoint.method


def _routed(app, where=lambda rule: True) -> set[tuple[str, str]]:
    return {(rule.endpoint, method) for rule in app.url_map.iter_rules()
            if rule.rule.startswith("/api/") and where(rule)
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def test_every_api_endpoint_has_a_row(app):
    """A new endpoint without a row fails here, so the matrix cannot silently fall behind."""
    assert {_route(app, e) for e in MATRIX} == _routed(app)


def test_every_participant_endpoint_has_an_other_office_row(app):
    own = {_route(app, e) for e in MATRIX if "{own}" in e.path}
    other = {_route(app, e) for e in MATRIX if "{other}" in e.path}
    assert own == other == _routed(app, lambda rule: "participant_id" in rule.arguments)


def test_every_write_row_sends_a_body_and_every_body_is_used():
    assert all(e.body is not None for e in MATRIX if e.method in ("POST", "PUT", "PATCH"))
    assert BODIES.keys() <= {(e.method, _generic(e.path)) for e in MATRIX}


def _policy_status(endpoint: Endpoint, role: str) -> int:
    """What PERMISSIONS says the status should be."""
    if endpoint.permission == PUBLIC:
        return endpoint.success
    if role == ANON:
        return 401
    if endpoint.permission == SIGNED_IN:
        return endpoint.success
    r = Role(role)
    if r not in PERMISSIONS[endpoint.permission]:
        return 403
    # {other} is in no scope but the admin's: another office, linked to no organisation; so is
    # {other_grievance} (another office's grievance) and {other_referral} (another office's
    # participant's, to another provider).
    if re.search(r"\{other(_grievance|_referral)?\}", endpoint.path) and r != Role.ADMIN:
        return 404
    return endpoint.success


@pytest.mark.parametrize("endpoint", MATRIX, ids=str)
def test_row_agrees_with_policy(endpoint: Endpoint):
    assert endpoint.permission in PERMISSIONS or endpoint.permission in (PUBLIC, SIGNED_IN)
    assert endpoint.statuses == {role: _policy_status(endpoint, role) for role in ROLES}


def test_the_app_enforces_the_assembled_table(app):
    assert app.extensions["journey_policy"] == PERMISSIONS


def test_every_permission_is_exercised():
    gating = {e.permission for e in MATRIX} - {PUBLIC, SIGNED_IN}
    assert gating | FIELD_PERMISSIONS.keys() == PERMISSIONS.keys()
    assert not gating & FIELD_PERMISSIONS.keys()
    for test_name in FIELD_PERMISSIONS.values():
        assert callable(globals().get(test_name)), test_name


@pytest.mark.parametrize("endpoint", [e for e in MATRIX if "{other}" in e.path], ids=str)
def test_out_of_scope_participant_looks_exactly_like_a_missing_one(client, factory, db_session,
                                                                   endpoint):
    world = _world(factory, db_session, endpoint)

    # An office-bound role the permission allows (revoking is for supervisors, not caseworkers).
    role = next(r for r in ("caseworker", "supervisor") if endpoint.statuses[r] == 404)

    def problem(**override):
        resp = _call(client, world, endpoint, role, **override)
        assert resp.status_code == 404
        return {k: v for k, v in resp.get_json().items() if k != "request_id"}

    assert problem() == problem(other=world.other + 10_000)


# --- field-level permission ------------------------------------------------------------------

@pytest.mark.parametrize("role", sorted(PERMISSIONS["participants:read_sensitive"]))
def test_staff_with_read_sensitive_see_gender_identity(client, factory, role):
    office = factory.office()
    user = factory.user(role, office=office)
    admin = factory.user("admin")
    p = factory.participant(admin, office_id=office.id, gender_identity="non-binary")
    body = client.get(f"/api/v1/participants/{p.id}", headers=factory.headers(user)).get_json()
    assert body["gender_identity"] == "non-binary"


def test_sensitive_fields_follow_read_sensitive(app, client, factory, monkeypatch):
    monkeypatch.setitem(app.extensions["journey_policy"], "participants:read_sensitive",
                        frozenset({Role.ADMIN, Role.SUPERVISOR}))
    cw = factory.user("caseworker")
    p = factory.participant(cw, gender_identity="non-binary")
    resp = client.get(f"/api/v1/participants/{p.id}", headers=factory.headers(cw))
    assert resp.status_code == 200
    assert resp.get_json().get("gender_identity") is None


@pytest.mark.parametrize("role", sorted(PERMISSIONS["continuum:transition"]))
def test_overriding_unmet_guards_follows_continuum_override(client, factory, db_session, role):
    office = factory.office()
    user = factory.user(role, office=office)
    admin = factory.user("admin")
    p = factory.participant(admin, office_id=office.id)  # no consent: "preselect" is guarded
    body = {"event": "preselect", "version": 1, "override_reason": "Consent given on paper"}
    resp = client.post(f"/api/v1/participants/{p.id}/transitions", json=body,
                       headers=factory.headers(user))
    if Role(role) in PERMISSIONS["continuum:override"]:
        assert resp.status_code == 200
        assert resp.get_json()["stage"] == "preselection"
    else:
        assert resp.status_code == 403
        assert resp.get_json()["code"] == "override-forbidden"
        db_session.refresh(p)
        assert p.stage == "intake"
    # Without an override nobody passes the guard.
    q = factory.participant(admin, office_id=office.id)
    resp = client.post(f"/api/v1/participants/{q.id}/transitions",
                       json={"event": "preselect", "version": 1}, headers=factory.headers(user))
    assert resp.status_code == 409


# --- office scope beyond single records --------------------------------------------------------

@pytest.mark.parametrize("role", ["supervisor", "caseworker"])
def test_list_filtered_on_another_office_stays_in_scope(client, factory, role):
    home, away = factory.office(), factory.office()
    admin = factory.user("admin")
    mine = factory.participant(admin, office_id=home.id)
    factory.participant(admin, office_id=away.id)
    h = factory.headers(factory.user(role, office=home))

    unfiltered = client.get("/api/v1/participants/", headers=h).get_json()
    assert [p["id"] for p in unfiltered["items"]] == [mine.id]
    widened = client.get(f"/api/v1/participants/?office_id={away.id}", headers=h)
    assert widened.status_code == 200
    assert widened.get_json()["total"] == 0
    everyone = client.get("/api/v1/participants/", headers=factory.headers(admin)).get_json()
    assert everyone["total"] == 2


@pytest.mark.parametrize("role", ["supervisor", "caseworker"])
def test_bulk_transition_cannot_reach_another_office(client, factory, db_session, role):
    endpoint = next(e for e in MATRIX if e.path == "/participants/transitions")
    world = _world(factory, db_session, endpoint)
    body = {"event": "preselect", "participant_ids": [world.other, world.own]}
    resp = client.post(world.url(endpoint, role), json=body, headers=world.headers[role])
    assert resp.status_code == 200
    results = {r["participant_id"]: r["result"] for r in resp.get_json()["results"]}
    # Reported exactly like an id that does not exist.
    assert results == {world.other: "not_found", world.own: "done"}
    assert db_session.get(Participant, world.other).stage == "intake"


# --- employer and partner scopes ----------------------------------------------------------------

def _visible(db_session, user: User) -> set[int]:
    """The participants participant_scope lets the user see, by a list query."""
    return set(db_session.scalars(sa.select(Participant.id).where(
        participant_scope(user, Participant.id, Participant.office_id))))


@pytest.fixture
def two_employers(factory, db_session):
    """A participant presented to employer A, one referred to a provider, one linked to nobody;
    a user of employer A, of employer B and of the provider."""
    admin = factory.user("admin")
    office = factory.office()
    emp_a, emp_b = factory.user("employer"), factory.user("employer")
    partner = factory.user("partner")
    presented, referred, alone = (factory.participant(admin, office_id=office.id)
                                  for _ in range(3))
    links.link(db_session, admin.id, presented.id, OrganisationKind.EMPLOYER, emp_a.employer_id,
               LinkReason.PRESENTED)
    links.link(db_session, admin.id, referred.id, OrganisationKind.SERVICE_PROVIDER,
               partner.provider_id, LinkReason.REFERRED)
    return admin, emp_a, emp_b, partner, presented, referred, alone


def test_scope_of_employer_and_partner_users_is_their_links(app, db_session, two_employers):
    admin, emp_a, emp_b, partner, presented, referred, alone = two_employers
    assert _visible(db_session, emp_a) == {presented.id}
    assert _visible(db_session, emp_b) == set()
    assert _visible(db_session, partner) == {referred.id}
    assert {presented.id, referred.id, alone.id} <= _visible(db_session, admin)
    # The single-record loader asks the same rule (with a permission the role holds).
    with app.app_context():
        assert load_participant(db_session, emp_a, presented.id,
                                "passports:read_disclosed") is presented
        for user, pid in ((emp_b, presented.id), (emp_a, referred.id), (partner, presented.id),
                          (emp_a, alone.id)):
            with pytest.raises(NotFound):
                load_participant(db_session, user, pid, "passports:read_disclosed")


def test_employer_b_gets_404_for_a_participant_linked_to_employer_a(app, client, factory,
                                                                    db_session, two_employers):
    admin, emp_a, emp_b, partner, presented, _referred, _alone = two_employers
    with app.app_context():
        passports.add_entry(db_session, admin, presented, "skill", {"title": "Welding"})
        passports.add_entry(db_session, admin, presented, "language",
                            {"language": "pt", "mother_tongue": True})
        passports.update_disclosure(db_session, admin, presented, ["name", "skill"],
                                    Precondition(body=1))
    url = f"/api/v1/participants/{presented.id}/passport/disclosed"

    refused = client.get(url, headers=factory.headers(emp_b))
    missing = client.get(f"/api/v1/participants/{presented.id + 10_000}/passport/disclosed",
                         headers=factory.headers(emp_b))
    assert refused.status_code == missing.status_code == 404
    assert refused.get_json().keys() == missing.get_json().keys()
    # The only trace: the refused read of a participant who exists (issue #11, finding 7).
    assert db_session.scalars(sa.select(AuditEvent.action).where(
        AuditEvent.actor_id == emp_b.id)).all() == [REFUSED]

    seen = client.get(url, headers=factory.headers(emp_a))
    assert seen.status_code == 200
    body = seen.get_json()
    # Only what the participant chose to show: the name and skills, not the language entry.
    assert body["name"] == f"{presented.given_name} {presented.family_name}"
    assert [(e["kind"], e["title"]) for e in body["entries"]] == [("skill", "Welding")]
    assert set(body["entries"][0]) == {"kind", "title", "acquired_abroad", "verification",
                                       "verification_title"}
    assert _count_events(db_session, AuditEvent.actor_id == emp_a.id,
                         AuditEvent.action == "passports:passport:read_disclosed") == 1


def test_an_ended_link_takes_the_participant_out_of_scope(db_session, two_employers):
    admin, emp_a, _emp_b, _partner, presented, _referred, _alone = two_employers
    links.link(db_session, admin.id, presented.id, OrganisationKind.EMPLOYER, emp_a.employer_id,
               LinkReason.PLACED)
    links.unlink(db_session, admin.id, presented.id, OrganisationKind.EMPLOYER,
                 emp_a.employer_id, LinkReason.PRESENTED)
    assert _visible(db_session, emp_a) == {presented.id}  # still placed with the employer
    links.unlink(db_session, admin.id, presented.id, OrganisationKind.EMPLOYER,
                 emp_a.employer_id, LinkReason.PLACED)
    assert _visible(db_session, emp_a) == set()


def test_linking_twice_links_once_and_a_reason_must_fit_the_organisation(db_session,
                                                                         two_employers):
    admin, emp_a, _emp_b, partner, presented, _referred, _alone = two_employers
    again = links.link(db_session, admin.id, presented.id, "employer", emp_a.employer_id,
                       "presented")
    assert db_session.scalar(sa.select(sa.func.count()).select_from(links.ParticipantLink).where(
        links.ParticipantLink.participant_id == presented.id)) == 1
    assert again.reason == "presented" and again.ended_at is None
    with pytest.raises(ValueError, match="cannot be"):
        links.link(db_session, admin.id, presented.id, "service_provider", partner.provider_id,
                   "placed")


def test_a_share_link_naming_an_employer_shares_with_it_until_revoked(app, factory, db_session):
    admin = factory.user("admin")
    emp = factory.user("employer")
    p = factory.participant(admin, office_id=factory.office().id,
                            consents=[{"purpose": "share_employers", "method": "signed"}])
    with app.test_request_context():
        first, _ = sharing.create_share_link(db_session, admin, p, audience="HR",
                                             employer_id=emp.employer_id)
        second, _ = sharing.create_share_link(db_session, admin, p, audience="HR again",
                                              employer_id=emp.employer_id)
        assert _visible(db_session, emp) == {p.id}
        sharing.revoke_share_link(db_session, admin, p, first)
        assert _visible(db_session, emp) == {p.id}  # the second link still shares
        sharing.revoke_share_link(db_session, admin, p, second)
    assert _visible(db_session, emp) == set()


def test_inactive_users_are_in_no_scope(db_session, two_employers):
    admin, emp_a, *_rest = two_employers
    emp_a.is_active = False
    admin.is_active = False
    assert _visible(db_session, emp_a) == _visible(db_session, admin) == set()


def _count_events(db_session, *where) -> int:
    return db_session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(*where))


def test_supervisor_audit_trail_is_their_office_only_and_admin_sees_all(client, factory,
                                                                        db_session):
    home, away = factory.office(), factory.office()
    admin = factory.user("admin")
    sup = factory.user("supervisor", office=home)
    p_home = factory.participant(admin, office_id=home.id)
    p_away = factory.participant(admin, office_id=away.id)
    ah, sh = factory.headers(admin), factory.headers(sup)
    for p in (p_home, p_away):  # reads are audited, in the participant's office
        assert client.get(f"/api/v1/participants/{p.id}", headers=ah).status_code == 200
    assert client.post("/api/v1/auth/tokens", json={"username": admin.username,
                                                    "password": PASSWORD}).status_code == 201

    mine = client.get("/api/v1/audit-events/?per_page=100", headers=sh).get_json()
    assert {e["office_id"] for e in mine["items"]} == {home.id}
    assert mine["total"] == _count_events(db_session, AuditEvent.office_id == home.id)
    seen = {(e["action"], e["object_id"]) for e in mine["items"]}
    assert {("participants:participant:create", p_home.id),
            ("participants:participant:read", p_home.id)} <= seen
    assert not any(e["object_id"] == p_away.id for e in mine["items"]
                   if e["object_type"] == "participant")
    # Filters narrow; they never widen the scope.
    probe = client.get(f"/api/v1/audit-events/?object_type=participant&object_id={p_away.id}",
                       headers=sh).get_json()
    assert probe["total"] == 0

    everything = client.get("/api/v1/audit-events/?per_page=100", headers=ah).get_json()
    assert everything["total"] == _count_events(db_session) == len(everything["items"])
    assert {home.id, away.id, None} <= {e["office_id"] for e in everything["items"]}
    assert ("participants:participant:read", p_away.id) in {
        (e["action"], e["object_id"]) for e in everything["items"]}


# --- API tokens --------------------------------------------------------------------------------

def _me(client, secret: str):
    return client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {secret}"})


def test_expired_token_is_refused(client, factory, db_session):
    user = factory.user("caseworker")
    token, secret = issue_token(db_session, user, "short", 1)
    assert _me(client, secret).status_code == 200
    token.expires_at = utcnow() - timedelta(seconds=1)
    db_session.flush()
    resp = _me(client, secret)
    assert resp.status_code == 401
    assert resp.mimetype == "application/problem+json"
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")


def test_revoked_token_is_refused_at_once(client, factory, db_session):
    user = factory.user("caseworker")
    issued = client.post("/api/v1/auth/tokens",
                         json={"username": user.username, "password": PASSWORD}).get_json()
    secret = issued["token"]
    assert _me(client, secret).get_json()["id"] == user.id
    other = factory.headers(user)

    resp = client.delete(f"/api/v1/auth/tokens/{issued['id']}",
                         headers={"Authorization": f"Bearer {secret}"})
    assert resp.status_code == 204
    assert _me(client, secret).status_code == 401
    listed = {t["id"]: t for t in client.get("/api/v1/auth/tokens", headers=other).get_json()}
    assert listed[issued["id"]]["revoked_at"] is not None
    assert db_session.get(ApiToken, issued["id"]).revoked_at is not None


@pytest.mark.parametrize("header", [
    "Bearer jrn_not-a-real-token",
    "Bearer not-even-the-prefix",
    "Bearer ",
    "Basic Y2FzZXdvcmtlcjpwYXNzd29yZA==",
    "jrn_missing-the-scheme",
])
def test_malformed_or_unknown_credentials_are_401(client, header):
    resp = client.get("/api/v1/auth/me", headers={"Authorization": header})
    assert resp.status_code == 401
    assert resp.get_json()["code"] == "unauthorized"


def test_token_secret_is_returned_once_and_never_listed(client, factory, db_session):
    user = factory.user("caseworker")
    resp = client.post("/api/v1/auth/tokens",
                       json={"username": user.username, "password": PASSWORD, "name": "laptop"})
    assert resp.status_code == 201
    issued = resp.get_json()
    secret = issued["token"]
    assert secret.startswith("jrn_") and len(secret) > 40
    assert "password" not in issued
    assert _me(client, secret).status_code == 200

    # Only the SHA-256 of the secret is stored.
    row = db_session.get(ApiToken, issued["id"])
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()

    listing = client.get("/api/v1/auth/tokens", headers={"Authorization": f"Bearer {secret}"})
    assert listing.status_code == 200
    assert secret not in listing.get_data(as_text=True)
    assert row.token_hash not in listing.get_data(as_text=True)
    (listed,) = [t for t in listing.get_json() if t["id"] == issued["id"]]
    assert set(listed) == {"id", "name", "created_at", "expires_at", "revoked_at", "last_used_at"}
    assert listed["name"] == "laptop"
    # A second login gives a new secret; the first is not shown again anywhere.
    again = client.post("/api/v1/auth/tokens",
                        json={"username": user.username, "password": PASSWORD}).get_json()
    assert again["token"] != secret


def test_tokens_list_shows_only_your_own(client, factory):
    a, b = factory.user("caseworker"), factory.user("caseworker")
    ha = factory.headers(a)
    factory.token(b)
    ids_a = {t["id"] for t in client.get("/api/v1/auth/tokens", headers=ha).get_json()}
    ids_b = {t["id"] for t in client.get("/api/v1/auth/tokens",
                                         headers=factory.headers(b)).get_json()}
    assert ids_a and ids_b and not ids_a & ids_b


def test_revoking_someone_elses_token_is_404_except_for_admins(client, factory, db_session):
    owner, stranger, admin = (factory.user("caseworker"), factory.user("supervisor"),
                              factory.user("admin"))
    token, secret = issue_token(db_session, owner, "owner", 1)
    resp = client.delete(f"/api/v1/auth/tokens/{token.id}", headers=factory.headers(stranger))
    assert resp.status_code == 404
    assert _me(client, secret).status_code == 200
    resp = client.delete(f"/api/v1/auth/tokens/{token.id}", headers=factory.headers(admin))
    assert resp.status_code == 204
    assert _me(client, secret).status_code == 401


# --- login throttling --------------------------------------------------------------------------

@pytest.fixture
def committing_app(app, fresh_database_url, monkeypatch):
    """An app on its own migrated database, whose requests commit for real.

    A failed login is written in its own transaction so that the request's rollback keeps it. The
    shared fixtures run every session of a test on one connection, in savepoints, where the
    request's rollback to its savepoint would erase the failure too; a real database does not.
    """
    url = fresh_database_url(at_head=True)
    other = create_app({"DATABASE_URL": url, "LOG_TRACEBACKS": False,
                        "PASSWORD_HASH_PROFILE": "cheapest"})
    yield other
    other.extensions["journey_db"].engine.dispose()


def test_sixth_login_after_five_failures_is_429_even_with_the_right_password(committing_app):
    app = committing_app
    with app.app_context(), db.job_session() as s:
        for username in ("throttled", "nearly", "bystander"):
            create_user(s, None, {"username": username, "full_name": "Some Admin", "role": "admin",
                                  "password": PASSWORD})
    client = app.test_client()

    def login(username, password):
        return client.post("/api/v1/auth/tokens", json={"username": username, "password": password})

    for _ in range(5):
        assert login("throttled", "wrong password").status_code == 401
    refused = login("throttled", PASSWORD)
    assert refused.status_code == 429
    assert refused.mimetype == "application/problem+json"
    assert refused.get_json()["code"] == "too-many-requests"
    assert 0 < int(refused.headers["Retry-After"]) <= 2 ** app.config["LOGIN_MAX_FAILURES"]
    assert "token" not in refused.get_json()
    # However the username is typed, it is the same account and the same counter.
    assert login("THROTTLED ", PASSWORD).status_code == 429

    # Four failures are under the limit, and the limit is per username: these still log in.
    for _ in range(4):
        assert login("nearly", "wrong password").status_code == 401
    assert login("nearly", PASSWORD).status_code == 201
    assert login("bystander", PASSWORD).status_code == 201

    with app.app_context(), db.job_session() as s:
        owners = s.scalars(sa.select(User.username).join(ApiToken, ApiToken.user_id == User.id))
        assert sorted(owners) == ["bystander", "nearly"]


# --- page-only permissions of referrals (owner: partner) --------------------------------------

def _page_csrf(client) -> str:
    page = client.get("/account").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


@pytest.mark.parametrize("role", [r for r in ROLES if r != ANON])
def test_partner_pages_follow_partners_own(app, client, factory, db_session, role, monkeypatch):
    from tests.referrals.helpers import person, refer, setting
    from tests.web.test_pages import log_in

    s = setting(factory, db_session)
    r = refer(app, db_session, s, person(factory, s))
    users = {"admin": s.admin, "caseworker": s.caseworker, "partner": s.partner}
    user = users.get(role) or factory.user(role, office=db_session.get(Office, s.office_id))
    log_in(client, user)
    expected = 200 if Role(role) in PERMISSIONS["partners:own"] else 403
    for path in ("/partner", "/partner/referrals", f"/partner/referrals/{r.id}"):
        assert client.get(path).status_code == expected, path
    # The pages follow the permission, not the role's name.
    monkeypatch.setitem(app.extensions["journey_policy"], "partners:own", frozenset())
    assert client.get("/partner").status_code == 403


@pytest.mark.parametrize("role", [r for r in ROLES if r != ANON])
def test_emailing_a_partner_link_follows_referrals_link(app, client, factory, db_session, role,
                                                        monkeypatch):
    from tests.referrals.helpers import person, refer, setting
    from tests.web.test_pages import log_in

    s = setting(factory, db_session)
    r = refer(app, db_session, s, person(factory, s))
    users = {"admin": s.admin, "caseworker": s.caseworker, "partner": s.partner}
    user = users.get(role) or factory.user(role, office=db_session.get(Office, s.office_id))
    log_in(client, user)
    resp = client.post(f"/referrals/{r.id}/partner-link", data={"csrf_token": _page_csrf(client)})
    # The partner's own referral is in its scope, but the permission is staff's.
    assert resp.status_code == (303 if Role(role) in PERMISSIONS["referrals:link"] else 403)
    monkeypatch.setitem(app.extensions["journey_policy"], "referrals:link", frozenset())
    resp = client.post(f"/referrals/{r.id}/partner-link", data={"csrf_token": _page_csrf(client)})
    assert resp.status_code == 403
