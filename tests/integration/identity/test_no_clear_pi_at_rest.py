"""THE grep test: after a real run of every verification method, the raw bytes of the SQLite file, the logs and
the API's answers hold no clear phone number, ID number, name or credit code (Art 6, PIPL Art 51).

A file database on its own engine, through the real app and real commits: the per-test rolled-back connection of
conftest would never write a page to disk, and pages are what a stolen backup holds.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from appcomply.apps import service as apps_service
from appcomply.bootstrap import build_services, create_app
from appcomply.db.migrate import upgrade
from appcomply.db.session import make_engine, unit_of_work
from appcomply.identity.models import SmsMessage
from appcomply.kernel.actor import Role, cli_actor
from appcomply.kernel.clock import FixedClock
from appcomply.settings import DatabaseSettings, Environment, Settings
from tests.conftest import NOW
from tests.factories.apps import AppCreateFactory, make_staff_token

PHONE = "13800138000"
ORG_PHONE = "13900139000"  # the authorised person of the organisation
ID_NUMBER = "11010519900101103X"  # checksum-valid, with an X check character so both cases are searched
NAME = "张三丰"
USCC = "91440300708461136T"  # checksum-valid; not the app operator's own (public) code
ORG_NAME = "深圳某某科技有限公司"

CLEAR: dict[str, bytes] = {
    "phone": PHONE.encode(),
    "organisation phone": ORG_PHONE.encode(),
    "ID number": ID_NUMBER.encode(),
    "ID number, lower-case x": ID_NUMBER.lower().encode(),
    "ID number without its check character": ID_NUMBER[:-1].encode(),
    "name": NAME.encode(),
    "USCC": USCC.encode(),
}


def _code(services_factory: object, verification_id: str) -> str:
    with services_factory() as session:  # type: ignore[operator]
        body = session.scalars(
            select(SmsMessage.dev_body).where(SmsMessage.verification_id == uuid.UUID(verification_id))
        ).one()
    match = re.search(r"\b(\d{6})\b", body or "")
    assert match, body
    return match.group(1)


def _leaks(data: bytes) -> list[str]:
    return [what for what, value in CLEAR.items() if value in data]


def test_no_clear_identity_value_reaches_the_database_file_the_logs_or_the_responses(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # provider logs, the web layer's, everything
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")  # every SQL statement with its parameters
    db = tmp_path / "grep.db"
    url = f"sqlite:///{db}"
    migrate = make_engine(url)
    upgrade(migrate)
    migrate.dispose()
    settings = Settings(env=Environment.TEST, database=DatabaseSettings(url=url, echo=False))
    services = build_services(settings, clock=FixedClock(NOW))
    with unit_of_work(services.session_factory, clock=services.clock, actor=cli_actor(), request_id="grep") as ctx:
        app = apps_service.create_app(ctx, AppCreateFactory.build())
        _, key = apps_service.create_api_key(ctx, app.id, name="backend")
        vault_token = make_staff_token(ctx, Role.VAULT)
    bodies: list[tuple[str, bytes]] = []
    auth = {"Authorization": f"Bearer {key}"}

    with TestClient(create_app(services=services), base_url="http://testserver") as client:

        def call(method: str, path: str, *, headers: dict[str, str] = auth, **kwargs: object) -> dict[str, object]:
            response = client.request(method, path, headers=headers, **kwargs)  # type: ignore[arg-type]
            assert response.status_code < 300, response.text
            bodies.append((f"{method} {path}", response.content))
            return dict(response.json())

        user_id = call("POST", "/v1/users", json={"external_ref": "u-grep", "nickname": "快乐的鱼"})["id"]
        phone = call("POST", f"/v1/users/{user_id}/verifications", json={"method": "phone", "phone": PHONE})
        code = _code(services.session_factory, str(phone["id"]))
        assert call("POST", f"/v1/verifications/{phone['id']}/confirm", json={"code": code})["status"] == "verified"
        id_card = {"method": "id_card", "name": NAME, "id_number": ID_NUMBER.lower()}
        assert call("POST", f"/v1/users/{user_id}/verifications", json=id_card)["status"] == "verified"
        org = call(
            "POST",
            f"/v1/users/{user_id}/verifications",
            json={"method": "organization", "org_name": ORG_NAME, "uscc": USCC, "phone": f"+86 {ORG_PHONE}"},
        )
        org_code = _code(services.session_factory, str(org["id"]))
        assert call("POST", f"/v1/verifications/{org['id']}/confirm", json={"code": org_code})["status"] == "verified"
        for verification in (phone, org):
            call("GET", f"/v1/verifications/{verification['id']}")
        call("GET", f"/v1/users/{user_id}")
        call("GET", f"/v1/users/{user_id}/permissions")
        revealed = client.post(
            f"/v1/verifications/{phone['id']}/reveal",
            json={"field": "phone", "reason": "grep test: the one place a clear value may appear"},
            headers={"Authorization": f"Bearer {vault_token}"},
        )
    assert revealed.json()["value"] == f"+86{PHONE}"  # the reveal works, so its absence elsewhere means something

    with services.engine.connect() as conn:
        conn.commit()  # end the implicit transaction: a checkpoint cannot run inside one
        conn.connection.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # type: ignore[union-attr]
    services.engine.dispose()

    files = sorted(tmp_path.glob("grep.db*"))
    assert db in files
    assert db.stat().st_size > 0
    found = {path.name: _leaks(path.read_bytes()) for path in files}
    assert all(not leaks for leaks in found.values()), found
    assert [record.getMessage() for record in caplog.records], "nothing was logged: the log check would be vacuous"
    assert "INSERT INTO verifications" in caplog.text  # the SQL and its parameters were really captured
    assert _leaks(caplog.text.encode()) == []
    assert [(call_, _leaks(body)) for call_, body in bodies if _leaks(body)] == []
    with sqlite3.connect(db) as check:  # the file really holds the run (a grep of an empty file proves nothing)
        assert check.execute("select count(*) from verifications where status = 'verified'").fetchone() == (3,)
        assert check.execute("select count(*) from sms_messages").fetchone() == (2,)
