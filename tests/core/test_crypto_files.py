"""Finding 10, second half: the files the app writes (the SQLite database and its -wal and -shm,
the development SMS log and mail files, key files) are readable by their owner only."""

from __future__ import annotations

import os
import stat

import pytest
import sqlalchemy as sa

from journey.core.db import make_engine
from notifications.channels import EmailMessage, SmsMessage
from notifications.email import FileEmailSender
from notifications.sms import ConsoleSmsSender


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def open_umask():
    old = os.umask(0o022)  # what a default shell gives: files 0644 unless the app says otherwise
    yield
    os.umask(old)


def test_sqlite_database_and_its_wal_files_are_0600(tmp_path, open_umask):
    path = tmp_path / "journey.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE t (x TEXT)"))
            conn.execute(sa.text("INSERT INTO t VALUES ('+9779812345678')"))
        with engine.connect() as conn:  # WAL mode: -wal and -shm exist while connected
            conn.execute(sa.text("SELECT * FROM t")).all()
            for name in ("journey.sqlite3", "journey.sqlite3-wal", "journey.sqlite3-shm"):
                assert _mode(tmp_path / name) == 0o600, name
    finally:
        engine.dispose()


def test_an_existing_world_readable_database_is_made_private(tmp_path, open_umask):
    path = tmp_path / "old.sqlite3"
    path.touch(mode=0o644)
    os.chmod(path, 0o644)
    make_engine(f"sqlite:///{path}").dispose()
    assert _mode(path) == 0o600


def test_development_sms_log_is_0600(tmp_path, open_umask):
    log = tmp_path / "instance" / "outbox-sms.log"
    ConsoleSmsSender(log).send(SmsMessage(to="+9779812345678", body="hello", message_id=1))
    assert _mode(log) == 0o600
    os.chmod(log, 0o644)  # a file left by an older version is tightened on the next message
    ConsoleSmsSender(log).send(SmsMessage(to="+9779812345678", body="again", message_id=2))
    assert _mode(log) == 0o600


def test_development_mail_files_are_0600(tmp_path, open_umask):
    sender = FileEmailSender(tmp_path / "mail")
    result = sender.send(EmailMessage(to="sunita@example.org", subject="Hello", text="Body",
                                      html="<p>Body</p>", language="en", message_id=7))
    assert result.ok
    (eml,) = (tmp_path / "mail").iterdir()
    assert _mode(eml) == 0o600
    assert _mode(tmp_path / "mail") == 0o700
