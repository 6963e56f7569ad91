"""Business days, recipient zones and quiet hours (being written by the decisions work)."""

from __future__ import annotations

from datetime import time


def in_quiet_hours_local(t: time, quiet_start: time, quiet_end: time) -> bool:
    """True when local time ``t`` is in [quiet_start, quiet_end), wrapping midnight."""
    if quiet_start == quiet_end:
        return False
    if quiet_start < quiet_end:
        return quiet_start <= t < quiet_end
    return t >= quiet_start or t < quiet_end
