"""The widget's output traits about the shown run: written by Python only (tagged output:
``VideoWidget.set_state`` drops the view's updates), typed in js/protocol.d.ts OutputTraits."""

from __future__ import annotations

import traitlets as t

from ..status import CANCELLED, COMPLETED, FAILED, PENDING, PROCESSING
from .request_traits import output
from .run import IDLE

WIDGET_STATUSES = (IDLE, PENDING, PROCESSING, COMPLETED, FAILED, CANCELLED)


class RunTraits(t.HasTraits):
    """The shown run's state, as the badge, the progress bar and the note show it."""

    status = output(t.Unicode(IDLE, help="The shown run's state: " + ", ".join(WIDGET_STATUSES)))
    progress = output(
        t.Float(None, allow_none=True, help="The server's progress, 0 to 100, or None.")
    )
    error = output(t.Unicode("", help="Why the shown run failed, as plain text; else empty."))
    note = output(t.Unicode("", help="A remark about the shown run, e.g. that polling stopped."))
    generation_id = output(
        t.Unicode("", help="The server's id of the shown run's job (resume(id)).")
    )
    started_at = output(t.Float(None, allow_none=True, help="When the shown run started (Unix s)."))
    finished_at = output(t.Float(None, allow_none=True, help="When the shown run ended (Unix s)"))
    # The badge counts down to it (from the progress rate or the library's learned durations).
    expected_end = output(
        t.Float(None, allow_none=True, help="When the shown run should end (Unix s)")
    )
    stalled = output(t.Bool(False, help="The shown run takes clearly longer than usual (a stall)"))
    reconnecting = output(t.Unicode("", help="While the poller rides out an outage, the reason."))
    waiting_for_slot = output(
        t.Unicode("", help="While the gateway is full (429/503 on the create), its reason.")
    )
    running = output(
        t.Bool(False, help="True while a poller task is live (Generate off, Cancel on).")
    )
    resumable = output(
        t.Bool(False, help="Polling stopped; the remote job may still run: resume().")
    )
    variant_count = output(t.Int(0, help="How many videos of the shown run the kernel holds."))

    def _show_refused(self, exc: Exception) -> None:
        """Show a locally refused request without a run: nothing was sent (the widget holds
        its sync around it, so the view gets it as one update)."""
        self.status, self.note = FAILED, "Nothing was sent."
        self.error = f"Invalid request: {exc}"
        self.progress = self.started_at = self.finished_at = None
