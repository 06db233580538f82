"""Delivering the outbox: one worker step (`deliver_due`), the loop around it, and the in-process drainer.

Each step is one transaction. It claims due notices with SELECT … FOR UPDATE SKIP LOCKED, so concurrent workers on
PostgreSQL take disjoint rows (SQLite has one writer, which serialises steps). It delivers every claimed notice
first and only then records the outcomes and their audit entries: the audit head row is locked from the first
audit append until commit, and holding it across network calls would serialise the workers' deliveries too.

A crash after a gateway accepted a message but before the commit leaves the notice due, and it is sent again: the
outbox guarantees at-least-once, and passes the notice id as the request reference so gateways can deduplicate.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from appcomply import audit, vault
from appcomply.db.session import unit_of_work
from appcomply.kernel.actor import system_actor
from appcomply.kernel.clock import Clock
from appcomply.kernel.context import Ctx
from appcomply.kernel.errors import DomainError
from appcomply.kernel.ids import new_id
from appcomply.notices import rules
from appcomply.notices.events import NoticesEvent
from appcomply.notices.models import Notice
from appcomply.notices.ports import NoticeSenders
from appcomply.notices.rules import Channel, NoticeStatus
from appcomply.notices.service._enqueue import RECIPIENT_KIND
from appcomply.notices.service._env import NoticesEnv

log = logging.getLogger(__name__)
INBOX_PROVIDER = "inbox"


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    dead: int = 0

    def __add__(self, other: DeliveryReport) -> DeliveryReport:
        return DeliveryReport(
            self.claimed + other.claimed, self.sent + other.sent, self.retried + other.retried, self.dead + other.dead
        )


@dataclass(frozen=True, slots=True)
class _Outcome:
    error: str | None  # None: delivered
    provider: str | None = None
    provider_ref: str | None = None


def deliver_due(
    session_factory: sessionmaker[Session],
    *,
    clock: Clock,
    senders: NoticeSenders,
    keyring: vault.Keyring,
    batch: int = 100,
    worker: str,
    max_attempts: int = 5,
    backoff_base_seconds: float = 30.0,
    sms_template: str = "NOTICE",
) -> DeliveryReport:
    """One worker step: claim up to `batch` due notices, deliver each, record sent / retrying / dead.

    Emits notices.notice.sent, .retried or .dead per notice, in the step's transaction. A failure is recorded
    by its code only (`last_error`, never personal data), then retried after exponential back-off until
    `max_attempts`; a refusal no retry can change (invalid number, refused address) is dead at once.
    """
    actor = system_actor(f"notices-worker:{worker}")
    with unit_of_work(session_factory, clock=clock, actor=actor, request_id=f"notices-{new_id().hex}") as ctx:
        stmt = (
            select(Notice)
            .where(Notice.status.in_([s.value for s in rules.DUE_STATUSES]), Notice.not_before <= clock.now())
            .order_by(Notice.not_before, Notice.id)
            .limit(batch)
            .with_for_update(skip_locked=True)  # rendered on PostgreSQL; SQLite's single writer serialises
        )
        claimed = list(ctx.session.scalars(stmt))
        outcomes = [(row, _attempt(row, senders, keyring, sms_template)) for row in claimed]
        counts = {NoticeStatus.SENT: 0, NoticeStatus.RETRYING: 0, NoticeStatus.DEAD: 0}
        for row, outcome in outcomes:
            status = _record(ctx, row, outcome, worker=worker, max_attempts=max_attempts, base=backoff_base_seconds)
            counts[status] += 1
    return DeliveryReport(
        len(claimed), counts[NoticeStatus.SENT], counts[NoticeStatus.RETRYING], counts[NoticeStatus.DEAD]
    )


def _attempt(row: Notice, senders: NoticeSenders, keyring: vault.Keyring, template: str) -> _Outcome:
    channel = Channel(row.channel)
    if channel is Channel.INBOX:
        return _Outcome(None, INBOX_PROVIDER)
    if row.recipient_sealed is None:
        return _Outcome("notices.recipient_missing")
    ref = str(row.id)
    try:
        to = vault.open_sealed(keyring, row.recipient_sealed, kind=RECIPIENT_KIND, context=str(row.app_id))
        if channel is Channel.SMS:
            params = {"subject": row.subject, "body": row.body}
            receipt: Any = senders.sms.send(phone_e164=to, template=template, params=params, request_ref=ref)
        else:
            receipt = senders.email.send(to=to, subject=row.subject, body=row.body, request_ref=ref)
    except DomainError as exc:
        return _Outcome(exc.code)
    except Exception as exc:  # one broken adapter must not stall the queue; the type is safe to log, not the text
        log.warning("notice %s: delivery raised %s", ref, type(exc).__name__)
        return _Outcome("notices.delivery.error")
    if receipt.accepted:
        return _Outcome(None, receipt.provider, receipt.provider_request_id or None)
    return _Outcome(str(receipt.result_code), receipt.provider, receipt.provider_request_id or None)


def _record(ctx: Ctx, row: Notice, outcome: _Outcome, *, worker: str, max_attempts: int, base: float) -> NoticeStatus:
    now = ctx.clock.now()
    row.attempts += 1
    row.updated_at, row.worker = now, worker[:64]
    row.provider = outcome.provider
    row.provider_ref = outcome.provider_ref[:128] if outcome.provider_ref else None
    data: dict[str, Any] = {"channel": row.channel, "attempt": row.attempts, "worker": worker}
    if outcome.error is None:
        status, event = NoticeStatus.SENT, NoticesEvent.SENT
        row.sent_at, row.last_error = now, None
        data["provider"] = outcome.provider
    else:
        status = rules.after_failure(row.attempts, outcome.error, max_attempts=max_attempts)
        row.last_error = outcome.error[:64]
        data["error"] = row.last_error
        if status is NoticeStatus.RETRYING:
            event = NoticesEvent.RETRIED
            row.not_before = now + rules.retry_delay(row.attempts, base_seconds=base)
            data["retry_at"] = row.not_before.isoformat()
        else:
            event = NoticesEvent.DEAD
    row.status = status.value
    audit.record(ctx, event, subject=audit.Subject("notice", str(row.id)), app_id=row.app_id, data=data)
    return status


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


class OutboxDrainer:
    """The single-process default: a daemon thread of `appcomply serve` that drains the outbox until stopped."""

    def __init__(
        self, session_factory: sessionmaker[Session], *, clock: Clock, env: NoticesEnv, interval: float
    ) -> None:
        self._factory, self._clock, self._env, self._interval = session_factory, clock, env, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="appcomply-notices-drain", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        drain(
            self._factory, clock=self._clock, env=self._env, worker="server", stop=self._stop, interval=self._interval
        )
