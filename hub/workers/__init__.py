"""Scale-out workers: Celery tasks that run the sync engine on many connections at once.

The process model (see ``docs/deploy.md``):

* web — the Flask app (ingest API, settings UI); it only writes records and deliveries.
* workers — ``celery -A hub.workers.celery_app worker``: each task works one connection
  under that connection's lease, calling the same :func:`hub.sync.engine.run_batch` as the
  in-process ``ledgerhub worker``.
* scheduler — ``celery -A hub.workers.celery_app beat``: every few seconds it enqueues one
  task per connection that has due work and no live lease.

Configuration is by environment: ``DATABASE_URL``, ``BROKER_URL`` and the ``LEDGERHUB_*``
variables read in :mod:`hub.workers.settings`.
"""
