"""Operator commands: users create, demo load."""

from __future__ import annotations

import sqlalchemy as sa

from journey.core.auth import User, verify_password
from journey.credentials import services as credentials
from journey.credentials.models import Credential
from journey.demo.load import _STAGES
from journey.participants.models import Participant
from journey.passports.models import PassportEntry, Verification
from journey.skillcards.models import SkillCard, SkillForm


def test_users_create_hashes_with_argon2id(app, connection, db_session, factory):
    office = factory.office(code="CLI1")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "--username", "maya", "--full-name", "Maya K",
                                 "--role", "caseworker", "--office", "cli1",
                                 "--password", "a long enough password"])
    assert result.exit_code == 0, result.output
    user = db_session.scalars(sa.select(User).where(User.username == "maya")).one()
    assert user.office_id == office.id
    assert user.password_hash.startswith("$argon2id$")
    assert verify_password(user, "a long enough password")
    assert not verify_password(user, "wrong password here")


def test_users_create_explains_what_is_wrong(app, connection):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "--username", "xx1", "--full-name", "X",
                                 "--role", "caseworker", "--password", "a long enough password"])
    assert result.exit_code != 0
    assert "office" in result.output.lower()
    short = runner.invoke(args=["users", "create", "--username", "xx2", "--full-name", "X",
                                "--role", "admin", "--password", "short"])
    assert short.exit_code != 0 and "password" in short.output


def test_demo_load_is_idempotent(app, connection, db_session):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    assert "journey-demo-2026" in first.output and "caseworker" in first.output
    count = db_session.scalar(sa.select(sa.func.count()).select_from(Participant))
    users = db_session.scalar(sa.select(sa.func.count()).select_from(User))
    assert count == len(_STAGES)
    stages = set(db_session.scalars(sa.select(Participant.stage).distinct()))
    sexes = set(db_session.scalars(sa.select(Participant.sex).distinct()))
    langs = set(db_session.scalars(sa.select(Participant.language).distinct()))
    assert len(stages) >= 10 and sexes == {"female", "male", "another", "prefer_not_to_say"}
    assert len(langs) >= 3
    # Passports at every verification level; one returnee holds a card whose credential verifies.
    levels = set(db_session.scalars(sa.select(PassportEntry.verification).distinct()))
    assert levels == {v.value for v in Verification}
    (card,) = db_session.scalars(sa.select(SkillCard)).all()
    form = db_session.get(SkillForm, card.form_id)
    assert form.status == "completed" and form.answers["occupation"]["isco_code"]
    assert card.number in first.output and card.public_id in first.output
    with app.test_request_context():
        token = db_session.get(Credential, card.credential_id).token
        assert credentials.verify(db_session, token).status == "valid"
    second = runner.invoke(args=["demo", "load"])
    assert second.exit_code == 0 and "nothing changed" in second.output
    assert db_session.scalar(sa.select(sa.func.count()).select_from(SkillCard)) == 1
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Participant)) == count
    assert db_session.scalar(sa.select(sa.func.count()).select_from(User)) == users
