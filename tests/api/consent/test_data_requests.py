"""Data-subject requests over HTTP: the app's backend opens and confirms, compliance staff complete or reject, the
export is read back without clear identifiers, holds refuse erasure with nothing written, another app sees
nothing, the staff list pages with working days left, and the console board."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, func, select
from tests.factories.apps import STAFF_PASSWORD, make_api_key, make_app, make_staff, make_staff_token
from tests.factories.consent import sent_code, verify_phone

from appcomply import accounts, identity
from appcomply.accounts.models import EndUser
from appcomply.apps.models import App
from appcomply.bootstrap import Services
from appcomply.db.base import Base
from appcomply.identity.schemas import IdCardStart
from appcomply.kernel.actor import Actor, ActorKind, Role
from appcomply.kernel.clock import FixedClock
from appcomply.kernel.context import Ctx
from appcomply.notices.models import Notice

PHONE = "13912345678"
NAME = "李小龙"
ID_NUMBER = "11010519491231002X"


def _auth(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def app(ctx: Ctx) -> App:
    return make_app(ctx, app_types=[4])


@pytest.fixture
def key(ctx: Ctx, app: App) -> dict[str, str]:
    return _auth(make_api_key(ctx, app))


@pytest.fixture
def staff(ctx: Ctx) -> dict[str, str]:
    return _auth(make_staff_token(ctx, Role.COMPLIANCE))


@pytest.fixture
def user(ctx: Ctx, app: App, services: Services, clock: FixedClock) -> EndUser:
    """A user with a verified phone and ID card; the clock then steps past the SMS minimum interval."""
    as_app = dataclasses.replace(ctx, actor=Actor(kind=ActorKind.APP, label="app", app_id=app.id))
    row = accounts.register_user(as_app, accounts.UserCreate(external_ref="dsr-api-1", nickname="小龙"))
    verify_phone(as_app, row.id, PHONE, env=services.identity)
    identity.start_verification(
        as_app, row.id, IdCardStart(method="id_card", name=NAME, id_number=ID_NUMBER), env=services.identity,
        client_ip=None,
    )  # fmt: skip
    ctx.session.flush()
    clock.advance(dt.timedelta(minutes=2))
    return row


def _open(client: TestClient, key: dict[str, str], user: EndUser, kind: str = "access") -> dict[str, object]:
    response = client.post("/v1/data-requests", json={"user_id": str(user.id), "kind": kind}, headers=key)
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def _confirm(client: TestClient, ctx: Ctx, key: dict[str, str], opened: dict[str, object]) -> dict[str, object]:
    code = sent_code(ctx, uuid.UUID(str(opened["verification_id"])))
    response = client.post(f"/v1/data-requests/{opened['id']}/verification", json={"code": code}, headers=key)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def _counts(connection: Connection) -> dict[str, int]:
    return {t.name: connection.scalar(select(func.count()).select_from(t)) or 0 for t in Base.metadata.sorted_tables}


def test_an_access_request_end_to_end(
    client: TestClient, ctx: Ctx, key: dict[str, str], staff: dict[str, str], user: EndUser
) -> None:
    opened = _open(client, key, user)
    assert (opened["status"], opened["verification_status"]) == ("verifying", "pending")
    assert opened["working_days_left"] == 15
    assert opened["overdue"] is False
    assert opened["due_on"] == "2026-12-18"  # received Sunday 29 Nov (Beijing): 15 working days on

    wrong = client.post(f"/v1/data-requests/{opened['id']}/verification", json={"code": "000000"}, headers=key)
    code = sent_code(ctx, uuid.UUID(str(opened["verification_id"])))
    if code != "000000":
        assert wrong.status_code == 200
        assert (wrong.json()["status"], wrong.json()["verification_status"]) == ("verifying", "pending")
    confirmed = _confirm(client, ctx, key, opened)
    assert (confirmed["status"], confirmed["verification_status"]) == ("in_progress", "verified")

    pending = client.get(f"/v1/data-requests/{opened['id']}/export", headers=key).json()
    assert (pending["ready"], pending["export"]) == (False, None)
    done = client.post(f"/v1/data-requests/{opened['id']}/completion", json={"note": "已导出"}, headers=staff)
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["outcome_code"]) == ("completed", "consent.request.exported")

    read = client.get(f"/v1/data-requests/{opened['id']}", headers=key).json()
    assert read["has_export"] is True
    export = client.get(f"/v1/data-requests/{opened['id']}/export", headers=key)
    assert export.status_code == 200
    assert export.json()["ready"] is True
    text = export.text + json.dumps(export.json(), ensure_ascii=False)
    for clear in (ID_NUMBER, PHONE, NAME):
        assert clear not in text
    assert identity.mask_id_number(ID_NUMBER) in json.dumps(export.json(), ensure_ascii=False)
    assert ctx.session.scalar(
        select(func.count()).select_from(Notice).where(Notice.reason_id == str(opened["id"]), Notice.user_id == user.id)
    ) == 1  # fmt: skip


def test_a_user_without_a_verified_phone_is_refused_with_its_code(
    client: TestClient, ctx: Ctx, app: App, key: dict[str, str], connection: Connection
) -> None:
    as_app = dataclasses.replace(ctx, actor=Actor(kind=ActorKind.APP, label="app", app_id=app.id))
    other = accounts.register_user(as_app, accounts.UserCreate(external_ref="no-phone", nickname="无手机"))
    ctx.session.flush()
    before = _counts(connection)
    response = client.post("/v1/data-requests", json={"user_id": str(other.id), "kind": "access"}, headers=key)
    assert (response.status_code, response.json()["code"]) == (409, "consent.request.no_verified_phone")
    assert _counts(connection) == before


def test_a_legal_hold_refuses_deletion_with_nothing_written_until_released(
    client: TestClient, key: dict[str, str], staff: dict[str, str], user: EndUser, connection: Connection
) -> None:
    hold = client.post(f"/v1/users/{user.id}/legal-holds", json={"reason": "court order 2026-17"}, headers=staff)
    assert hold.status_code == 201, hold.text
    before = _counts(connection)
    for kind in ("deletion", "cancellation"):
        response = client.post("/v1/data-requests", json={"user_id": str(user.id), "kind": kind}, headers=key)
        assert (response.status_code, response.json()["code"]) == (409, "consent.request.legal_hold")
    assert _counts(connection) == before
    released = client.delete(f"/v1/users/{user.id}/legal-holds/{hold.json()['id']}", headers=staff)
    assert released.status_code == 200
    assert released.json()["released_at"]
    again = client.delete(f"/v1/users/{user.id}/legal-holds/{hold.json()['id']}", headers=staff)
    assert (again.status_code, again.json()["code"]) == (409, "consent.hold.already_released")
    assert _open(client, key, user, "deletion")["status"] == "verifying"


def test_a_deletion_erases_and_says_what_was_kept(
    client: TestClient, ctx: Ctx, key: dict[str, str], staff: dict[str, str], user: EndUser
) -> None:
    opened = _open(client, key, user, "deletion")
    _confirm(client, ctx, key, opened)
    done = client.post(f"/v1/data-requests/{opened['id']}/completion", json={"note": "已删除"}, headers=staff).json()
    assert done["outcome_code"] == "consent.request.erased"
    assert "Cybersecurity Law Art 21" in done["outcome_en"]
    assert "《网络安全法》第二十一条" in done["outcome_zh"]
    assert client.get(f"/v1/data-requests/{opened['id']}/export", headers=key).json()["ready"] is False


def test_a_rejection_and_closed_requests(
    client: TestClient, key: dict[str, str], staff: dict[str, str], user: EndUser
) -> None:
    opened = _open(client, key, user, "explanation")
    rejected = client.post(f"/v1/data-requests/{opened['id']}/rejection", json={"note": "无法核实身份"}, headers=staff)
    assert (rejected.status_code, rejected.json()["status"]) == (200, "rejected")
    again = client.post(f"/v1/data-requests/{opened['id']}/completion", json={"note": "x"}, headers=staff)
    assert (again.status_code, again.json()["code"]) == (409, "consent.request_closed")


def test_an_unverified_request_cannot_be_completed(
    client: TestClient, key: dict[str, str], staff: dict[str, str], user: EndUser
) -> None:
    opened = _open(client, key, user)
    response = client.post(f"/v1/data-requests/{opened['id']}/completion", json={"note": "x"}, headers=staff)
    assert (response.status_code, response.json()["code"]) == (409, "consent.request_transition_invalid")


def test_another_app_sees_nothing(
    client: TestClient, ctx: Ctx, key: dict[str, str], user: EndUser, connection: Connection
) -> None:
    opened = _open(client, key, user)
    foreign = _auth(make_api_key(ctx, make_app(ctx)))
    ctx.session.flush()
    before = _counts(connection)
    created = client.post("/v1/data-requests", json={"user_id": str(user.id), "kind": "access"}, headers=foreign)
    assert (created.status_code, created.json()["code"]) == (404, "accounts.user.not_found")
    for path in (f"/v1/data-requests/{opened['id']}", f"/v1/data-requests/{opened['id']}/export"):
        response = client.get(path, headers=foreign)
        assert (response.status_code, response.json()["code"]) == (404, "consent.request.not_found")
    confirm = client.post(f"/v1/data-requests/{opened['id']}/verification", json={"code": "123456"}, headers=foreign)
    assert (confirm.status_code, confirm.json()["code"]) == (404, "consent.request.not_found")
    assert _counts(connection) == before


def test_staff_list_filters_and_pages_with_working_days_left(
    client: TestClient, ctx: Ctx, app: App, key: dict[str, str], staff: dict[str, str], user: EndUser,
    clock: FixedClock,
) -> None:  # fmt: skip
    first = _open(client, key, user, "access")
    clock.advance(dt.timedelta(minutes=2))
    second = _open(client, key, user, "copy")
    client.post(f"/v1/data-requests/{first['id']}/rejection", json={"note": "重复请求"}, headers=staff)
    page = client.get("/v1/data-requests", params={"app_id": str(app.id), "limit": 1}, headers=staff).json()
    assert [i["id"] for i in page["items"]] == [second["id"]]
    assert page["items"][0]["working_days_left"] == 15
    rest = client.get(
        "/v1/data-requests", params={"app_id": str(app.id), "before": page["next_cursor"]}, headers=staff
    ).json()
    assert [i["id"] for i in rest["items"]] == [first["id"]]
    assert rest["next_cursor"] is None
    by_status = client.get("/v1/data-requests", params={"app_id": str(app.id), "status": "rejected"}, headers=staff)
    assert [i["id"] for i in by_status.json()["items"]] == [first["id"]]
    by_kind = client.get("/v1/data-requests", params={"app_id": str(app.id), "kind": "copy"}, headers=staff)
    assert [i["id"] for i in by_kind.json()["items"]] == [second["id"]]
    clock.advance(dt.timedelta(days=30))
    late = client.get("/v1/data-requests", params={"app_id": str(app.id), "status": "verifying"}, headers=staff)
    item = late.json()["items"][0]
    assert item["overdue"] is True
    assert item["working_days_left"] < 0


def _console(client: TestClient, ctx: Ctx, *roles: Role) -> str:
    staff = make_staff(ctx, *roles)
    ctx.session.flush()
    page = client.get("/console/login")
    nonce = re.search(r'name="csrf_token" value="([^"]*)"', page.text)
    assert nonce is not None
    form = {"username": staff.username, "password": STAFF_PASSWORD, "csrf_token": nonce.group(1)}
    assert client.post("/console/login", data=form, follow_redirects=False).status_code == 303
    token = re.search(r'name="csrf_token" value="([^"]*)"', client.get("/console/").text)
    assert token is not None
    return token.group(1)


def test_the_console_board_shows_days_left_and_closes_requests(
    client: TestClient, ctx: Ctx, app: App, key: dict[str, str], user: EndUser, clock: FixedClock
) -> None:
    opened = _open(client, key, user, "correction")
    _confirm(client, ctx, key, opened)
    csrf = _console(client, ctx, Role.COMPLIANCE)
    board = client.get(f"/console/apps/{app.slug}/data-requests")
    assert board.status_code == 200
    assert "2026-12-18" in board.text
    assert "correction" in board.text
    assert f"/data-requests/{opened['id']}/completion" in board.text
    filtered = client.get(f"/console/apps/{app.slug}/data-requests", params={"status": "completed"})
    assert str(opened["id"]) not in filtered.text
    done = client.post(
        f"/console/apps/{app.slug}/data-requests/{opened['id']}/completion",
        data={"note": "昵称已更正", "csrf_token": csrf}, follow_redirects=False,
    )  # fmt: skip
    assert done.status_code == 303
    assert client.get(f"/v1/data-requests/{opened['id']}", headers=key).json()["outcome_code"] == (
        "consent.request.answered"
    )
    clock.advance(dt.timedelta(minutes=2))
    waiting = _open(client, key, user, "access")
    assert 'class="overdue"' not in client.get(f"/console/apps/{app.slug}/data-requests").text
    clock.advance(dt.timedelta(days=40))
    _console(client, ctx, Role.REVIEWER)  # the earlier console session has expired
    late = client.get(f"/console/apps/{app.slug}/data-requests").text
    assert "/completion" not in late  # a reviewer reads the board but closes nothing
    assert f'<tr id="request-{waiting["id"]}" class="overdue">' in late
