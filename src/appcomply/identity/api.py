"""JSON API of the identity module: verifications, a user's permissions, the app's gating policy, reveal."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import JSONResponse, Response

from appcomply import apps
from appcomply.identity import rules, service
from appcomply.identity.models import Verification
from appcomply.identity.schemas import (
    PolicyRead,
    PolicyUpdate,
    RevealRead,
    RevealRequest,
    VerificationConfirm,
    VerificationRead,
    VerificationStart,
)
from appcomply.identity.service import IdentityEnv
from appcomply.kernel.actor import Role
from appcomply.kernel.context import Ctx
from appcomply.web.deps import env_dependency
from appcomply.web.openapi import problem_responses
from appcomply.web.problems import problem
from appcomply.web.security import Guard

IdentityEnvDep = Annotated[IdentityEnv, Depends(env_dependency("identity", IdentityEnv))]

router = APIRouter(prefix="/v1", tags=["identity"], responses=problem_responses(401, 403))

AppCtx = Annotated[Ctx, Depends(Guard(app_key=True, staff=False))]
ReaderCtx = Annotated[Ctx, Depends(Guard(app_key=True))]
PolicyCtx = Annotated[Ctx, Depends(Guard(Role.COMPLIANCE))]
VaultCtx = Annotated[Ctx, Depends(Guard(Role.VAULT))]


def verification_read(row: Verification, *, retry_after: int | None = None) -> VerificationRead:
    pending = row.status == rules.Status.PENDING.value
    return VerificationRead(
        id=row.id,
        user_id=row.user_id,
        method=rules.Method(row.method),
        status=rules.Status(row.status),
        result_code=row.result_code,
        provider=row.provider,
        provider_request_id=row.provider_request_id,
        masked=row.masked,
        authorization_version=row.authorization_version,
        attempts_left=rules.OTP_MAX_ATTEMPTS - row.attempts if pending and row.otp_digest else None,
        expires_at=row.otp_expires_at if pending else None,
        retry_after=retry_after,
        created_at=row.created_at,
        completed_at=row.completed_at,
    )


@router.post(
    "/users/{user_id}/verifications",
    response_model=VerificationRead,
    status_code=status.HTTP_201_CREATED,
    summary="Start a real-identity verification",
    responses={
        **problem_responses(400, 404, 413, 422, 429, 503),
    },
)
def start_verification(
    request: Request, ctx: AppCtx, env: IdentityEnvDep, user_id: uuid.UUID, body: VerificationStart
) -> Response:
    """Phone and organisation: a code is sent (status `pending`). ID card: checked at once (`verified`/`failed`).

    A refused attempt (send limits, a number bound to too many accounts) is recorded and answered with its
    status `refused`; a send limit answers 429 with `Retry-After`: a problem whose `code` is the limit
    (`identity.sms.rate_limited_number`, `identity.sms.rate_limited_ip`) and whose `verification` member is the
    recorded refusal.
    """
    client_ip = request.client.host if request.client else None
    started = service.start_verification(ctx, user_id, body, env=env, client_ip=client_ip)
    retry_after = started.retry_after
    body_out = verification_read(started.verification, retry_after=retry_after).model_dump(mode="json")
    if retry_after is not None:
        # A problem like every other 4xx (clients branch on `code`), but returned rather than raised: the refusal
        # is a recorded outcome and must commit (D5); raising would roll it back.
        return problem(
            request,
            status=429,
            code=started.verification.result_code,
            title="Verification refused by a send limit",
            detail=f"too many codes sent; retry after {retry_after} seconds",
            extensions={"retry_after": retry_after, "verification": body_out},
        )
    return JSONResponse(body_out, status_code=status.HTTP_201_CREATED)


@router.post(
    "/verifications/{verification_id}/confirm",
    response_model=VerificationRead,
    summary="Confirm a verification code",
    responses=problem_responses(400, 404, 409, 413, 422),
)
def confirm_verification(
    ctx: AppCtx, env: IdentityEnvDep, verification_id: uuid.UUID, body: VerificationConfirm
) -> VerificationRead:
    """Submit the code the user received. A wrong code counts; the fifth locks the verification."""
    return verification_read(service.confirm_verification(ctx, verification_id, body.code, env=env))


@router.get(
    "/verifications/{verification_id}",
    response_model=VerificationRead,
    summary="Read a verification",
    responses=problem_responses(404, 422),
)
def read_verification(ctx: ReaderCtx, verification_id: uuid.UUID) -> VerificationRead:
    """Status, masked inputs and evidence of one verification."""
    return verification_read(service.get_verification(ctx, verification_id))


@router.get(
    "/apps/{app_id}/identity-policy",
    response_model=PolicyRead,
    summary="Read the app's identity gating policy",
    responses=problem_responses(404, 422),
)
def read_policy(ctx: PolicyCtx, app_id: uuid.UUID) -> PolicyRead:
    """Which verification each service action needs in this app."""
    apps.get_app(ctx, app_id)
    return PolicyRead(app_id=app_id, requirements=service.get_policy(ctx, app_id))


@router.put(
    "/apps/{app_id}/identity-policy",
    response_model=PolicyRead,
    summary="Change the app's identity gating policy",
    responses=problem_responses(400, 404, 413, 422),
)
def update_policy(ctx: PolicyCtx, app_id: uuid.UUID, body: PolicyUpdate) -> PolicyRead:
    """Set the requirement (`none`, `verified`, `id_card`) of some actions; the others keep theirs."""
    apps.get_app(ctx, app_id)
    service.set_policy(ctx, app_id, body.requirements)
    return PolicyRead(app_id=app_id, requirements=service.get_policy(ctx, app_id))


@router.post(
    "/verifications/{verification_id}/reveal",
    response_model=RevealRead,
    summary="Reveal a clear value (vault role)",
    responses=problem_responses(400, 404, 413, 422),
)
def reveal(ctx: VaultCtx, env: IdentityEnvDep, verification_id: uuid.UUID, body: RevealRequest) -> RevealRead:
    """Decrypt one stored value for a stated reason; the access is audited (the value is not)."""
    value = service.reveal_value(ctx, verification_id, field=body.field, reason=body.reason, env=env)
    return RevealRead(verification_id=verification_id, field=body.field, value=value)
