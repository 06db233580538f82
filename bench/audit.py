"""Benchmark the audit chain: appends inside ordinary transactions, and verifying a long chain.

Each figure is printed beside a reference measured in the same run:
- append: `audit.record` (an INSERT, no lock; chaining happens after commit) vs the same transactions without it;
- verify: `verify_chain` over N entries vs merely reading the same N rows.

    .venv/bin/python -m bench.audit                 # SQLite file in a temp dir, 1,000,000 entries
    .venv/bin/python -m bench.audit --entries 200000 --database-url postgresql+psycopg://postgres@127.0.0.1/bench
    .venv/bin/python -m bench.audit --writers 2 --database-url postgresql+psycopg://postgres@127.0.0.1/bench

`--writers W` measures only concurrent appends: W threads, each running `--appends` transactions of one business
INSERT + `audit.record`, against the same W threads running the bare business INSERT transaction (the two alternate
in rounds). The server's
background chainer runs during the audited run at its default interval, as in production; whatever it has not
chained when the writers finish is chained afterwards (timed separately), then the chain is verified.
"""

from __future__ import annotations

import argparse
import datetime as dt
import enum
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, insert, select, text, update

from appcomply import audit
from appcomply.audit.models import AuditEntry, AuditHead
from appcomply.audit.rules import EntryFields, entry_hash
from appcomply.db.migrate import upgrade
from appcomply.db.session import make_engine, make_session_factory, unit_of_work
from appcomply.kernel.actor import system_actor
from appcomply.kernel.clock import SystemClock
from appcomply.settings import AuditSettings


class BenchEvent(enum.StrEnum):
    APPENDED = "bench.entry.appended"


def _engine(url: str | None, tmp: Path) -> Engine:
    engine = make_engine(url or f"sqlite:///{tmp / 'bench.db'}")
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    return engine


_business = Table("bench_business", MetaData(), Column("id", Integer, primary_key=True), Column("name", String(100)))


def bench_append(engine: Engine, count: int, per_txn: int) -> tuple[float, float]:
    """(entries/s, reference transactions/s): each transaction does one business INSERT; with audit it
    also appends `per_txn` entries. The reference is the same transactions without the audit entries."""
    factory, clock, actor = make_session_factory(engine), SystemClock(), system_actor("bench")
    _business.create(engine, checkfirst=True)
    data = {"app": "demo", "changed": {"name": {"from": "旧名称", "to": "新名称"}}}
    started = time.perf_counter()
    for i in range(count):
        with factory() as session, session.begin():
            session.execute(insert(_business).values(id=i, name=f"row {i}"))
    reference = count / (time.perf_counter() - started)
    chainer = audit.AuditChainer(factory, interval=AuditSettings().chain_interval_seconds)
    chainer.start()  # the server's background chainer, as in production
    started = time.perf_counter()
    for i in range(count):
        with unit_of_work(factory, clock=clock, actor=actor, request_id=f"bench-{i}") as ctx:
            ctx.session.execute(insert(_business).values(id=count + i, name=f"row {i}"))
            for _ in range(per_txn):
                audit.record(ctx, BenchEvent.APPENDED, subject=audit.Subject("app", str(uuid.uuid4())), data=data)
    with_audit = count / (time.perf_counter() - started)
    chainer.stop()  # and whatever it had not chained yet
    _business.drop(engine)
    return with_audit * per_txn, reference


def _concurrently(writers: int, work: Callable[[int], None]) -> float:
    """Seconds for `writers` threads, started together, to each run `work(writer)`; a writer's failure is raised."""
    start, failures = threading.Barrier(writers + 1), []

    def run(writer: int) -> None:
        start.wait()
        try:
            work(writer)
        except BaseException as exc:  # re-raised below: a thread's own exception would vanish
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(w,), name=f"writer-{w}") for w in range(writers)]
    for thread in threads:
        thread.start()
    start.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise failures[0]
    return elapsed


