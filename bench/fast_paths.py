"""The per-request checks an app backend makes on its own request path, over real HTTP, each beside GET /healthz
served and loaded the same way (`appcomply serve --workers 2`, wrk at 16 and 64 connections), and /healthz itself
beside a bare Starlette app served by the same multi-process server (issue 12's goals):

- `POST /v1/screenings`, a clean sentence (kind comment) — goal >= 0.6 of /healthz, p99 < 25 ms, 0 errors;
- `POST /v1/screenings`, COLD comments as they come (hits included) — reported beside it;
- `POST /v1/consent-checks` and `GET /v1/users/{id}/permissions` — goal >= 0.5, p99 < 25 ms;
- `GET /v1/app-versions/status` — goal >= 0.5;
- `GET /healthz` — goal >= 0.8 of the bare Starlette app.

    .venv/bin/python -m bench.fast_paths                                   # temp SQLite file
    .venv/bin/python -m bench.fast_paths --database-url postgresql+psycopg://postgres@127.0.0.1/bench   # resets it
    .venv/bin/python -m bench.fast_paths --seconds 5 --connections 16    # quicker
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from appcomply.content.engine import compile_lexicon
from appcomply.content.service import content_env
from bench._db import fresh_services
from bench._http import Load, load, serve, serve_bare, server_arguments
from bench.consent import ACTIVITIES, fill, setup_app
from bench.vulnerabilities import VERSIONS, setup_versions

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "data" / "corpus" / "thu-coai-COLDataset" / "test.csv"


@dataclass(frozen=True, slots=True)
class Target:
    name: str
    method: str
    path: str
    payloads: list[str]
    key: str
    goal: float


def _comments(limit: int) -> tuple[list[str], list[str]]:
    """COLD comments as they come, and those that the packaged lexicon passes without a hit."""
    with CORPUS.open(encoding="utf-8-sig") as handle:
        rows = [row["TEXT"] for row in csv.DictReader(handle)][:limit]
    compiled = compile_lexicon(content_env().default)
    return rows, [t for t in rows if not compiled.screen(t, "comment").hits]


P99_GOAL_MS = 25.0  # for every per-request check, beside its ratio


def _figure(
    name: str, ours: Load, reference: Load, goal: float, *, p99_ms: float | None, ref_name: str = "GET /healthz"
) -> None:
    ratio = ours.requests_per_second / reference.requests_per_second
    met = ratio >= goal and ours.errors == 0 and (p99_ms is None or ours.p99_ms < p99_ms)
    print(ours.line(name))
    print(reference.line(ref_name))
    p99 = "" if p99_ms is None else f", p99 < {p99_ms:g} ms, 0 errors"
    print(f"{'ratio':<34} {ratio:8.3f}   goal >= {goal}{p99}   {'met' if met else 'NOT MET'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    server_arguments(parser, seconds=10)
    parser.add_argument("--connections", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--only", help="comma-separated names of the paths to load (screening, screening-mixed, "
                                       "consent-check, permissions, version-status)")  # fmt: skip
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        services = fresh_services(url)
        print(f"fast paths on {services.engine.dialect.name}, {args.workers} workers, {args.users:,} users")
        app_id, consent_key, policy_id = setup_app(services)
        user_ids = fill(services, app_id, policy_id, args.users, args.users * 4)
        _, versions_key = setup_versions(services)
        services.engine.dispose()
        mixed, clean = _comments(5_000)
        rng = random.Random(13)
        checks = [json.dumps({"user_id": str(rng.choice(user_ids)), "activity": rng.choice((*ACTIVITIES, "posting"))})
                  for _ in range(5_000)]  # fmt: skip
        paths = [
            Target("screening", "POST", "/v1/screenings",
                  [json.dumps({"text": t, "kind": "comment"}, ensure_ascii=False) for t in clean], consent_key, 0.6),
            Target("screening-mixed", "POST", "/v1/screenings",
                  [json.dumps({"text": t, "kind": "comment"}, ensure_ascii=False) for t in mixed], consent_key, 0.6),
            Target("consent-check", "POST", "/v1/consent-checks", checks, consent_key, 0.5),
            Target("permissions", "GET", "", [f"/v1/users/{rng.choice(user_ids)}/permissions" for _ in range(5_000)],
                  consent_key, 0.5),
            Target("version-status", "GET", "",
                  [f"/v1/app-versions/status?{urlencode({'platform': 'android', 'version': v})}" for v in VERSIONS],
                  versions_key, 0.5),
        ]  # fmt: skip
        if args.only:
            wanted = set(args.only.split(","))
            paths = [p for p in paths if p.name in wanted]
        with serve_bare(workers=args.workers) as bare_base:
            bare = {c: load(bare_base, "GET", "/healthz", ["/healthz"], seconds=args.seconds, connections=c)
                    for c in args.connections}  # fmt: skip
        with serve(url, workers=args.workers) as base:
            for p in paths:  # warm up every worker: compiled lexicon, statement caches, the key cache
                load(base, p.method, p.path, p.payloads[:200], headers={"Authorization": f"Bearer {p.key}"}, seconds=2)
            for c in args.connections:
                print(f"\n--- {c} connections ---")
                health = load(base, "GET", "/healthz", ["/healthz"], seconds=args.seconds, connections=c)
                _figure("GET /healthz", health, bare[c], 0.8, p99_ms=None, ref_name="bare Starlette GET /healthz")
                for p in paths:
                    ours = load(base, p.method, p.path, p.payloads, headers={"Authorization": f"Bearer {p.key}"},
                                seconds=args.seconds, connections=c)  # fmt: skip
                    _figure(f"{p.method} {p.name}", ours, health, p.goal, p99_ms=P99_GOAL_MS)


if __name__ == "__main__":
    main()
