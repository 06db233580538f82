"""Benchmark the agreements module over HTTP, each figure beside GET /healthz through the same client.

- acceptances recorded per second (POST /v1/users/{id}/acceptances, app API key), each user accepting the two
  required documents;
- the pending check (GET /v1/users/{id}/acceptances/pending) and the permissions check that includes it
  (GET /v1/users/{id}/permissions): p50 and p99 latency, beside /healthz's.

    .venv/bin/python -m bench.agreements
    .venv/bin/python -m bench.agreements --users 2000
    .venv/bin/python -m bench.agreements --database-url postgresql+psycopg://postgres@127.0.0.1/bench   # resets it
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import text

from appcomply import accounts, agreements, apps
from appcomply.bootstrap import Services, build_services, create_app
from appcomply.db.migrate import upgrade
from appcomply.db.session import unit_of_work
from appcomply.kernel.actor import Actor, ActorKind, system_actor
from appcomply.settings import DatabaseSettings, Settings

BODY = "# 用户服务协议（基准测试）\n\n" + "\n".join(f"第{n}条 条款内容，用于基准测试。" for n in range(1, 40))


def _services(url: str | None, tmp: Path) -> Services:
    services = build_services(Settings(database=DatabaseSettings(url=url or f"sqlite:///{tmp / 'bench.db'}")))
    if services.engine.dialect.name == "postgresql":
        with services.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(services.engine)
    return services


def _setup(services: Services, users: int) -> tuple[str, list[uuid.UUID], list[uuid.UUID]]:
    """An app with the two required documents in force, its key, and `users` users (outside the timing)."""
    factory, clock = services.session_factory, services.clock
    with unit_of_work(factory, clock=clock, actor=system_actor("bench"), request_id="setup") as ctx:
        app = apps.create_app(
            ctx, apps.AppCreate(slug=f"bench-{uuid.uuid4().hex[:8]}", name="基准", entity_name="基准测试公司",
                                entity_uscc="91110108MA01DFM005"),
        )  # fmt: skip
        _, key = apps.create_api_key(ctx, app.id, name="bench")
        versions = []
        for kind in (agreements.DocumentKind.USER_AGREEMENT, agreements.DocumentKind.PRIVACY_POLICY):
            data = agreements.DraftForm(body=BODY, effective_at=clock.now())
            draft = agreements.create_draft(
                ctx, app.id, kind=kind, slug="", language=agreements.Language.ZH_CN, data=data
            )
            versions.append(agreements.schedule_version(ctx, draft.id).id)
    actor = Actor(kind=ActorKind.APP, label="app:bench", app_id=app.id)
    with unit_of_work(factory, clock=clock, actor=actor, request_id="setup-users") as ctx:
        ids = [
            accounts.register_user(ctx, accounts.UserCreate(external_ref=f"u{i}", nickname=f"用户{i}")).id
            for i in range(users)
        ]
    return key, versions, ids


def _accept(client: TestClient, auth: dict[str, str], versions: list[uuid.UUID], user_ids: list[uuid.UUID]) -> float:
    started = time.perf_counter()
    for i, user_id in enumerate(user_ids):
        for version_id in versions:
            body = {
                "version_id": str(version_id), "accepted": True, "channel": "app",
                "client_time": "2026-11-29T17:00:00+08:00", "ip": f"203.0.{i % 256}.7", "user_agent": "Bench/1.0",
            }  # fmt: skip
            response = client.post(f"/v1/users/{user_id}/acceptances", json=body, headers=auth)
            if response.status_code != 201:
                raise SystemExit(f"accept {i}: {response.status_code} {response.text}")
    return len(user_ids) * len(versions) / (time.perf_counter() - started)


def _latencies(call: Callable[[int], Response], count: int) -> tuple[float, float]:
    """p50 and p99 in milliseconds."""
    samples = []
    for i in range(count):
        started = time.perf_counter()
        response = call(i)
        samples.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{response.status_code} {response.text}")
    cuts = statistics.quantiles(samples, n=100)
    return cuts[49], cuts[98]


def _healthz_rate(client: TestClient, count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        client.get("/healthz")
    return count / (time.perf_counter() - started)


def bench(users: int, url: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        services = _services(url, Path(tmp))
        key, versions, ids = _setup(services, 2 * users + 20)
        auth = {"Authorization": f"Bearer {key}"}
        print(f"agreements on {services.engine.dialect.name}: {users:,} users, 2 required documents each")
        with TestClient(create_app(services=services)) as client:
            _accept(client, auth, versions, ids[:10])  # warm up: imports, statement caches, the pool
            _healthz_rate(client, 50)
            rate = _accept(client, auth, versions, ids[20 : 20 + users])
            health = _healthz_rate(client, 2 * users)
            print(
                f"acceptances    {rate:8,.0f} recorded/s   GET /healthz {health:8,.0f} req/s   "
                f"ratio {rate / health:5.3f}"
            )
            accepted, pending = ids[20 : 20 + users], ids[20 + users :]
            checks = {
                "pending (all accepted)": lambda i: client.get(
                    f"/v1/users/{accepted[i]}/acceptances/pending", headers=auth
                ),
                "pending (2 to accept)": lambda i: client.get(
                    f"/v1/users/{pending[i]}/acceptances/pending", headers=auth
                ),
                "permissions (gated)": lambda i: client.get(f"/v1/users/{pending[i]}/permissions", headers=auth),
                "GET /healthz": lambda _: client.get("/healthz"),
            }
            for name, call in checks.items():
                p50, p99 = _latencies(call, len(pending))
                print(f"{name:<24} p50 {p50:6.2f} ms   p99 {p99:6.2f} ms")
        services.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=500, help="users accepting (and as many checked)")
    parser.add_argument("--database-url", help="run on this database (schema reset!); default a temp SQLite file")
    args = parser.parse_args()
    bench(args.users, args.database_url)


if __name__ == "__main__":
    main()
