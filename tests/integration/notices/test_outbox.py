"""The outbox on a real database: queueing in the caller's transaction, delivery, retries, dead letters."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import event, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from appcomply import audit, notices, vault
from appcomply.audit.models import AuditEntry
from appcomply.bootstrap import Services
from appcomply.identity.providers import RecordingSmsSender
from appcomply.kernel.clock import FixedClock
from appcomply.kernel.context import Ctx
from appcomply.notices import Channel, NoticeSenders, NoticeStatus
from appcomply.notices.models import Notice
from appcomply.notices.ports import EmailReceipt, EmailUnavailable
from appcomply.notices.providers import LocalEmailOutbox
from tests.integration.notices.conftest import Tenant

REASON = audit.Subject("document_version", "v-1")


class FailingEmail:
    """An e-mail server that is down (raises) or refuses every recipient (answers)."""

    def __init__(self, *, refuse: bool = False) -> None:
        self.refuse, self.calls = refuse, 0

    def send(self, *, to: str, subject: str, body: str, request_ref: str) -> EmailReceipt:  # noqa: ARG002 - the port's shape
        self.calls += 1
        if self.refuse:
            return EmailReceipt("fake", "", False, "email.recipient_refused")
        raise EmailUnavailable("down", provider="fake", reason="test")


BATCH = "notices.batch.delivered"


def _events(session: Session, notice_id: uuid.UUID) -> list[str]:
    """The notice's audit trail: its own entries, and `…batch.delivered:<outcome>` for each step that tried it."""
    stmt = (
        select(AuditEntry.event, AuditEntry.data)
        .where(or_(AuditEntry.subject_id == str(notice_id), AuditEntry.event == BATCH))
        .order_by(AuditEntry.id)
    )
    trail = []
    for name, data in session.execute(stmt):
        if name != BATCH:
            trail.append(name)
        else:
            trail += [f"{BATCH}:{k}" for k in ("sent", "retrying", "dead") if str(notice_id) in data[k]]
    return trail


def _deliver(
    factory: sessionmaker[Session], clock: FixedClock, keyring: vault.Keyring, senders: NoticeSenders
) -> notices.DeliveryReport:
    return notices.deliver_due(
        factory, clock=clock, senders=senders, keyring=keyring, worker="test", max_attempts=3, backoff_base_seconds=60
    )


@pytest.fixture
def keyring(services: Services) -> vault.Keyring:
    return services.notices.keyring


@pytest.fixture
def outbox() -> LocalEmailOutbox:
    return LocalEmailOutbox()


@pytest.fixture
def senders(outbox: LocalEmailOutbox) -> NoticeSenders:
    return NoticeSenders(sms=RecordingSmsSender(), email=outbox)


def test_enqueue_writes_a_queued_audited_notice_and_sends_nothing(
    ctx: Ctx, session: Session, tenant: Tenant, keyring: vault.Keyring, outbox: LocalEmailOutbox
) -> None:
    notice = notices.enqueue(
        ctx,
        app_id=tenant.app.id,
        user_id=tenant.user.id,
        channel=Channel.EMAIL,
        subject="协议更新",
        body="用户协议将于 12 月 7 日更新。",
        recipient="reader@example.com",
        reason=REASON,
        keyring=keyring,
    )
    assert (notice.status, notice.attempts, notice.not_before) == ("queued", 0, ctx.clock.now())
    assert (notice.reason_kind, notice.reason_id) == ("document_version", "v-1")
    assert notice.recipient_masked == "r***@example.com"
    assert notice.recipient_sealed is not None
    assert "reader" not in notice.recipient_sealed
    assert vault.open_sealed(keyring, notice.recipient_sealed, kind=vault.PiKind.PHONE, context=str(tenant.app.id)) == (
        "reader@example.com"
    )
    assert _events(session, notice.id) == ["notices.notice.queued"]
    assert outbox.sent == []


def test_a_sealed_recipient_needs_the_keyring(ctx: Ctx, tenant: Tenant) -> None:
    with pytest.raises(TypeError):
        notices.enqueue(
            ctx, app_id=tenant.app.id, user_id=None, channel=Channel.SMS, subject="s", body="b",
            recipient="+8613800138000",
        )  # fmt: skip


