"""Alembic environment: runs migrations on the connection handed in by the hub."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from hub.storage import models  # noqa: F401 - registers the tables on Base.metadata
from hub.storage.base import Base

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    """Use the connection the hub passed in ``attributes``, or open one from the URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
