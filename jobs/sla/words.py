"""What the SLA clock says, in plain words: the internal notes on the ticket and alert summaries.

Kept apart from the clock's mechanics so the wording can be read (and changed) in one place, and
tested without Redis or Zendesk. Agents read these notes in the middle of an incident: each one
says what happened, measured from when, against which target, and what happens next.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from rules.model import format_time

__all__ = [
    "clock_phrase",
    "elapsed",
    "late_phrase",
    "target",
    "wall_time",
]


def _parts(seconds: int) -> tuple[int, int, int]:
    hours, rest = divmod(max(0, seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return hours, minutes, secs


def elapsed(value: timedelta) -> str:
    """A measured time: "23 min 10 s", "60 min", "8 s"; hours only from two hours on."""
    seconds = round(value.total_seconds())
    if seconds < 60:
        return f"{max(seconds, 0)} s"
    if seconds < 2 * 3600:
        minutes, secs = divmod(seconds, 60)
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    hours, minutes, _ = _parts(seconds)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def target(value: timedelta) -> str:
    """A configured duration the way people say it: "1 h", "30 min", "1 h 30 min", "8 s"."""
    hours, minutes, secs = _parts(round(value.total_seconds()))
    words = [f"{hours} h" if hours else "", f"{minutes} min" if minutes else "", f"{secs} s" if secs else ""]
    return " ".join(w for w in words if w) or "0 s"


def wall_time(value: datetime) -> str:
    """A moment agents can compare with their screen: "2025-01-08 11:12:07 UTC"."""
    text = format_time(value.replace(microsecond=0)) or ""
    return text.replace("T", " ").replace("Z", " UTC")


def clock_phrase(critical_from_start: bool) -> str:
    """What the clock is measured from, in the words of a note."""
    return "this ticket was opened" if critical_from_start else "this was declared critical"


def late_phrase(late_by: timedelta | None) -> str:
    """The sentence a late check adds, so nobody mistakes a late note for the real timing."""
    if late_by is None:
        return ""
    return f" Checked {elapsed(late_by)} late because the workers were down."
