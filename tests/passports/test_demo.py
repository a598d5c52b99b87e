"""Demo passports: several verification levels, languages with CEFR levels, idempotent."""

from __future__ import annotations

from sqlmodel import select

from journey.passports import services
from journey.passports.demo import load_demo_passports
from journey.passports.models import PassportEntry, PassportEntryRevision


def test_demo_passports_cover_the_levels_and_run_once(app, factory, db_session, taxonomy):
    admin = factory.user("admin")
    office = factory.office()
    people = [factory.participant(admin, office_id=office.id,
                                  consents=[{"purpose": "share_employers", "method": "signed"}]
                                  if i == 0 else [])
              for i in range(4)]
    with app.app_context():
        assert load_demo_passports(db_session, admin, people) == 4
        assert load_demo_passports(db_session, admin, people) == 0

    entries = db_session.scalars(select(PassportEntry)).all()
    assert {e.participant_id for e in entries} == {p.id for p in people}
    assert {e.verification for e in entries} == {
        "self_declared", "documents_seen", "assessed", "certified", "recognised"}
    first = services.current_entries(db_session, people[0].id, ["language"])
    langs = {e.language: services.entry_fields(e) for e in first}
    assert langs["ne"]["mother_tongue"] is True
    assert langs["en"]["listening"] and langs["pt"]["speaking"] == "A1"
    assert any(e.kind == "experience" and e.acquired_abroad for e in entries)
    # Codes only where the loaded taxonomy has them (this test loads 5120 and 5131, not 5132).
    occupations = [e for e in entries if e.kind == "occupation"]
    assert [(o.isco_code, o.esco_uri is not None) for o in occupations] == [
        ("5120", True), ("5131", False), (None, False), (None, False)]
    assert services.get_passport(db_session, people[0].id).disclosure[0] == "name"
    assert services.get_passport(db_session, people[1].id) is None
    revisions = db_session.scalars(select(PassportEntryRevision)).all()
    assert len(revisions) > len(entries)  # created, then verified
