"""Bulk SMS and e-mail notices, each user at their own recipient (`enqueue_addressed`), and delivery per channel."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from appcomply import accounts, audit, notices, vault
from appcomply.audit.models import AuditEntry
from appcomply.bootstrap import Services
from appcomply.identity.providers import RecordingSmsSender
from appcomply.kernel.clock import FixedClock
from appcomply.kernel.context import Ctx
from appcomply.notices import Channel, NoticeSenders
from appcomply.notices.models import Notice
from appcomply.notices.providers import LocalEmailOutbox
from appcomply.notices.service import RECIPIENT_KIND
from tests.integration.notices.conftest import Tenant

REASON = audit.Subject("notice_campaign", "c-1")


@pytest.fixture
def keyring(services: Services) -> vault.Keyring:
    return services.notices.keyring


@pytest.fixture
def senders() -> NoticeSenders:
    return NoticeSenders(sms=RecordingSmsSender(), email=LocalEmailOutbox())


def _users(tenant: Tenant, count: int) -> list[uuid.UUID]:
    return [
        accounts.register_user(tenant.as_app, accounts.UserCreate(external_ref=f"b-{i}", nickname=f"读者{i}")).id
        for i in range(count)
    ]


def test_each_user_gets_the_notice_at_their_own_number_sealed_and_masked_with_one_audit_entry(
    ctx: Ctx, session: Session, tenant: Tenant, keyring: vault.Keyring
) -> None:
    users = _users(tenant, 3)
    phones = {u: f"+86138001380{i:02d}" for i, u in enumerate(users)}
    before = session.scalar(select(func.count()).select_from(AuditEntry))
    queued = notices.enqueue_addressed(
        ctx, app_id=tenant.app.id, recipients=phones, channel=Channel.SMS, subject="安全更新", body="请升级。",
        reason=REASON, keyring=keyring,
    )  # fmt: skip
    assert queued == 3
    rows = session.scalars(select(Notice).where(Notice.reason_id == "c-1")).all()
    for row in rows:
        assert row.user_id is not None
        assert row.recipient_sealed is not None
        opened = vault.open_sealed(keyring, row.recipient_sealed, kind=RECIPIENT_KIND, context=str(row.app_id))
        assert opened == phones[row.user_id]
        assert row.recipient_masked == f"+86138****{phones[row.user_id][-4:]}"
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == before + 1


def test_one_bad_recipient_refuses_the_whole_batch_and_the_inbox_does_not_take_recipients(
    ctx: Ctx, session: Session, tenant: Tenant, keyring: vault.Keyring
) -> None:
    users = _users(tenant, 2)
    with pytest.raises(notices.InvalidRecipient):
        notices.enqueue_addressed(
            ctx, app_id=tenant.app.id, recipients={users[0]: "+8613800138000", users[1]: "not-a-phone"},
            channel=Channel.SMS, subject="s", body="b", reason=REASON, keyring=keyring,
        )  # fmt: skip
    with pytest.raises(notices.InvalidRecipient):
        notices.enqueue_addressed(
            ctx, app_id=tenant.app.id, recipients={users[0]: "x"}, channel=Channel.INBOX, subject="s", body="b",
            reason=REASON, keyring=keyring,
        )  # fmt: skip
    assert session.scalar(select(func.count()).select_from(Notice).where(Notice.reason_id == "c-1")) == 0


def test_delivery_by_channel_counts_each_channel_of_one_reason(
    ctx: Ctx,
    session_factory: sessionmaker[Session],
    clock: FixedClock,
    tenant: Tenant,
    keyring: vault.Keyring,
    senders: NoticeSenders,
) -> None:
    users = _users(tenant, 2)
    notices.enqueue_many(ctx, app_id=tenant.app.id, user_ids=users, channel=Channel.INBOX, subject="s", body="b",
                         reason=REASON)  # fmt: skip
    notices.enqueue_addressed(
        ctx, app_id=tenant.app.id, recipients={users[0]: "a@example.com"}, channel=Channel.EMAIL, subject="s",
        body="b", reason=REASON, keyring=keyring,
    )  # fmt: skip
    ctx.session.flush()
    notices.deliver_due(session_factory, clock=clock, senders=senders, keyring=keyring, worker="t")
    by_channel = notices.delivery_by_channel(ctx, app_id=tenant.app.id, reason=REASON)
    assert (by_channel[Channel.INBOX].sent, by_channel[Channel.EMAIL].sent, by_channel[Channel.SMS].total) == (2, 1, 0)
    assert notices.delivery_summary(ctx, app_id=tenant.app.id, reason=REASON).sent == 3
