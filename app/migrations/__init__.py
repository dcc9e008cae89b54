"""Alembic migrations of the database schema (app/models.py). ``upgrade`` runs on every
``Database()`` open: a fresh database is created by the migrations, an up-to-date one costs a single
query, and one made by the old ``create_all`` (tables but no ``alembic_version``) is adopted: the
initial migration creates only the tables it lacks, so its rows stay.

New schema change: edit app/models.py, then ``docqa db revision "what changed"`` writes
versions/NNNN_*.py by comparing the models with a database at head; review it, and
tests/app/test_db.py checks that the migrations yield exactly the models' schema."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from threading import Lock

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, make_url, text
from sqlalchemy.pool import NullPool

SCRIPT_LOCATION = Path(__file__).resolve().parent
_PG_LOCK_KEY = 0x646F6371  # "docq": serialises concurrent upgrades of one PostgreSQL database
_process_lock = Lock()


def config(connection: Connection | None = None) -> Config:
    """A programmatic Alembic config (no alembic.ini); env.py migrates over ``connection``."""
    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPT_LOCATION))
    cfg.attributes["connection"] = connection
    return cfg


@cache
def head_revisions() -> tuple[str, ...]:
    return tuple(sorted(ScriptDirectory.from_config(config()).get_heads()))


def current_revisions(connection: Connection) -> tuple[str, ...]:
    return tuple(sorted(MigrationContext.configure(connection).get_current_heads()))


@contextmanager
def migration_connection(engine: Engine) -> Iterator[Connection]:
    """A connection holding the database's migration lock, in a transaction the caller commits.

    SQLite: BEGIN IMMEDIATE (the write lock; DDL is transactional there, so a migration is all or
    nothing) with foreign keys off, since a batch migration copies and drops tables and dropping a
    table with foreign keys on would run its ON DELETE CASCADEs. PostgreSQL: an advisory lock.
    Either way a second process opening a new database (engine and UI) waits, then finds it done."""
    with engine.connect() as conn:
        if conn.dialect.name != "sqlite":
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
            yield conn
            return
        raw = conn.connection.driver_connection
        level = raw.isolation_level
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        conn.commit()
        raw.isolation_level = None  # pysqlite: we say BEGIN ourselves
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            yield conn
        finally:
            conn.rollback()
            raw.isolation_level = level
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")
            conn.commit()


def upgrade(engine: Engine, revision: str = "head") -> bool:
    """Bring the schema to ``revision``; returns whether anything had to be done."""
    if revision == "head":
        with engine.connect() as conn:
            if current_revisions(conn) == head_revisions():
                return False
    with _process_lock, migration_connection(engine) as conn:  # alembic's context is process-global
        if revision == "head" and current_revisions(conn) == head_revisions():  # done meanwhile
            return False
        command.upgrade(config(conn), revision)
        conn.commit()
    return True


def status(url: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(the database's revisions, the newest ones) without changing anything."""
    from app.db import driver_url

    parsed = make_url(driver_url(url))
    if parsed.get_backend_name() == "sqlite" and parsed.database and not Path(parsed.database).exists():
        return (), head_revisions()  # not created yet (and not created by looking)
    engine = create_engine(parsed, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return current_revisions(conn), head_revisions()
    finally:
        engine.dispose()


def new_revision(message: str) -> Path:
    """Write versions/NNNN_<message>.py with the operations that turn the schema at head into the
    models' (compared on a scratch SQLite database); returns its path. Review it before use."""
    import tempfile

    numbers = [int(r) for r in ScriptDirectory.from_config(config()).get_heads() if r.isdigit()]
    rev_id = f"{max(numbers, default=0) + 1:04d}"
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite:///{Path(tmp) / 'scratch.db'}", poolclass=NullPool)
        try:
            upgrade(engine)
            with engine.connect() as conn:
                script = command.revision(config(conn), message=message, autogenerate=True, rev_id=rev_id)
        finally:
            engine.dispose()
    head_revisions.cache_clear()
    assert script is not None and not isinstance(script, list)
    return Path(script.path)
