"""The notices queue in the console: filtered by status, recipients masked, dead notices re-queued by an admin."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.factories.apps import log_in_console, make_app

from appcomply import notices
from appcomply.audit.models import AuditEntry
from appcomply.bootstrap import Services
from appcomply.identity.providers import RecordingSmsSender
from appcomply.kernel.actor import Role
from appcomply.kernel.clock import FixedClock
from appcomply.kernel.context import Ctx
from appcomply.notices import Channel, NoticeSenders
from appcomply.notices.ports import EmailReceipt


class RefusingEmail:
    def send(self, *, to: str, subject: str, body: str, request_ref: str) -> EmailReceipt:  # noqa: ARG002 - the port's shape
        return EmailReceipt("fake", "", False, "email.recipient_refused")


def test_the_queue_shows_dead_notices_masked_and_an_admin_requeues_one(
    client: TestClient,
    ctx: Ctx,
    session: Session,
    services: Services,
    session_factory: sessionmaker[Session],
    clock: FixedClock,
) -> None:
    app = make_app(ctx)
    keyring = services.notices.keyring
    dead = notices.enqueue(
        ctx, app_id=app.id, user_id=None, channel=Channel.EMAIL, subject="退信测试", body="b",
        recipient="reader@example.com", keyring=keyring,
    )  # fmt: skip
    session.flush()
    senders = NoticeSenders(sms=RecordingSmsSender(), email=RefusingEmail())
    notices.deliver_due(session_factory, clock=clock, senders=senders, keyring=keyring, worker="test")
    csrf = log_in_console(client, ctx, Role.ADMIN)

    page = client.get(f"/console/apps/{app.slug}/notices", params={"status": "dead"})
    assert page.status_code == 200, page.text
    for shown in ("退信测试", "r***@example.com", "email.recipient_refused"):
        assert shown in page.text
    assert "reader@example.com" not in page.text
    assert client.get(f"/console/apps/{app.slug}/notices", params={"status": "sent"}).text.count("退信测试") == 0

    response = client.post(f"/console/notices/{dead.id}/requeue", data={"csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303
    session.refresh(dead)
    assert (dead.status, dead.attempts) == ("queued", 0)
    events = session.scalars(select(AuditEntry.event).where(AuditEntry.subject_id == str(dead.id))).all()
    assert events[-1] == "notices.notice.requeued"


def test_a_reviewer_sees_the_queue_but_cannot_requeue(
    client: TestClient, ctx: Ctx, session: Session, services: Services
) -> None:
    app = make_app(ctx)
    notice = notices.enqueue(
        ctx, app_id=app.id, user_id=None, channel=Channel.SMS, subject="s", body="b",
        recipient="+8613800138000", keyring=services.notices.keyring,
    )  # fmt: skip
    session.flush()
    csrf = log_in_console(client, ctx, Role.REVIEWER)
    page = client.get(f"/console/apps/{app.slug}/notices")
    assert page.status_code == 200
    assert "+86138****8000" in page.text
    assert "13800138000" not in page.text
    refused = client.post(f"/console/notices/{notice.id}/requeue", data={"csrf_token": csrf})
    assert refused.status_code == 403
