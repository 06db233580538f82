"""The module's periodic work in `appcomply serve`: the clock alerts and the user notice campaigns, one thread."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Final

from sqlalchemy.orm import Session, sessionmaker

from appcomply.db.session import unit_of_work
from appcomply.kernel import clock as kernel_clock
from appcomply.kernel.actor import system_actor
from appcomply.kernel.background import DaemonLoop
from appcomply.kernel.ids import new_id
from appcomply.vulnerabilities.service._campaigns import DEFAULT_CHUNK, CampaignStep, run_campaign_step
from appcomply.vulnerabilities.service._clocks import AlertRun, send_clock_alerts
from appcomply.vulnerabilities.service._env import VulnerabilitiesEnv

_log = logging.getLogger(__name__)
# Chunks one tick may run before it yields to the next interval: 200 × 1000 users is a 200 000-user campaign in a
# tick, yet a tick never runs forever when users keep registering behind the cursor.
MAX_CHUNKS_PER_TICK: Final = 200


@dataclass(frozen=True, slots=True)
class JobsRun:
    alerts: AlertRun
    chunks: int  # campaign chunks committed
    users: int  # users those chunks went through


class VulnerabilityJobs(DaemonLoop):
    """A daemon thread of `appcomply serve` that, every `interval` seconds until stopped, sends the due clock alerts
    and then runs campaign chunks until no campaign has work (at most MAX_CHUNKS_PER_TICK).

    Every alert run and every chunk is a transaction of its own, so a failure costs only that one: the next tick
    retries it. Several servers may each run one: clocks are claimed FOR UPDATE SKIP LOCKED with `alerts_sent`
    counted in the same transaction (an alert goes out once), campaigns by their row lock and lease.
    """

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        clock: kernel_clock.Clock,
        env: VulnerabilitiesEnv,
        interval: float,
        worker: str = "server",
        chunk: int = DEFAULT_CHUNK,
    ) -> None:
        super().__init__(name="appcomply-vulnerability-jobs")
        self._factory, self._clock, self._env, self._interval = session_factory, clock, env, interval
        # One name per process: the lease is by name, so two servers must not share one.
        self._worker, self._chunk = f"{worker}-{new_id().hex[:12]}", chunk

    def step(self) -> JobsRun:
        """One tick: the alerts, then the campaign chunks."""
        try:
            alerts = self.alert_step()
        except Exception:
            # A failed step (database restarting) must not end the thread, nor keep the campaigns waiting.
            _log.exception("vulnerability clock alerts failed; retrying in %.0f s", self._interval)
            alerts = AlertRun(alerts=0, notices=0)
        chunks = users = 0
        while chunks < MAX_CHUNKS_PER_TICK and not self._stop.is_set():
            done = self.campaign_step()
            if done is None:
                break
            chunks, users = chunks + 1, users + done.done
        return JobsRun(alerts=alerts, chunks=chunks, users=users)

    def alert_step(self) -> AlertRun:
        with unit_of_work(self._factory, clock=self._clock, actor=system_actor("vulnerability-clocks"),
                          request_id=new_id().hex) as ctx:  # fmt: skip
            return send_clock_alerts(ctx, self._env)

    def campaign_step(self) -> CampaignStep | None:
        with unit_of_work(self._factory, clock=self._clock, actor=system_actor("vulnerability-campaigns"),
                          request_id=new_id().hex) as ctx:  # fmt: skip
            return run_campaign_step(ctx, self._env, chunk=self._chunk, worker=self._worker)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.step()
            except Exception:
                _log.exception("vulnerability campaign step failed; retrying in %.0f s", self._interval)
            self._stop.wait(self._interval)
