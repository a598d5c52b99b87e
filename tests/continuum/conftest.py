"""Helpers to put a participant in a given stage with every guard satisfied."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from journey.consent import services as consent
from journey.continuum import services
from journey.continuum.models import ChecklistItem, ItemStatus
from journey.continuum.stages import Stage
from journey.participants.models import Participant

TODAY = date(2026, 11, 23)
FULL_DATA = {"reason": "Because the participant asked.", "arrival_date": TODAY,
             "return_date": TODAY, "destination_country": "ES"}


@pytest.fixture
def journey_kit(app, factory, db_session):
    """Build participants placed in any stage, ready for any event out of it."""

    class Kit:
        office = factory.office()
        caseworker = factory.user("caseworker", office=office)
        supervisor = factory.user("supervisor", office=office)
        employer = factory.employer()

        def participant(self, stage: Stage = Stage.INTAKE, *, ready: bool = True, **kw):
            p = factory.participant(self.caseworker, **kw)
            with app.app_context():
                consent.grant(db_session, self.caseworker, p, purpose="case_management",
                              method="signed")
                if stage != Stage.INTAKE:
                    # Test set-up only: place the participant directly in the stage under test.
                    db_session.execute(sa.update(Participant).where(Participant.id == p.id).values(
                        stage=stage.value, previous_stage=Stage.TRAINING.value))
                    db_session.refresh(p)
                    services.open_checklist(db_session, p, stage, TODAY)
                if ready:
                    self.make_ready(p)
                db_session.flush()
            return p

        def make_ready(self, p):
            with app.app_context():
                db_session.execute(sa.update(ChecklistItem).where(
                    ChecklistItem.participant_id == p.id).values(
                    status=ItemStatus.DONE.value, completed_at=services.utcnow()))
                if not any(i.key == "orientation" for i in self.items(p)):
                    services.open_checklist(db_session, p, Stage.PRE_DEPARTURE, TODAY)
                    db_session.execute(sa.update(ChecklistItem).where(
                        ChecklistItem.participant_id == p.id, ChecklistItem.key == "orientation"
                    ).values(status=ItemStatus.DONE.value, completed_at=services.utcnow()))
                services.record_permit(db_session, self.caseworker, p, {
                    "type": "work_permit", "issuing_country": "PT", "status": "granted",
                    "expires_on": TODAY + timedelta(days=400)})
                db_session.flush()

        def items(self, p):
            return db_session.scalars(sa.select(ChecklistItem).where(
                ChecklistItem.participant_id == p.id)).all()

        def data(self):
            return {**FULL_DATA, "employer_id": self.employer.id}

    return Kit()
