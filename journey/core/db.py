"""Engine, per-request session, naming convention and column types shared by every model."""

from __future__ import annotations

import contextlib
import enum
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TypeVar

import sqlalchemy as sa
from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlmodel import SQLModel

from journey.core.errors import NotFound

# Set before any model module is imported so every constraint gets a stable name (Indico).
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION
metadata = SQLModel.metadata


def utcnow() -> datetime:
    """The current time as a timezone-aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(sa.TypeDecorator):
    """A timestamp that is always stored and returned as timezone-aware UTC.

    SQLite has no time zones, so values come back naive; they were written as UTC, so we
    re-attach UTC on the way out. Naive datetimes are refused on the way in: they hide bugs.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused; use journey.core.db.utcnow()")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


_Row = TypeVar("_Row")


def load_owned(sess: Session, model: type[_Row], record_id: int, participant_id: int,
               missing: str) -> _Row:
    """The `model` row with this id if it belongs to the participant; another participant's row
    reads exactly like a missing one (404, with the `missing` message)."""
    row = sess.get(model, record_id)
    if row is None or row.participant_id != participant_id:
        raise NotFound(missing)
    return row


def enum_check(column: str, values: type[enum.StrEnum] | list[str], name: str | None = None):
    """A named CHECK constraint keeping a string column within an enum's values."""
    allowed = [v.value for v in values] if isinstance(values, type) else list(values)
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in allowed)
    return sa.CheckConstraint(f"{column} IN ({quoted})", name=name or f"{column}_valid")


def _sqlite_pragmas(dbapi_connection, _record):
    # pysqlite's own transaction handling breaks SAVEPOINT; we issue BEGIN ourselves
    # (SQLAlchemy docs, "Serializable isolation / Savepoints / Transactional DDL").
    dbapi_connection.isolation_level = None
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


READ_ONLY = {"journey_read_only": True}
"""Execution options for a connection that only reads (e.g. the health check): on SQLite its
transaction starts deferred, so it never waits for the write lock."""


READ_FIRST = "journey_read_first"
"""Execution option of a request session whose work only reads (see `reads_first`): on SQLite
its transaction starts deferred and becomes a write transaction at its first write."""
_DEFERRED = "journey_deferred_read"
_AUDIT_BUFFER = "journey_audit_buffer"  # journey.core.audit's buffer (a test keeps them equal)


def _sqlite_begin(conn):
    # Every request may write (reads write an audit event), and a deferred transaction that read
    # first cannot take the write lock later in WAL mode: SQLite fails it at once with "database
    # is locked", without waiting for busy_timeout. Taking the write lock up front makes
    # concurrent writers queue on busy_timeout instead (so SQLite serves one writing request at
    # a time, which an office's few caseworkers never notice). Only a connection that says it
    # never writes (READ_ONLY) starts deferred, and so never waits; a request that says it only
    # reads first (READ_FIRST) starts deferred too, and is promoted before its first write.
    options = conn.get_execution_options()
    conn.info[_DEFERRED] = False
    if options.get("journey_read_only") or options.get(READ_FIRST):
        conn.exec_driver_sql("BEGIN DEFERRED")
        conn.info[_DEFERRED] = bool(options.get(READ_FIRST))
    else:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def promote(conn: sa.Connection) -> None:
    """Turn a deferred read transaction into a write transaction: end the read (it wrote
    nothing) and BEGIN IMMEDIATE, which queues on busy_timeout like any writer. What is written
    from here on sees the latest committed data, so only blind writes belong after reads made
    before it (an audit event, sealed inline on SQLite onto the seals' head read after this; a
    last-used time)."""
    if not conn.info.get(_DEFERRED):
        return
    conn.info[_DEFERRED] = False
    dbapi = conn.connection.dbapi_connection
    dbapi.execute("COMMIT")
    dbapi.execute("BEGIN IMMEDIATE")


_READING = ("SELECT", "PRAGMA")


def _promote_before_write(conn, _cursor, statement, _params, _context, _many):
    # Any statement that is not a plain read (INSERT/UPDATE/DELETE, WITH, SAVEPOINT ...).
    if conn.info.get(_DEFERRED) and statement.lstrip()[:6].upper() not in _READING:
        promote(conn)


