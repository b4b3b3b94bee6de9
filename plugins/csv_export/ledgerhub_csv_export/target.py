"""The ``csv_export`` target: each delivered record version becomes rows in the shop's folder."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import ClassVar

from hub.domain.kinds import EntityKind
from hub.errors import (
    ConfigurationError,
    DeliveryError,
    FatalConnectionError,
    NeedsAttentionError,
    RetryableError,
)
from hub.plugin.target import ConnectionContext, Delivery, DeliveryResult, Target
from ledgerhub_csv_export.folder import ExportFolder, FolderConflictError
from ledgerhub_csv_export.layout import KINDS
from ledgerhub_csv_export.settings import CsvExportSettings, CsvExportSettingsSchema
from ledgerhub_csv_export.writer import ExportWriter, UnwritableValueError

#: Batches that follow each other within this gap form one run, with one summary file: a sync
#: (or a backfill) of many batches reads as one run to the bookkeeper.
RUN_GAP = timedelta(seconds=30)
_RUN_STATE = "run"


class CsvExportTarget(Target):
    """Writes every kind of record as CSV files a bookkeeper can open or import anywhere."""

    name: ClassVar[str] = "csv_export"
    title: ClassVar[str] = "CSV export"
    entities: ClassVar[frozenset[EntityKind]] = frozenset(EntityKind)
    countries: ClassVar[frozenset[str] | None] = None
    settings_schema = CsvExportSettingsSchema
    batch_size: ClassVar[int] = 500
    #: Buttons on the connection's card: views of this plugin's blueprint (see blueprint.py).
    ui_actions: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("Export now", "csv_export.export_now", "post"),
        ("Download as ZIP", "csv_export.zip", "get"),
    )

    def __init__(self) -> None:
        self._folders: dict[tuple[int, CsvExportSettings], ExportFolder] = {}
        self._runs: dict[int, str] = {}
        self._lock = threading.Lock()

    # -- connection lifecycle -------------------------------------------------------------

    def connect(self, ctx: ConnectionContext) -> None:
        """Create (or adopt) the output folder; refuse one of another shop or format."""
        settings = CsvExportSettings.load(ctx.settings)
        try:
            self._open(ctx, settings)
        except FolderConflictError as exc:
            raise ConfigurationError(exc.message, {exc.setting: [exc.message]}) from exc
        except OSError as exc:
            message = f"cannot create or write {settings.output_folder}: {exc.strerror or exc}"
            raise ConfigurationError(message, {"output_folder": [message]}) from exc
        ctx.logger.info("CSV export writes to %s", settings.output_folder)

    def disconnect(self, ctx: ConnectionContext) -> None:
        """Forget the cached folder; the files stay where they are."""
        with self._lock:
            for key in [k for k in self._folders if k[0] == ctx.connection_id]:
                del self._folders[key]
            self._runs.pop(ctx.connection_id, None)

    # -- batches --------------------------------------------------------------------------

    def begin_batch(self, ctx: ConnectionContext) -> None:
        """Start a run, or continue the previous one if it ended less than :data:`RUN_GAP` ago."""
        folder = self._folder(ctx)
        now = ctx.now()
        previous = ctx.state.get(_RUN_STATE)
        if not isinstance(previous, dict):
            previous = {}
        with folder.locked():
            if previous.get("folder") == str(folder.path) and previous.get("id") in folder.runs \
                    and _within_gap(previous.get("ended_at"), now):
                run_id = folder.resume_run(previous["id"])
            else:
                run_id = folder.start_run(now)
        self._runs[ctx.connection_id] = run_id

    def end_batch(self, ctx: ConnectionContext) -> None:
        """Write (or bring up to date) the run's summary, when it wrote anything."""
        run_id = self._runs.pop(ctx.connection_id, None)
        if run_id is None:
            return
        folder = self._folder(ctx)
        with folder.locked():
            path = folder.finish_run(run_id)
        if path is not None:
            ctx.state.set(_RUN_STATE, {"id": run_id, "folder": str(folder.path),
                                       "ended_at": ctx.now().isoformat()})
            ctx.logger.info("CSV export run summary: %s", path)

    def deliver(self, ctx: ConnectionContext, delivery: Delivery) -> DeliveryResult:
        """Write one record version (nothing if the folder already has it)."""
        outcome = self.deliver_many(ctx, [delivery])[0]
        if isinstance(outcome, DeliveryError):
            raise outcome
        return outcome

    def deliver_many(
        self, ctx: ConnectionContext, deliveries: Sequence[Delivery]
    ) -> list[DeliveryResult | DeliveryError]:
        """Write several record versions with one fsync and one manifest line; the call
        returns only after they are durable, so a delivery marked done is on disk."""
        folder = self._folder(ctx)
        own_run = ctx.connection_id not in self._runs
        try:
            with folder.locked():
                run_id = folder.start_run(ctx.now()) if own_run else self._runs[ctx.connection_id]
                writer = ExportWriter(folder, run_id)
                outcomes: list[DeliveryResult | DeliveryError] = []
                for delivery in deliveries:
                    outcomes.append(_write_one(writer, delivery))
                writer.commit()
                if own_run:
                    folder.finish_run(run_id)
        except FolderConflictError as exc:
            raise FatalConnectionError(exc.message) from exc
        except OSError as exc:
            raise RetryableError(f"cannot write to {folder.path}: {exc.strerror or exc}") from exc
        return outcomes

    # -- helpers --------------------------------------------------------------------------

    def _folder(self, ctx: ConnectionContext) -> ExportFolder:
        try:
            settings = CsvExportSettings.load(ctx.settings)
        except ConfigurationError as exc:
            raise FatalConnectionError(str(exc)) from exc
        try:
            return self._open(ctx, settings)
        except FolderConflictError as exc:
            raise FatalConnectionError(exc.message) from exc
        except OSError as exc:
            raise RetryableError(f"cannot open {settings.output_folder}: {exc.strerror or exc}") from exc

    def _open(self, ctx: ConnectionContext, settings: CsvExportSettings) -> ExportFolder:
        key = (ctx.connection_id, settings)
        with self._lock:
            folder = self._folders.get(key)
            if folder is None:
                folder = ExportFolder.open(settings.output_folder, settings.format, ctx.shop.id)
                self._folders[key] = folder
        return folder


def _write_one(writer: ExportWriter, delivery: Delivery) -> DeliveryResult | DeliveryError:
    record = delivery.record
    if record.kind is not delivery.kind:
        return NeedsAttentionError(f"delivery says {delivery.kind} but carries a {record.kind} record")
    try:
        written = writer.add(record, delivery.version)
    except UnwritableValueError as exc:
        return NeedsAttentionError(str(exc))
    main_file = KINDS[record.kind].files[0].filename
    data = {"file": main_file, "version": delivery.version}
    if written.duplicate:
        detail = f"version {delivery.version} is already in {main_file}; nothing written"
    else:
        detail = "wrote " + ", ".join(f"{n} row{'s' if n != 1 else ''} to {name}"
                                      for name, n in written.rows.items())
    return DeliveryResult(target_id=f"{main_file}:{record.id}", data=data, detail=detail)


def _within_gap(ended_at: object, now: datetime) -> bool:
    try:
        return now - datetime.fromisoformat(str(ended_at)) <= RUN_GAP
    except (TypeError, ValueError):  # no previous run, or state from another version
        return False
