"""User notice campaigns on a real database: chunks that commit one by one (a failure loses nothing and doubles
nothing), the affected audience, SMS to verified phones only, app scoping, the lease, cancelling, the job."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Connection, event, func, select
from sqlalchemy.orm import Session, sessionmaker

from appcomply import notices, vault
from appcomply.apps.models import App
from appcomply.audit.models import AuditEntry
from appcomply.bootstrap import Services
from appcomply.db.session import unit_of_work
from appcomply.kernel.actor import system_actor
from appcomply.kernel.clock import FixedClock
from appcomply.kernel.context import Ctx
from appcomply.notices.models import Notice
from appcomply.vulnerabilities import (
    CampaignAlreadyOpen,
    CampaignAudienceInvalid,
    CampaignClosed,
    CampaignNeedsFix,
    CampaignState,
    service,
)
from appcomply.vulnerabilities.models import NoticeCampaign
from appcomply.vulnerabilities.rules import State
from appcomply.vulnerabilities.schemas import UserVersionSet
from appcomply.vulnerabilities.service import VulnerabilitiesEnv
from tests.factories.apps import make_app
from tests.factories.consent import verify_phone
from tests.factories.vulnerabilities import app_ctx, campaign_body, fixed_vulnerability, make_users

pytestmark = pytest.mark.db


@pytest.fixture
def app(ctx: Ctx) -> App:
    return make_app(ctx)


@pytest.fixture
def env(services: Services) -> VulnerabilitiesEnv:
    return services.vulnerabilities


def _step(
    factory: sessionmaker[Session], clock: FixedClock, env: VulnerabilitiesEnv, *, chunk: int, worker: str = "w1"
) -> service.CampaignStep | None:
    """One step as a runner does it: a transaction of its own (a SAVEPOINT on the test connection)."""
    with unit_of_work(factory, clock=clock, actor=system_actor("test-runner"), request_id=uuid.uuid4().hex) as ctx:
        return service.run_campaign_step(ctx, env, chunk=chunk, worker=worker)


def _run(factory: sessionmaker[Session], clock: FixedClock, env: VulnerabilitiesEnv, *, chunk: int) -> int:
    steps = 0
    while _step(factory, clock, env, chunk=chunk) is not None:
        steps += 1
    return steps


def _per_user(session: Session, campaign: NoticeCampaign) -> dict[tuple[uuid.UUID | None, str], int]:
    rows = session.execute(
        select(Notice.user_id, Notice.channel, func.count())
        .where(Notice.reason_kind == "notice_campaign", Notice.reason_id == str(campaign.id))
        .group_by(Notice.user_id, Notice.channel)
    )
    return {(user_id, channel): count for user_id, channel, count in rows}


def _reload(session: Session, campaign: NoticeCampaign) -> NoticeCampaign:
    session.expire_all()
    return session.get_one(NoticeCampaign, campaign.id)


def test_a_campaign_waits_for_the_fix_and_the_affected_audience_needs_ranges(
    ctx: Ctx, env: VulnerabilitiesEnv, app: App
) -> None:
    confirmed = fixed_vulnerability(ctx, env, app, state=State.CONFIRMED)
    with pytest.raises(CampaignNeedsFix):
        service.start_campaign(ctx, confirmed.id, campaign_body())
    no_ranges = fixed_vulnerability(ctx, env, app, affected=None)
    with pytest.raises(CampaignAudienceInvalid):
        service.start_campaign(ctx, no_ranges.id, campaign_body(audience="affected"))
    assert ctx.session.scalar(select(func.count()).select_from(NoticeCampaign)) == 0


def test_every_user_gets_one_inbox_notice_chunk_by_chunk_and_users_of_other_apps_none(
    ctx: Ctx, env: VulnerabilitiesEnv, app: App, session_factory: sessionmaker[Session], clock: FixedClock
) -> None:
    users = make_users(ctx, app, 7)
    other = make_app(ctx)
    strangers = make_users(ctx, other, 3)
    vuln = fixed_vulnerability(ctx, env, app)
    campaign = service.start_campaign(ctx, vuln.id, campaign_body())
    assert (campaign.state, campaign.users_total) == ("queued", 7)
    ctx.session.flush()

    assert [s.done if s else None for s in (_step(session_factory, clock, env, chunk=3) for _ in range(4))] == [
        3, 3, 1, None,
    ]  # fmt: skip
    done = _reload(ctx.session, campaign)
    assert (done.state, done.users_done, done.queued, done.chunks) == ("done", 7, {"inbox": 7}, 3)
    assert _per_user(ctx.session, done) == {(u, "inbox"): 1 for u in users}
    assert not [u for u, _ in _per_user(ctx.session, done) if u in strangers]
    [notice] = ctx.session.scalars(select(Notice).where(Notice.user_id == users[0])).all()
    assert notice.subject == "安全更新：支付漏洞已修复 / Security update: payment flaw fixed"
    assert notice.body.startswith("我们修复了")
    assert notice.body.endswith("5.2.4 or later.")
    # One entry of ours per chunk (not per user), beside the outbox's own per batch, and one at the end.
    events = ctx.session.scalars(
        select(AuditEntry.event).where(AuditEntry.subject_kind == "notice_campaign",
                                       AuditEntry.subject_id == str(done.id))
    ).all()  # fmt: skip
    assert sorted(events) == ["notices.batch.queued"] * 3 + ["vulnerabilities.campaign.chunk_queued"] * 3 + [
        "vulnerabilities.campaign.finished"
    ]


@pytest.fixture
def die_in_chunk(connection: Connection) -> Iterator[dict[str, int]]:
    """A worker that dies in the third chunk, after its notices were written and before it commits: the chunk's
    audit entry is the last write of a step, so the database refuses that statement the third time."""
    seen = {"chunks": 0, "die_at": 3}

    def refuse(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if statement.startswith("INSERT INTO audit_entries") and "campaign.chunk_queued" in str(parameters):
            seen["chunks"] += 1
            if seen["chunks"] == seen["die_at"]:
                raise RuntimeError("worker died")

    event.listen(connection, "before_cursor_execute", refuse)
    yield seen
    event.remove(connection, "before_cursor_execute", refuse)


def test_a_worker_dying_in_chunk_three_keeps_chunks_one_and_two_and_the_rerun_doubles_nothing(
    ctx: Ctx,
    services: Services,
    app: App,
    session_factory: sessionmaker[Session],
    clock: FixedClock,
    die_in_chunk: dict[str, int],
) -> None:
    env = services.vulnerabilities
    users = make_users(ctx, app, 10)
    for i, user_id in enumerate(users[::2]):
        verify_phone(app_ctx(ctx, app), user_id, f"1380013{i:04d}", env=services.identity)
    vuln = fixed_vulnerability(ctx, env, app)
    campaign = service.start_campaign(ctx, vuln.id, campaign_body(channels=["inbox", "sms"]))
    ctx.session.flush()

    assert _step(session_factory, clock, env, chunk=3) is not None
    assert _step(session_factory, clock, env, chunk=3) is not None
    with pytest.raises(RuntimeError, match="worker died"):
        _step(session_factory, clock, env, chunk=3)
    after_crash = _reload(ctx.session, campaign)
    assert (after_crash.users_done, after_crash.cursor, after_crash.chunks) == (6, users[5], 2)
    kept = _per_user(ctx.session, after_crash)
    assert {u for u, c in kept if c == "inbox"} == set(users[:6])
    assert sum(1 for _, c in kept if c == "sms") == 3  # users 0, 2, 4 verified a phone

    assert _run(session_factory, clock, env, chunk=3) == 2  # the redone third chunk, then the short last one
    done = _reload(ctx.session, campaign)
    assert done.state == "done"
    per_user = _per_user(ctx.session, done)
    assert per_user == {**{(u, "inbox"): 1 for u in users}, **{(u, "sms"): 1 for u in users[::2]}}
    assert (done.queued, done.skipped_no_address, done.users_done) == ({"inbox": 10, "sms": 5}, {"sms": 5}, 10)


def test_the_affected_audience_is_the_users_on_an_affected_android_version(
    ctx: Ctx, env: VulnerabilitiesEnv, app: App, session_factory: sessionmaker[Session], clock: FixedClock
) -> None:
    versions: list[str | None] = ["5.0.0", "5.2.3", "5.2.4", "6.0.0", None, "4.9"]
    users = make_users(ctx, app, 6, versions=versions)
    # Another platform's 5.1.0 is not the affected android range.
    service.report_user_version(app_ctx(ctx, app), users[3], UserVersionSet(platform="ios", version="5.1.0"))
    vuln = fixed_vulnerability(ctx, env, app)
    campaign = service.start_campaign(ctx, vuln.id, campaign_body(audience="affected"))
    assert campaign.users_total == 5  # the users who report a version
    ctx.session.flush()
    _run(session_factory, clock, env, chunk=2)
    done = _reload(ctx.session, campaign)
    assert {u for u, _ in _per_user(ctx.session, done)} == {users[0], users[1]}
    assert (done.users_done, done.users_matched, done.queued) == (5, 2, {"inbox": 2})


def test_sms_goes_to_verified_phones_only_and_email_counts_every_user_as_unreachable(
    ctx: Ctx, services: Services, app: App, session_factory: sessionmaker[Session], clock: FixedClock
) -> None:
    env = services.vulnerabilities
    users = make_users(ctx, app, 4)
    verify_phone(app_ctx(ctx, app), users[1], "13800138001", env=services.identity)
    verify_phone(app_ctx(ctx, app), users[3], "13800138003", env=services.identity)
    vuln = fixed_vulnerability(ctx, env, app)
    campaign = service.start_campaign(ctx, vuln.id, campaign_body(channels=["sms", "email"]))
    ctx.session.flush()
    _run(session_factory, clock, env, chunk=10)
    done = _reload(ctx.session, campaign)
    assert (done.queued, done.skipped_no_address) == ({"sms": 2, "email": 0}, {"sms": 2, "email": 4})
    sms = ctx.session.scalars(select(Notice).where(Notice.channel == "sms").order_by(Notice.user_id)).all()
    assert [(n.user_id, n.recipient_masked) for n in sms] == sorted(
        [(users[1], "+86138****8001"), (users[3], "+86138****8003")]
    )
    opened = vault.open_sealed(env.keyring, sms[0].recipient_sealed or "", kind=vault.PiKind.PHONE,
                               context=str(app.id))  # fmt: skip
    assert opened in {"+8613800138001", "+8613800138003"}
    view = service.get_campaign(ctx, done.id)
    assert view.delivery["sms"].queued == 2
    assert view.delivery["email"].total == 0


def test_delivery_per_channel_is_read_back_from_the_outbox(
    ctx: Ctx, services: Services, app: App, session_factory: sessionmaker[Session], clock: FixedClock
) -> None:
    env = services.vulnerabilities
    make_users(ctx, app, 3)
    vuln = fixed_vulnerability(ctx, env, app)
    campaign = service.start_campaign(ctx, vuln.id, campaign_body())
    ctx.session.flush()
    _run(session_factory, clock, env, chunk=10)
    n = services.notices
    notices.deliver_due(session_factory, clock=clock, senders=n.senders, keyring=n.keyring, worker="t")
    view = service.get_campaign(ctx, campaign.id)
    assert (view.delivery["inbox"].sent, view.delivery["inbox"].pending) == (3, 0)
    assert [v.campaign.id for v in service.list_campaigns(ctx, vuln.id)] == [campaign.id]


def test_a_leased_campaign_stays_with_its_runner_until_the_lease_runs_out(
    ctx: Ctx, env: VulnerabilitiesEnv, app: App, session_factory: sessionmaker[Session], clock: FixedClock
) -> None:
    users = make_users(ctx, app, 5)
    vuln = fixed_vulnerability(ctx, env, app)
    campaign = service.start_campaign(ctx, vuln.id, campaign_body())
    ctx.session.flush()
    assert _step(session_factory, clock, env, chunk=2, worker="a") is not None
    assert _step(session_factory, clock, env, chunk=2, worker="b") is None  # a holds it
    assert _reload(ctx.session, campaign).claimed_by == "a"
    clock.advance(service.LEASE)  # a died: its lease runs out and b takes over at the cursor
    while _step(session_factory, clock, env, chunk=2, worker="b") is not None:
        pass
    done = _reload(ctx.session, campaign)
    assert (done.state, done.claimed_by, done.lease_until) == ("done", None, None)
    assert _per_user(ctx.session, done) == {(u, "inbox"): 1 for u in users}


def test_a_cancelled_campaign_takes_no_further_chunk(
    ctx: Ctx, env: VulnerabilitiesEnv, app: App, session_factory: sessionmaker[Session], clock: FixedClock
) -> None:
    make_users(ctx, app, 5)
    vuln = fixed_vulnerability(ctx, env, app)
    campaign = service.start_campaign(ctx, vuln.id, campaign_body())
    ctx.session.flush()
    _step(session_factory, clock, env, chunk=2)
    cancelled = service.cancel_campaign(ctx, campaign.id)
    assert (cancelled.state, cancelled.finished_at) == (CampaignState.CANCELLED, clock.now())
    ctx.session.flush()
    assert _step(session_factory, clock, env, chunk=2) is None
    assert _reload(ctx.session, campaign).users_done == 2
    with pytest.raises(CampaignClosed):
        service.cancel_campaign(ctx, campaign.id)


def test_a_second_campaign_waits_until_the_first_is_over(ctx: Ctx, env: VulnerabilitiesEnv, app: App) -> None:
    vuln = fixed_vulnerability(ctx, env, app)
    first = service.start_campaign(ctx, vuln.id, campaign_body())
    with pytest.raises(CampaignAlreadyOpen):
        service.start_campaign(ctx, vuln.id, campaign_body(channels=["sms"]))
    service.cancel_campaign(ctx, first.id)
    assert service.start_campaign(ctx, vuln.id, campaign_body()).state == "queued"


def test_the_periodic_job_runs_campaigns_to_the_end_in_one_tick(
    ctx: Ctx, env: VulnerabilitiesEnv, app: App, session_factory: sessionmaker[Session], clock: FixedClock
) -> None:
    make_users(ctx, app, 5)
    vuln = fixed_vulnerability(ctx, env, app)
    campaign = service.start_campaign(ctx, vuln.id, campaign_body())
    ctx.session.flush()
    jobs = service.VulnerabilityJobs(session_factory, clock=clock, env=env, interval=60, chunk=2)
    run = jobs.step()
    assert (run.chunks, run.users) == (3, 5)
    assert _reload(ctx.session, campaign).state == "done"
    assert jobs.step().chunks == 0
