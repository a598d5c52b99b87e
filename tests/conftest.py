"""Fixtures: a migrated database (SQLite, or PostgreSQL when JOURNEY_TEST_DATABASE_URL is set),
the app, a client, and a per-test transaction rolled back at the end."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from tests.factories import Factory

PG_URL = os.environ.get("JOURNEY_TEST_DATABASE_URL", "")
# A fixed data key (journey.core.crypto), so migrations and every app in a run read each other's
# ciphertexts. For tests only: it is public.
TEST_DATA_KEYS = "test1:" + "dGVzdC1vbmx5LWRhdGEta2V5LW5vdC1hLXNlY3JldCE="
os.environ["JOURNEY_DATA_KEYS"] = TEST_DATA_KEYS


def _create_pg_database(base_url: str, template: str | None = None) -> tuple[str, sa.Engine]:
    """A fresh database per test run, so runs never see each other's rows; a copy of `template`
    (a database name) when given."""
    admin = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
    name = f"journey_t_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        if template is None:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        else:
            # CREATE DATABASE ... TEMPLATE needs the template to have no other connection.
            conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                 "WHERE datname = :name AND pid <> pg_backend_pid()"),
                         {"name": template})
            conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    url = sa.engine.make_url(base_url).set(database=name)
    return url.render_as_string(hide_password=False), admin


def _drop_pg_database(admin: sa.Engine, url: str) -> None:
    name = sa.engine.make_url(url).database
    with admin.connect() as conn:
        conn.execute(
            sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"),
            {"name": name},
        )
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
    admin.dispose()


@pytest.fixture(scope="session")
def fresh_database_url(tmp_path_factory):
    """A factory for databases of the backend under test: empty, or with `at_head=True` already
    migrated to head. The migrations take about 14 s, so they run once per session into a
    template that each `at_head` database copies (CREATE DATABASE ... TEMPLATE; a file copy on
    SQLite). Tests of the migrations themselves ask for empty ones."""
    made: list[tuple[str, sa.Engine | None]] = []
    template: dict[str, str] = {}

    def empty() -> str:
        if PG_URL:
            url, admin = _create_pg_database(PG_URL)
            made.append((url, admin))
            return url
        path = tmp_path_factory.mktemp("db") / "journey.sqlite3"
        return f"sqlite:///{path}"

    def make(at_head: bool = False) -> str:
        if not at_head:
            return empty()
        if "url" not in template:
            from alembic import command

            from journey.cli import alembic_config

            template["url"] = empty()
            command.upgrade(alembic_config(template["url"]), "head")
        source = sa.engine.make_url(template["url"]).database
        if PG_URL:
            url, admin = _create_pg_database(PG_URL, template=source)
            made.append((url, admin))
            return url
        path = tmp_path_factory.mktemp("db") / "journey.sqlite3"
        shutil.copyfile(source, path)
        if Path(f"{source}-wal").exists():  # not checkpointed yet: the copy needs it too
            shutil.copyfile(f"{source}-wal", f"{path}-wal")
        return f"sqlite:///{path}"

    yield make
    for url, admin in made:
        _drop_pg_database(admin, url)


@pytest.fixture(scope="session")
def backend() -> str:
    return "postgresql" if PG_URL else "sqlite"


@pytest.fixture(scope="session")
def instance_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("instance")


@pytest.fixture(scope="session")
def database_url(fresh_database_url) -> str:
    """The test database, built by the real migrations (not create_all)."""
    return fresh_database_url(at_head=True)


def _compile_catalogs() -> None:
    """Compile the shipped .po catalogs, as `make catalogs` does, for direct pytest runs."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in Path(__file__).resolve().parent.parent.glob("locales/*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as f:
                catalog = read_po(f)
            with mo.open("wb") as f:
                write_mo(f, catalog)


@pytest.fixture
def own_app(fresh_database_url, instance_dir):
    """Apps on their own migrated databases, for tests that need real commits from several
    connections (the per-test transaction of `client` holds one): `own_app(**config)`. Their
    engines are disposed at the end of the test."""
    from journey import create_app

    made = []

    def make(**config):
        url = fresh_database_url(at_head=True)
        os.environ["JOURNEY_ENV"] = "testing"
        os.environ["JOURNEY_INSTANCE_PATH"] = str(instance_dir)
        built = create_app({"DATABASE_URL": url, "LOG_TRACEBACKS": False,
                            "PASSWORD_HASH_PROFILE": "cheapest", **config})
        made.append(built)
        return built

    yield make
    for built in made:
        built.extensions["journey_db"].engine.dispose()


@pytest.fixture(scope="session")
def app(database_url, instance_dir):
    _compile_catalogs()
    os.environ["JOURNEY_ENV"] = "testing"
    os.environ["JOURNEY_INSTANCE_PATH"] = str(instance_dir)
    from journey import create_app

    app = create_app({"DATABASE_URL": database_url, "LOG_TRACEBACKS": False,
                      "PASSWORD_HASH_PROFILE": "cheapest"})
    from journey.core import crypto

    # Tests read rows through db_session outside any app context: they decrypt with this app's keys.
    crypto.activate(app.extensions["journey_keyring"])
    yield app
    crypto.activate(None)
    app.extensions["journey_db"].engine.dispose()


@pytest.fixture
def connection(app) -> Iterator[sa.Connection]:
    """One connection in one transaction per test; everything the test did is rolled back."""
    state = app.extensions["journey_db"]
    conn = state.engine.connect()
    trans = conn.begin()
    original = state.session_factory
    # Requests commit to a savepoint inside the test's transaction.
    state.session_factory = sessionmaker(bind=conn, expire_on_commit=False,
                                         join_transaction_mode="create_savepoint")
    try:
        yield conn
    finally:
        state.session_factory = original
        if trans.is_active:
            trans.rollback()
        conn.close()


@pytest.fixture
def db_session(connection) -> Iterator[Session]:
    from journey.core import audit

    sess = Session(bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint")
    # The test's own session shares its connection with the requests' sessions, which must see
    # the audit events of what it set up (a factory's participant): here they are chained at
    # each flush, not only at commit as in requests and jobs (journey.core.audit).
    sa.event.listen(sess, "after_flush_postexec", lambda s, _ctx: audit.flush(s))
    yield sess
    sess.close()


@pytest.fixture
def client(app, connection):
    return app.test_client()


@pytest.fixture
def factory(app, db_session) -> Factory:
    return Factory(app, db_session)