def test_enqueue_many_fans_out_in_few_statements_with_one_audit_entry(
    ctx: Ctx, session: Session, tenant: Tenant
) -> None:
    users = [tenant.user.id] * 1201  # one user many times: the fan-out is one row per id given
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(statement)

    before = session.scalar(select(func.count()).select_from(AuditEntry))
    event.listen(session.connection(), "before_cursor_execute", count)
    try:
        queued = notices.enqueue_many(
            ctx, app_id=tenant.app.id, user_ids=iter(users), channel=Channel.INBOX, subject="s", body="b", reason=REASON
        )
    finally:
        event.remove(session.connection(), "before_cursor_execute", count)
    assert queued == 1201
    assert len([s for s in statements if s.lstrip().upper().startswith("INSERT INTO NOTICES")]) == 3  # 500+500+201
    assert session.scalar(select(func.count()).select_from(Notice).where(Notice.app_id == tenant.app.id)) == 1201
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == before + 1
    last = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).one()
    assert (last.event, last.data["count"]) == ("notices.batch.queued", 1201)


def test_only_inbox_notices_fan_out(ctx: Ctx, tenant: Tenant) -> None:
    with pytest.raises(notices.RecipientRequired):
        notices.enqueue_many(
            ctx, app_id=tenant.app.id, user_ids=[tenant.user.id], channel=Channel.SMS, subject="s", body="b",
            reason=None,
        )  # fmt: skip


def test_each_channel_is_delivered_and_marked_sent(
    ctx: Ctx,
    session: Session,
    session_factory: sessionmaker[Session],
    clock: FixedClock,
    tenant: Tenant,
    keyring: vault.Keyring,
    senders: NoticeSenders,
    outbox: LocalEmailOutbox,
) -> None:
    common = {"app_id": tenant.app.id, "user_id": tenant.user.id, "subject": "规则更新", "body": "社区公约已更新。"}
    inbox = notices.enqueue(ctx, channel=Channel.INBOX, **common)  # type: ignore[arg-type]
    sms = notices.enqueue(ctx, channel=Channel.SMS, recipient="+8613900139000", keyring=keyring, **common)  # type: ignore[arg-type]
    mail = notices.enqueue(ctx, channel=Channel.EMAIL, recipient="r@example.com", keyring=keyring, **common)  # type: ignore[arg-type]
    session.flush()

    report = _deliver(session_factory, clock, keyring, senders)

    assert report == notices.DeliveryReport(claimed=3, sent=3)
    for notice in (inbox, sms, mail):
        session.refresh(notice)
        assert (notice.status, notice.attempts, notice.sent_at) == ("sent", 1, clock.now())
        assert _events(session, notice.id) == ["notices.notice.queued", f"{BATCH}:sent"]
    [(data, app_id)] = session.execute(select(AuditEntry.data, AuditEntry.app_id).where(AuditEntry.event == BATCH))
    assert app_id == tenant.app.id, "one entry for the whole step, in the app's trail"
    assert (data["counts"], data["worker"]) == ({"sent": 3, "retrying": 0, "dead": 0}, "test")
    assert sorted(data["sent"]) == sorted(str(n.id) for n in (inbox, sms, mail))
    assert [(m.to, m.subject, m.request_ref) for m in outbox.sent] == [("r@example.com", "规则更新", str(mail.id))]
    assert isinstance(senders.sms, RecordingSmsSender)
    assert [(m.phone_e164, m.params["body"]) for m in senders.sms.sent] == [("+8613900139000", "社区公约已更新。")]
    assert _deliver(session_factory, clock, keyring, senders) == notices.DeliveryReport()  # nothing twice


