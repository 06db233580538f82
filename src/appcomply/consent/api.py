"""JSON API of the consent module: the processing map and its findings (staff), the consent ledger and checks
(the app's backend), and a user's permissions with the processing half added."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from appcomply import apps
from appcomply.consent import rules, service
from appcomply.consent.models import DataRequest
from appcomply.consent.schemas import (
    ActivityBody,
    ActivityCreate,
    ActivityRead,
    AgeDeclaration,
    CheckCreate,
    CheckRead,
    ConsentCreate,
    ConsentRead,
    ConsentsRead,
    DataExportRead,
    DataRequestClose,
    DataRequestConfirm,
    DataRequestCreate,
    DataRequestPage,
    DataRequestRead,
    FindingRead,
    FullPermissionsRead,
    GuardianCreate,
    LegalHoldCreate,
    LegalHoldRead,
    StateRead,
)
from appcomply.identity import IdentityEnv
from appcomply.kernel.actor import Role
from appcomply.kernel.context import Ctx
from appcomply.web.deps import ServicesDep, env_dependency, hot_path, reads_only, run_ending_transaction
from appcomply.web.openapi import problem_responses
from appcomply.web.responses import json_response
from appcomply.web.security import Guard

IdentityEnvDep = Annotated[IdentityEnv, Depends(env_dependency("identity", IdentityEnv))]

router = APIRouter(prefix="/v1", tags=["consent"], responses=problem_responses(401, 403))

AppCtx = Annotated[Ctx, Depends(Guard(app_key=True, staff=False))]
ReaderCtx = Annotated[Ctx, Depends(Guard(app_key=True))]
ComplianceCtx = Annotated[Ctx, Depends(Guard(Role.COMPLIANCE))]
StaffReaderCtx = Annotated[Ctx, Depends(Guard(Role.COMPLIANCE, Role.REVIEWER))]


def _activities(ctx: Ctx, app_id: uuid.UUID) -> list[ActivityRead]:
    app_types = apps.get_app(ctx, app_id).app_types
    return [service.read_model(r, app_types) for r in service.list_activities(ctx, app_id)]


@router.get(
    "/apps/{app_id}/processing-activities",
    response_model=list[ActivityRead],
    summary="The app's processing map",
    responses=problem_responses(404, 422),
)
def list_activities(ctx: StaffReaderCtx, app_id: uuid.UUID) -> list[ActivityRead]:
    """Each activity as written, with what the law makes of it: basic or not, the necessary PI (from the 39-type
    rules), the effective legal basis and the separate consents required."""
    return _activities(ctx, app_id)


@router.post(
    "/apps/{app_id}/processing-activities",
    response_model=ActivityRead,
    status_code=status.HTTP_201_CREATED,
    summary="Add a processing activity",
    responses=problem_responses(400, 404, 409, 413, 422),
)
def create_activity(ctx: ComplianceCtx, app_id: uuid.UUID, body: ActivityCreate) -> ActivityRead:
    """Refused with nothing written: an unknown PI code, a basic function of a type the app is not, a taken key."""
    row = service.create_activity(ctx, app_id, body)
    return service.read_model(row, apps.get_app(ctx, app_id).app_types)


@router.put(
    "/apps/{app_id}/processing-activities/{key}",
    response_model=ActivityRead,
    summary="Rewrite a processing activity",
    responses=problem_responses(400, 404, 413, 422),
)
def replace_activity(ctx: ComplianceCtx, app_id: uuid.UUID, key: str, body: ActivityBody) -> ActivityRead:
    """The whole activity is replaced; its key stays, since the ledger refers to it."""
    row = service.replace_activity(ctx, app_id, key, body)
    return service.read_model(row, apps.get_app(ctx, app_id).app_types)


@router.delete(
    "/apps/{app_id}/processing-activities/{key}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Stop a processing activity",
    responses=problem_responses(404, 422),
)
def archive_activity(ctx: ComplianceCtx, app_id: uuid.UUID, key: str) -> Response:
    """It leaves the map (a check of it answers 404 consent.activity.not_found); the ledger keeps its history."""
    service.archive_activity(ctx, app_id, key)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/apps/{app_id}/consent-findings",
    response_model=list[FindingRead],
    summary="Forced-consent analysis of the processing map",
    responses=problem_responses(404, 422),
)
def list_findings(ctx: StaffReaderCtx, app_id: uuid.UUID) -> list[FindingRead]:
    """Every configuration that forces consent or lacks a separate consent or disclosure, with the article it
    breaks and the fix."""
    return [FindingRead.model_validate(f, from_attributes=True) for f in service.analyse_app(ctx, app_id)]


@router.get(
    "/processing-activities",
    response_model=list[ActivityRead],
    summary="The calling app's processing map",
    responses=problem_responses(422),
)
def list_own_activities(ctx: AppCtx) -> list[ActivityRead]:
    """What the app's client asks consent for, and which activities are basic functions."""
    assert ctx.actor.app_id is not None  # noqa: S101 - the guard admits app keys only
    return _activities(ctx, ctx.actor.app_id)


