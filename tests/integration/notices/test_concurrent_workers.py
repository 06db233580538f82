"""Several workers on PostgreSQL never deliver a notice twice: FOR UPDATE SKIP LOCKED gives each its own rows.

Needs real commits from several connections, which the rolled-back test connection cannot give, so the run gets a
throwaway database next to the test database (as the audit concurrency test does). On SQLite the single writer
serialises the steps; the same test runs on a throwaway file there.
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, func, select

from appcomply import notices, vault
from appcomply.audit.models import AuditEntry
from appcomply.db.session import make_session_factory, unit_of_work
from appcomply.identity.providers import RecordingSmsSender
from appcomply.kernel.actor import system_actor
from appcomply.kernel.clock import FixedClock
from appcomply.notices import Channel, NoticeSenders
from appcomply.notices.models import Notice
from appcomply.notices.ports import EmailReceipt
from appcomply.settings import Settings
from tests.conftest import NOW
from tests.factories.apps import make_app
from tests.integration._throwaway import throwaway_engine

WORKERS = 4
NOTICES = 400


class CountingEmail:
    """Counts deliveries per notice (the request reference is the notice id); thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.by_notice: collections.Counter[str] = collections.Counter()

    def send(self, *, to: str, subject: str, body: str, request_ref: str) -> EmailReceipt:  # noqa: ARG002 - the port's shape
        with self._lock:
            self.by_notice[request_ref] += 1
        return EmailReceipt("count", request_ref, True, "email.accepted")


@pytest.fixture(params=["postgresql", "sqlite-file"])
def outbox_engine(
    request: pytest.FixtureRequest, engine: Engine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    with throwaway_engine(
        request.param, engine, tmp_path_factory, label="notices_workers", pool_size=WORKERS
    ) as throwaway:
        yield throwaway


def test_concurrent_workers_deliver_each_notice_exactly_once(outbox_engine: Engine) -> None:
    factory = make_session_factory(outbox_engine)
    clock = FixedClock(NOW)
    keyring = vault.Keyring.parse(Settings().vault.keys.get_secret_value())
    with unit_of_work(factory, clock=clock, actor=system_actor("seed"), request_id="seed") as ctx:
        app = make_app(ctx)
        ids = [
            notices.enqueue(
                ctx, app_id=app.id, user_id=None, channel=Channel.EMAIL, subject="变更通知", body=f"第 {i} 号",
                recipient=f"user{i}@example.com", keyring=keyring,
            ).id
            for i in range(NOTICES)
        ]  # fmt: skip
    email = CountingEmail()
    senders = NoticeSenders(sms=RecordingSmsSender(), email=email)
    steps: collections.Counter[str] = collections.Counter()
    busy_steps: collections.Counter[str] = collections.Counter()
    errors: list[BaseException] = []
    start = threading.Barrier(WORKERS)

    def work(name: str) -> None:
        try:
            start.wait()
            while True:
                report = notices.deliver_due(
                    factory, clock=clock, senders=senders, keyring=keyring, batch=7, worker=name
                )
                steps[name] += report.claimed
                busy_steps[name] += 1 if report.claimed else 0
                if report.claimed == 0:
                    return
        except BaseException as exc:  # surfaced below: a thread's failure must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert set(email.by_notice) == {str(i) for i in ids}
    assert set(email.by_notice.values()) == {1}, "a notice was delivered twice"
    assert sum(steps.values()) == NOTICES
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(Notice).where(Notice.status == "sent")) == NOTICES
        batches = session.scalars(select(AuditEntry.data).where(AuditEntry.event == "notices.batch.delivered")).all()
        audited = [notice_id for data in batches for notice_id in data["sent"]]
        assert sorted(audited) == sorted(str(i) for i in ids), "each notice is in exactly one step's audit entry"
        assert sum(data["counts"]["sent"] for data in batches) == NOTICES
        assert len(batches) == sum(busy_steps.values()), "one entry per step (one app), not one per notice"
    if outbox_engine.dialect.name == "postgresql":
        assert len([name for name, n in steps.items() if n]) > 1, "one worker did everything: no concurrency shown"
