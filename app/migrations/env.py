"""Alembic environment: the target schema is app.models' metadata. Migrations run through
app.migrations (on every ``Database()`` open, and ``docqa db``), which hands over a connection
holding the database's migration lock."""

from __future__ import annotations

from alembic import context

from app.models import Base

connection = context.config.attributes.get("connection")
if context.is_offline_mode() or connection is None:
    raise SystemExit("run migrations with `docqa db upgrade` (offline --sql scripts are not supported)")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters a table by copying it
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
