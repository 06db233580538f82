"""POST /v1/screenings over real HTTP: `appcomply serve --workers 2` on loopback loaded by wrk with COLD comments,
beside GET /healthz loaded the same way. Target (DESIGN.md): >= 2,000 requests/s at p99 < 25 ms on this 2-core
machine.

    .venv/bin/python -m bench.screening_http                       # temp SQLite file
    .venv/bin/python -m bench.screening_http --database-url postgresql+psycopg://postgres@127.0.0.1/bench  # resets it
"""

from __future__ import annotations

import argparse
import csv
import json
import tempfile
import uuid
from pathlib import Path

from sqlalchemy import text

from appcomply import apps
from appcomply.bootstrap import build_services
from appcomply.db.migrate import upgrade
from appcomply.db.session import unit_of_work
from appcomply.kernel.actor import system_actor
from appcomply.settings import DatabaseSettings, Settings
from bench._http import load, serve, server_arguments

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "data" / "corpus" / "thu-coai-COLDataset" / "test.csv"


def _comments(limit: int) -> list[str]:
    with CORPUS.open(encoding="utf-8-sig") as handle:
        rows = [row["TEXT"] for row in csv.DictReader(handle)]
    return rows[:limit]


def _setup(url: str) -> str:
    services = build_services(Settings(database=DatabaseSettings(url=url)))
    if services.engine.dialect.name == "postgresql":
        with services.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(services.engine)
    with unit_of_work(services.session_factory, clock=services.clock, actor=system_actor("bench"),
                      request_id="setup") as ctx:  # fmt: skip
        app = apps.create_app(ctx, apps.AppCreate(
            slug=f"bench-{uuid.uuid4().hex[:8]}", name="基准", entity_name="基准测试公司",
            entity_uscc="91110108MA01DFM005",
        ))  # fmt: skip
        _, key = apps.create_api_key(ctx, app.id, name="bench")
    services.engine.dispose()
    return key


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    server_arguments(parser, seconds=15)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        key = _setup(url)
        bodies = [json.dumps({"text": t, "kind": "comment"}, ensure_ascii=False) for t in _comments(5_000)]
        print(f"screening over HTTP on {url.split(':')[0]}: {len(bodies):,} COLD comments, {args.workers} workers")
        with serve(url, workers=args.workers) as base:
            auth = {"Authorization": f"Bearer {key}"}
            load(base, "POST", "/v1/screenings", bodies[:100], headers=auth, seconds=3)  # compile in every worker
            ours = load(base, "POST", "/v1/screenings", bodies, headers=auth, seconds=args.seconds,
                        connections=args.connections)  # fmt: skip
            health = load(base, "GET", "/healthz", ["/healthz"], seconds=args.seconds, connections=args.connections)
        print(ours.line("POST /v1/screenings"))
        print(health.line("GET /healthz"))
        print(f"ratio {ours.requests_per_second / health.requests_per_second:.3f}")


if __name__ == "__main__":
    main()
