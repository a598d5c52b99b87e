"""Placements and recruiters for the ledger's tests, and the continuum's participant kit."""

from __future__ import annotations

import itertools

import pytest

from journey.core.db import utcnow
from journey.employers.models import Placement, Recruiter
from tests.continuum.conftest import journey_kit  # noqa: F401  (a fixture)

_seq = itertools.count(1)


@pytest.fixture
def ledger(app, factory, db_session):
    """Recruiters and placements, as the employers domain would open them."""

    class Ledger:
        def recruiter(self, **kw) -> Recruiter:
            n = next(_seq)
            row = Recruiter(**{"name": f"Agency {n}", "name_key": f"agency-{n}", "country": "NP",
                               "created_at": utcnow(), **kw})
            db_session.add(row)
            db_session.flush()
            return row

        def placement(self, p, employer=None, *, recruiter=None, programme=None,
                      status="active") -> Placement:
            employer = employer or factory.employer()
            row = Placement(participant_id=p.id, employer_id=employer.id,
                            recruiter_id=recruiter.id if recruiter else None,
                            programme_id=programme.id if programme else None, status=status,
                            ended_at=utcnow() if status == "ended" else None,
                            created_at=utcnow())
            db_session.add(row)
            db_session.flush()
            return row

    return Ledger()
