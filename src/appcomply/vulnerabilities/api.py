"""JSON API of the vulnerabilities module: the public intake and tracking, the security team's workflow, and the
security incidents."""

from __future__ import annotations

import hashlib
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response, status
from fastapi.responses import JSONResponse

from appcomply.kernel.actor import Role
from appcomply.kernel.context import Ctx
from appcomply.vulnerabilities import service
from appcomply.vulnerabilities.models import VersionPolicy
from appcomply.vulnerabilities.rules import (
    Audience,
    CampaignState,
    Channel,
    ClockKind,
    ClockOwner,
    ClockStatus,
    IncidentGrade,
    IncidentState,
    State,
)
from appcomply.vulnerabilities.schemas import (
    AppVersionCreate,
    AppVersionPage,
    AppVersionRead,
    AttachmentRead,
    CampaignCreate,
    CampaignRead,
    ChannelCounts,
    ClockRead,
    ExposureRead,
    FollowUpCreate,
    IncidentClose,
    IncidentCreate,
    IncidentHandled,
    IncidentPage,
    IncidentRead,
    IncidentSummary,
    IncidentTimelineRead,
    IncidentUpdate,
    MessageCreate,
    PublicMessage,
    ReportCreate,
    ReportReceipt,
    ReportStatus,
    ShareCreate,
    SubmissionCreate,
    SupplierNoticeCreate,
    TimelineRead,
    TransitionCreate,
    TriageUpdate,
    UpgradeRead,
    UpgradeReason,
    UpgradeSet,
    UserVersionRead,
    UserVersionSet,
    VersionPolicyRead,
    VersionPolicySet,
    VersionStatusRead,
    VulnerabilityPage,
    VulnerabilityRead,
    VulnerabilitySummary,
)
from appcomply.vulnerabilities.service import VulnerabilitiesEnv
from appcomply.web.deps import env_dependency, hot_path, run_ending_transaction, writes
from appcomply.web.downloads import attachment_response
from appcomply.web.openapi import problem_responses
from appcomply.web.responses import json_response
from appcomply.web.security import Guard, PublicCtx

VulnerabilitiesEnvDep = Annotated[VulnerabilitiesEnv, Depends(env_dependency("vulnerabilities", VulnerabilitiesEnv))]
SecurityCtx = Annotated[Ctx, Depends(Guard(Role.SECURITY))]
AppCtx = Annotated[Ctx, Depends(Guard(app_key=True, staff=False))]
ReleaseCtx = Annotated[Ctx, Depends(Guard(Role.SECURITY, app_key=True))]
Platform = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[a-z_]+$")]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=8,
        max_length=80,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="A key of yours (e.g. a UUID): a retry with the same key and content returns the first receipt.",
    ),
]

public_router = APIRouter(prefix="/v1/vulnerability-reports", tags=["vulnerabilities"])
router = APIRouter(prefix="/v1/vulnerabilities", tags=["vulnerabilities"], responses=problem_responses(401, 403))
versions_router = APIRouter(tags=["app versions"], responses=problem_responses(401, 403))
incidents_router = APIRouter(
    prefix="/v1/security-incidents", tags=["vulnerabilities"], responses=problem_responses(401, 403)
)
campaigns_router = APIRouter(
    prefix="/v1/notice-campaigns", tags=["vulnerabilities"], responses=problem_responses(401, 403)
)