def bench_writers(engine: Engine, writers: int, count: int, rounds: int = 4) -> tuple[float, float, float]:
    """(audited transactions/s, bare transactions/s, seconds to chain the rest) over `writers` concurrent threads of
    `count` transactions each. A bare transaction is one business INSERT; an audited one also appends one entry
    (`audit.record`), with the background chainer running meanwhile. The two alternate in `rounds` rounds, so a
    change in the machine's load during the run weighs on both alike (the cores are shared)."""
    factory, clock = make_session_factory(engine), SystemClock()
    _business.create(engine, checkfirst=True)
    data = {"app": "demo", "changed": {"name": {"from": "旧名称", "to": "新名称"}}}
    per_round = max(count // rounds, 1)
    next_row = iter(range(10**12))

    def bare(_writer: int) -> None:
        for _ in range(per_round):
            row = next(next_row)  # a range iterator's next() is atomic under the GIL: unique across threads
            with factory() as session, session.begin():
                session.execute(insert(_business).values(id=row, name=f"row {row}"))

    def audited(writer: int) -> None:
        actor = system_actor(f"bench-{writer}")
        for i in range(per_round):
            row = next(next_row)
            with unit_of_work(factory, clock=clock, actor=actor, request_id=f"bench-{writer}-{i}") as ctx:
                ctx.session.execute(insert(_business).values(id=row, name=f"row {row}"))
                audit.record(ctx, BenchEvent.APPENDED, subject=audit.Subject("app", str(uuid.uuid4())), data=data)

    _concurrently(writers, bare)  # warm-up: connections opened, statements compiled, caches filled
    chainer = audit.AuditChainer(factory, interval=AuditSettings().chain_interval_seconds)
    chainer.start()
    bare_s = audited_s = 0.0
    for _ in range(rounds):
        bare_s += _concurrently(writers, bare)
        audited_s += _concurrently(writers, audited)
    started = time.perf_counter()
    chainer.stop()  # chains what it had not chained yet, as on a server's shutdown
    rest = time.perf_counter() - started
    _business.drop(engine)
    total = writers * per_round * rounds
    return total / audited_s, total / bare_s, rest


def _row(seq: int, at: dt.datetime, prev: str, digest: str) -> dict[str, object]:
    return {
        "seq": seq, "at": at, "app_id": None, "actor_kind": "system", "actor_id": None, "actor_label": "system:bench",
        "request_id": f"bench-{seq}", "event": "bench.entry.appended", "subject_kind": "app", "subject_id": str(seq),
        "data": {"n": seq, "note": "基准测试"}, "prev_hash": prev, "hash": digest,
    }  # fmt: skip


def load_chain(engine: Engine, total: int, batch: int = 20_000) -> None:
    """Append `total` valid chained entries in bulk after whatever the chain holds (all of it chained)."""
    factory = make_session_factory(engine)
    with factory() as session, session.begin():
        head = session.execute(select(AuditHead).where(AuditHead.id == 1)).scalar_one()
        seq, prev = head.seq, head.hash
    at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    done = 0
    while done < total:
        rows = []
        for _ in range(min(batch, total - done)):
            seq += 1
            row = _row(seq, at + dt.timedelta(microseconds=seq), prev, "")
            fields = EntryFields(**{k: v for k, v in row.items() if k != "hash"})  # type: ignore[arg-type]
            row["hash"] = prev = entry_hash(fields)
            rows.append(row)
        with factory() as session, session.begin():
            session.execute(insert(AuditEntry), rows)
            session.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=seq, hash=prev))
        done += len(rows)
        print(f"  loaded {done:,}/{total:,}", end="\r", flush=True)
    print()


def bench_verify(engine: Engine) -> tuple[int, float, float]:
    factory = make_session_factory(engine)
    with factory() as session:
        started = time.perf_counter()
        checked, fault = audit.verify_chain(session)
        verify_s = time.perf_counter() - started
        if fault is not None:
            raise SystemExit(f"bench chain unexpectedly broken: {fault}")
        started = time.perf_counter()
        last, read = 0, 0
        while True:
            rows = session.execute(
                select(AuditEntry.seq, AuditEntry.data, AuditEntry.hash).where(AuditEntry.seq > last)
                .order_by(AuditEntry.seq).limit(5000)
            ).all()  # fmt: skip
            if not rows:
                break
            read += len(rows)
            last = rows[-1][0]
        read_s = time.perf_counter() - started
    return checked, verify_s, read_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary directory")
    parser.add_argument("--appends", type=int, default=3000, help="transactions for the append figure")
    parser.add_argument("--entries", type=int, default=1_000_000, help="chain length for the verify figure")
    parser.add_argument("--writers", type=int, help="only the concurrent-append figure, with this many writers")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        engine = _engine(args.database_url, Path(tmp))
        print(f"database: {engine.dialect.name}")
        if args.writers:
            main_writers(engine, args.writers, args.appends)
            engine.dispose()
            return
        for per_txn in (1, 5):
            entries, reference = bench_append(engine, args.appends, per_txn)
            txns = entries / per_txn
            marginal = (1 / txns - 1 / reference) / per_txn
            print(
                f"append  {per_txn} entr{'y' if per_txn == 1 else 'ies'}/transaction: {entries:7,.0f} entries/s "
                f"({txns:,.0f} txn/s vs {reference:,.0f} txn/s without audit, ratio {txns / reference:.2f}); "
                f"marginal cost {marginal * 1e6:,.0f} µs/entry = {1 / marginal:,.0f} entries/s (target ≥ 2,000/s)"
            )
        load_chain(engine, args.entries - args.appends)
        checked, verify_s, read_s = bench_verify(engine)
        print(f"verify  {checked:,} entries: {verify_s:6.2f} s  ({checked / verify_s:,.0f}/s)  (target 1M < 15 s)")
        print(f"        reading the same rows: {read_s:6.2f} s   ratio {verify_s / read_s:.2f}x the bare read")
        engine.dispose()


def main_writers(engine: Engine, writers: int, count: int) -> None:
    audited, reference, rest = bench_writers(engine, writers, count)
    print(
        f"append  {writers} writers, 1 entry/transaction: {audited:7,.0f} entries/s "
        f"({audited:,.0f} txn/s vs {reference:,.0f} txn/s bare INSERT transactions, same {writers} writers); "
        f"ratio {audited / reference:.2f} (target ≥ 0.50)"
    )
    with make_session_factory(engine)() as session:
        checked, fault = audit.verify_chain(session)
        unchained = audit.count_unchained(session)
    print(f"chaining what the background chainer had not reached when the writers stopped: {rest:.2f} s")
    print(
        f"chain verifies: {'yes' if fault is None else 'no'} "
        f"({checked:,} entries, {unchained} unchained{f'; {fault}' if fault else ''})"
    )


if __name__ == "__main__":
    main()