@router.post(
    "/users/{user_id}/consents",
    response_model=ConsentRead,
    status_code=status.HTTP_201_CREATED,
    summary="Record a user's consent answer",
    responses=problem_responses(400, 404, 409, 413, 422),
)
def record_consent(ctx: AppCtx, user_id: uuid.UUID, body: ConsentCreate) -> ConsentRead:
    """Granted, refused or withdrawn, for an activity or one of its separate consents, with the privacy-policy
    version shown and where the user answered. Withdrawal is this same one call."""
    return ConsentRead.model_validate(service.record_consent(ctx, user_id, body))


@router.get(
    "/users/{user_id}/consents",
    response_model=ConsentsRead,
    summary="A user's consents: current state and history",
    responses=problem_responses(404, 422),
)
def list_consents(
    ctx: ReaderCtx,
    user_id: uuid.UUID,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before: uuid.UUID | None = None,
) -> ConsentsRead:
    """The latest answer per activity and separate consent, and the ledger newest first (keyset on `before`)."""
    states, events = service.list_consents(ctx, user_id, limit=limit + 1, before=before)
    return ConsentsRead(
        user_id=user_id, current=[StateRead.model_validate(s) for s in states],
        history=[ConsentRead.model_validate(e) for e in events[:limit]],
        next_cursor=events[limit - 1].id if len(events) > limit else None,
    )  # fmt: skip


@router.post(
    "/consent-checks",
    response_model=CheckRead,
    summary="May an activity process this user's PI now?",
    responses=problem_responses(400, 404, 413, 422),
)
@hot_path
@reads_only
async def create_check(request: Request, ctx: AppCtx, body: CheckCreate) -> Response:
    """Allowed with its legal basis, or denied with the reason (`consent.not_granted`, `consent.refused`,
    `consent.withdrawn`, `consent.guardian_required`, `consent.separate_required`, `consent.policy_missing`).
    Necessary PI for a basic function is allowed on contract necessity after notice; all else needs consent."""
    return json_response(await run_ending_transaction(request, service.check, ctx, body.user_id, body.activity))


@router.put(
    "/users/{user_id}/age",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Record the age a user declared",
    responses=problem_responses(400, 404, 413, 422),
)
def declare_age(ctx: AppCtx, user_id: uuid.UUID, body: AgeDeclaration) -> Response:
    """Used when no verified resident ID gives the age; under 14, consent needs a guardian's consent first."""
    service.declare_age(ctx, user_id, body)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/users/{user_id}/guardian-consents",
    response_model=ConsentRead,
    status_code=status.HTTP_201_CREATED,
    summary="Record a guardian's consent for a child under 14",
    responses=problem_responses(400, 404, 413, 422),
)
def record_guardian_consent(ctx: AppCtx, user_id: uuid.UUID, body: GuardianCreate) -> ConsentRead:
    """The guardian is another user of the app who verified a resident ID showing an adult."""
    return ConsentRead.model_validate(service.record_guardian_consent(ctx, user_id, body))