@public_router.post(
    "",
    response_model=ReportReceipt,
    status_code=status.HTTP_201_CREATED,
    summary="Report a security vulnerability (no account needed)",
    responses={
        200: {"description": "A retry: the receipt of the earlier identical submission."},
        **problem_responses(400, 404, 409, 413, 422, 429),
    },
)
@hot_path
async def submit_report(
    request: Request,
    ctx: PublicCtx,
    env: VulnerabilitiesEnvDep,
    body: ReportCreate,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Anyone may report. The answer holds a tracking token, shown this once: keep it to follow the report at
    `GET /v1/vulnerability-reports/{token}`. The receipt is logged (kept ≥ 6 months, VR 5). Too many reports from
    one address: 429 with `Retry-After`."""
    client_ip = request.client.host if request.client else None
    # One hop to the thread pool for the work and the commit: on SQLite the transaction holds the file's one writer
    # turn, which must not wait for the event loop to schedule a second hop.
    done = await run_ending_transaction(
        request, service.submit_report, ctx, env, report=body, channel=Channel.API, source_ip=client_ip,
        idempotency_key=idempotency_key,
    )  # fmt: skip
    receipt = receipt_of(done)
    code = status.HTTP_200_OK if done.replayed else status.HTTP_201_CREATED
    return JSONResponse(receipt.model_dump(mode="json"), status_code=code)


def receipt_of(done: service.Submitted) -> ReportReceipt:
    return ReportReceipt(
        tracking_token=done.tracking_token, status=done.state, received_at=done.received_at,
        status_url=f"/v1/vulnerability-reports/{done.tracking_token}",
    )  # fmt: skip


@public_router.get(
    "/{token}",
    response_model=ReportStatus,
    summary="Follow a report by its tracking token",
    responses=problem_responses(404, 422),
)
def track_report(
    ctx: PublicCtx, token: Annotated[str, Path(min_length=10, max_length=100, pattern=r"^vrt_[A-Za-z0-9_-]+$")]
) -> ReportStatus:
    """The status and the messages the security team made public; nothing else about the report."""
    tracked = service.track_report(ctx, token)
    vuln = tracked.vulnerability
    return ReportStatus(
        title=vuln.title, status=State(vuln.state), received_at=vuln.received_at, updated_at=vuln.updated_at,
        messages=[PublicMessage(at=m.at, message=m.note or "") for m in tracked.messages],
    )  # fmt: skip


# --- the security team --------------------------------------------------------------------------------------------


@router.get(
    "", response_model=VulnerabilityPage, summary="Vulnerabilities, newest first", responses=problem_responses(422)
)
def list_vulnerabilities(
    ctx: SecurityCtx,
    app_id: uuid.UUID | None = None,
    state: State | None = None,
    severity: Annotated[str | None, Query(pattern="^(none|low|medium|high|critical)$")] = None,
    clock: Annotated[ClockStatus | None, Query(description="The MIIT report clock's status.")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    after: uuid.UUID | None = None,
) -> VulnerabilityPage:
    """Filter by app, state, CVSS severity, and the state of the authority report clock (open, missed, met)."""
    rows = service.list_vulnerabilities(
        ctx, app_id=app_id, state=state, severity=severity, clock=clock, limit=limit + 1, after=after
    )
    return VulnerabilityPage(
        items=[summary_of(r) for r in rows[:limit]],
        next_cursor=rows[limit - 1].vulnerability.id if len(rows) > limit else None,
    )


def summary_of(row: service.Listed) -> VulnerabilitySummary:
    out = VulnerabilitySummary.model_validate(row.vulnerability)
    if row.report_clock is not None:
        out.report_due_at, out.report_clock = row.report_clock.clock.due_at, row.report_clock.status
    return out


@router.get(
    "/{vulnerability_id}", response_model=VulnerabilityRead, summary="One vulnerability with its clocks and timeline",
    responses=problem_responses(404, 422),
)  # fmt: skip
def read_vulnerability(ctx: SecurityCtx, vulnerability_id: uuid.UUID) -> VulnerabilityRead:
    """Everything the team knows: facts, CVSS, the clocks with time left, the timeline, the attachments. The
    reporter's contact is masked."""
    return detail_of(ctx, vulnerability_id)


def detail_of(ctx: Ctx, vulnerability_id: uuid.UUID) -> VulnerabilityRead:
    vuln = service.get_vulnerability(ctx, vulnerability_id)
    clocks = service.list_clocks(ctx, vuln.id)
    out = VulnerabilityRead.model_validate(vuln)
    out.clocks = [clock_read(c) for c in clocks]
    out.timeline = [TimelineRead.model_validate(t) for t in service.list_timeline(ctx, vuln.id)]
    out.attachments = [AttachmentRead.model_validate(a) for a in service.list_attachments(ctx, vuln.id)]
    report = next((c for c in clocks if c.kind is ClockKind.MIIT_REPORT), None)
    if report is not None:
        out.report_due_at, out.report_clock = report.clock.due_at, report.status
    return out


def clock_read(view: service.ClockView) -> ClockRead:
    c = view.clock
    return ClockRead(
        kind=view.kind, started_at=c.started_at, due_at=c.due_at, status=view.status, seconds_left=view.seconds_left,
        alerts_sent=c.alerts_sent, submitted_at=c.submitted_at, submitted_by=c.submitted_by, channel=c.channel,
        reference=c.reference,
    )  # fmt: skip


@router.patch(
    "/{vulnerability_id}", response_model=VulnerabilityRead, summary="Record triage facts (CVSS, versions, supplier…)",
    responses=problem_responses(400, 404, 413, 422),
)  # fmt: skip
def update_triage(ctx: SecurityCtx, vulnerability_id: uuid.UUID, body: TriageUpdate) -> VulnerabilityRead:
    """Only the fields sent change. `national_security: true` moves the report clock to 24 h from intake."""
    service.update_triage(ctx, vulnerability_id, body)
    return detail_of(ctx, vulnerability_id)


@router.post(
    "/{vulnerability_id}/transitions", response_model=VulnerabilityRead, summary="Move along the workflow",
    responses=problem_responses(400, 404, 409, 413, 422),
)  # fmt: skip
def transition(ctx: SecurityCtx, vulnerability_id: uuid.UUID, body: TransitionCreate) -> VulnerabilityRead:
    """received → triaged → confirmed | rejected | duplicate → fixing → fixed → disclosed (409 when not allowed;
    `disclosed` needs the released fix, VR 9)."""
    service.transition(ctx, vulnerability_id, to=body.to, note=body.note, duplicate_of=body.duplicate_of)
    return detail_of(ctx, vulnerability_id)


@router.post(
    "/{vulnerability_id}/messages", response_model=TimelineRead, status_code=status.HTTP_201_CREATED,
    summary="A note for the team, or a message the reporter sees", responses=problem_responses(400, 404, 413, 422),
)  # fmt: skip
def add_message(ctx: SecurityCtx, vulnerability_id: uuid.UUID, body: MessageCreate) -> TimelineRead:
    """`public: true` messages are what the reporter reads with their tracking token; others stay internal."""
    entry = service.add_message(ctx, vulnerability_id, message=body.message, public=body.public)
    return TimelineRead.model_validate(entry)


@router.post(
    "/{vulnerability_id}/supplier-notices", response_model=TimelineRead, status_code=status.HTTP_201_CREATED,
    summary="Record the notice to the upstream supplier (VR 7(1))", responses=problem_responses(400, 404, 413, 422),
)  # fmt: skip
def notify_supplier(ctx: SecurityCtx, vulnerability_id: uuid.UUID, body: SupplierNoticeCreate) -> TimelineRead:
    """When the flaw lies in an SDK or library, its supplier must be told at once: who, how, their reference."""
    return TimelineRead.model_validate(service.notify_supplier(ctx, vulnerability_id, body))


@router.post(
    "/{vulnerability_id}/clocks/{kind}/submission", response_model=ClockRead,
    summary="Record that the authority report went out", responses=problem_responses(400, 404, 409, 413, 422),
)  # fmt: skip
def record_submission(
    ctx: SecurityCtx, vulnerability_id: uuid.UUID, kind: ClockKind, body: SubmissionCreate
) -> ClockRead:
    """Closes the clock as met (or missed, when late) with who, when, channel and reference."""
    return clock_read(service.record_submission(ctx, vulnerability_id, kind, body))


@router.post(
    "/{vulnerability_id}/shares", response_model=TimelineRead, status_code=status.HTTP_201_CREATED,
    summary="Record sharing with another party", responses=problem_responses(400, 404, 413, 422),
)  # fmt: skip
def share(ctx: SecurityCtx, vulnerability_id: uuid.UUID, body: ShareCreate) -> TimelineRead:
    """Before disclosure, a foreign recipient other than the product's provider is refused: 403
    `vulnerabilities.sharing.foreign_refused` (VR 9(7))."""
    return TimelineRead.model_validate(service.share_vulnerability(ctx, vulnerability_id, body))


@router.get(
    "/{vulnerability_id}/attachments/{attachment_id}",
    summary="Download an attachment (never shown inline)",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}, **problem_responses(404, 422)},
)
def download_attachment(ctx: SecurityCtx, vulnerability_id: uuid.UUID, attachment_id: uuid.UUID) -> Response:
    """Served as application/octet-stream with Content-Disposition: attachment, so no browser renders it."""
    row = service.get_attachment(ctx, vulnerability_id, attachment_id)
    return attachment_response(row.filename, row.content, sha256=row.sha256)


