"""Migration 0012 (issue #11, finding 3): links that a past withdrawal of consent to share left
open are revoked for good, as of that withdrawal; a link revoked by staff says so."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from sqlmodel import select

from journey import create_app
from journey.cli import alembic_config
from journey.consent import services as consent_services
from journey.consent.models import ConsentRecord
from journey.core.db import db, utcnow
from journey.core.links import ParticipantLink
from journey.passports import sharing
from journey.passports.models import ShareLink
from tests.factories import Factory


def test_upgrade_closes_links_left_open_by_an_earlier_withdrawal(fresh_database_url, instance_dir,
                                                                  monkeypatch):
    url = fresh_database_url()
    cfg = alembic_config(url)
    command.upgrade(cfg, "head")
    monkeypatch.setenv("JOURNEY_ENV", "testing")
    monkeypatch.setenv("JOURNEY_INSTANCE_PATH", str(instance_dir))
    app = create_app({"DATABASE_URL": url, "LOG_TRACEBACKS": False,
                      "PASSWORD_HASH_PROFILE": "cheapest"})
    try:
        with app.app_context(), db.job_session() as s:
            f = Factory(app, s)
            cw = f.user("caseworker")
            employer = f.employer()
            p = f.participant(cw, consents=[{"purpose": "share_employers", "method": "signed"}])
            left_open, _ = sharing.create_share_link(s, cw, p, audience="A", employer_id=employer.id)
            by_staff, _ = sharing.create_share_link(s, cw, p, audience="B")
            sharing.revoke_share_link(s, cw, p, by_staff)
            # A withdrawal as the code before this revision made it: the links stayed open.
            withdrawn_at = utcnow()
            s.execute(sa.update(ConsentRecord).where(ConsentRecord.participant_id == p.id).values(
                withdrawn_at=withdrawn_at, withdrawn_by=cw.id, withdrawal_method="verbal"))
            consent_services.grant(s, cw, p, purpose="share_employers", method="signed")
            later, _ = sharing.create_share_link(s, cw, p, audience="C")
            ids = (left_open.id, by_staff.id, later.id, cw.id, p.id)

        command.downgrade(cfg, "0012-1")
        command.upgrade(cfg, "head")

        left_open_id, by_staff_id, later_id, cw_id, pid = ids
        with app.app_context(), db.job_session() as s:
            links = {link.id: link for link in s.scalars(select(ShareLink))}
            assert links[left_open_id].revoke_reason == "consent_withdrawn"
            assert links[left_open_id].revoked_at == withdrawn_at
            assert links[left_open_id].revoked_by == cw_id
            assert sharing.share_status(links[left_open_id]) == "revoked"
            assert links[by_staff_id].revoke_reason == "revoked"
            # Made after consent was given again: untouched.
            assert links[later_id].revoked_at is None and links[later_id].revoke_reason is None
            # The employer's link through that share ended with it.
            (shared,) = s.scalars(select(ParticipantLink).where(
                ParticipantLink.participant_id == pid, ParticipantLink.reason == "shared"))
            assert shared.ended_at == withdrawn_at
    finally:
        app.extensions["journey_db"].engine.dispose()