def _end_deferred(conn):
    conn.info[_DEFERRED] = False


@event.listens_for(Session, "before_commit", insert=True)
def _promote_before_commit(session: Session) -> None:
    # Before the ORM flush and before the audit hook reads the chain's head: both then run in
    # the write transaction, on the latest data. A commit with nothing to write stays a read.
    if session.in_nested_transaction() or not session.in_transaction():
        return
    if session.new or session.dirty or session.deleted or session.info.get(_AUDIT_BUFFER):
        conn = session.connection()
        if conn.info.get(_DEFERRED):
            promote(conn)


def reads_first(view):
    """Mark a GET view whose own work only reads, apart from blind writes (its audit event, a
    token's last use). On SQLite its reads then run in a deferred transaction, so such requests
    never wait for each other, and the writes go in a short write transaction at the end."""
    view.journey_reads_first = True
    return view


def _private_sqlite_file(url: str) -> None:
    """Create the database file owner-only (0600), or make an existing one so. SQLite gives its
    -wal and -shm files the database file's mode, so they follow."""
    path = sa.engine.make_url(url).database
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    if not os.path.exists(path) and os.path.isdir(os.path.dirname(path) or "."):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    for name in (path, f"{path}-wal", f"{path}-shm"):
        with contextlib.suppress(OSError):  # missing, or another user's file: leave it
            if os.stat(name).st_mode & 0o077:
                os.chmod(name, 0o600)


def make_engine(url: str, **kwargs) -> Engine:
    """Create an engine with the settings each backend needs."""
    # Bound parameters carry names and phone numbers; keep them out of error messages and logs.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        _private_sqlite_file(url)
        engine = sa.create_engine(url, **kwargs)
        # Again on each new connection: the file may only now exist (its directory was made
        # after the engine, e.g. by `journey db upgrade`).
        event.listen(engine, "connect", lambda _c, _r: _private_sqlite_file(url))
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        event.listen(engine, "before_cursor_execute", _promote_before_write)
        event.listen(engine, "commit", _end_deferred)
        event.listen(engine, "rollback", _end_deferred)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return sa.create_engine(url, **kwargs)


class DatabaseState:
    """One app's engine and session factory (tests create many apps, so this is per app)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.session_factory = sessionmaker(bind=engine, expire_on_commit=False)
        # On SQLite, the engine of requests marked `reads_first` (same pool, deferred BEGIN).
        self.read_first_engine = (engine.execution_options(**{READ_FIRST: True})
                                  if engine.dialect.name == "sqlite" else None)


class Database:
    """Hands out one session per request (or per job) from the current app's engine."""

    def init_app(self, app: Flask) -> None:
        app.extensions["journey_db"] = DatabaseState(make_engine(app.config["DATABASE_URL"]))
        app.teardown_appcontext(self._teardown)

    @property
    def state(self) -> DatabaseState:
        return current_app.extensions["journey_db"]

    @property
    def engine(self) -> Engine:
        return self.state.engine

    @property
    def session(self) -> Session:
        """The session of the current app context, created on first use."""
        sess = g.get("_journey_session")
        if sess is None:
            state = self.state
            factory = state.session_factory
            # (Tests bind the factory to their own connection instead: left as it is.)
            if (state.read_first_engine is not None and factory.kw.get("bind") is state.engine
                    and self._reads_first()):
                sess = factory(bind=state.read_first_engine)
            else:
                sess = factory()
            g._journey_session = sess
        return sess

    @staticmethod
    def _reads_first() -> bool:
        if not has_request_context() or request.method not in ("GET", "HEAD"):
            return False
        view = current_app.view_functions.get(request.endpoint)
        return getattr(view, "journey_reads_first", False)

    @staticmethod
    def _teardown(_exc) -> None:
        sess = g.pop("_journey_session", None)
        if sess is not None:
            sess.rollback()
            sess.close()

    @contextmanager
    def job_session(self) -> Iterator[Session]:
        """A session for work outside a request: commits once on success, rolls back on error."""
        sess = self.state.session_factory()
        try:
            yield sess
            sess.commit()
        except BaseException:
            sess.rollback()
            raise
        finally:
            sess.close()


db = Database()
