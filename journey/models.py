"""Imports every model module, so metadata (and Alembic) sees every table."""

from journey.consent.models import ConsentRecord
from journey.continuum.models import ChecklistItem, JourneyEvent, Permit
from journey.core.audit import AuditEvent
from journey.core.auth import ApiToken, LoginAttempt, User
from journey.core.links import ParticipantLink
from journey.costs.models import Cost
from journey.credentials.models import Credential, SigningKey
from journey.organisations.models import Employer, Office, ServiceProvider
from journey.participants.models import Participant
from journey.passports.models import Passport, PassportEntry, PassportEntryRevision, ShareLink
from journey.programmes.models import Programme, ProgrammeEmployer
from journey.skillcards.models import SkillCard, SkillForm
from journey.taxonomy.models import EscoOccupation, IscoGroup
from notifications.models import Campaign, InboundMessage, OutboxMessage, SmsOptOut

__all__ = [
    "ApiToken", "AuditEvent", "ChecklistItem", "ConsentRecord", "Cost", "Employer",
    "JourneyEvent", "LoginAttempt", "Office", "Participant", "Permit", "Programme",
    "ProgrammeEmployer", "ServiceProvider", "User", "Campaign", "InboundMessage", "OutboxMessage",
    "SmsOptOut", "Credential", "SigningKey", "Passport", "PassportEntry", "PassportEntryRevision",
    "ShareLink", "ParticipantLink", "SkillCard", "SkillForm", "EscoOccupation", "IscoGroup",
]