@router.get(
    "/users/{user_id}/permissions",
    response_model=FullPermissionsRead,
    summary="What a user may do now, and what may process the user's PI",
    responses=problem_responses(404, 422),
)
@hot_path
async def read_permissions(request: Request, ctx: ReaderCtx, user_id: uuid.UUID) -> Response:
    """Service actions allowed or denied with a reason code (identity, agreements); per processing activity,
    allowed with its basis or denied with its reason. Consent never denies a service action."""
    return json_response(await run_ending_transaction(request, service.get_permissions, ctx, user_id))


# --- data-subject requests (CPI-07) ---------------------------------------------------------------------------------


def request_read(
    ctx: Ctx, row: DataRequest, *, calendar: rules.WorkCalendar, verification_status: str | None = None
) -> DataRequestRead:
    """The request with its working days left (Beijing today, the configured calendar)."""
    left = calendar.days_left(ctx.clock.now(), row.due_on)
    open_ = row.closed_at is None
    return DataRequestRead(
        id=row.id, app_id=row.app_id, user_id=row.user_id, kind=rules.RequestKind(row.kind),
        status=rules.RequestStatus(row.status), details=row.details, received_at=row.received_at, due_on=row.due_on,
        working_days_left=left, overdue=open_ and left < 0, verification_id=row.verification_id,
        verification_status=verification_status, verified_at=row.verified_at, outcome_code=row.outcome_code,
        outcome_zh=row.outcome, outcome_en=row.outcome_en, has_export=row.export is not None,
        closed_at=row.closed_at, closed_by=row.closed_by,
    )  # fmt: skip


@router.post(
    "/data-requests",
    response_model=DataRequestRead,
    status_code=status.HTTP_201_CREATED,
    summary="Receive a data-subject request",
    responses=problem_responses(400, 404, 409, 413, 422),
)
def open_request(
    request: Request, ctx: AppCtx, services: ServicesDep, identity_env: IdentityEnvDep, body: DataRequestCreate
) -> DataRequestRead:
    """Access, copy, correction, deletion, withdrawal, cancellation (注销), explanation or portability. A code goes
    to the user's latest verified phone (status `verifying`); due 15 working days after receipt. Refused:
    `consent.request.no_verified_phone`, `consent.request.legal_hold` (deletion or cancellation under a hold),
    `consent.request.verification_not_sent` (a send limit; retry later)."""
    client_ip = request.client.host if request.client else None
    calendar = service.work_calendar(services.settings.consent)
    row = service.open_request(
        ctx, body.user_id, body, identity_env=identity_env, calendar=calendar, client_ip=client_ip
    )
    return request_read(ctx, row, calendar=calendar, verification_status=service.verification_status(ctx, row))


@router.post(
    "/data-requests/{request_id}/verification",
    response_model=DataRequestRead,
    summary="Confirm the requester's code",
    responses=problem_responses(400, 404, 409, 413, 422),
)
def confirm_request(
    ctx: AppCtx, services: ServicesDep, identity_env: IdentityEnvDep, request_id: uuid.UUID, body: DataRequestConfirm
) -> DataRequestRead:
    """Right code: `in_progress`. A wrong code is an answer, not an error: the request stays `verifying` and
    `verification_status` says whether another try is possible (`pending`) or not (`locked`, `expired`)."""
    row, verification = service.confirm_request(ctx, request_id, body.code, identity_env=identity_env)
    calendar = service.work_calendar(services.settings.consent)
    return request_read(ctx, row, calendar=calendar, verification_status=verification)


@router.get(
    "/data-requests/{request_id}",
    response_model=DataRequestRead,
    summary="A data-subject request",
    responses=problem_responses(404, 422),
)
def read_request(ctx: ReaderCtx, services: ServicesDep, request_id: uuid.UUID) -> DataRequestRead:
    """Kind, status, due date and working days left, the outcome once closed (the app's own requests, or staff)."""
    row = service.get_request(ctx, request_id)
    calendar = service.work_calendar(services.settings.consent)
    return request_read(ctx, row, calendar=calendar, verification_status=service.verification_status(ctx, row))


