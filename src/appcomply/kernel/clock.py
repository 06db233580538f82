"""Time: the only place that reads the system clock. Everything else asks a ``Clock``."""

from __future__ import annotations

import datetime as dt
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """Current time, timezone-aware UTC."""
        ...

    def monotonic(self) -> float:
        """Seconds from an arbitrary point, for measuring durations."""
        ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def monotonic(self) -> float:
        return time.monotonic()


class FixedClock:
    """A clock for tests and replays: it moves only when told to."""

    def __init__(self, at: dt.datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self._at = at.astimezone(dt.UTC)
        self._mono = 0.0

    def now(self) -> dt.datetime:
        return self._at

    def monotonic(self) -> float:
        return self._mono

    def advance(self, delta: dt.timedelta) -> None:
        self._at += delta
        self._mono += delta.total_seconds()