def test_a_failing_channel_backs_off_then_dies_and_an_admin_can_requeue_it(
    ctx: Ctx,
    session: Session,
    session_factory: sessionmaker[Session],
    clock: FixedClock,
    tenant: Tenant,
    keyring: vault.Keyring,
) -> None:
    down = FailingEmail()
    senders = NoticeSenders(sms=RecordingSmsSender(), email=down)
    notice = notices.enqueue(
        ctx, app_id=tenant.app.id, user_id=None, channel=Channel.EMAIL, subject="s", body="b",
        recipient="r@example.com", keyring=keyring,
    )  # fmt: skip
    session.flush()

    assert _deliver(session_factory, clock, keyring, senders) == notices.DeliveryReport(claimed=1, retried=1)
    session.refresh(notice)
    assert (notice.status, notice.attempts, notice.last_error) == ("retrying", 1, "notices.email.unavailable")
    assert notice.not_before == clock.now() + dt.timedelta(seconds=60)
    assert _deliver(session_factory, clock, keyring, senders).claimed == 0  # not due yet
    clock.advance(dt.timedelta(seconds=60))
    assert _deliver(session_factory, clock, keyring, senders).retried == 1
    clock.advance(dt.timedelta(seconds=120))
    assert _deliver(session_factory, clock, keyring, senders).dead == 1
    session.refresh(notice)
    assert (notice.status, notice.attempts, down.calls) == ("dead", 3, 3)
    assert _events(session, notice.id)[1:] == [f"{BATCH}:retrying", f"{BATCH}:retrying", f"{BATCH}:dead"]
    last = session.scalars(select(AuditEntry.data).where(AuditEntry.event == BATCH).order_by(AuditEntry.id)).all()
    assert last[-1]["errors"] == {str(notice.id): "notices.email.unavailable"}

    requeued = notices.requeue_dead(ctx, notice.id)
    assert (requeued.status, requeued.attempts, requeued.last_error) == ("queued", 0, "notices.email.unavailable")
    assert _events(session, notice.id)[-1] == "notices.notice.requeued"
    with pytest.raises(notices.NoticeNotDead):
        notices.requeue_dead(ctx, notice.id)


def test_a_refused_recipient_is_dead_at_once(
    ctx: Ctx, session: Session, session_factory: sessionmaker[Session], clock: FixedClock, tenant: Tenant,
    keyring: vault.Keyring,
) -> None:  # fmt: skip
    senders = NoticeSenders(sms=RecordingSmsSender(), email=FailingEmail(refuse=True))
    notice = notices.enqueue(
        ctx, app_id=tenant.app.id, user_id=None, channel=Channel.EMAIL, subject="s", body="b",
        recipient="r@example.com", keyring=keyring,
    )  # fmt: skip
    session.flush()
    assert _deliver(session_factory, clock, keyring, senders).dead == 1
    session.refresh(notice)
    assert (notice.status, notice.last_error) == ("dead", "email.recipient_refused")


def test_a_sent_notice_cannot_be_requeued(
    ctx: Ctx, session: Session, session_factory: sessionmaker[Session], clock: FixedClock, tenant: Tenant,
    keyring: vault.Keyring, senders: NoticeSenders,
) -> None:  # fmt: skip
    notice = notices.enqueue(
        ctx, app_id=tenant.app.id, user_id=tenant.user.id, channel=Channel.INBOX, subject="s", body="b"
    )
    session.flush()
    _deliver(session_factory, clock, keyring, senders)
    with pytest.raises(notices.NoticeNotDead):
        notices.requeue_dead(ctx, notice.id)
    session.refresh(notice)
    assert notice.status == NoticeStatus.SENT


def test_a_rolled_back_change_queues_nothing(
    session: Session, session_factory: sessionmaker[Session], clock: FixedClock, tenant: Tenant
) -> None:
    from appcomply.db.session import unit_of_work
    from appcomply.kernel.actor import system_actor

    class Boom(Exception):
        pass

    def change_then_fail() -> None:
        with unit_of_work(session_factory, clock=clock, actor=system_actor("t"), request_id="r") as c:
            notices.enqueue(
                c, app_id=tenant.app.id, user_id=tenant.user.id, channel=Channel.INBOX, subject="s", body="b"
            )
            raise Boom

    with pytest.raises(Boom):
        change_then_fail()
    assert session.scalar(select(func.count()).select_from(Notice).where(Notice.app_id == tenant.app.id)) == 0


class BrokenEmail:
    def send(self, *, to: str, subject: str, body: str, request_ref: str) -> EmailReceipt:  # noqa: ARG002
        raise RuntimeError(f"adapter bug while mailing {to}")


