"""Test data factories: offices, users with tokens, participants."""

from __future__ import annotations

import functools
import itertools
from datetime import date
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from journey.accounts.services import create_user
from journey.continuum.intake import register_participant
from journey.core.auth import User, issue_token
from journey.core.db import utcnow
from journey.organisations.models import Employer, Office, ServiceProvider
from journey.participants.models import Participant
from journey.programmes.models import Programme

_seq = itertools.count(1)
PASSWORD = "correct horse battery staple"
DROP = object()  # a field registration_body leaves out


def registration_body(**kw: Any) -> dict[str, Any]:
    """A valid POST /participants/ body; keywords replace fields, DROP leaves one out."""
    body = {"given_name": "Sunita", "family_name": "Gurung", "date_of_birth": "1995-04-02",
            "sex": "female", "nationality": "NP", "origin_country": "NP",
            "destination_country": "PT", "phone": "+9779812345678", "language": "ne",
            "timezone": "Asia/Kathmandu", "channels": ["sms"], **kw}
    return {k: v for k, v in body.items() if v is not DROP}


def _in_app_context(method):
    """Run a factory method inside an app context that is popped afterwards.

    A context left pushed during a test would be reused by the test client's requests (Flask
    reuses an active app context), sharing `g` between requests and hiding bugs.
    """

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with self.app.app_context():
            return method(self, *args, **kwargs)

    return wrapper


class Factory:
    def __init__(self, app: Flask, session: Session) -> None:
        self.app = app
        self.session = session

    def _add(self, obj):
        self.session.add(obj)
        self.session.flush()
        return obj

    @_in_app_context
    def office(self, **kw: Any) -> Office:
        n = next(_seq)
        return self._add(Office(**{"code": f"OF{n}", "name": f"Office {n}", "country": "NP",
                                   "timezone": "Asia/Kathmandu", "created_at": utcnow(), **kw}))

    @_in_app_context
    def employer(self, **kw: Any) -> Employer:
        n = next(_seq)
        return self._add(Employer(**{"name": f"Employer {n}", "country": "PT",
                                     "created_at": utcnow(), **kw}))

    @_in_app_context
    def provider(self, **kw: Any) -> ServiceProvider:
        n = next(_seq)
        return self._add(ServiceProvider(**{"name": f"Provider {n}", "country": "PT",
                                            "kind": "job_centre", "created_at": utcnow(), **kw}))

    @_in_app_context
    def programme(self, **kw: Any) -> Programme:
        n = next(_seq)
        return self._add(Programme(**{"code": f"PG-{n}", "name": f"Programme {n}",
                                      "origin_country": "NP", "destination_country": "PT",
                                      "sector": "Hospitality", "occupations": ["5120"],
                                      "default_language": "ne", "created_at": utcnow(), **kw}))

    @_in_app_context
    def user(self, role: str = "caseworker", office: Office | None = None, **kw: Any) -> User:
        n = next(_seq)
        data = {"username": f"{role}{n}", "full_name": f"{role.title()} {n}", "role": role,
                "password": PASSWORD, "language": "en"}
        if role in ("caseworker", "supervisor"):
            data["office_id"] = (office or self.office()).id
        if role == "employer":
            data["employer_id"] = self.employer().id
        if role == "partner":
            data["provider_id"] = self.provider().id
        data.update(kw)
        return create_user(self.session, None, data)

    @_in_app_context
    def token(self, user: User) -> str:
        _token, secret = issue_token(self.session, user, "test", 1)
        return secret

    def headers(self, user: User) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(user)}"}

    @_in_app_context
    def participant(self, actor: User, **kw: Any) -> Participant:
        n = next(_seq)
        data = {"given_name": f"Given{n}", "family_name": f"Family{n}",
                "date_of_birth": date(1990, 1, 1 + n % 28), "sex": "female",
                "nationality": "NP", "origin_country": "NP", "destination_country": "PT",
                "phone": f"+97798{41000000 + n:08d}", "language": "ne",
                "timezone": "Asia/Kathmandu", "channels": ["sms"]}
        data.update(kw)
        return register_participant(self.session, actor, data)
