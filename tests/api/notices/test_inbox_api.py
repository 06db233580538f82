"""The inbox API: a user's delivered notices for the app's backend, newest first, and marking them read."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, sessionmaker
from tests.factories.apps import make_api_key, make_app

from appcomply import accounts, notices
from appcomply.audit.models import AuditEntry
from appcomply.bootstrap import Services
from appcomply.kernel.actor import Actor, ActorKind
from appcomply.kernel.clock import FixedClock
from appcomply.kernel.context import Ctx
from appcomply.notices import Channel


@dataclasses.dataclass
class Inbox:
    user_id: uuid.UUID
    headers: dict[str, str]
    notice_ids: list[uuid.UUID]  # oldest first


def _deliver(services: Services, factory: sessionmaker[Session], clock: FixedClock) -> None:
    env = services.notices
    notices.deliver_due(factory, clock=clock, senders=env.senders, keyring=env.keyring, worker="test")


@pytest.fixture
def inbox(ctx: Ctx, session: Session, services: Services, session_factory: sessionmaker[Session]) -> Inbox:
    app = make_app(ctx)
    as_app = dataclasses.replace(ctx, actor=Actor(kind=ActorKind.APP, label="backend", app_id=app.id))
    user = accounts.register_user(as_app, accounts.UserCreate(external_ref="inbox-user", nickname="收件人"))
    ids = [
        notices.enqueue(
            ctx, app_id=app.id, user_id=user.id, channel=Channel.INBOX, subject=f"通知 {i}", body=f"正文 {i}"
        ).id
        for i in range(5)
    ]
    session.flush()
    _deliver(services, session_factory, services.clock)  # type: ignore[arg-type]
    return Inbox(user.id, {"Authorization": f"Bearer {make_api_key(ctx, app)}"}, ids)


def test_the_inbox_lists_delivered_notices_newest_first_in_pages(client: TestClient, inbox: Inbox) -> None:
    url = f"/v1/users/{inbox.user_id}/notices"
    first = client.get(url, params={"limit": 3}, headers=inbox.headers)
    assert first.status_code == 200, first.text
    body = first.json()
    assert [item["subject"] for item in body["items"]] == ["通知 4", "通知 3", "通知 2"]
    assert all(item["read_at"] is None and item["sent_at"] for item in body["items"])
    second = client.get(url, params={"limit": 3, "before": body["next_cursor"]}, headers=inbox.headers).json()
    assert [item["subject"] for item in second["items"]] == ["通知 1", "通知 0"]
    assert second["next_cursor"] is None


def test_a_queued_notice_is_not_in_the_inbox_until_delivered(
    client: TestClient, ctx: Ctx, session: Session, inbox: Inbox
) -> None:
    user = accounts.get_user(ctx, inbox.user_id)
    notices.enqueue(ctx, app_id=user.app_id, user_id=user.id, channel=Channel.INBOX, subject="待发", body="b")
    session.flush()
    items = client.get(f"/v1/users/{inbox.user_id}/notices", headers=inbox.headers).json()["items"]
    assert "待发" not in [item["subject"] for item in items]


def test_marking_read_is_idempotent_audited_once_and_filters_unread(
    client: TestClient, session: Session, clock: FixedClock, inbox: Inbox
) -> None:
    target = inbox.notice_ids[0]
    url = f"/v1/users/{inbox.user_id}/notices/{target}/read"
    audited = select(func.count()).select_from(AuditEntry).where(AuditEntry.event == "notices.notice.read")
    first = client.post(url, headers=inbox.headers)
    assert first.status_code == 200, first.text
    clock.advance(dt.timedelta(minutes=5))
    again = client.post(url, headers=inbox.headers)
    assert again.json()["read_at"] == first.json()["read_at"]
    assert again.json()["subject"] == first.json()["subject"] == "通知 0"
    assert session.scalar(audited) == 1
    unread = client.get(f"/v1/users/{inbox.user_id}/notices", params={"unread": True}, headers=inbox.headers)
    assert str(target) not in [item["id"] for item in unread.json()["items"]]
    assert len(unread.json()["items"]) == 4


def test_another_apps_key_sees_neither_the_user_nor_the_notices(client: TestClient, ctx: Ctx, inbox: Inbox) -> None:
    other = {"Authorization": f"Bearer {make_api_key(ctx, make_app(ctx))}"}
    listed = client.get(f"/v1/users/{inbox.user_id}/notices", headers=other)
    read = client.post(f"/v1/users/{inbox.user_id}/notices/{inbox.notice_ids[0]}/read", headers=other)
    assert [(r.status_code, r.json()["code"]) for r in (listed, read)] == [(404, "accounts.user.not_found")] * 2


def test_a_notice_of_another_user_is_not_found(client: TestClient, ctx: Ctx, inbox: Inbox) -> None:
    user = accounts.get_user(ctx, inbox.user_id)
    as_app = dataclasses.replace(ctx, actor=Actor(kind=ActorKind.APP, label="backend", app_id=user.app_id))
    other = accounts.register_user(as_app, accounts.UserCreate(external_ref="other", nickname="旁人"))
    response = client.post(f"/v1/users/{other.id}/notices/{inbox.notice_ids[0]}/read", headers=inbox.headers)
    assert (response.status_code, response.json()["code"]) == (404, "notices.notice.not_found")


def test_no_route_changes_a_notice_s_content(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    writes = [
        (path, method)
        for path, item in paths.items()
        if "notices" in path
        for method in item
        if method in ("put", "patch", "delete")
    ]
    assert writes == []
    assert list(paths["/v1/users/{user_id}/notices/{notice_id}/read"]) == ["post"]


@contextmanager
def _count_queries(session: Session) -> Iterator[list[str]]:
    found: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        found.append(statement)

    conn = session.connection()
    event.listen(conn, "before_cursor_execute", count)
    try:
        yield found
    finally:
        event.remove(conn, "before_cursor_execute", count)


def test_listing_costs_the_same_queries_for_one_notice_or_many(
    client: TestClient, ctx: Ctx, session: Session, services: Services, session_factory: sessionmaker[Session],
    inbox: Inbox,
) -> None:  # fmt: skip
    url = f"/v1/users/{inbox.user_id}/notices"
    client.get(url, headers=inbox.headers)  # the first call of a key also records its use
    with _count_queries(session) as few:
        assert client.get(url, params={"limit": 1}, headers=inbox.headers).status_code == 200
    with _count_queries(session) as many:
        assert client.get(url, params={"limit": 200}, headers=inbox.headers).status_code == 200
    assert len(many) == len(few)
