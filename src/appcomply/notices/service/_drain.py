"""The worker loop around `deliver_due`, and the in-process drainer of the single-process default."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from appcomply.kernel.background import DaemonLoop
from appcomply.kernel.clock import Clock
from appcomply.notices.service._deliver import DeliveryReport, deliver_due
from appcomply.notices.service._env import NoticesEnv

log = logging.getLogger(__name__)


def drain(
    session_factory: sessionmaker[Session],
    *,
    clock: Clock,
    env: NoticesEnv,
    worker: str,
    stop: threading.Event,
    interval: float,
    once: bool = False,
    on_report: Callable[[DeliveryReport], None] | None = None,
) -> DeliveryReport:
    """Run worker steps until `stop` is set (or, with `once`, until nothing more is due); the total delivered.

    A full batch is followed at once by the next step; otherwise the loop waits `interval` seconds (waking early
    when stopped). A step that fails (database unreachable) is logged and retried after the interval.
    """
    limits, total = env.limits, DeliveryReport()
    while not stop.is_set():
        try:
            report = deliver_due(
                session_factory,
                clock=clock,
                senders=env.senders,
                keyring=env.keyring,
                batch=limits.batch_size,
                worker=worker,
                max_attempts=limits.max_attempts,
                backoff_base_seconds=limits.backoff_base_seconds,
                sms_template=limits.sms_template,
                lease_seconds=limits.lease_seconds,
            )
        except Exception as exc:
            if once:
                raise
            log.warning("notices worker %s: step failed (%s); retrying in %.1f s", worker, type(exc).__name__, interval)
            stop.wait(interval)
            continue
        total += report
        if on_report is not None and report.claimed:
            on_report(report)
        if report.claimed < limits.batch_size:
            if once:
                break
            stop.wait(interval)
    return total


class OutboxDrainer(DaemonLoop):
    """The single-process default: a daemon thread of `appcomply serve` that drains the outbox until stopped."""

    def __init__(
        self, session_factory: sessionmaker[Session], *, clock: Clock, env: NoticesEnv, interval: float
    ) -> None:
        super().__init__(name="appcomply-notices-drain")
        self._factory, self._clock, self._env, self._interval = session_factory, clock, env, interval

    def _run(self) -> None:
        drain(
            self._factory, clock=self._clock, env=self._env, worker="server", stop=self._stop, interval=self._interval
        )