@router.get(
    "/{vulnerability_id}/csaf",
    summary="The advisory as a CSAF 2.0 document (draft until disclosed)",
    response_class=JSONResponse,
    responses={200: {"content": {"application/json": {}}}, **problem_responses(404, 422)},
)
def read_csaf(ctx: SecurityCtx, env: VulnerabilitiesEnvDep, vulnerability_id: uuid.UUID) -> JSONResponse:
    """Validated against the OASIS CSAF 2.0 schema. Before disclosure the document's status is `draft`, for review;
    only disclosed advisories are published (under /.well-known/csaf/, VR 9)."""
    filename, document = service.preview_csaf(ctx, vulnerability_id, base_url=env.public_url.rstrip("/"))
    return JSONResponse(document, headers={"Content-Disposition": f'inline; filename="{filename}"'})


# --- app versions and forced upgrades (VUL-04) ----------------------------------------------------------------------


@versions_router.get(
    "/v1/app-versions/status",
    response_model=VersionStatusRead,
    summary="Must, should or need this user upgrade? (on every app start)",
    responses=problem_responses(422),
)
@hot_path
async def read_version_status(
    request: Request,
    ctx: AppCtx,
    platform: Annotated[str, Query(min_length=1, max_length=32, pattern=r"^[a-z_]+$")],
    version: Annotated[str, Query(min_length=1, max_length=64)],
) -> Response:
    """`upgrade_required`: a fixed vulnerability (or a minimum set by hand) needs a newer release before the app
    serves this user; `upgrade_recommended`: a newer release fixes something; `ok`. The reason comes in Chinese and
    English with the vulnerabilities behind it. Answered from memory (a change is seen within a second) or one read;
    call it as often as you like."""
    assert ctx.actor.app_id is not None  # noqa: S101 - the guard admits app keys only
    done = service.version_status_in_memory(ctx.actor.app_id, platform=platform, version=version)
    if done is None:
        done = await run_ending_transaction(request, service.version_status, ctx, platform=platform, version=version)
    return json_response(done)


