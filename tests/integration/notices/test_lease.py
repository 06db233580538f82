"""A worker step is two short transactions around the sending: nothing is held while a gateway is called, and a
lost worker's notices come back when its lease runs out (at-least-once), until they run out of attempts."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from appcomply import notices, vault
from appcomply.audit.models import AuditEntry
from appcomply.bootstrap import Services
from appcomply.db.session import make_session_factory, unit_of_work
from appcomply.identity.providers import RecordingSmsSender
from appcomply.kernel.actor import system_actor
from appcomply.kernel.clock import FixedClock
from appcomply.kernel.context import Ctx
from appcomply.notices import Channel, NoticeSenders
from appcomply.notices.models import Notice
from appcomply.notices.ports import EmailReceipt
from appcomply.notices.providers import LocalEmailOutbox
from appcomply.settings import Settings
from tests.conftest import NOW
from tests.factories.apps import make_app
from tests.integration._throwaway import throwaway_engine
from tests.integration.notices.conftest import Tenant

LEASE = dt.timedelta(minutes=10)


class WorkerDied(BaseException):
    """The process dies in the middle of a step: a BaseException, so nothing in the step records an outcome."""


class DyingEmail:
    def send(self, *, to: str, subject: str, body: str, request_ref: str) -> EmailReceipt:  # noqa: ARG002
        raise WorkerDied


@pytest.fixture
def keyring(services: Services) -> vault.Keyring:
    return services.notices.keyring


def _step(
    factory: sessionmaker[Session], clock: FixedClock, keyring: vault.Keyring, email: object, *, worker: str,
    max_attempts: int = 5,
) -> notices.DeliveryReport:  # fmt: skip
    return notices.deliver_due(
        factory, clock=clock, senders=NoticeSenders(sms=RecordingSmsSender(), email=email),  # type: ignore[arg-type]
        keyring=keyring, worker=worker, max_attempts=max_attempts, lease_seconds=LEASE.total_seconds(),
    )  # fmt: skip


def _mail(ctx: Ctx, tenant: Tenant, keyring: vault.Keyring) -> Notice:
    notice = notices.enqueue(
        ctx, app_id=tenant.app.id, user_id=None, channel=Channel.EMAIL, subject="协议更新", body="b",
        recipient="r@example.com", keyring=keyring,
    )  # fmt: skip
    ctx.session.flush()
    return notice


def test_a_lost_workers_notice_stays_claimed_until_its_lease_runs_out_then_is_sent_again(
    ctx: Ctx, session: Session, session_factory: sessionmaker[Session], clock: FixedClock, tenant: Tenant,
    keyring: vault.Keyring,
) -> None:  # fmt: skip
    notice = _mail(ctx, tenant, keyring)
    with pytest.raises(WorkerDied):
        _step(session_factory, clock, keyring, DyingEmail(), worker="w1")
    session.refresh(notice)
    assert (notice.status, notice.attempts, notice.worker) == ("sending", 1, "w1")
    assert notice.not_before == clock.now() + LEASE

    outbox = LocalEmailOutbox()
    assert _step(session_factory, clock, keyring, outbox, worker="w2") == notices.DeliveryReport()  # still leased
    clock.advance(LEASE)
    assert _step(session_factory, clock, keyring, outbox, worker="w2") == notices.DeliveryReport(claimed=1, sent=1)
    session.refresh(notice)
    assert (notice.status, notice.attempts, notice.worker, notice.sent_at) == ("sent", 2, "w2", clock.now())
    assert [m.request_ref for m in outbox.sent] == [str(notice.id)]


def test_a_notice_that_keeps_losing_its_worker_ends_dead_without_another_send(
    ctx: Ctx, session: Session, session_factory: sessionmaker[Session], clock: FixedClock, tenant: Tenant,
    keyring: vault.Keyring,
) -> None:  # fmt: skip
    notice = _mail(ctx, tenant, keyring)
    with pytest.raises(WorkerDied):
        _step(session_factory, clock, keyring, DyingEmail(), worker="w1", max_attempts=1)
    clock.advance(LEASE)
    outbox = LocalEmailOutbox()
    report = _step(session_factory, clock, keyring, outbox, worker="w2", max_attempts=1)
    assert report == notices.DeliveryReport(claimed=1, dead=1)
    session.refresh(notice)
    assert (notice.status, notice.attempts, notice.last_error) == ("dead", 1, "notices.worker_lost")
    assert outbox.sent == []


def test_a_worker_that_outlives_its_lease_does_not_overwrite_the_outcome_of_the_one_that_took_over(
    ctx: Ctx, session: Session, session_factory: sessionmaker[Session], clock: FixedClock, tenant: Tenant,
    keyring: vault.Keyring,
) -> None:  # fmt: skip
    notice = _mail(ctx, tenant, keyring)
    rescuer_outbox = LocalEmailOutbox()
    rescued: list[notices.DeliveryReport] = []

    class HangingEmail:
        """Hangs past its lease; meanwhile another worker takes the notice over and delivers it."""

        def send(self, *, to: str, subject: str, body: str, request_ref: str) -> EmailReceipt:  # noqa: ARG002
            clock.advance(LEASE + dt.timedelta(seconds=1))
            rescued.append(_step(session_factory, clock, keyring, rescuer_outbox, worker="rescuer"))
            return EmailReceipt("slow", "late", True, "email.accepted")

    late = _step(session_factory, clock, keyring, HangingEmail(), worker="slow")

    assert rescued == [notices.DeliveryReport(claimed=1, sent=1)]
    assert late == notices.DeliveryReport(claimed=1)  # claimed, but its outcome no longer counts
    session.refresh(notice)
    assert (notice.status, notice.worker, notice.provider, notice.attempts) == ("sent", "rescuer", "local", 2)
    batches = session.scalars(select(AuditEntry.data).where(AuditEntry.event == "notices.batch.delivered")).all()
    assert [(b["worker"], b["sent"]) for b in batches] == [("rescuer", [str(notice.id)])]


# --- on a database of its own: another connection looks while the gateway is being called ---------------------------


@pytest.fixture(params=["sqlite-file", "postgresql"])
def own_engine(
    request: pytest.FixtureRequest, engine: Engine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    with throwaway_engine(request.param, engine, tmp_path_factory, label="notices_lease", pool_size=2) as throwaway:
        yield throwaway


def _probe(engine: Engine, notice_id: str) -> str:
    """The notice's status as another connection sees it, failing fast if a write lock or row lock is held."""
    if engine.dialect.name == "sqlite":
        assert engine.url.database
        raw = sqlite3.connect(engine.url.database, timeout=0.2, isolation_level=None)
        try:
            raw.execute("BEGIN IMMEDIATE")  # "database is locked" if the step held the write lock
            (status,) = raw.execute("SELECT status FROM notices WHERE id = ?", (notice_id.replace("-", ""),)).fetchone()
            raw.execute("ROLLBACK")
        finally:
            raw.close()
        return str(status)
    with engine.connect() as conn:  # NOWAIT: an error at once if the step still held the row
        stmt = select(Notice.status).where(Notice.id == notice_id).with_for_update(nowait=True)
        return str(conn.execute(stmt).scalar_one())


def test_no_transaction_is_open_while_a_gateway_is_called(own_engine: Engine) -> None:
    factory = make_session_factory(own_engine)
    clock = FixedClock(NOW)
    keyring = vault.Keyring.parse(Settings().vault.keys.get_secret_value())
    with unit_of_work(factory, clock=clock, actor=system_actor("seed"), request_id="seed") as ctx:
        app = make_app(ctx)
        notice_id = str(
            notices.enqueue(
                ctx, app_id=app.id, user_id=None, channel=Channel.EMAIL, subject="s", body="b",
                recipient="r@example.com", keyring=keyring,
            ).id
        )  # fmt: skip
    seen: list[str] = []

    class LookingEmail:
        def send(self, *, to: str, subject: str, body: str, request_ref: str) -> EmailReceipt:  # noqa: ARG002
            seen.append(_probe(own_engine, request_ref))
            return EmailReceipt("looking", request_ref, True, "email.accepted")

    report = _step(factory, clock, keyring, LookingEmail(), worker="w")

    assert report == notices.DeliveryReport(claimed=1, sent=1)
    assert seen == ["sending"], "the claim was committed before the gateway call, and nothing was left locked"
    assert _probe(own_engine, notice_id) == "sent"