@router.get(
    "/data-requests/{request_id}/export",
    response_model=DataExportRead,
    summary="The export of an access, copy or portability request",
    responses=problem_responses(404, 422),
)
def read_export(ctx: ReaderCtx, request_id: uuid.UUID) -> DataExportRead:
    """Everything held about the user (identity data masked only), once the request is completed; before that,
    or for other kinds, `ready` is false and `export` null."""
    row, export = service.read_export(ctx, request_id)
    return DataExportRead(
        request_id=row.id, kind=rules.RequestKind(row.kind), status=rules.RequestStatus(row.status),
        ready=export is not None, export=export,
    )  # fmt: skip


@router.get(
    "/data-requests",
    response_model=DataRequestPage,
    summary="Data-subject requests, newest first",
    responses=problem_responses(422),
)
def list_requests(
    ctx: StaffReaderCtx,
    services: ServicesDep,
    app_id: uuid.UUID | None = None,
    request_status: Annotated[rules.RequestStatus | None, Query(alias="status")] = None,
    kind: rules.RequestKind | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before: uuid.UUID | None = None,
) -> DataRequestPage:
    """Each with its due date and working days left (`verification_status` is null in lists)."""
    rows = service.list_requests(ctx, app_id=app_id, status=request_status, kind=kind, limit=limit + 1, before=before)
    calendar = service.work_calendar(services.settings.consent)
    return DataRequestPage(
        items=[request_read(ctx, r, calendar=calendar) for r in rows[:limit]],
        next_cursor=rows[limit - 1].id if len(rows) > limit else None,
    )


@router.post(
    "/data-requests/{request_id}/completion",
    response_model=DataRequestRead,
    summary="Perform a verified request and close it",
    responses=problem_responses(400, 404, 409, 413, 422),
)
def complete_request(
    ctx: ComplianceCtx, services: ServicesDep, request_id: uuid.UUID, body: DataRequestClose
) -> DataRequestRead:
    """Access/copy/portability: the export; withdrawal: every standing consent withdrawn; deletion/cancellation:
    erased or anonymised across modules, the outcome listing what was kept and why; correction/explanation: the
    note is the outcome. The outcome is queued to the user's inbox."""
    row = service.complete_request(ctx, request_id, note=body.note)
    return request_read(ctx, row, calendar=service.work_calendar(services.settings.consent))


@router.post(
    "/data-requests/{request_id}/rejection",
    response_model=DataRequestRead,
    summary="Reject a request with reasons",
    responses=problem_responses(400, 404, 409, 413, 422),
)
def reject_request(
    ctx: ComplianceCtx, services: ServicesDep, request_id: uuid.UUID, body: DataRequestClose
) -> DataRequestRead:
    """The note is the reasons given to the user (PIPL Art 50), queued to the user's inbox."""
    row = service.reject_request(ctx, request_id, reason=body.note)
    return request_read(ctx, row, calendar=service.work_calendar(services.settings.consent))


@router.post(
    "/users/{user_id}/legal-holds",
    response_model=LegalHoldRead,
    status_code=status.HTTP_201_CREATED,
    summary="Place a legal hold on a user's data",
    responses=problem_responses(400, 404, 413, 422),
)
def place_hold(ctx: ComplianceCtx, user_id: uuid.UUID, body: LegalHoldCreate) -> LegalHoldRead:
    """While active, deletion and cancellation requests are refused (`consent.request.legal_hold`)."""
    return LegalHoldRead.model_validate(service.place_hold(ctx, user_id, reason=body.reason))


@router.delete(
    "/users/{user_id}/legal-holds/{hold_id}",
    response_model=LegalHoldRead,
    summary="Release a legal hold",
    responses=problem_responses(404, 409, 422),
)
def release_hold(ctx: ComplianceCtx, user_id: uuid.UUID, hold_id: uuid.UUID) -> LegalHoldRead:
    """Deletion and cancellation requests are accepted again once no hold is active. Audited."""
    return LegalHoldRead.model_validate(service.release_hold(ctx, user_id, hold_id))