@versions_router.post(
    "/v1/apps/{app_id}/versions",
    response_model=AppVersionRead,
    status_code=status.HTTP_201_CREATED,
    summary="Register a release of the app",
    responses=problem_responses(400, 404, 409, 422),
)
def register_version(ctx: ReleaseCtx, app_id: uuid.UUID, body: AppVersionCreate) -> AppVersionRead:
    """By the app's release pipeline (its API key) or the security team. 409 if the platform already has it."""
    return AppVersionRead.model_validate(service.register_version(ctx, app_id, body))


@versions_router.get(
    "/v1/apps/{app_id}/versions",
    response_model=AppVersionPage,
    summary="The app's registered releases, newest first",
    responses=problem_responses(404, 422),
)
def list_versions(
    ctx: ReleaseCtx,
    app_id: uuid.UUID,
    platform: Annotated[str | None, Query(max_length=32, pattern=r"^[a-z_]+$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    after: uuid.UUID | None = None,
) -> AppVersionPage:
    """Filter by platform; `after` is the previous page's `next_cursor`."""
    rows = service.list_versions(ctx, app_id, platform=platform, limit=limit + 1, after=after)
    return AppVersionPage(
        items=[AppVersionRead.model_validate(r) for r in rows[:limit]],
        next_cursor=rows[limit - 1].id if len(rows) > limit else None,
    )


def policy_read(policy: VersionPolicy) -> VersionPolicyRead:
    return VersionPolicyRead(
        app_id=policy.app_id, platform=policy.platform, minimum_required=policy.minimum_required,
        minimum_recommended=policy.minimum_recommended, latest_version=policy.latest_version,
        manual_minimum=policy.manual_minimum, manual_reason=policy.manual_reason,
        reasons=[UpgradeReason(**r) for r in policy.reasons], updated_at=policy.updated_at,
    )  # fmt: skip


@versions_router.get(
    "/v1/apps/{app_id}/version-policies/{platform}",
    response_model=VersionPolicyRead,
    summary="What the version check answers on a platform, and why",
    responses=problem_responses(404, 422),
)
def read_version_policy(ctx: ReleaseCtx, app_id: uuid.UUID, platform: Platform) -> VersionPolicyRead:
    """The minimums (required, recommended), the latest release, the manual minimum and the fixes behind them."""
    return policy_read(service.get_policy(ctx, app_id, platform))


@versions_router.put(
    "/v1/apps/{app_id}/version-policies/{platform}",
    response_model=VersionPolicyRead,
    summary="Set or lift a minimum version by hand",
    responses=problem_responses(400, 404, 422),
)
def set_version_policy(
    ctx: SecurityCtx, app_id: uuid.UUID, platform: Platform, body: VersionPolicySet
) -> VersionPolicyRead:
    """On top of what fixes require (e.g. an end-of-life release); the reason is what users are told."""
    return policy_read(service.set_manual_minimum(ctx, app_id, platform, body))


@versions_router.put(
    "/v1/users/{user_id}/app-version",
    response_model=UserVersionRead,
    summary="Report the version of the app a user runs",
    responses=problem_responses(400, 404, 422),
)
def report_user_version(ctx: AppCtx, user_id: uuid.UUID, body: UserVersionSet) -> UserVersionRead:
    """Lets user notices reach the users of affected versions and shows how many still run them."""
    return service.report_user_version(ctx, user_id, body)


@router.put(
    "/{vulnerability_id}/upgrades",
    response_model=UpgradeRead,
    summary="Name the release that fixes it on a platform; force the upgrade",
    responses=problem_responses(400, 404, 409, 422),
)
def set_upgrade(ctx: SecurityCtx, vulnerability_id: uuid.UUID, body: UpgradeSet) -> UpgradeRead:
    """Takes effect in the version check once the vulnerability is fixed (or disclosed)."""
    return UpgradeRead.model_validate(service.set_upgrade(ctx, vulnerability_id, body))


@router.get(
    "/{vulnerability_id}/upgrades",
    response_model=list[UpgradeRead],
    summary="The fix releases per platform",
    responses=problem_responses(404, 422),
)
def list_upgrades(ctx: SecurityCtx, vulnerability_id: uuid.UUID) -> list[UpgradeRead]:
    """One row per platform: the fixing release and whether the upgrade is forced."""
    return [UpgradeRead.model_validate(u) for u in service.list_upgrades(ctx, vulnerability_id)]


@router.get(
    "/{vulnerability_id}/exposure",
    response_model=ExposureRead,
    summary="How many users still run an affected version",
    responses=problem_responses(404, 422),
)
def read_exposure(ctx: SecurityCtx, vulnerability_id: uuid.UUID) -> ExposureRead:
    """Per affected range, the users whose last reported version (PUT /v1/users/{id}/app-version) falls in it."""
    return service.exposure(ctx, vulnerability_id)


# --- user notice campaigns (VUL-04, VR 7(3)) -------------------------------------------------------------------


def campaign_read(view: service.CampaignView) -> CampaignRead:
    """The campaign with, per channel, what it queued and skipped and where those notices stand in the outbox."""
    c = view.campaign
    counts = [
        ChannelCounts(
            channel=name, queued=int(c.queued.get(name, 0)), skipped_no_address=int(c.skipped_no_address.get(name, 0)),
            pending=view.delivery[name].pending, sent=view.delivery[name].sent, failed=view.delivery[name].dead,
        )
        for name in c.channels
    ]  # fmt: skip
    return CampaignRead(
        id=c.id, app_id=c.app_id, vulnerability_id=c.vulnerability_id, state=CampaignState(c.state),
        audience=Audience(c.audience), channels=c.channels, subject_zh=c.subject_zh, subject_en=c.subject_en,
        users_total=c.users_total, users_done=c.users_done, users_matched=c.users_matched, counts=counts,
        created_by=c.created_by, created_at=c.created_at, started_at=c.started_at, finished_at=c.finished_at,
        claimed_by=c.claimed_by,
    )  # fmt: skip


@router.post(
    "/{vulnerability_id}/notice-campaigns",
    response_model=CampaignRead,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Notify the app's users that the vulnerability is fixed (in-app, SMS, e-mail)",
    responses=problem_responses(400, 404, 409, 422),
)
def start_campaign(ctx: SecurityCtx, vulnerability_id: uuid.UUID, body: CampaignCreate) -> CampaignRead:
    """Accepted, not sent: the server goes through the users in chunks (each committed on its own) and queues
    their notices in the outbox; follow `users_done` and the per-channel counts. 409
    `vulnerabilities.campaign.not_fixed` before the vulnerability is fixed or disclosed, and
    `vulnerabilities.campaign.already_open` while another campaign for it is going. SMS reaches users with a
    verified phone; end users have no e-mail address here, so e-mail counts every user as skipped."""
    campaign = service.start_campaign(ctx, vulnerability_id, body)
    return campaign_read(service.get_campaign(ctx, campaign.id))


@router.get(
    "/{vulnerability_id}/notice-campaigns",
    response_model=list[CampaignRead],
    summary="The vulnerability's notice campaigns, newest first",
    responses=problem_responses(404, 422),
)
def list_campaigns(ctx: SecurityCtx, vulnerability_id: uuid.UUID) -> list[CampaignRead]:
    """Each with its progress and its delivery per channel, read back from the outbox."""
    return [campaign_read(v) for v in service.list_campaigns(ctx, vulnerability_id)]


@campaigns_router.get(
    "/{campaign_id}",
    response_model=CampaignRead,
    summary="A notice campaign: progress and delivery per channel",
    responses=problem_responses(404, 422),
)
def read_campaign(ctx: SecurityCtx, campaign_id: uuid.UUID) -> CampaignRead:
    """`users_done` of `users_total` (an estimate made at the start), and per channel queued, skipped (no address),
    pending, sent and failed."""
    return campaign_read(service.get_campaign(ctx, campaign_id))


@campaigns_router.post(
    "/{campaign_id}/cancel",
    response_model=CampaignRead,
    summary="Stop a notice campaign",
    responses=problem_responses(404, 409, 422),
)
def cancel_campaign(ctx: SecurityCtx, campaign_id: uuid.UUID) -> CampaignRead:
    """No further users are taken; notices already queued stay on their way. 409 once done or cancelled."""
    campaign = service.cancel_campaign(ctx, campaign_id)
    return campaign_read(service.get_campaign(ctx, campaign.id))


# --- the authority report package (VR 7(2)) ------------------------------------------------------------------------

MISSING_HEADER = "Report-Missing-Fields"
_PACKAGE_HEADERS = {
    MISSING_HEADER: {
        "description": "The VR 7(2) fields the record does not state yet, comma-separated (absent when complete); "
        "the package marks each 待补充 (missing).",
        "schema": {"type": "string"},
    },
    "Report-SHA256": {"description": "SHA-256 of the package's JSON, as printed in the PDF's footer.",
                      "schema": {"type": "string"}},
}  # fmt: skip


def package_response(filename: str, content: bytes, *, media_type: str, built: service.BuiltPackage) -> Response:
    """One part of a built package as a download, with the JSON's hash and the missing fields as headers."""
    headers = {"Report-SHA256": built.sha256}
    if built.missing:
        headers[MISSING_HEADER] = ",".join(built.missing)
    digest = hashlib.sha256(content).hexdigest()
    return attachment_response(filename, content, sha256=digest, media_type=media_type, headers=headers)


@router.get(
    "/{vulnerability_id}/package.json",
    summary="The authority report package as JSON (VR 7(2))",
    response_class=Response,
    responses={200: {"content": {"application/json": {}}, "headers": _PACKAGE_HEADERS}, **problem_responses(404, 422)},
)
@writes  # the export is audited
def download_package_json(ctx: SecurityCtx, env: VulnerabilitiesEnvDep, vulnerability_id: uuid.UUID) -> Response:
    """What the MIIT vulnerability platform asks for (product, model, version, technical characteristics, harm,
    scope, fix) with the intake log entry, triage, CVSS, affected versions, clocks and timeline. Always builds:
    fields not yet known are listed in `missing` and the Report-Missing-Fields header. The export is audited."""
    built = service.build_package(ctx, env, vulnerability_id, pdf=False)
    return package_response(f"{vulnerability_id}.json", built.json, media_type="application/json", built=built)


@router.get(
    "/{vulnerability_id}/package.pdf",
    summary="The authority report package as a Chinese PDF (VR 7(2))",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}}, "headers": _PACKAGE_HEADERS},
        **problem_responses(404, 422, 503),
    },
)
@writes  # the export is audited
def download_package_pdf(ctx: SecurityCtx, env: VulnerabilitiesEnvDep, vulnerability_id: uuid.UUID) -> Response:
    """The same package laid out in Chinese; every page's footer carries the SHA-256 of the JSON. 503
    `vulnerabilities.report.font_unavailable` when the server has no Chinese font (install fonts-wqy-zenhei or set
    vulnerabilities.report_font). The export is audited."""
    built = service.build_package(ctx, env, vulnerability_id)
    assert built.pdf is not None  # noqa: S101 - asked for with pdf=True
    return package_response(f"{vulnerability_id}.pdf", built.pdf, media_type="application/pdf", built=built)