def test_an_adapter_bug_is_retried_under_a_code_that_does_not_repeat_its_message(
    ctx: Ctx, session: Session, session_factory: sessionmaker[Session], clock: FixedClock, tenant: Tenant,
    keyring: vault.Keyring,
) -> None:  # fmt: skip
    notice = notices.enqueue(
        ctx, app_id=tenant.app.id, user_id=None, channel=Channel.EMAIL, subject="s", body="b",
        recipient="r@example.com", keyring=keyring,
    )  # fmt: skip
    broken = notices.enqueue(
        ctx, app_id=tenant.app.id, user_id=None, channel=Channel.EMAIL, subject="s", body="b",
        recipient="q@example.com", keyring=keyring,
    )  # fmt: skip
    broken.recipient_sealed = None  # a row written before sealing existed, say: nothing to send to
    session.flush()
    senders = NoticeSenders(sms=RecordingSmsSender(), email=BrokenEmail())
    assert _deliver(session_factory, clock, keyring, senders) == notices.DeliveryReport(claimed=2, retried=1, dead=1)
    session.refresh(notice)
    session.refresh(broken)
    assert (notice.status, notice.last_error) == ("retrying", "notices.delivery.error")
    assert (broken.status, broken.last_error) == ("dead", "notices.recipient_missing")


def test_the_queue_pages_by_cursor_and_an_app_key_sees_only_its_own(ctx: Ctx, session: Session, tenant: Tenant) -> None:
    ids = [
        notices.enqueue(
            ctx, app_id=tenant.app.id, user_id=tenant.user.id, channel=Channel.INBOX, subject=f"s{i}", body="b"
        ).id
        for i in range(3)
    ]
    session.flush()
    older = notices.list_queue(ctx, tenant.app.id, status=NoticeStatus.QUEUED, before=ids[2])
    assert [n.id for n in older] == [ids[1], ids[0]]
    assert notices.count_by_status(ctx, tenant.app.id)[NoticeStatus.QUEUED] == 3
    assert notices.get_notice(tenant.as_app, ids[0]).id == ids[0]
    from appcomply.kernel.actor import Actor, ActorKind

    stranger = Actor(kind=ActorKind.APP, label="other", app_id=uuid.uuid4())
    with pytest.raises(notices.NoticeNotFound):
        notices.get_notice(Ctx(ctx.session, ctx.clock, stranger, "r"), ids[0])


def test_drain_keeps_going_after_a_failed_step_until_stopped(
    session_factory: sessionmaker[Session], clock: FixedClock, services: Services
) -> None:
    import threading

    stop, calls = threading.Event(), []

    def failing_factory() -> Session:
        calls.append(1)
        if len(calls) >= 2:
            stop.set()
        raise ConnectionError("database unreachable")

    total = notices.drain(
        failing_factory,  # type: ignore[arg-type]
        clock=clock, env=services.notices, worker="t", stop=stop, interval=0.01,
    )  # fmt: skip
    assert (total, len(calls)) == (notices.DeliveryReport(), 2)
    with pytest.raises(ConnectionError):
        notices.drain(failing_factory, clock=clock, env=services.notices, worker="t", stop=threading.Event(),  # type: ignore[arg-type]
                      interval=0.01, once=True)  # fmt: skip


def test_drain_reports_each_step_and_stops_when_told(
    ctx: Ctx, session: Session, session_factory: sessionmaker[Session], clock: FixedClock, tenant: Tenant,
    services: Services,
) -> None:  # fmt: skip
    import threading

    notices.enqueue(ctx, app_id=tenant.app.id, user_id=tenant.user.id, channel=Channel.INBOX, subject="s", body="b")
    session.flush()
    stop, seen = threading.Event(), []

    def report(r: notices.DeliveryReport) -> None:
        seen.append(r)
        stop.set()

    total = notices.drain(
        session_factory, clock=clock, env=services.notices, worker="t", stop=stop, interval=0.01, on_report=report
    )
    assert total == notices.DeliveryReport(claimed=1, sent=1)
    assert seen == [total]
    drainer = notices.OutboxDrainer(session_factory, clock=clock, env=services.notices, interval=0.01)
    assert not drainer.running
    drainer.stop()  # never started: nothing to join
