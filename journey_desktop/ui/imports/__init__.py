"""CSV imports in the window (SPEC §4): file dialog, preview, progress, result.

Entry points: ``run_import_flow(parent, repo, journey_id, path=None)`` imports a journey's
audience, ``run_customers_import_flow(parent, repo, path=None)`` the customer base alone
(File → Import customers…). Both return the ``ImportController`` running the flow; its
``audience_imported(journey_id)`` or ``customers_imported()`` fires once a file was
imported, ``finished`` when the flow is over whatever happened.
``run_events_import_flow(parent, repo, path=None)`` imports an events file (SPEC §11).
"""

from journey_desktop.ui.imports.controller import (
    ImportController,
    run_customers_import_flow,
    run_import_flow,
)
from journey_desktop.ui.imports.events import EventsImportController, run_events_import_flow

__all__ = ["EventsImportController", "ImportController", "run_customers_import_flow",
           "run_events_import_flow", "run_import_flow"]
