"""The walker behind export and erasure: every declared participant table, the person's rows only."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from journey.core.domains import Category, Domain, PersonalData, load
from journey.domains import DOMAINS
from journey.privacy import subjects


def test_the_walker_visits_every_declared_participant_table(app, db_session, factory):
    user = factory.user("supervisor")
    person = factory.participant(user)
    visited = []
    with app.app_context():
        for item, rows in subjects.walk(db_session, person):
            list(rows)  # every table's query runs (a link it cannot follow raises here)
            visited.append(item.name)
    expected = [e.table for d in load(DOMAINS) for e in d.personal_data
                if e.subject == "participant"]
    assert visited == expected
    assert "participants" in visited and "audit_events" in visited


def test_each_table_gives_the_person_s_rows_and_no_one_else_s(app, db_session, factory):
    user = factory.user("supervisor")
    person, other = factory.participant(user), factory.participant(user)
    with app.app_context():
        found = {item.name: [r for batch in rows for r in batch]
                 for item, rows in subjects.walk(db_session, person)}
    assert [r["id"] for r in found["participants"]] == [person.id]
    assert found["journey_events"]
    assert all(r["participant_id"] == person.id for r in found["journey_events"])
    # Registration is audited on the participant's own record.
    assert any(r["object_type"] == "participant" and r["object_id"] == person.id
               for r in found["audit_events"])
    assert not any(r["object_id"] == other.id and r["object_type"] == "participant"
                   for r in found["audit_events"])


def test_batches_are_bounded_and_complete(app, db_session, factory):
    user = factory.user("supervisor")
    person = factory.participant(user)
    with app.app_context():
        item = next(i for i in subjects.declared() if i.name == "audit_events")
        everything = [r["id"] for b in subjects.batches(db_session, item, person, size=500)
                      for r in b]
        small = list(subjects.batches(db_session, item, person, size=1))
    assert all(len(b) == 1 for b in small)
    assert [b[0]["id"] for b in small] == everything


def test_audit_events_about_a_child_object_are_the_person_s(app, db_session, factory):
    from journey.core import audit

    user = factory.user("supervisor")
    person, other = factory.participant(user), factory.participant(user)
    with app.app_context():
        audit.record(db_session, "costs:cost:create", actor_id=user.id, object_type="cost",
                     object_id=other.id, participant_id=person.id)
        audit.record(db_session, "costs:cost:create", actor_id=user.id, object_type="cost",
                     object_id=person.id, participant_id=other.id)
        item = next(i for i in subjects.declared() if i.name == "audit_events")
        rows = [r for b in subjects.batches(db_session, item, person) for r in b]
    costs = [r for r in rows if r["object_type"] == "cost"]
    assert [r["details"]["participant_id"] for r in costs] == [person.id]


def test_a_link_the_walker_cannot_follow_must_declare_where(app, db_session, factory):
    user = factory.user("supervisor")
    person = factory.participant(user)
    bad = Domain(name="bad", personal_data=(
        PersonalData("sms_opt_outs", (Category.CONTACT,), ("phone", "participants.phone")),))
    fake = type("App", (), {"extensions": {"journey_domains": (bad,)}})()
    with app.app_context():
        (item,) = subjects.declared(fake)
        with pytest.raises(subjects.UnfollowableLink):
            list(subjects.batches(db_session, item, person))


def test_a_join_hop_follows_the_foreign_key(app):
    with app.app_context():
        item = next(i for i in subjects.declared() if i.name == "passport_entry_revisions")
        person = type("P", (), {"id": 7})()
        sql = str(subjects.condition(item, person).compile(compile_kwargs={"literal_binds": True}))
    assert "passport_entries.id" in sql and "passport_entries.participant_id = 7" in sql
    assert isinstance(subjects.condition(item, person), sa.ColumnElement)


class _Reversed(sa.types.TypeDecorator):
    """Stands in for column encryption: stored one way, read back another."""

    impl = sa.String(50)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else value[::-1]

    def process_result_value(self, value, dialect):
        return None if value is None else value[::-1]


def test_rows_are_read_through_the_column_types(app, db_session, factory):
    """An encrypted column (a TypeDecorator) comes out as its value, not as what is stored."""
    user = factory.user("supervisor")
    person = factory.participant(user)
    extra = sa.MetaData()
    secrets = sa.Table("walker_secrets", extra, sa.Column("id", sa.Integer, primary_key=True),
                       sa.Column("participant_id", sa.Integer), sa.Column("secret", _Reversed()))
    model = type("Secret", (), {"__table__": secrets})
    domain = Domain(name="secrets", models=(model,), personal_data=(
        PersonalData("walker_secrets", (Category.SENSITIVE,), ("participant_id",)),))
    fake = type("App", (), {"extensions": {"journey_domains": (domain,)}})()
    extra.create_all(db_session.connection())  # inside the test's transaction: rolled back
    db_session.execute(secrets.insert().values(participant_id=person.id, secret="A1234567"))
    stored = db_session.scalar(sa.text("SELECT secret FROM walker_secrets"))
    assert stored == "7654321A"
    with app.app_context():
        (item,) = subjects.declared(fake)
        rows = [r for b in subjects.batches(db_session, item, person) for r in b]
    assert [r["secret"] for r in rows] == ["A1234567"]
