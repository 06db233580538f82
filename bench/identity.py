"""Benchmark the identity module, each figure beside a reference measured in the same run.

Validators (inputs: the shared test vectors, valid and invalid alike, repeated to about --calls calls):
- normalise_mobile vs phonenumbers.parse + is_valid_number;
- validate_id_number vs stdnum.cn.ric.validate;
- validate_uscc vs stdnum.cn.uscc.validate.

Phone verifications started and confirmed (local providers, limits raised so that none refuses):
- through the service layer, one unit_of_work each for start and confirm, vs a bare transaction inserting one row;
- over HTTP (TestClient on the real app, app API key), vs GET /healthz through the same client.

    .venv/bin/python -m bench.identity
    .venv/bin/python -m bench.identity --calls 300000 --flows 2000
    .venv/bin/python -m bench.identity --database-url postgresql+psycopg://postgres@127.0.0.1/bench   # resets it
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import tempfile
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import phonenumbers
from fastapi.testclient import TestClient
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, text
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError

from appcomply import accounts, apps
from appcomply.bootstrap import Services, build_services, create_app
from appcomply.db.migrate import upgrade
from appcomply.db.session import unit_of_work
from appcomply.identity import rules
from appcomply.identity import service as identity
from appcomply.identity.providers import RecordingSmsSender
from appcomply.identity.schemas import PhoneStart
from appcomply.kernel.actor import Actor, ActorKind, system_actor
from appcomply.kernel.errors import DomainError
from appcomply.settings import DatabaseSettings, IdentitySettings, Settings

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
TODAY = dt.date(2026, 11, 29)


def _column(name: str, column: str) -> list[str]:
    with (DATA / "cn-id-test-vectors" / name).open(encoding="utf-8", newline="") as f:
        return [row[column] for row in csv.DictReader(f)]


def phone_inputs() -> list[str]:
    territory = ET.parse(DATA / "cn-phone-prefixes" / "PhoneNumberMetadata_CN.xml").getroot()  # noqa: S314
    examples = [el.text or "" for el in territory.iter("exampleNumber")]
    # The shapes users type, around the metadata's own examples.
    return [*examples, "13800138000", "+86 138 0013 8000", "0086-138-0013-8000", "8613912345678", "+852 9123 4567"]


def _rate(fn: Callable[[str], object], inputs: list[str], calls: int) -> float:
    batch = inputs * max(1, calls // len(inputs))
    started = time.perf_counter()
    for value in batch:
        try:  # noqa: SIM105 - suppress() would add its own cost to every timed call
            fn(value)
        except (DomainError, ValidationError, phonenumbers.NumberParseException):
            pass
    return len(batch) / (time.perf_counter() - started)


def _bare_phone(raw: str) -> bool:
    return phonenumbers.is_valid_number(phonenumbers.parse(raw, "CN"))


def _ours_id(raw: str) -> object:
    return rules.validate_id_number(raw, today=TODAY)


def bench_validators(calls: int) -> None:
    ids = _column("stdnum_cn_ric_vectors.csv", "number") + _column("id_validator_is_valid_vectors.csv", "number")
    cases = [
        ("normalise_mobile", rules.normalise_mobile, "phonenumbers.parse+is_valid_number", _bare_phone, phone_inputs()),
        ("validate_id_number", _ours_id, "stdnum.cn.ric.validate", ric.validate, ids),
        ("validate_uscc", rules.validate_uscc, "stdnum.cn.uscc.validate", uscc.validate,
         _column("stdnum_cn_uscc_vectors.csv", "number")),
    ]  # fmt: skip
    for name, ours, ref_name, reference, inputs in cases:
        for fn in (ours, reference):  # warm caches (metadata, regexes, numdb) outside the timing
            _rate(fn, inputs, len(inputs))
        ours_rate = _rate(ours, inputs, calls)
        ref_rate = _rate(reference, inputs, calls)
        verdict = "ok" if ours_rate >= ref_rate else "SLOWER than the bare library"
        print(
            f"{name:<19} {ours_rate:>10,.0f} calls/s   {ref_name:<35} {ref_rate:>10,.0f} calls/s   "
            f"ratio {ours_rate / ref_rate:5.2f}x  {verdict}   ({len(inputs)} vectors)"
        )


# --- verification flows ---------------------------------------------------------------------------------------

_reference = Table("bench_reference", MetaData(), Column("id", Integer, primary_key=True), Column("name", String(100)))


def _flow_services(url: str | None, tmp: Path) -> Services:
    settings = Settings(
        database=DatabaseSettings(url=url or f"sqlite:///{tmp / 'bench.db'}"),
        identity=IdentitySettings(
            phone_max_accounts=100, sms_per_number_per_hour=1_000_000, sms_min_interval_seconds=0,
            sms_per_ip_per_hour=1_000_000,
        ),
    )  # fmt: skip
    services = build_services(settings)
    if services.engine.dialect.name == "postgresql":
        with services.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    upgrade(services.engine)
    return services


def _phone(n: int) -> str:
    return f"+86138{n:08d}"  # 138 is a mobile segment; 8 free digits give distinct numbers


def _last_code(services: Services) -> str:
    sms = services.identity.providers.sms
    if not isinstance(sms, RecordingSmsSender):
        raise SystemExit("the flow benchmark needs the local SMS provider")
    return sms.sent[-1].params["code"]


def _setup(services: Services, users: int) -> tuple[Actor, list[uuid.UUID], str]:
    """An app, its API key and `users` registered users (outside the timing)."""
    factory, clock = services.session_factory, services.clock
    with unit_of_work(factory, clock=clock, actor=system_actor("bench"), request_id="setup") as ctx:
        app = apps.create_app(
            ctx, apps.AppCreate(slug=f"bench-{uuid.uuid4().hex[:8]}", name="基准", entity_name="基准测试公司",
                                entity_uscc="91110108MA01DFM005"),
        )  # fmt: skip
        _, key = apps.create_api_key(ctx, app.id, name="bench")
        actor = Actor(kind=ActorKind.APP, label="app:bench", app_id=app.id)
    with unit_of_work(factory, clock=clock, actor=actor, request_id="setup-users") as ctx:
        ids = [
            accounts.register_user(ctx, accounts.UserCreate(external_ref=f"u{i}", nickname=f"用户{i}")).id
            for i in range(users)
        ]
    return actor, ids, key


def _service_flows(services: Services, actor: Actor, user_ids: list[uuid.UUID], offset: int) -> float:
    factory, clock, env = services.session_factory, services.clock, services.identity
    started = time.perf_counter()
    for i, user_id in enumerate(user_ids):
        with unit_of_work(factory, clock=clock, actor=actor, request_id=f"s{i}") as ctx:
            body = PhoneStart(method="phone", phone=_phone(offset + i))
            row = identity.start_verification(ctx, user_id, body, env=env, client_ip="203.0.113.7").verification
            verification_id = row.id
        with unit_of_work(factory, clock=clock, actor=actor, request_id=f"c{i}") as ctx:
            done = identity.confirm_verification(ctx, verification_id, _last_code(services), env=env)
            if done.status != "verified":
                raise SystemExit(f"flow {i} ended {done.status}")
    return len(user_ids) / (time.perf_counter() - started)


def _bare_transactions(services: Services, count: int) -> float:
    _reference.create(services.engine, checkfirst=True)
    factory = services.session_factory
    started = time.perf_counter()
    for i in range(count):
        with factory() as session, session.begin():
            session.execute(insert(_reference).values(id=i, name=f"row {i}"))
    rate = count / (time.perf_counter() - started)
    _reference.drop(services.engine)
    return rate


def _http_flows(client: TestClient, services: Services, key: str, user_ids: list[uuid.UUID], offset: int) -> float:
    auth = {"Authorization": f"Bearer {key}"}
    started = time.perf_counter()
    for i, user_id in enumerate(user_ids):
        body = {"method": "phone", "phone": _phone(offset + i)}
        response = client.post(f"/v1/users/{user_id}/verifications", json=body, headers=auth)
        if response.status_code != 201:
            raise SystemExit(f"start {i}: {response.status_code} {response.text}")
        verification_id = response.json()["id"]
        code = {"code": _last_code(services)}
        confirmed = client.post(f"/v1/verifications/{verification_id}/confirm", json=code, headers=auth)
        if confirmed.json().get("status") != "verified":
            raise SystemExit(f"confirm {i}: {confirmed.status_code} {confirmed.text}")
    return len(user_ids) / (time.perf_counter() - started)


def _healthz(client: TestClient, count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        client.get("/healthz")
    return count / (time.perf_counter() - started)


def bench_flows(flows: int, url: str | None) -> None:
    """Started + confirmed phone verifications per second, by the service layer and over HTTP."""
    with tempfile.TemporaryDirectory() as tmp:
        services = _flow_services(url, Path(tmp))
        print(f"flows on {services.engine.dialect.name}: {flows:,} phone verifications each (start + confirm)")
        actor, ids, key = _setup(services, 2 * flows + 20)
        _service_flows(services, actor, ids[:10], offset=0)  # warm up: imports, statement caches, the pool
        service_rate = _service_flows(services, actor, ids[20 : 20 + flows], offset=20)
        bare = _bare_transactions(services, 2 * flows)
        print(
            f"service layer  {service_rate:8,.0f} verifications/s   bare 1-row transaction {bare:8,.0f} txn/s   "
            f"ratio {service_rate / bare:5.3f} (a verification is 2 transactions: ideal 0.5)"
        )
        with TestClient(create_app(services=services)) as client:
            _http_flows(client, services, key, ids[10:20], offset=10)
            _healthz(client, 50)
            http_rate = _http_flows(client, services, key, ids[20 + flows :], offset=20 + flows)
            health = _healthz(client, 2 * flows)
        print(
            f"HTTP           {http_rate:8,.0f} verifications/s   GET /healthz            {health:8,.0f} req/s   "
            f"ratio {http_rate / health:5.3f} (a verification is 2 requests: ideal 0.5)"
        )
        services.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=100_000, help="validator calls per figure")
    parser.add_argument("--flows", type=int, default=1000, help="verifications per flow figure (0: skip)")
    parser.add_argument("--database-url", help="flows on this database (schema reset!); default a temp SQLite file")
    args = parser.parse_args()
    bench_validators(args.calls)
    if args.flows:
        bench_flows(args.flows, args.database_url)


if __name__ == "__main__":
    main()
