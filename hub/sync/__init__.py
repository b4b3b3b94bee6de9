"""Sync: the outbox engine and the :class:`~hub.sync.runtime.Hub` facade.

``runtime.Hub`` is what the CLI, the web app and tests use. ``engine.run_batch`` is the plain
function every worker runs (in process or in Celery); ``outcomes`` is the outcome handling it
shares with ``services`` (the HubServices of pull targets); ``ingest``, ``outbox``,
``connecting``, ``context``, ``status`` and ``preview`` hold one concern each.
"""
