"""User notice campaigns (VUL-04, VR 7(3)): once a vulnerability is fixed, every user of the app — or those on an
affected version — is told through the notices outbox (in-app inbox, SMS, e-mail).

A campaign goes through the app's users in id order, one chunk per transaction (`run_campaign_step`): the chunk's
notices, the cursor (the last user id done) and the counts commit together. A worker that dies mid-chunk rolls
the chunk back and the next step redoes it; a committed chunk is behind the cursor and never redone. So 100 000
users never hold one long transaction, and no user gets a notice twice or none.

Two runners never take the same chunk: the step locks the campaign row (FOR UPDATE SKIP LOCKED on PostgreSQL;
SQLite's BEGIN IMMEDIATE serialises writers) and reads the cursor under that lock. The lease (`claimed_by`,
`lease_until`) then keeps the campaign with that runner between its chunks, so the server's periodic job and a
CLI run do not take turns on it; a lease that runs out (its runner died) frees the campaign for any runner.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Final

from packaging.version import Version
from sqlalchemy import Select, func, or_, select

from appcomply import accounts, audit, identity, notices
from appcomply.kernel.context import Ctx
from appcomply.kernel.ids import new_id
from appcomply.vulnerabilities import rules
from appcomply.vulnerabilities.errors import CampaignAlreadyOpen, CampaignClosed, CampaignNotFound
from appcomply.vulnerabilities.events import VulnerabilitiesEvent
from appcomply.vulnerabilities.models import NoticeCampaign, TimelineEntry, UserAppVersion, Vulnerability
from appcomply.vulnerabilities.rules import Audience, CampaignState
from appcomply.vulnerabilities.schemas import CampaignCreate
from appcomply.vulnerabilities.service._env import VulnerabilitiesEnv
from appcomply.vulnerabilities.service._intake import ref
from appcomply.vulnerabilities.service._queries import get_vulnerability

DEFAULT_CHUNK: Final = 1000  # users per transaction: two multi-row INSERTs per channel, well under a second
LEASE: Final = dt.timedelta(seconds=120)  # how long a runner keeps a campaign after its last chunk
REASON_KIND: Final = "notice_campaign"  # the notices' reason: their delivery is read back by it
# Users who may still be reached: a closed or cancelled (注销) account is no longer a user of the app.
_REACHABLE: Final = (accounts.AccountStatus.ACTIVE.value, accounts.AccountStatus.RESTRICTED.value)
_OPEN: Final = [s.value for s in rules.OPEN_CAMPAIGN_STATES]
_ADDRESSED: Final = (notices.Channel.SMS.value, notices.Channel.EMAIL.value)


def campaign_ref(campaign: NoticeCampaign) -> audit.Subject:
    return audit.Subject(REASON_KIND, str(campaign.id))


def start_campaign(ctx: Ctx, vulnerability_id: uuid.UUID, body: CampaignCreate) -> NoticeCampaign:
    """Queue a notice campaign to the app's users; the periodic job (or `vulns campaigns run`) sends it in chunks.

    Only for a fixed or disclosed vulnerability (CampaignNeedsFix): before the fix, a notice would point users at
    an open hole (VR 9) and give them nothing to do. The affected audience needs affected ranges
    (CampaignAudienceInvalid). One campaign at a time per vulnerability (CampaignAlreadyOpen): a double click
    must not notify everyone twice. `users_total` is an estimate: users who register meanwhile are notified too.
    Emits vulnerabilities.campaign.started and a timeline entry.
    """
    vuln = get_vulnerability(ctx, vulnerability_id)
    rules.check_campaign(state=rules.State(vuln.state), audience=body.audience,
                         affected_versions=vuln.affected_versions)  # fmt: skip
    going = ctx.session.scalar(
        select(NoticeCampaign.id).where(NoticeCampaign.vulnerability_id == vuln.id, NoticeCampaign.state.in_(_OPEN))
    )
    if going is not None:
        raise CampaignAlreadyOpen("a campaign for this vulnerability is still going: wait for it or stop it",
                                  campaign_id=str(going))  # fmt: skip
    now = ctx.clock.now()
    campaign = NoticeCampaign(
        id=new_id(), app_id=vuln.app_id, vulnerability_id=vuln.id, channels=list(body.channels),
        audience=body.audience.value, subject_zh=body.subject_zh, subject_en=body.subject_en, body_zh=body.body_zh,
        body_en=body.body_en, state=CampaignState.QUEUED.value, cursor=None,
        queued=dict.fromkeys(body.channels, 0), skipped_no_address={c: 0 for c in body.channels if c in _ADDRESSED},
        users_total=_estimate(ctx, vuln, body.audience), users_done=0, users_matched=0, chunks=0,
        created_by=ctx.actor.label[:120], created_at=now,
    )  # fmt: skip
    ctx.session.add(campaign)
    data = {"campaign_id": str(campaign.id), "channels": campaign.channels, "audience": campaign.audience,
            "users_total": campaign.users_total}  # fmt: skip
    ctx.session.add(
        TimelineEntry(id=new_id(), vulnerability_id=vuln.id, at=now, kind="notice_campaign", from_state=None,
                      to_state=None, actor_label=ctx.actor.label, note=body.subject_zh, public=False, data=data)
    )  # fmt: skip
    ctx.session.flush()
    audit.record(ctx, VulnerabilitiesEvent.CAMPAIGN_STARTED, subject=ref(vuln), app_id=vuln.app_id, data=data)
    return campaign


def _estimate(ctx: Ctx, vuln: Vulnerability, audience: Audience) -> int:
    if audience is Audience.ALL:
        stmt = select(func.count()).select_from(_users(vuln.app_id).subquery())
    else:
        stmt = select(func.count()).select_from(_reporting(vuln.app_id).subquery())
    return int(ctx.session.scalar(stmt) or 0)


def _users(app_id: uuid.UUID) -> Select[uuid.UUID]:
    user = accounts.EndUser
    return select(user.id).where(user.app_id == app_id, user.status.in_(_REACHABLE))


def _reporting(app_id: uuid.UUID) -> Select[uuid.UUID]:
    """Reachable users who reported a version (the affected audience is among them), each once."""
    user = accounts.EndUser
    return (
        select(UserAppVersion.user_id)
        .join(user, user.id == UserAppVersion.user_id)
        .where(UserAppVersion.app_id == app_id, user.status.in_(_REACHABLE))
        .group_by(UserAppVersion.user_id)
    )


@dataclass(frozen=True, slots=True)
class CampaignStep:
    """What one step did: the chunk's users (`done`), those of the audience (`matched`) and notices per channel."""

    campaign_id: uuid.UUID
    done: int
    matched: int
    queued: dict[str, int]
    finished: bool


