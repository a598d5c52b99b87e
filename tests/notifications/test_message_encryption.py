"""Finding 10 for messages, on both databases: the outbox's addresses and texts and an inbound
SMS's sender and text are encrypted at rest; texts from a number are found by its blind index."""

from __future__ import annotations

import sqlalchemy as sa

from journey.core import crypto, keys
from journey.messaging.domain import _inbound_from
from notifications.models import InboundMessage, OutboxMessage
from tests.notifications.test_outbox import _inbound

EMAIL = "sunita.messages@example.org"
TEXT = "My employer kept my passport"


def _raw(db_session, table: str) -> list[dict]:
    return [dict(r) for r in db_session.execute(
        sa.text(f"SELECT * FROM {table} ORDER BY id")).mappings()]  # noqa: S608


def test_raw_message_tables_hold_no_clear_address_or_text(client, person, db_session, messaging,
                                                          fake_twilio):
    p = person(channels=["sms", "email"], email=EMAIL)
    assert _inbound(client, fake_twilio, p.phone, TEXT).status_code == 200
    outbox, inbound = _raw(db_session, "outbox_messages"), _raw(db_session, "inbound_messages")
    assert {m["channel"] for m in outbox} == {"sms", "email"} and len(inbound) == 1
    dump = repr(outbox) + repr(inbound)
    for value in (p.phone, p.phone.lstrip("+"), EMAIL, TEXT, p.reference, p.given_name):
        assert value not in dump, value
    for row in outbox:
        for column in ("recipient", "body") + (("subject", "html") if row["channel"] == "email"
                                               else ()):
            assert row[column].startswith("j1.test1."), column
    (row,) = inbound
    assert row["sender"].startswith("j1.test1.") and row["body"].startswith("j1.test1.")
    assert row["sender_index"] == crypto.keyring().blind_index(p.phone)
    # Through the ORM everything reads back, and the text is still linked to the person.
    (msg,) = db_session.scalars(sa.select(InboundMessage)).all()
    assert (msg.sender, msg.body, msg.participant_id) == (p.phone, TEXT, p.id)
    assert {m.recipient for m in db_session.scalars(sa.select(OutboxMessage))} == {p.phone, EMAIL}


def test_unlinked_texts_from_the_person_s_number_are_found_by_its_blind_index(
        client, person, db_session, messaging, fake_twilio):
    p = person(channels=["sms"])
    spaced = f"{p.phone[:4]} {p.phone[4:]}"  # the same number, written another way
    for sender in (spaced, "+9779800011122"):
        db_session.add(InboundMessage(sender=sender, body=f"from {sender}", received_at=p.created_at))
    db_session.flush()
    found = db_session.scalars(sa.select(InboundMessage).where(_inbound_from(p))).all()
    assert [m.body for m in found] == [f"from {spaced}"]


def test_rotation_and_status_cover_the_message_columns(app, person, db_session):
    person(channels=["sms"])
    status = keys.status(db_session)
    for column in ("outbox_messages.recipient", "outbox_messages.body",
                   "inbound_messages.sender", "inbound_messages.body",
                   "inbound_messages.sender_index"):
        assert column in status, column
    assert status["outbox_messages.body"]["test1"] >= 1


def test_emptied_texts_stay_empty_and_are_not_stale_for_rotation(app, person, db_session):
    from journey.privacy import erasure

    p = person(channels=["sms"])
    db_session.add(InboundMessage(sender=p.phone, body=TEXT, participant_id=p.id,
                                  received_at=p.created_at))
    db_session.flush()
    for table, names in (("outbox_messages", ("recipient", "subject", "body", "html")),
                         ("inbound_messages", ("sender", "sender_index", "body"))):
        t = OutboxMessage.metadata.tables[table]
        assert db_session.execute(t.update().where(erasure.has_content(t, names))
                                  .values(**erasure.emptied(t, names))).rowcount >= 1
        assert db_session.scalar(sa.select(sa.func.count()).select_from(t)
                                 .where(erasure.has_content(t, names))) == 0
    assert _raw(db_session, "inbound_messages")[0]["body"] == ""
    assert db_session.scalars(sa.select(InboundMessage.body)).all() == [""]
    assert keys.count_stale(db_session, crypto.keyring()) == 0
    assert keys.status(db_session)["inbound_messages.body"] == {"empty": 1}
