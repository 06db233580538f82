"""Concurrent appends from many connections, chained by two chainers running at the same time: no fork, no gap,
nothing lost (A4). The appends themselves take no lock; the chainers take turns at the head row.

This needs real commits from several connections, which the rolled-back test connection cannot give, and audit rows
cannot be deleted afterwards without breaking the chain. So each run gets a database of its own: on PostgreSQL a
throwaway database created next to the test database, on SQLite a throwaway file.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select

from appcomply import audit
from appcomply.audit.models import AuditEntry, AuditHead
from appcomply.db.session import make_session_factory, transaction
from appcomply.kernel.actor import system_actor
from appcomply.kernel.clock import FixedClock
from appcomply.kernel.context import Ctx
from tests.conftest import NOW
from tests.integration._throwaway import throwaway_engine

THREADS = 6
COMMITTED = 20  # per thread
ROLLED_BACK = 3  # per thread: appends that must leave no trace, not even a used-up seq


class ProbeEvent(enum.StrEnum):
    APPENDED = "audit.probe.appended"


class _Abort(Exception):
    pass


@pytest.fixture(params=["postgresql", "sqlite-file"])
def chain_engine(
    request: pytest.FixtureRequest, engine: Engine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    with throwaway_engine(
        request.param, engine, tmp_path_factory, label="audit_concurrency", pool_size=THREADS
    ) as throwaway:
        yield throwaway


def _appender(engine: Engine, thread: int, start: threading.Barrier, failures: list[BaseException]) -> None:
    factory = make_session_factory(engine)
    clock, actor = FixedClock(NOW), system_actor(f"appender-{thread}")
    try:
        start.wait(timeout=30)
        for i in range(COMMITTED + ROLLED_BACK):
            try:
                with transaction(factory) as session:
                    ctx = Ctx(session=session, clock=clock, actor=actor, request_id=f"{thread}-{i}")
                    audit.record(ctx, ProbeEvent.APPENDED, subject=audit.Subject("thread", str(thread)), data={"i": i})
                    if i >= COMMITTED:
                        raise _Abort
            except _Abort:
                pass
    except BaseException as exc:  # reported by the test thread; a thread's own exception would vanish
        failures.append(exc)


def _chainer(engine: Engine, done: threading.Event, failures: list[BaseException]) -> None:
    factory = make_session_factory(engine)
    try:
        while not done.is_set():
            audit.chain_all(factory, batch=5)
            done.wait(0.005)
    except BaseException as exc:
        failures.append(exc)


def test_concurrent_appends_make_one_unbroken_chain(chain_engine: Engine) -> None:
    start, done = threading.Barrier(THREADS), threading.Event()
    failures: list[BaseException] = []
    threads = [
        threading.Thread(target=_appender, args=(chain_engine, t, start, failures), name=f"appender-{t}")
        for t in range(THREADS)
    ]
    chainers = [
        threading.Thread(target=_chainer, args=(chain_engine, done, failures), name=f"chainer-{c}") for c in range(2)
    ]
    for thread in [*threads, *chainers]:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    done.set()
    for thread in chainers:
        thread.join(timeout=120)
    assert not [t.name for t in [*threads, *chainers] if t.is_alive()], "an appender or chainer hung"
    assert failures == []
    audit.chain_all(make_session_factory(chain_engine))  # what the chainers had not seen committed yet

    with make_session_factory(chain_engine)() as session:
        total = THREADS * COMMITTED
        assert audit.verify_chain(session) == (total, None)
        assert audit.count_unchained(session) == 0
        rows = session.execute(select(AuditEntry.seq, AuditEntry.request_id, AuditEntry.hash).order_by(AuditEntry.seq))
        seqs, request_ids, hashes = zip(*rows, strict=True)
        assert list(seqs) == list(range(1, total + 1))
        assert sorted(request_ids) == sorted(f"{t}-{i}" for t in range(THREADS) for i in range(COMMITTED))
        assert len(set(hashes)) == total
        head = session.execute(select(AuditHead.seq, AuditHead.hash)).one()
        assert (head.seq, head.hash) == (total, hashes[-1])
        # Each thread's own appends keep their order in the chain.
        for t in range(THREADS):
            mine = [int(r.split("-")[1]) for r in request_ids if r.startswith(f"{t}-")]
            assert mine == sorted(mine)
