"""Boundary models of the identity module: starting and confirming verifications, permissions, policy."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from appcomply.identity.rules import Action, Method, Requirement, Status

_Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[^\x00]*$")]
_Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=r"^[^\x00]*$")]
_Version = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")]


class _Start(BaseModel):
    model_config = ConfigDict(extra="forbid")

    authorization_version: _Version | None = Field(
        default=None,
        description="Version of the authorisation text the user agreed to (defaults to the configured one).",
    )


class PhoneStart(_Start):
    method: Literal["phone"]
    phone: _Text = Field(description="Mainland mobile number: 11 digits, +86 and spaces allowed.")


class IdCardStart(_Start):
    method: Literal["id_card"]
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50, pattern=r"^[^\x00]*$")]
    id_number: _Text = Field(description="Resident ID number (18 characters; the 15-digit legacy form is converted).")


class OrganizationStart(_Start):
    method: Literal["organization"]
    org_name: _Name
    uscc: _Text = Field(description="Unified social credit code (GB 32100-2015).")
    phone: _Text = Field(description="The authorised person's mainland mobile number; receives the code.")


VerificationStart = Annotated[PhoneStart | IdCardStart | OrganizationStart, Field(discriminator="method")]


class VerificationConfirm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=12)] = Field(
        description="The 6-digit code the user received by SMS."
    )


class VerificationRead(BaseModel):
    id: uuid.UUID
    user_id: uuid.UUID
    method: Method
    status: Status
    result_code: str = Field(description="Why the verification is in its status, e.g. identity.code_sent.")
    provider: str
    provider_request_id: str
    masked: dict[str, Any] = Field(description="The inputs, masked (138****0000).")
    authorization_version: str
    attempts_left: int | None = Field(description="Wrong codes still allowed, for a pending phone check.")
    expires_at: dt.datetime | None
    retry_after: int | None = Field(default=None, description="Seconds to wait when refused by a rate limit.")
    created_at: dt.datetime
    completed_at: dt.datetime | None


class PermissionRead(BaseModel):
    action: Action
    allowed: bool
    reason: str | None
    requirement: Requirement


class PermissionsRead(BaseModel):
    user_id: uuid.UUID
    verified_methods: list[Method]
    permissions: list[PermissionRead]


class PolicyUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    requirements: dict[Action, Requirement] = Field(description="Requirement per action; omitted actions use defaults.")


class PolicyRead(BaseModel):
    app_id: uuid.UUID
    requirements: dict[Action, Requirement]


class RevealRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    field: Literal["phone", "name", "id_number", "uscc"]
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=10, max_length=500)] = Field(
        description="Why the clear value is needed (e.g. a police request number). Audited."
    )


class RevealRead(BaseModel):
    verification_id: uuid.UUID
    field: str
    value: str
