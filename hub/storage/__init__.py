"""Storage: typed SQLAlchemy models, the Alembic migrations shipped with the package, and
repository functions that take a ``Session`` (they never open one).

``session`` builds engines and runs ``alembic upgrade head``; ``tenants`` (shops, users, tokens),
``records`` (versions), ``connections`` (status, lease, key/value stores), ``outbox``
(deliveries, external ids) and ``logs`` (the per-plugin delivery log) hold the queries.
"""