def run_campaign_step(
    ctx: Ctx,
    env: VulnerabilitiesEnv,
    *,
    chunk: int = DEFAULT_CHUNK,
    worker: str = "server",
    campaign_id: uuid.UUID | None = None,
) -> CampaignStep | None:
    """Process the next chunk of users of one unfinished campaign, in the caller's (one, short) transaction.

    Claims the oldest campaign with work whose lease is free, expired or `worker`'s own (or `campaign_id` only);
    None when there is none. Queues the chunk's notices per channel, advances the cursor and the counts and leases
    the campaign to `worker`; a chunk shorter than `chunk` finishes the campaign. Emits one
    vulnerabilities.campaign.chunk_queued per chunk (and the outbox's notices.batch.queued per channel), and
    vulnerabilities.campaign.finished at the end.
    """
    campaign = _claim(ctx, worker=worker[:64], campaign_id=campaign_id)
    if campaign is None:
        return None
    now = ctx.clock.now()
    if campaign.state == CampaignState.QUEUED:
        campaign.state, campaign.started_at = CampaignState.RUNNING.value, now
    vuln = ctx.session.get_one(Vulnerability, campaign.vulnerability_id)
    scanned, targets = _next_users(ctx, campaign, vuln, chunk)
    queued = _enqueue(ctx, env, campaign, targets) if targets else dict.fromkeys(campaign.channels, 0)
    if scanned:
        campaign.cursor = scanned[-1]
        campaign.users_done += len(scanned)
        campaign.users_matched += len(targets)
        campaign.chunks += 1
        campaign.queued = {c: campaign.queued.get(c, 0) + queued[c] for c in campaign.channels}
        data = {"chunk": campaign.chunks, "users": len(scanned), "matched": len(targets), "queued": queued,
                "cursor": str(campaign.cursor), "worker": worker}  # fmt: skip
        audit.record(ctx, VulnerabilitiesEvent.CAMPAIGN_CHUNK_QUEUED, subject=campaign_ref(campaign),
                     app_id=campaign.app_id, data=data)  # fmt: skip
    finished = len(scanned) < chunk
    if finished:
        _finish(ctx, campaign, CampaignState.DONE, VulnerabilitiesEvent.CAMPAIGN_FINISHED)
    else:
        campaign.claimed_by, campaign.lease_until = worker[:64], now + LEASE
    ctx.session.flush()
    return CampaignStep(campaign.id, len(scanned), len(targets), queued, finished)


