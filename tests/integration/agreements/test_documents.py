"""Documents and versions on a real database: drafting, publishing rules, immutability, advance notice, audit."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from appcomply import accounts, agreements, audit, notices
from appcomply.agreements import errors, service
from appcomply.agreements.models import Version
from appcomply.apps.models import App
from appcomply.audit.models import AuditEntry
from appcomply.bootstrap import Services
from appcomply.kernel.clock import FixedClock
from appcomply.kernel.context import Ctx
from tests.factories.agreements import publish
from tests.factories.apps import make_app

DAY = dt.timedelta(days=1)
AGREEMENT = agreements.DocumentKind.USER_AGREEMENT


def _draft(ctx: Ctx, app: App, body: str = "第一条 甲。\n", **fields: object) -> Version:
    data = agreements.DraftForm(body=body, **fields)  # type: ignore[arg-type]
    return agreements.create_draft(ctx, app.id, kind=AGREEMENT, slug="", language=agreements.Language.ZH_CN, data=data)


def _counts(session: Session) -> tuple[int, int, int]:
    session.flush()
    return (
        session.scalar(select(func.count()).select_from(AuditEntry)) or 0,
        session.scalar(select(func.count()).select_from(Version).where(Version.published_at.is_not(None))) or 0,
        session.scalar(select(func.count()).select_from(notices.Notice)) or 0,
    )


def test_a_draft_records_clauses_and_the_hash_of_its_exact_text(ctx: Ctx, app: App) -> None:
    version = _draft(ctx, app, "# 协议\n第一条 甲。\n第二条 乙。\n")
    assert version.number == 1
    assert [c["number"] for c in version.clauses] == ["1", "2"]
    assert version.text_sha256 == agreements.rules.text_sha256("# 协议\n第一条 甲。\n第二条 乙。\n")


def test_a_second_draft_waits_for_the_first_to_be_published(ctx: Ctx, app: App) -> None:
    _draft(ctx, app)
    with pytest.raises(errors.DraftExists):
        _draft(ctx, app)


def test_custom_documents_need_a_slug(ctx: Ctx, app: App) -> None:
    data = agreements.DraftForm(body="1. 直播规范\n")
    with pytest.raises(errors.InvalidSlug):
        agreements.create_draft(
            ctx, app.id, kind=agreements.DocumentKind.CUSTOM, slug="", language=agreements.Language.ZH_CN, data=data
        )


def test_publishing_without_an_effective_date_is_refused_and_writes_nothing(
    ctx: Ctx, app: App, session: Session
) -> None:
    version = _draft(ctx, app)
    before = _counts(session)
    with pytest.raises(errors.EffectiveDateRequired):
        agreements.schedule_version(ctx, version.id)
    assert _counts(session) == before


def test_a_material_change_inside_the_notice_period_is_refused_and_notifies_nobody(
    ctx: Ctx, app: App, app_ctx: Ctx, user: accounts.EndUser, session: Session
) -> None:
    publish(ctx, app.id, AGREEMENT)
    version = _draft(ctx, app, "第一条 新。\n", material=True, effective_at=ctx.clock.now() + 6 * DAY)
    before = _counts(session)
    with pytest.raises(errors.InsideNoticePeriod) as caught:
        agreements.schedule_version(ctx, version.id)
    assert caught.value.code == "agreements.notice_period"
    assert _counts(session) == before


def test_a_material_change_scheduled_ahead_queues_an_inbox_notice_for_every_user(
    ctx: Ctx, app: App, app_ctx: Ctx, user: accounts.EndUser, session: Session
) -> None:
    other = accounts.register_user(app_ctx, accounts.UserCreate(external_ref="u-2", nickname="小红"))
    publish(ctx, app.id, AGREEMENT)
    version = publish(ctx, app.id, AGREEMENT, "第一条 新。\n", material=True, effective_at=ctx.clock.now() + 7 * DAY)
    assert version.notices_queued == 2
    queued = notices.list_queue(ctx, app.id, status=notices.NoticeStatus.QUEUED)
    assert {n.user_id for n in queued} == {user.id, other.id}
    assert all("用户服务协议" in n.subject and n.channel == "inbox" for n in queued)
    counts = service.notice_counts(ctx, version)
    assert (counts.queued, counts.pending, counts.sent, counts.dead, counts.first_sent_at) == (2, 2, 0, 0, None)


def test_the_version_record_shows_when_its_change_notices_went_out(
    ctx: Ctx,
    app: App,
    app_ctx: Ctx,
    user: accounts.EndUser,
    session: Session,
    session_factory: sessionmaker[Session],
    clock: FixedClock,
    services: Services,
) -> None:
    accounts.register_user(app_ctx, accounts.UserCreate(external_ref="u-2", nickname="小红"))
    publish(ctx, app.id, AGREEMENT)
    version = publish(ctx, app.id, AGREEMENT, "第一条 新。\n", material=True, effective_at=clock.now() + 7 * DAY)
    other_reason = publish(ctx, app.id, agreements.DocumentKind.PRIVACY_POLICY, "第一条 隐私。\n")
    notices.enqueue(  # the same app's notice for another reason is not this version's
        ctx, app_id=app.id, user_id=user.id, channel=notices.Channel.INBOX, subject="s", body="b",
        reason=audit.Subject("agreement_version", str(other_reason.id)),
    )  # fmt: skip
    session.flush()
    env = services.notices

    def deliver(batch: int) -> None:
        notices.deliver_due(
            session_factory, clock=clock, senders=env.senders, keyring=env.keyring, batch=batch, worker="t"
        )

    deliver(1)  # the first of the two
    first = clock.now()
    clock.advance(dt.timedelta(minutes=5))
    deliver(10)  # the second, and the other reason's

    counts = service.notice_counts(ctx, version)
    assert (counts.queued, counts.pending, counts.sent, counts.dead) == (2, 0, 2, 0)
    assert (counts.first_sent_at, counts.last_sent_at) == (first, clock.now())


def test_a_published_version_cannot_be_edited_or_published_again(ctx: Ctx, app: App) -> None:
    version = publish(ctx, app.id, AGREEMENT)
    with pytest.raises(errors.VersionImmutable):
        agreements.edit_draft(ctx, version.id, agreements.DraftForm(body="第一条 改。\n"))
    with pytest.raises(errors.VersionImmutable):
        agreements.schedule_version(ctx, version.id)


def test_versions_take_effect_in_order_and_supersede_lazily(ctx: Ctx, app: App, clock: FixedClock) -> None:
    first = publish(ctx, app.id, AGREEMENT)
    second = publish(ctx, app.id, AGREEMENT, "第一条 乙。\n", effective_at=clock.now() + DAY)
    view = agreements.list_documents(ctx, app.id)[0]
    assert [s for _, s in view.versions] == [agreements.VersionState.IN_FORCE, agreements.VersionState.SCHEDULED]
    clock.advance(DAY)
    view = agreements.list_documents(ctx, app.id)[0]
    assert view.in_force is second
    assert view.previous(second) is first
    late = _draft(ctx, app, "第一条 丙。\n", effective_at=clock.now())
    with pytest.raises(errors.EffectiveOutOfOrder):
        agreements.schedule_version(ctx, late.id)


def test_effective_times_in_the_past_are_refused(ctx: Ctx, app: App) -> None:
    version = _draft(ctx, app, effective_at=ctx.clock.now() - DAY)
    with pytest.raises(errors.EffectiveInPast):
        agreements.schedule_version(ctx, version.id)


def test_every_change_is_audited(ctx: Ctx, app: App, session: Session) -> None:
    version = _draft(ctx, app)
    agreements.edit_draft(ctx, version.id, agreements.DraftForm(body="第一条 乙。\n", effective_at=ctx.clock.now()))
    agreements.schedule_version(ctx, version.id)
    agreements.set_policy(ctx, app.id, notice_days=10, required_kinds=[AGREEMENT])
    session.flush()
    events = list(session.scalars(select(AuditEntry.event).order_by(AuditEntry.id)))[-4:]
    assert events == [
        "agreements.version.drafted",
        "agreements.version.edited",
        "agreements.version.scheduled",
        "agreements.policy.changed",
    ]
    assert agreements.get_policy(ctx, app.id) == service.Policy(10, (AGREEMENT,))


def test_the_default_policy_is_seven_days_and_the_agreement_and_privacy_policy(ctx: Ctx, app: App) -> None:
    policy = agreements.get_policy(ctx, app.id)
    assert policy.notice_days == 7
    assert set(policy.required_kinds) == {AGREEMENT, agreements.DocumentKind.PRIVACY_POLICY}


def test_an_app_key_cannot_reach_another_apps_version(ctx: Ctx, app: App, app_ctx: Ctx) -> None:
    other = make_app(ctx)
    version = publish(ctx, other.id, AGREEMENT)
    with pytest.raises(errors.VersionNotFound):
        service.get_version(app_ctx, version.id)
