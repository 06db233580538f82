"""A daemon thread of `appcomply serve` that does a module's background work until it is stopped."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod


class DaemonLoop(ABC):
    """Subclasses implement `_run`, which returns once `self._stop` is set; `stop` sets it and waits for the thread.

    The composition root starts each loop when the server starts and stops it when the server stops.
    """

    def __init__(self, *, name: str) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    @abstractmethod
    def _run(self) -> None:
        """The thread's work; returns once `self._stop` is set."""
