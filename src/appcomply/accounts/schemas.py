"""Boundary models of the accounts module."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, StringConstraints

from appcomply.accounts.rules import AccountStatus

_NO_NUL = r"^[^\x00]*$"


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    external_ref: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128, pattern=_NO_NUL)
    ] = Field(description="The app's own id for this user; unique within the app.")
    nickname: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=_NO_NUL)] = (
        Field(description="Public name the user chose (前台自愿); checked against impersonation of organs and media.")
    )
    avatar_url: AnyHttpUrl | None = Field(default=None, description="Public avatar picture, if the user chose one.")


class NicknameUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    nickname: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=_NO_NUL)]


class NicknameTermCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    term: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=_NO_NUL)] = (
        Field(description="A name users must not imitate, e.g. the app's brand or 官方客服.")
    )
    category: Annotated[str, StringConstraints(pattern=r"^[a-z_]{1,32}$")] = Field(
        default="app_brand", description="Why it is protected."
    )


class NicknameTermRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    term: str
    category: str
    added_by: str
    created_at: dt.datetime


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    external_ref: str
    nickname: str
    avatar_url: str | None
    status: AccountStatus
    created_at: dt.datetime
