"""One line per cut-over module, shared by `pmo cutover status` and `pmo migrate status`."""

from __future__ import annotations

from pmo_playbook.cli.output import ok, say
from pmo_playbook.sync.ownership import ModuleStatus


def show_status(statuses: list[ModuleStatus]) -> None:
    """One line per module (shared by `pmo cutover status` and `pmo migrate status`)."""
    if not statuses:
        say("Cut-over: none in progress (this application owns every module).")
        return
    for s in statuses:
        lag = "not caught up yet" if s.lag_seconds is None else f"lag {s.lag_seconds:.1f}s"
        last = f", last event {s.last_event_at:%H:%M:%S}" if s.last_event_at else ""
        want = f" (desired: {s.desired})" if s.desired and s.desired != s.owner else ""
        when = f" at {s.verified_at:%H:%M:%S}" if s.verified_at else ""
        line = (f"{s.module}: owner {s.owner}{want}, {lag}, {s.pending} pending to MongoDB"
                f"{last}, verify{when} {s.verify}")  # fmt: skip
        (ok if s.verify == "clean" and s.lag_seconds is not None else say)(line)
