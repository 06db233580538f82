"""Benchmark the vulnerability endpoints an outsider or an app calls, over HTTP, each beside GET /healthz served and
loaded the same way (`appcomply serve --workers 2`, wrk at 16 and 64 connections):

- public intake `POST /v1/vulnerability-reports` (a new report each request: receipt log, sealed contact, clock,
  audit), from 50 000 addresses in turn as a reverse proxy forwards them, under the default per-address limit (10
  an hour, which no address reaches in a run) — goal >= 0.3 of /healthz;
- the per-start version check `GET /v1/app-versions/status` on a platform whose policy forces an upgrade
  (required, recommended and ok answers mixed) — goal >= 0.5 of /healthz;
- first, without HTTP: a user notice campaign (inbox) to 100 000 users run to completion, a transaction per chunk,
  beside a bare bulk insert of the same notice rows in the same chunks on the same database — goal >= 0.3.

    .venv/bin/python -m bench.vulnerabilities
    .venv/bin/python -m bench.vulnerabilities --database-url postgresql+psycopg://postgres@127.0.0.1/bench  # resets it
    .venv/bin/python -m bench.vulnerabilities --campaign-only [--campaign-users 10000]
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import tempfile
import time
import uuid
from pathlib import Path
from typing import cast
from urllib.parse import urlencode

from sqlalchemy import Table, delete, insert, select

from appcomply import accounts, apps, notices
from appcomply.bootstrap import Services
from appcomply.db.session import unit_of_work
from appcomply.kernel.actor import system_actor
from appcomply.kernel.ids import new_id
from appcomply.notices.service import FAN_OUT_BATCH
from appcomply.vulnerabilities import service
from appcomply.vulnerabilities.rules import Channel, State
from appcomply.vulnerabilities.schemas import (
    AffectedVersion,
    AppVersionCreate,
    CampaignCreate,
    ReportCreate,
    TriageUpdate,
    UpgradeSet,
)
from bench._db import fresh_services
from bench._http import Load, load, serve, server_arguments

VERSIONS = ("5.0.0", "5.1.0", "5.2.3", "5.2.4", "5.3.0", "6.0.0")


def setup_versions(services: Services) -> tuple[str, str]:
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
            vid = done.vulnerability_id
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


# --- user notice campaigns ---------------------------------------------------------------------------------------

USERS_TABLE = cast(Table, accounts.EndUser.__table__)
NOTICES_TABLE = cast(Table, notices.Notice.__table__)
SEED_BATCH = 5_000


def _campaign_setup(services: Services, users: int) -> tuple[uuid.UUID, uuid.UUID]:
    """An app with `users` users (Core inserts, outside the timing) and a fixed vulnerability."""
    factory, clock = services.session_factory, services.clock
    with unit_of_work(factory, clock=clock, actor=system_actor("bench"), request_id="setup-campaign") as ctx:
        app = apps.create_app(ctx, apps.AppCreate(
            slug=f"bench-{uuid.uuid4().hex[:8]}", name="基准通知", entity_name="基准测试公司",
            entity_uscc="91110108MA01DFM005", app_types=[4],
        ))  # fmt: skip
        report = ReportCreate(app=app.slug, title="支付桥接越权", description="支付桥接接口未校验调用方。")
        vid = service.submit_report(ctx, services.vulnerabilities, report=report, channel=Channel.STAFF,
                                    source_ip=None).vulnerability_id  # fmt: skip
        for state in (State.TRIAGED, State.CONFIRMED, State.FIXED):
            service.transition(ctx, vid, to=state)
    now = clock.now()
    with services.engine.begin() as conn:
        for start in range(0, users, SEED_BATCH):
            rows = [
                {"id": new_id(), "app_id": app.id, "external_ref": f"u{n}", "nickname": f"用户{n}", "avatar_url": None,
                 "status": "active", "verified_org_name": None, "created_at": now, "updated_at": now}
                for n in range(start, min(users, start + SEED_BATCH))
            ]  # fmt: skip
            conn.execute(insert(USERS_TABLE), rows)
    return app.id, vid


def _bare_insert(services: Services, app_id: uuid.UUID, *, chunk: int) -> tuple[int, float]:
    """The same inbox rows the campaign writes, by multi-row INSERTs of FAN_OUT_BATCH, a transaction per `chunk`
    users as the campaign commits them; nothing else (no user query, cursor, audit or lease). Deleted after."""
    now = services.clock.now()
    with services.engine.connect() as conn:
        user_ids = list(conn.scalars(select(USERS_TABLE.c.id).where(USERS_TABLE.c.app_id == app_id)))
    common = {"app_id": app_id, "channel": "inbox", "status": "queued", "subject": "安全更新 / Security update",
              "body": "漏洞已修复，请升级。\n\nFixed: please upgrade.", "recipient_sealed": None,
              "recipient_masked": None, "reason_kind": "bench", "reason_id": "bare", "attempts": 0, "not_before": now,
              "last_error": None, "provider": None, "provider_ref": None, "worker": None, "created_at": now,
              "updated_at": now, "sent_at": None, "read_at": None}  # fmt: skip
    started = time.perf_counter()
    for start in range(0, len(user_ids), chunk):
        with services.engine.begin() as conn:
            page = user_ids[start : start + chunk]
            for at in range(0, len(page), FAN_OUT_BATCH):
                rows = [{**common, "id": new_id(), "user_id": u} for u in page[at : at + FAN_OUT_BATCH]]
                conn.execute(insert(NOTICES_TABLE).values(rows))
    seconds = time.perf_counter() - started
    with services.engine.begin() as conn:
        conn.execute(delete(NOTICES_TABLE).where(NOTICES_TABLE.c.reason_kind == "bench"))
    return len(user_ids), seconds


def _campaign_run(services: Services, vulnerability_id: uuid.UUID, *, chunk: int) -> tuple[int, float]:
    """Start an inbox campaign to every user and run it to the end, a transaction per chunk, as the server does."""
    factory, clock, env = services.session_factory, services.clock, services.vulnerabilities
    body = CampaignCreate(channels=["inbox"], subject_zh="安全更新", subject_en="Security update",
                          body_zh="漏洞已修复，请升级到最新版本。", body_en="Fixed: please upgrade.")  # fmt: skip
    started = time.perf_counter()
    with unit_of_work(factory, clock=clock, actor=system_actor("bench"), request_id="campaign") as ctx:
        campaign_id = service.start_campaign(ctx, vulnerability_id, body).id
    while True:
        with unit_of_work(factory, clock=clock, actor=system_actor("bench"), request_id=new_id().hex) as ctx:
            if service.run_campaign_step(ctx, env, chunk=chunk, worker="bench", campaign_id=campaign_id) is None:
                break
    seconds = time.perf_counter() - started
    with unit_of_work(factory, clock=clock, actor=system_actor("bench"), request_id="check") as ctx:
        done = service.get_campaign(ctx, campaign_id)
    assert done.campaign.state == "done", done.campaign.state
    return done.delivery["inbox"].total, seconds


def bench_campaign(services: Services, *, users: int, chunk: int) -> None:
    app_id, vid = _campaign_setup(services, users)
    print(f"notify {users:,} users (inbox) on {services.engine.dialect.name}, chunks of {chunk}")
    bare_rows, bare_s = _bare_insert(services, app_id, chunk=chunk)
    ours_rows, ours_s = _campaign_run(services, vid, chunk=chunk)
    assert ours_rows == bare_rows == users, (ours_rows, bare_rows)
    print(f"{'bare bulk insert of the same rows':<34} {bare_s:8.2f} s {bare_rows / bare_s:10,.0f} rows/s")
    print(f"{'campaign run to completion':<34} {ours_s:8.2f} s {ours_rows / ours_s:10,.0f} users/s")
    print(f"{'ratio (goal >= 0.3)':<34} {bare_s / ours_s:8.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    server_arguments(parser, seconds=10)
    parser.add_argument("--connections", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--campaign-users", type=int, default=100_000, help="users the notice campaign notifies")
    parser.add_argument("--chunk", type=int, default=service.DEFAULT_CHUNK, help="campaign users per transaction")
    parser.add_argument("--campaign-only", action="store_true", help="only the campaign figure (no HTTP load)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        services = fresh_services(url)
        bench_campaign(services, users=args.campaign_users, chunk=args.chunk)
        if args.campaign_only:
            services.engine.dispose()
            return
        slug, key = setup_versions(services)
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
        sources = [str(ipaddress.IPv4Address("198.18.0.0") + n) for n in range(50_000)]  # RFC 2544's bench network
        with serve(url, workers=args.workers) as base:
            load(base, "GET", "/", checks, headers=auth, seconds=2)  # warm up every worker
            for connections in args.connections:
                print(f"-- {connections} connections")
                health = load(base, "GET", "/", ["/healthz"], seconds=args.seconds, connections=connections)
                status = load(base, "GET", "/", checks, headers=auth, seconds=args.seconds, connections=connections)
                _ratio("GET /v1/app-versions/status", status, health)
                intake = load(base, "POST", "/v1/vulnerability-reports", reports, seconds=args.seconds,
                              connections=connections, sources=sources)  # fmt: skip
                _ratio("POST /v1/vulnerability-reports", intake, health)


if __name__ == "__main__":
    main()
