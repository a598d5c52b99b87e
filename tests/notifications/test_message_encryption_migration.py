"""Migration 0013 encrypts the messages already there, in batches, and its downgrade decrypts them."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command

from journey.cli import alembic_config
from journey.core import crypto
from journey.core.db import make_engine

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def _insert_clear_rows(url: str, n: int) -> None:
    engine = make_engine(url)
    meta = sa.MetaData()
    meta.reflect(engine, only=["outbox_messages", "inbound_messages"])
    outbox, inbound = meta.tables["outbox_messages"], meta.tables["inbound_messages"]
    stamp = NOW.replace(tzinfo=None) if engine.dialect.name == "sqlite" else NOW
    with engine.begin() as conn:
        conn.execute(outbox.insert(), [dict(
            id=i, channel="sms", template="stage_entered.intake", language="ne",
            recipient=f"+97798000{i:05d}", timezone="Asia/Kathmandu", body=f"Namaste {i}",
            status="sent", urgent=False, not_before=stamp, attempts=1, created_at=stamp, updated_at=stamp)
            for i in range(1, n + 1)])
        conn.execute(outbox.insert().values(
            id=n + 1, channel="email", template="stage_entered.intake", language="en",
            recipient="p@example.org", timezone="Europe/Lisbon", subject="Welcome",
            body="Hello", html="<p>Hello</p>", status="queued", urgent=False, not_before=stamp, attempts=0,
            created_at=stamp, updated_at=stamp))
        conn.execute(inbound.insert(), [
            dict(id=1, sender="+9779800000001", body="My employer kept my passport",
                 needs_attention=True, received_at=stamp),
            # Emptied by retention already: stays empty, no index.
            dict(id=2, sender="", body="", needs_attention=False, received_at=stamp)])
    engine.dispose()


def _rows(url: str, sql: str) -> list[dict]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return [dict(r) for r in conn.execute(sa.text(sql)).mappings()]
    finally:
        engine.dispose()


def test_upgrade_encrypts_existing_messages_and_downgrade_decrypts(fresh_database_url, app):
    url = fresh_database_url()
    cfg = alembic_config(url)
    command.upgrade(cfg, "0011")
    n = 1203  # more than two batches of 500
    _insert_clear_rows(url, n)

    command.upgrade(cfg, "0013")
    ring = crypto.keyring()  # the test key, loaded from settings as the migration loads it
    outbox = _rows(url, "SELECT * FROM outbox_messages ORDER BY id")
    assert len(outbox) == n + 1
    for row in (outbox[0], outbox[n - 1]):
        assert crypto.key_id(row["recipient"]) == "test1" and crypto.key_id(row["body"]) == "test1"
        assert row["subject"] is None and row["html"] is None
    assert ring.decrypt(outbox[0]["recipient"], "outbox_messages.recipient") == "+9779800000001"
    assert ring.decrypt(outbox[0]["body"], "outbox_messages.body") == "Namaste 1"
    email = outbox[n]
    assert [ring.decrypt(email[c], f"outbox_messages.{c}") for c in
            ("recipient", "subject", "body", "html")] == [
        "p@example.org", "Welcome", "Hello", "<p>Hello</p>"]
    text, emptied = _rows(url, "SELECT * FROM inbound_messages ORDER BY id")
    assert ring.decrypt(text["sender"], "inbound_messages.sender") == "+9779800000001"
    assert ring.decrypt(text["body"], "inbound_messages.body") == "My employer kept my passport"
    assert text["sender_index"] == ring.blind_index("+9779800000001")
    assert (emptied["sender"], emptied["body"], emptied["sender_index"]) == ("", "", None)

    command.downgrade(cfg, "0011")
    first = _rows(url, "SELECT recipient, body FROM outbox_messages WHERE id = 1")[0]
    assert first == {"recipient": "+9779800000001", "body": "Namaste 1"}
    email = _rows(url, f"SELECT recipient, subject, body, html FROM outbox_messages "  # noqa: S608
                       f"WHERE id = {n + 1}")[0]
    assert email == {"recipient": "p@example.org", "subject": "Welcome", "body": "Hello",
                     "html": "<p>Hello</p>"}
    assert [(r["sender"], r["body"]) for r in
            _rows(url, "SELECT sender, body FROM inbound_messages ORDER BY id")] == [
        ("+9779800000001", "My employer kept my passport"), ("", "")]