def _claim(ctx: Ctx, *, worker: str, campaign_id: uuid.UUID | None) -> NoticeCampaign | None:
    now = ctx.clock.now()
    stmt = (
        select(NoticeCampaign)
        .where(
            NoticeCampaign.state.in_(_OPEN),
            or_(NoticeCampaign.lease_until.is_(None), NoticeCampaign.lease_until <= now,
                NoticeCampaign.claimed_by == worker),
        )
        .order_by(NoticeCampaign.created_at, NoticeCampaign.id)
        .limit(1)
        # The cursor is read under this lock: a second runner skips the row (PostgreSQL) or waits for the write
        # lock and then sees the advanced cursor (SQLite). populate_existing: never a cursor cached in the session.
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )  # fmt: skip
    if campaign_id is not None:
        stmt = stmt.where(NoticeCampaign.id == campaign_id)
    return ctx.session.scalars(stmt).first()


def _next_users(
    ctx: Ctx, campaign: NoticeCampaign, vuln: Vulnerability, chunk: int
) -> tuple[list[uuid.UUID], list[uuid.UUID]]:
    """The next `chunk` users after the cursor (keyset on id) and, of those, the ones to notify."""
    if campaign.audience == Audience.ALL:
        stmt = _users(campaign.app_id).order_by(accounts.EndUser.id).limit(chunk)
        if campaign.cursor is not None:
            stmt = stmt.where(accounts.EndUser.id > campaign.cursor)
        scanned = list(ctx.session.scalars(stmt))
        return scanned, scanned
    page = _reporting(campaign.app_id).order_by(UserAppVersion.user_id).limit(chunk)
    if campaign.cursor is not None:
        page = page.where(UserAppVersion.user_id > campaign.cursor)
    scanned = list(ctx.session.scalars(page))
    if not scanned:
        return [], []
    versions: dict[uuid.UUID, list[tuple[str, str]]] = defaultdict(list)
    rows = select(UserAppVersion.user_id, UserAppVersion.platform, UserAppVersion.version).where(
        UserAppVersion.app_id == campaign.app_id, UserAppVersion.user_id.in_(scanned)
    )
    for user_id, platform, version in ctx.session.execute(rows):
        versions[user_id].append((platform, version))
    # The range test runs here, over the chunk: versions are compared as `packaging` orders them, which SQL cannot.
    ranges, parsed = rules.affected_ranges(vuln.affected_versions), dict[str, Version]()
    return scanned, [u for u in scanned if rules.affected_match(versions[u], ranges, parsed)]


def _enqueue(ctx: Ctx, env: VulnerabilitiesEnv, campaign: NoticeCampaign, targets: list[uuid.UUID]) -> dict[str, int]:
    subject, body = rules.campaign_text(subject_zh=campaign.subject_zh, subject_en=campaign.subject_en,
                                        body_zh=campaign.body_zh, body_en=campaign.body_en)  # fmt: skip
    reason, app_id = campaign_ref(campaign), campaign.app_id
    queued: dict[str, int] = {}
    skipped = dict(campaign.skipped_no_address)
    for name in campaign.channels:
        channel = notices.Channel(name)
        if channel is notices.Channel.INBOX:
            queued[name] = notices.enqueue_many(ctx, app_id=app_id, user_ids=targets, channel=channel,
                                                subject=subject, body=body, reason=reason)  # fmt: skip
            continue
        # End users have no e-mail address on this platform (accounts and identity hold none): every one is
        # skipped and counted, so the console says how many the channel could not reach.
        recipients: dict[uuid.UUID, str] = (
            identity.verified_phones(ctx, app_id, targets, keyring=env.keyring) if channel is notices.Channel.SMS
            else {}
        )  # fmt: skip
        queued[name] = (
            notices.enqueue_addressed(ctx, app_id=app_id, recipients=recipients, channel=channel, subject=subject,
                                      body=body, reason=reason, keyring=env.keyring)
            if recipients else 0
        )  # fmt: skip
        skipped[name] = skipped.get(name, 0) + len(targets) - len(recipients)
    campaign.skipped_no_address = skipped
    return queued


