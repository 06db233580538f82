"""Benchmark the vulnerability endpoints an outsider or an app calls, over HTTP, each beside GET /healthz served and
loaded the same way (`appcomply serve --workers 2`, wrk at 16 and 64 connections):

- public intake `POST /v1/vulnerability-reports` (a new report each request: receipt log, sealed contact, clock,
  audit; the per-address limit raised for the run) — goal >= 0.3 of /healthz;
- the per-start version check `GET /v1/app-versions/status` on a platform whose policy forces an upgrade
  (required, recommended and ok answers mixed) — goal >= 0.5 of /healthz.

    .venv/bin/python -m bench.vulnerabilities
    .venv/bin/python -m bench.vulnerabilities --database-url postgresql+psycopg://postgres@127.0.0.1/bench  # resets it
"""

from __future__ import annotations

import argparse
import json
import tempfile
import uuid
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import text

from appcomply import apps
from appcomply.bootstrap import Services, build_services
from appcomply.db.migrate import upgrade
from appcomply.db.session import unit_of_work
from appcomply.kernel.actor import system_actor
from appcomply.settings import DatabaseSettings, Settings
from appcomply.vulnerabilities import service
from appcomply.vulnerabilities.rules import Channel, State
from appcomply.vulnerabilities.schemas import AffectedVersion, AppVersionCreate, ReportCreate, TriageUpdate, UpgradeSet
from bench._http import Load, load, serve

VERSIONS = ("5.0.0", "5.1.0", "5.2.3", "5.2.4", "5.3.0", "6.0.0")


def _services(url: str) -> Services:
    services = build_services(Settings(database=DatabaseSettings(url=url)))
    if services.engine.dialect.name == "postgresql":
        with services.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(services.engine)
    return services


def _setup(services: Services) -> tuple[str, str]:
    """An app with six Android releases, a fixed vulnerability forcing 5.2.4 and another recommending 5.3.0."""
    factory, clock = services.session_factory, services.clock
    with unit_of_work(factory, clock=clock, actor=system_actor("bench"), request_id="setup") as ctx:
        app = apps.create_app(ctx, apps.AppCreate(
            slug=f"bench-{uuid.uuid4().hex[:8]}", name="基准", entity_name="基准测试公司",
            entity_uscc="91110108MA01DFM005", app_types=[4],
        ))  # fmt: skip
        _, key = apps.create_api_key(ctx, app.id, name="bench")
        for version in VERSIONS:
            service.register_version(ctx, app.id, AppVersionCreate(platform="android", version=version))
        for title, below, required in (("支付桥接越权", "5.2.4", True), ("日志泄露设备号", "5.3.0", False)):
            report = ReportCreate(app=app.slug, title=title, description=f"{title}：基准测试用的漏洞描述。")
            done = service.submit_report(ctx, services.vulnerabilities, report=report, channel=Channel.STAFF,
                                         source_ip=None)  # fmt: skip
            vid = done.vulnerability.id
            service.update_triage(ctx, vid, TriageUpdate(
                affected_versions=[AffectedVersion(platform="android", range=f"<{below}")],
                fixed_version=below, fix_released_at=clock.now(),
            ))  # fmt: skip
            service.set_upgrade(ctx, vid, UpgradeSet(platform="android", fixed_in=below, required=required))
            for state in (State.TRIAGED, State.CONFIRMED, State.FIXED):
                service.transition(ctx, vid, to=state)
    return app.slug, key


def _ratio(name: str, ours: Load, health: Load) -> None:
    print(ours.line(name))
    print(health.line("GET /healthz"))
    print(f"{'ratio':<34} {ours.requests_per_second / health.requests_per_second:8.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="run on this database (schema reset!); default a temp SQLite file")
    parser.add_argument("--seconds", type=float, default=10, help="load duration per endpoint")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, nargs="+", default=[16, 64])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        services = _services(url)
        slug, key = _setup(services)
        services.engine.dispose()
        print(f"vulnerabilities on {services.engine.dialect.name}, {args.workers} workers")
        reports = [
            json.dumps({"app": slug, "title": f"基准漏洞 {n}", "description": "登录接口没有频率限制，可被穷举。",
                        "component": "login", "component_version": "5.2.1", "contact": f"r{n}@example.org"},
                       ensure_ascii=False)
            for n in range(5_000)
        ]  # fmt: skip
        checks = [f"/v1/app-versions/status?{urlencode({'platform': 'android', 'version': v})}" for v in VERSIONS]
        auth = {"Authorization": f"Bearer {key}"}
        env = {"APPCOMPLY_VULNERABILITIES__REPORTS_PER_SOURCE_PER_HOUR": "1000000"}
        with serve(url, workers=args.workers, env=env) as base:
            load(base, "GET", "/", checks, headers=auth, seconds=2)  # warm up every worker
            for connections in args.connections:
                print(f"-- {connections} connections")
                health = load(base, "GET", "/", ["/healthz"], seconds=args.seconds, connections=connections)
                status = load(base, "GET", "/", checks, headers=auth, seconds=args.seconds, connections=connections)
                _ratio("GET /v1/app-versions/status", status, health)
                intake = load(base, "POST", "/v1/vulnerability-reports", reports, seconds=args.seconds,
                              connections=connections)  # fmt: skip
                _ratio("POST /v1/vulnerability-reports", intake, health)


if __name__ == "__main__":
    main()
