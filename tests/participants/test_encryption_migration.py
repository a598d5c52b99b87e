"""Migration 0010 encrypts the rows already there, in batches, and its downgrade decrypts them."""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import command

from journey.cli import alembic_config
from journey.core import crypto
from journey.core.db import make_engine

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def _insert_clear_rows(url: str, n: int) -> None:
    engine = make_engine(url)
    meta = sa.MetaData()
    meta.reflect(engine, only=["offices", "participants", "permits", "sms_opt_outs"])
    offices, people, permits, opt_outs = (meta.tables[t] for t in
                                          ("offices", "participants", "permits", "sms_opt_outs"))
    stamp = NOW.replace(tzinfo=None) if engine.dialect.name == "sqlite" else NOW
    with engine.begin() as conn:
        conn.execute(offices.insert().values(id=1, code="KTM", name="Kathmandu", country="NP",
                                             timezone="Asia/Kathmandu", created_at=stamp))
        for i in range(1, n + 1):
            conn.execute(people.insert().values(
                id=i, reference=f"REF{i:05d}", office_id=1, stage="intake", stage_entered_at=stamp,
                cycle=1, given_name="Sunita", family_name=f"Gurung{i}", name_key=f"gurung{i} sunita",
                search_text=f"sunita gurung{i} ref{i:05d} 97798000{i:05d}",
                date_of_birth=date(1990, 1, 1), sex="another", sex_self_described="tesro lingi",
                gender_identity="non-binary", nationality="NP", origin_country="NP",
                phone=f"+97798000{i:05d}", email=f"p{i}@example.org", language="ne",
                timezone="Asia/Kathmandu", channels=["sms"], disability="yes",
                disability_details="wheelchair", notes=f"note {i}", created_at=stamp,
                updated_at=stamp, version=1))
        conn.execute(permits.insert().values(id=1, participant_id=1, type="work_permit",
                                             issuing_country="PT", number="WP-778", status="issued",
                                             employer_tied=False, created_at=stamp,
                                             updated_at=stamp, version=1))
        # A permit without a number: nothing to encrypt (the demo data has these).
        conn.execute(permits.insert().values(id=2, participant_id=2, type="work_visa",
                                             issuing_country="PT", number=None, status="planned",
                                             employer_tied=False, created_at=stamp,
                                             updated_at=stamp, version=1))
        conn.execute(opt_outs.insert().values(phone="+9779800000001", source="keyword",
                                              opted_out_at=stamp))
    engine.dispose()


def _rows(url: str, sql: str) -> list[dict]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return [dict(r) for r in conn.execute(sa.text(sql)).mappings()]
    finally:
        engine.dispose()


def test_upgrade_encrypts_existing_rows_and_downgrade_decrypts(fresh_database_url, app):
    url = fresh_database_url()
    cfg = alembic_config(url)
    command.upgrade(cfg, "0006")
    n = 1203  # more than two batches of 500
    _insert_clear_rows(url, n)

    command.upgrade(cfg, "0010")
    ring = crypto.keyring()  # the test key, loaded from settings as the migration loads it
    people = _rows(url, "SELECT * FROM participants ORDER BY id")
    assert len(people) == n
    for row in (people[0], people[-1]):
        for column in ("sex_self_described", "gender_identity", "phone", "email",
                       "disability_details", "notes"):
            assert crypto.key_id(row[column]) == "test1", column
        assert "97798000" not in row["search_text"] and row["search_text"].startswith("sunita")
    first = people[0]
    assert ring.decrypt(first["phone"], "participants.phone") == "+9779800000001"
    assert ring.decrypt(first["notes"], "participants.notes") == "note 1"
    assert first["phone_index"] == ring.blind_index("+9779800000001")
    permit, empty = _rows(url, "SELECT number FROM permits ORDER BY id")
    assert ring.decrypt(permit["number"], "permits.number") == "WP-778"
    assert empty["number"] is None
    (opt_out,) = _rows(url, "SELECT * FROM sms_opt_outs")
    assert opt_out["phone_index"] == first["phone_index"]  # the declared link joins them

    command.downgrade(cfg, "0006")
    first = _rows(url, "SELECT * FROM participants WHERE id = 1")[0]
    assert (first["phone"], first["notes"], first["gender_identity"]) == (
        "+9779800000001", "note 1", "non-binary")
    assert first["search_text"] == "sunita gurung1 ref00001 9779800000001"
    assert [r["number"] for r in _rows(url, "SELECT number FROM permits ORDER BY id")] == [
        "WP-778", None]
