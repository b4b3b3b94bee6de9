"""The CSV export's buttons on the settings page: "Export now" and "Download as ZIP".

Both views take ``shop_id`` and ``connection_id`` and are listed in the target's ``ui_actions``,
so the settings UI shows them on the connection's card and guards them like its own pages (a
signed-in user of that shop, a connection of that shop, a CSRF token on the POST). They check
again here that the connection is a CSV export of that shop, and the ZIP only ever reads the
folder stored in that connection's settings (inside ``LEDGERHUB_CSV_ROOT`` when it is set).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, redirect, url_for

from hub.errors import ConfigurationError
from hub.plugin.target import ConnectionContext, HubServices
from ledgerhub_csv_export.archive import snapshot, stream_zip
from ledgerhub_csv_export.export_now import export_pending
from ledgerhub_csv_export.folder import STATE_DIR, ExportFolder, FolderConflictError
from ledgerhub_csv_export.settings import CsvExportSettings
from ledgerhub_csv_export.target import CsvExportTarget

TARGET_NAME = CsvExportTarget.name
#: Where the UI lists a shop's connections; the flash message is shown there.
OVERVIEW_ENDPOINT = "accounting.overview"


def _connection(services: HubServices, shop_id: str, connection_id: int) -> ConnectionContext:
    ctx = services.connection(connection_id)
    if ctx is None or ctx.target_name != TARGET_NAME or ctx.shop.id != shop_id:
        abort(404, f"no CSV export connection {connection_id} for shop {shop_id}")
    return ctx


def _back(shop_id: str, message: str, category: str = "message") -> Any:
    if OVERVIEW_ENDPOINT in current_app.view_functions:
        flash(message, category)
        return redirect(url_for(OVERVIEW_ENDPOINT, shop_id=shop_id))
    return Response(message + "\n", content_type="text/plain; charset=utf-8")


def create_blueprint(services: HubServices) -> Blueprint:
    """The ``csv_export`` blueprint under ``/plugins/csv_export``."""
    bp = Blueprint(TARGET_NAME, __name__, url_prefix=f"/plugins/{TARGET_NAME}")
    # Its own target instance: the worker's batches keep their runs apart from these.
    target = CsvExportTarget()

    @bp.post("/shops/<shop_id>/connections/<int:connection_id>/export-now")
    def export_now(shop_id: str, connection_id: int) -> Any:
        """Write every record waiting for this connection into its folder now."""
        ctx = _connection(services, shop_id, connection_id)
        report = export_pending(services, target, ctx)
        if report.error and not report.written and not report.not_written:
            return _back(shop_id, f"Could not export: {report.error}", "error")
        if report.not_written:
            return _back(shop_id, f"Exported {report.written} record(s); {report.not_written} could not "
                                  f"be written: {report.error} The sync log shows each record.", "error")
        more = f" {report.left} more go with the next sync." if report.left else ""
        return _back(shop_id, f"Exported {report.written} record(s) to the CSV files.{more}")

    @bp.get("/shops/<shop_id>/connections/<int:connection_id>/export.zip", endpoint="zip")
    def zip_download(shop_id: str, connection_id: int) -> Response:
        """The connection's CSV files and run summaries as one ZIP (streamed)."""
        ctx = _connection(services, shop_id, connection_id)
        try:
            settings = CsvExportSettings.load(ctx.settings)
        except ConfigurationError as exc:  # e.g. the folder is no longer inside LEDGERHUB_CSV_ROOT
            abort(409, str(exc))
        if not (settings.output_folder / STATE_DIR).is_dir():
            abort(404, "Nothing has been exported to this connection's folder yet.")
        try:
            folder = ExportFolder.open(settings.output_folder, settings.format, shop_id, track_keys=False)
            members = snapshot(folder)
        except FolderConflictError as exc:
            abort(409, exc.message)
        except OSError as exc:
            abort(503, f"cannot read the export folder: {exc.strerror or exc}")
        filename = f"csv-export-{connection_id}.zip"
        return Response(stream_zip(members), content_type="application/zip", direct_passthrough=True,
                        headers={"Content-Disposition": f'attachment; filename="{filename}"'})

    return bp
