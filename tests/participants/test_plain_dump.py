"""The participant schemas' plain dump (PlainDump) gives exactly marshmallow's JSON, for varied
records, roles and languages, from model instances and from list rows alike."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import marshmallow as ma
import pytest
import sqlalchemy as sa
from flask import g
from flask_babel import force_locale

from journey.core.policy import allowed
from journey.participants.models import Participant
from journey.participants.routes import ParticipantPageSchema
from journey.participants.schemas import (
    SUMMARY_COLUMNS,
    ParticipantSchema,
    ParticipantSummarySchema,
    PlainDump,
)
from journey.stages import Stage

NAMES = ["Ram", "Zoë", "Nguyễn", "محمد", "李", "O'Brien", "Anne-Marie", "", " x ", "Thapa\u200b"]


def _maybe(rng: random.Random, value):
    return None if rng.random() < 0.3 else value


def _participant(rng: random.Random, i: int) -> Participant:
    created = datetime(2020, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(10**8),
                                                          microseconds=rng.randrange(10**6))
    sex = rng.choice(["female", "male", "another", "prefer_not_to_say"])
    return Participant(
        id=rng.randrange(1, 2**31 - 1), reference=f"{i:04d}-ABCD", office_id=rng.randrange(1, 9),
        programme_id=_maybe(rng, rng.randrange(1, 50)), stage=rng.choice(list(Stage)).value,
        stage_entered_at=created, given_name=rng.choice(NAMES), family_name=rng.choice(NAMES),
        name_key="k", search_text="s",
        date_of_birth=date(1900, 1, 1) + timedelta(days=rng.randrange(45_000)), sex=sex,
        sex_self_described=_maybe(rng, "non-binary") if sex == "another" else None,
        gender_identity=_maybe(rng, rng.choice(NAMES)), nationality=rng.choice(["NP", "PH", "BD"]),
        origin_country=rng.choice(["NP", "PH"]), destination_country=_maybe(rng, "PT"),
        phone=_maybe(rng, "+9779812345678"), email=_maybe(rng, "a@example.org"),
        language=rng.choice(["en", "ne", "ar"]), timezone="Asia/Kathmandu",
        channels=rng.choice([[], ["sms"], ["sms", "email"]]),
        disability=rng.choice(["no", "yes", "unknown"]), disability_details=_maybe(rng, "wheelchair"),
        notes=_maybe(rng, "line one\nline two"), created_at=created,
        updated_at=created + timedelta(days=rng.randrange(100)), version=rng.randrange(1, 10**6),
    )


def _marshmallow(schema: ma.Schema, obj, many: bool = False):
    """marshmallow's own dump, PlainDump bypassed."""
    return super(PlainDump, schema).dump(obj, many=many)


@pytest.mark.parametrize("role,language", [("admin", "en"), ("caseworker", "fr"),
                                           ("employer", "ar"), ("partner", "ne")])
def test_plain_dump_is_marshmallow_dump_for_varied_participants(app, factory, role, language):
    user = factory.user(role)
    rng = random.Random(f"{role}-{language}")
    people = [_participant(rng, i) for i in range(150)]
    full, summary, page = ParticipantSchema(), ParticipantSummarySchema(), ParticipantPageSchema()
    with app.test_request_context("/api/v1/participants/"), force_locale(language):
        g.user = user
        for p in people:
            assert app.json.dumps(full.dump(p)) == app.json.dumps(_marshmallow(full, p))
            assert app.json.dumps(summary.dump(p)) == app.json.dumps(_marshmallow(summary, p))
        envelope = {"items": people[:50], "total": 1234, "page": 3, "per_page": 50, "pages": 25}
        assert app.json.dumps(page.dump(envelope)) == app.json.dumps(_marshmallow(page, envelope))
        assert app.json.dumps(summary.dump(people, many=True)) == app.json.dumps(
            _marshmallow(summary, people, many=True))
    # Whether the sensitive fields are there at all depends on the role, in both dumps.
    with app.test_request_context("/"):
        g.user = user
        sensitive = allowed(user, "participants:read_sensitive")
        with_notes = next(p for p in people if p.notes)
        assert ("notes" in full.dump(with_notes)) is sensitive


def test_a_list_row_dumps_as_its_participant(app, factory, db_session):
    """The list reads rows of SUMMARY_COLUMNS, not Participant objects: the same JSON."""
    cw = factory.user("caseworker")
    people = [factory.participant(cw, given_name=n or "X", destination_country=None if i % 2 else "PT")
              for i, n in enumerate(NAMES[:6])]
    db_session.flush()
    rows = db_session.execute(sa.select(*(getattr(Participant, c) for c in SUMMARY_COLUMNS))
                              .where(Participant.id.in_([p.id for p in people]))
                              .order_by(Participant.id)).all()
    schema = ParticipantSummarySchema()
    with app.test_request_context("/"), force_locale("fr"):
        g.user = cw
        for row, p in zip(rows, sorted(people, key=lambda p: p.id), strict=True):
            assert app.json.dumps(schema.dump(row)) == app.json.dumps(_marshmallow(schema, p))


def test_schemas_with_processors_or_only_take_marshmallows_path():
    class WithPostDump(PlainDump, ma.Schema):
        a = ma.fields.String()

        @ma.post_dump
        def _shout(self, data, **_kw):
            return {k: v.upper() for k, v in data.items()}

    class Obj:
        a = "x"
        b = 5

    assert WithPostDump().dump(Obj()) == {"a": "X"}
    only = ParticipantSummarySchema(only=("id",))
    p = _participant(random.Random(1), 1)
    assert only.dump(p) == {"id": p.id}