# --- security incidents (VUL-07, Incident Reporting Measures) -------------------------------------------------------


def incident_summary_of(row: service.ListedIncident) -> IncidentSummary:
    out = IncidentSummary.model_validate(row.incident)
    if row.next_clock is not None:
        out.next_due_at, out.next_clock = row.next_clock.clock.due_at, row.next_clock.kind
    return out


def incident_detail_of(ctx: Ctx, incident_id: uuid.UUID) -> IncidentRead:
    incident = service.get_incident(ctx, incident_id)
    clocks = service.list_clocks(ctx, incident.id, owner=ClockOwner.INCIDENT)
    out = IncidentRead.model_validate(incident)
    out.clocks = [clock_read(c) for c in clocks]
    out.timeline = [IncidentTimelineRead.model_validate(t) for t in service.list_incident_timeline(ctx, incident.id)]
    waiting = [c for c in clocks if c.clock.submitted_at is None and not c.clock.waived]
    if waiting:
        out.next_due_at, out.next_clock = waiting[0].clock.due_at, waiting[0].kind
    return out


@incidents_router.post(
    "", response_model=IncidentRead, status_code=status.HTTP_201_CREATED, summary="Record a security incident",
    responses=problem_responses(400, 404, 413, 422),
)  # fmt: skip
def create_incident(ctx: SecurityCtx, env: VulnerabilitiesEnvDep, body: IncidentCreate) -> IncidentRead:
    """Relatively major or worse: the report to the authority is due 1 h (CII operator), 2 h (state organ) or 4 h
    (other operators; setting `vulnerabilities.operator_class`) after `detected_at`, and its clock starts now."""
    return incident_detail_of(ctx, service.create_incident(ctx, env, body).id)


