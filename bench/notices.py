"""Benchmark notice delivery: throughput of deliver_due with 1 and 2 worker threads, beside a reference.

The reference is the bare claim loop measured in the same run on the same database: a transaction that takes a
batch with SELECT … FOR UPDATE SKIP LOCKED (plain SELECT on SQLite) and UPDATEs it, with no delivery, vault or
audit. The ratio says what delivery costs on top of claiming: a step is two transactions (the claim, then the
outcomes with one audit entry per app), and between them the recipient is opened from the vault and the message
kept in memory by the local outbox.

    .venv/bin/python -m bench.notices
    .venv/bin/python -m bench.notices --notices 5000 --batch 100
    .venv/bin/python -m bench.notices --database-url postgresql+psycopg://postgres@127.0.0.1/bench   # resets it
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, text, update

from appcomply import apps, notices
from appcomply.bootstrap import Services, build_services
from appcomply.db.migrate import upgrade
from appcomply.db.session import transaction, unit_of_work
from appcomply.kernel.actor import system_actor
from appcomply.notices import Channel
from appcomply.settings import DatabaseSettings, Settings

BARE = Table("bench_outbox", MetaData(), Column("id", Integer, primary_key=True), Column("status", String(10)))


def _services(url: str | None, tmp: Path) -> Services:
    services = build_services(Settings(database=DatabaseSettings(url=url or f"sqlite:///{tmp / 'bench.db'}")))
    if services.engine.dialect.name == "postgresql":
        with services.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(services.engine)
    BARE.create(services.engine)
    return services


def _seed(services: Services, count: int) -> None:
    factory, clock = services.session_factory, services.clock
    with unit_of_work(factory, clock=clock, actor=system_actor("bench"), request_id="bench") as ctx:
        app = apps.create_app(
            ctx, apps.AppCreate(slug=f"bench-{uuid.uuid4().hex[:8]}", name="基准", entity_name="基准测试公司",
                                entity_uscc="91110108MA01DFM005"),
        )  # fmt: skip
        for i in range(count):
            notices.enqueue(
                ctx, app_id=app.id, user_id=None, channel=Channel.EMAIL, subject="协议变更", body=f"第 {i} 号通知",
                recipient=f"user{i}@example.com", keyring=services.notices.keyring,
            )  # fmt: skip
    with services.engine.begin() as conn:
        conn.execute(BARE.delete())
        conn.execute(insert(BARE), [{"id": i, "status": "queued"} for i in range(count)])


def _run_threads(workers: int, step: Callable[[str], int]) -> float:
    """Seconds until every thread's step claims nothing."""
    barrier = threading.Barrier(workers + 1)

    def loop(name: str) -> None:
        barrier.wait()
        while step(name):
            pass

    threads = [threading.Thread(target=loop, args=(f"bench-{i}",)) for i in range(workers)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def _deliver_step(services: Services, batch: int) -> Callable[[str], int]:
    env = services.notices

    def step(name: str) -> int:
        report = notices.deliver_due(
            services.session_factory, clock=services.clock, senders=env.senders, keyring=env.keyring,
            batch=batch, worker=name,
        )  # fmt: skip
        return report.claimed

    return step


def _bare_step(services: Services, batch: int) -> Callable[[str], int]:
    claim = (select(BARE.c.id).where(BARE.c.status == "queued").order_by(BARE.c.id).limit(batch)).with_for_update(
        skip_locked=True
    )

    def step(_name: str) -> int:
        with transaction(services.session_factory) as session:
            ids = list(session.scalars(claim))
            if ids:
                session.execute(update(BARE).where(BARE.c.id.in_(ids)).values(status="sent"))
        return len(ids)

    return step


def bench(url: str | None, count: int, batch: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        services = _services(url, Path(tmp))
        dialect = services.engine.dialect.name
        print(f"notice delivery on {dialect}: {count:,} e-mail notices (local outbox), batches of {batch}")
        _seed(services, batch)  # warm up: imports, statement caches, the pool
        _run_threads(1, _deliver_step(services, batch))
        for workers in (1, 2):
            _seed(services, count)
            ours = count / _run_threads(workers, _deliver_step(services, batch))
            bare = count / _run_threads(workers, _bare_step(services, batch))
            print(
                f"{workers} worker{'s' if workers > 1 else ' '}  deliver_due {ours:9,.0f} notices/s   "
                f"bare claim+update {bare:9,.0f} rows/s   ratio {ours / bare:5.3f}"
            )
        services.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notices", type=int, default=2000, help="notices per figure")
    parser.add_argument("--batch", type=int, default=100, help="notices claimed per step")
    parser.add_argument("--database-url", help="this database (schema reset!); default a temp SQLite file")
    args = parser.parse_args()
    bench(args.database_url, args.notices, args.batch)


if __name__ == "__main__":
    main()
