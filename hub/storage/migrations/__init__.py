"""Alembic migrations of the hub's schema; run with :func:`hub.storage.session.upgrade`."""