@incidents_router.get(
    "", response_model=IncidentPage, summary="Security incidents, newest first", responses=problem_responses(422)
)
def list_incidents(
    ctx: SecurityCtx,
    app_id: uuid.UUID | None = None,
    state: IncidentState | None = None,
    grade: IncidentGrade | None = None,
    clock: Annotated[ClockStatus | None, Query(description="Has a report clock in this status.")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    after: uuid.UUID | None = None,
) -> IncidentPage:
    """Filter by app, state, grade and report clock (`open`: a report still running); `after` is the previous
    page's `next_cursor`."""
    rows = service.list_incidents(
        ctx, app_id=app_id, state=state, grade=grade, clock=clock, limit=limit + 1, after=after
    )
    return IncidentPage(
        items=[incident_summary_of(r) for r in rows[:limit]],
        next_cursor=rows[limit - 1].incident.id if len(rows) > limit else None,
    )


@incidents_router.get(
    "/{incident_id}", response_model=IncidentRead, summary="One incident with its clocks and timeline",
    responses=problem_responses(404, 422),
)  # fmt: skip
def read_incident(ctx: SecurityCtx, incident_id: uuid.UUID) -> IncidentRead:
    """The facts, the report clocks with time left, and every step."""
    return incident_detail_of(ctx, incident_id)


@incidents_router.patch(
    "/{incident_id}", response_model=IncidentRead, summary="Change the grade or the facts",
    responses=problem_responses(400, 404, 409, 413, 422),
)  # fmt: skip
def update_incident(ctx: SecurityCtx, incident_id: uuid.UUID, body: IncidentUpdate) -> IncidentRead:
    """Only the fields sent change. The grade changes only while the incident is open (409 after); raising it to
    relatively major or worse opens the report clock, counted from `detected_at`, not from now."""
    service.update_incident(ctx, incident_id, body)
    return incident_detail_of(ctx, incident_id)


@incidents_router.post(
    "/{incident_id}/follow-ups", response_model=IncidentTimelineRead, status_code=status.HTTP_201_CREATED,
    summary="Record a follow-up report to the authority", responses=problem_responses(400, 404, 409, 413, 422),
)  # fmt: skip
def add_follow_up(ctx: SecurityCtx, incident_id: uuid.UUID, body: FollowUpCreate) -> IncidentTimelineRead:
    """Follow-up reports go out as the facts develop: how, their reference, what was said (409 once closed)."""
    return IncidentTimelineRead.model_validate(service.add_follow_up(ctx, incident_id, body))


@incidents_router.post(
    "/{incident_id}/handled", response_model=IncidentRead, summary="Handling has ended",
    responses=problem_responses(400, 404, 409, 413, 422),
)  # fmt: skip
def mark_handled(ctx: SecurityCtx, incident_id: uuid.UUID, body: IncidentHandled) -> IncidentRead:
    """Fixes the grade; a reportable incident's summary report is then due 30 days after `handled_at`."""
    service.mark_handled(ctx, incident_id, body)
    return incident_detail_of(ctx, incident_id)


@incidents_router.post(
    "/{incident_id}/close", response_model=IncidentRead, summary="Close the incident",
    responses=problem_responses(400, 404, 409, 413, 422),
)  # fmt: skip
def close_incident(ctx: SecurityCtx, incident_id: uuid.UUID, body: IncidentClose) -> IncidentRead:
    """Only once handled and once every report it owes went out, the summary included: 409
    `vulnerabilities.incident.reports_pending` names what is missing."""
    service.close_incident(ctx, incident_id, body)
    return incident_detail_of(ctx, incident_id)


@incidents_router.post(
    "/{incident_id}/clocks/{kind}/submission", response_model=ClockRead,
    summary="Record that an incident report went out", responses=problem_responses(400, 404, 409, 413, 422),
)  # fmt: skip
def record_incident_submission(
    ctx: SecurityCtx, incident_id: uuid.UUID, kind: ClockKind, body: SubmissionCreate
) -> ClockRead:
    """`incident_report` or `incident_summary`: closes the clock as met (or missed, when late) with the evidence."""
    view = service.record_submission(ctx, incident_id, kind, body, owner=ClockOwner.INCIDENT)
    return clock_read(view)