def _finish(ctx: Ctx, campaign: NoticeCampaign, state: CampaignState, event: VulnerabilitiesEvent) -> None:
    campaign.state, campaign.finished_at = state.value, ctx.clock.now()
    campaign.claimed_by = campaign.lease_until = None
    data: dict[str, Any] = {"users_done": campaign.users_done, "users_matched": campaign.users_matched,
                            "queued": campaign.queued, "skipped_no_address": campaign.skipped_no_address}  # fmt: skip
    audit.record(ctx, event, subject=campaign_ref(campaign), app_id=campaign.app_id, data=data)


def cancel_campaign(ctx: Ctx, campaign_id: uuid.UUID, *, vulnerability_id: uuid.UUID | None = None) -> NoticeCampaign:
    """Stop a queued or running campaign: no further chunk is taken. Notices of committed chunks stay in the
    outbox (they are on their way, and each is already evidence of a notice given). CampaignClosed once done or
    cancelled. Emits vulnerabilities.campaign.cancelled.

    `vulnerability_id`, when the caller names the campaign under a vulnerability (the console's URL): a campaign
    of another vulnerability is CampaignNotFound there, and nothing changes."""
    campaign = _get(ctx, campaign_id, lock=True)
    if vulnerability_id is not None and campaign.vulnerability_id != vulnerability_id:
        raise CampaignNotFound("no such notice campaign for this vulnerability", campaign_id=str(campaign_id))
    if campaign.state not in _OPEN:
        raise CampaignClosed(f"the campaign is already {campaign.state}", state=campaign.state)
    _finish(ctx, campaign, CampaignState.CANCELLED, VulnerabilitiesEvent.CAMPAIGN_CANCELLED)
    ctx.session.flush()
    return campaign


def _get(ctx: Ctx, campaign_id: uuid.UUID, *, lock: bool = False) -> NoticeCampaign:
    stmt = select(NoticeCampaign).where(NoticeCampaign.id == campaign_id)
    if lock:
        # Waits for a running chunk to commit, so a cancel never lands between a chunk's read and its write.
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    campaign = ctx.session.scalars(stmt).first()
    if campaign is None:
        raise CampaignNotFound("no such notice campaign", campaign_id=str(campaign_id))
    get_vulnerability(ctx, campaign.vulnerability_id)  # the caller may see the vulnerability (VulnerabilityNotFound)
    return campaign


@dataclass(frozen=True, slots=True)
class CampaignView:
    """A campaign with its outbox delivery per channel, read back from the notices it queued."""

    campaign: NoticeCampaign
    delivery: dict[str, notices.DeliverySummary]  # by channel: inbox, sms, email


def get_campaign(ctx: Ctx, campaign_id: uuid.UUID) -> CampaignView:
    """The campaign and where its notices stand in the outbox, per channel. CampaignNotFound."""
    return _view(ctx, _get(ctx, campaign_id))


def _view(ctx: Ctx, campaign: NoticeCampaign) -> CampaignView:
    delivery = notices.delivery_by_channel(ctx, app_id=campaign.app_id, reason=campaign_ref(campaign))
    return CampaignView(campaign, {channel.value: summary for channel, summary in delivery.items()})


def list_campaigns(
    ctx: Ctx, vulnerability_id: uuid.UUID | None = None, *, open_only: bool = False, limit: int = 50
) -> list[CampaignView]:
    """A vulnerability's campaigns (or every one), newest first, each with its delivery per channel."""
    stmt = select(NoticeCampaign).order_by(NoticeCampaign.created_at.desc(), NoticeCampaign.id.desc()).limit(limit)
    if vulnerability_id is not None:
        get_vulnerability(ctx, vulnerability_id)
        stmt = stmt.where(NoticeCampaign.vulnerability_id == vulnerability_id)
    if open_only:
        stmt = stmt.where(NoticeCampaign.state.in_(_OPEN))
    return [_view(ctx, c) for c in ctx.session.scalars(stmt)]
