"""Imports every model module, so metadata (and Alembic) sees every table."""

from journey.consent.models import ConsentRecord
from journey.core.audit import AuditEvent
from journey.core.auth import ApiToken, LoginAttempt, User
from journey.organisations.models import Employer, Office, ServiceProvider
from journey.participants.models import Participant
from journey.programmes.models import Programme

__all__ = [
    "ApiToken", "AuditEvent", "ConsentRecord", "Employer", "LoginAttempt", "Office",
    "Participant", "Programme", "ServiceProvider", "User",
]
