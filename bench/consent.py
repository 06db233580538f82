"""Benchmark consent checks, in-process and over HTTP, on a realistic ledger (default 100k users, 1M events).

In-process: `consent.check` in its own read transaction, beside a bare primary-key read transaction. Over HTTP:
`POST /v1/consent-checks` served by `appcomply serve --workers 2` and loaded by wrk, beside GET /healthz loaded the
same way. Target (DESIGN.md): >= 1,500 checks/s over HTTP at p99 < 25 ms on PostgreSQL on this 2-core machine.

    .venv/bin/python -m bench.consent --database-url postgresql+psycopg://postgres@127.0.0.1/bench   # resets it
    .venv/bin/python -m bench.consent --users 10000 --events 100000                                  # quicker
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import insert, select, text

from appcomply import agreements, apps
from appcomply.accounts.models import EndUser
from appcomply.bootstrap import Services, build_services
from appcomply.consent import rules, service
from appcomply.consent.models import ConsentEvent, ConsentState
from appcomply.consent.schemas import ActivityCreate
from appcomply.db.migrate import upgrade
from appcomply.db.session import unit_of_work
from appcomply.kernel.actor import Actor, ActorKind, system_actor
from appcomply.kernel.ids import new_id
from appcomply.settings import DatabaseSettings, Settings
from bench._http import load, serve, server_arguments

ACTIVITIES = ("personalised_ads", "contacts_match", "nearby_people", "album_upload")
BATCH = 20_000


def _services(url: str) -> Services:
    services = build_services(Settings(database=DatabaseSettings(url=url)))
    if services.engine.dialect.name == "postgresql":
        with services.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(services.engine)
    return services


def setup_app(services: Services) -> tuple[uuid.UUID, str, uuid.UUID]:
    """A forum app with a privacy policy in force, a basic activity and four consent activities; its API key."""
    factory, clock = services.session_factory, services.clock
    with unit_of_work(factory, clock=clock, actor=system_actor("bench"), request_id="setup") as ctx:
        app = apps.create_app(ctx, apps.AppCreate(
            slug=f"bench-{uuid.uuid4().hex[:8]}", name="基准", entity_name="基准测试公司",
            entity_uscc="91110108MA01DFM005", app_types=[4],
        ))  # fmt: skip
        _, key = apps.create_api_key(ctx, app.id, name="bench")
        draft = agreements.create_draft(
            ctx, app.id, kind=agreements.DocumentKind.PRIVACY_POLICY, slug="", language=agreements.Language.ZH_CN,
            data=agreements.DraftForm(body="1. 基准测试隐私政策\n", effective_at=clock.now()),
        )  # fmt: skip
        policy = agreements.schedule_version(ctx, draft.id)
        service.create_activity(ctx, app.id, ActivityCreate(
            key="posting", feature="发帖", purpose="发布信息", pi_items=["mobile_number"],
            basis=rules.LegalBasis.CONTRACT, basic_type=4, retention="注销后删除",
        ))  # fmt: skip
        for activity in ACTIVITIES:
            service.create_activity(ctx, app.id, ActivityCreate(
                key=activity, feature=activity, purpose="基准", pi_items=["device_id"],
                basis=rules.LegalBasis.CONSENT, choice=activity, retention="撤回后删除",
            ))  # fmt: skip
    return app.id, key, policy.id


def fill(services: Services, app_id: uuid.UUID, policy_id: uuid.UUID, users: int, events: int) -> list[uuid.UUID]:
    """`users` users and `events` ledger entries spread over them, with each user's current states, in bulk."""
    now = services.clock.now()
    user_ids = [new_id() for _ in range(users)]
    per_user = max(events // users, 1)
    started = time.perf_counter()
    with services.engine.begin() as conn:
        for start in range(0, users, BATCH):
            conn.execute(insert(EndUser), [
                {"id": uid, "app_id": app_id, "external_ref": f"u{start + n}", "nickname": f"用户{start + n}",
                 "status": "active", "created_at": now, "updated_at": now}
                for n, uid in enumerate(user_ids[start : start + BATCH])
            ])  # fmt: skip
    written = 0
    rng = random.Random(7)
    for start in range(0, users, BATCH // per_user):
        ledger, states = [], []
        for uid in user_ids[start : start + BATCH // per_user]:
            last: dict[str, tuple[str, uuid.UUID]] = {}
            for n in range(per_user):
                subject = ACTIVITIES[n % len(ACTIVITIES)]
                action = rng.choice(("granted", "refused", "withdrawn"))
                event_id = new_id()
                ledger.append({
                    "id": event_id, "app_id": app_id, "user_id": uid, "subject": subject, "activity_key": subject,
                    "separate": None, "action": action, "policy_version_id": policy_id, "policy_version_number": 1,
                    "channel": "app", "client_time": now, "guardian_user_id": None,
                    "recorded_at": now - dt.timedelta(seconds=per_user - n),
                })  # fmt: skip
                last[subject] = (action, event_id)
            states += [{"user_id": uid, "subject": s, "app_id": app_id, "action": a, "event_id": e, "updated_at": now}
                       for s, (a, e) in last.items()]  # fmt: skip
        with services.engine.begin() as conn:
            conn.execute(insert(ConsentEvent), ledger)
            conn.execute(insert(ConsentState), states)
        written += len(ledger)
        print(
            f"  ledger {written:>9,} / {users * per_user:,} events  ({time.perf_counter() - started:5.1f} s)", end="\r"
        )
    print()
    return user_ids


def _quantiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100)
    return cuts[49], cuts[98]


def _in_process(services: Services, app_id: uuid.UUID, user_ids: list[uuid.UUID], count: int) -> None:
    actor = Actor(kind=ActorKind.APP, label="app:bench", app_id=app_id)
    rng = random.Random(11)
    picks = [(rng.choice(user_ids), rng.choice((*ACTIVITIES, "posting"))) for _ in range(count)]
    factory, clock = services.session_factory, services.clock

    def checks(picks: list[tuple[uuid.UUID, str]]) -> list[float]:
        samples = []
        for user_id, activity in picks:
            started = time.perf_counter()
            with unit_of_work(factory, clock=clock, actor=actor, request_id="bench") as ctx:
                service.check(ctx, user_id, activity)
            samples.append((time.perf_counter() - started) * 1000)
        return samples

    def bare(picks: list[tuple[uuid.UUID, str]]) -> list[float]:
        samples = []
        for user_id, _ in picks:
            started = time.perf_counter()
            with unit_of_work(factory, clock=clock, actor=actor, request_id="bench") as ctx:
                ctx.session.scalar(select(EndUser.status).where(EndUser.id == user_id))
            samples.append((time.perf_counter() - started) * 1000)
        return samples

    checks(picks[:200])  # warm up: statement caches, the pool
    ours, reference = checks(picks), bare(picks)
    rate, ref_rate = len(ours) / (sum(ours) / 1000), len(reference) / (sum(reference) / 1000)
    p50, p99 = _quantiles(ours)
    r50, r99 = _quantiles(reference)
    print(f"in-process check       {rate:8,.0f} checks/s   p50 {p50:6.2f} ms   p99 {p99:6.2f} ms")
    print(f"bare PK read txn       {ref_rate:8,.0f} txn/s      p50 {r50:6.2f} ms   p99 {r99:6.2f} ms")
    print(f"ratio                  {rate / ref_rate:8.3f}")


def _over_http(url: str, key: str, user_ids: list[uuid.UUID], seconds: float, workers: int) -> None:
    rng = random.Random(13)
    bodies = [json.dumps({"user_id": str(rng.choice(user_ids)), "activity": rng.choice((*ACTIVITIES, "posting"))})
              for _ in range(5_000)]  # fmt: skip
    with serve(url, workers=workers) as base:
        auth = {"Authorization": f"Bearer {key}"}
        load(base, "POST", "/v1/consent-checks", bodies[:200], headers=auth, seconds=2)  # warm up every worker
        ours = load(base, "POST", "/v1/consent-checks", bodies, headers=auth, seconds=seconds)
        health = load(base, "GET", "/healthz", ["/healthz"], seconds=seconds)
    print(ours.line(f"POST /v1/consent-checks ({workers} workers)"))
    print(health.line(f"GET /healthz ({workers} workers)"))
    print(f"ratio                  {ours.requests_per_second / health.requests_per_second:8.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    server_arguments(parser, seconds=15)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--checks", type=int, default=5_000, help="in-process checks timed")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        services = _services(url)
        print(f"consent on {services.engine.dialect.name}: {args.users:,} users, {args.events:,} ledger events")
        app_id, key, policy_id = setup_app(services)
        user_ids = fill(services, app_id, policy_id, args.users, args.events)
        _in_process(services, app_id, user_ids, args.checks)
        services.engine.dispose()
        _over_http(url, key, user_ids, args.seconds, args.workers)


if __name__ == "__main__":
    main()
