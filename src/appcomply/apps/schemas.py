"""Boundary models of the apps module: apps, features, licences, API keys, staff and tokens."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from appcomply.apps.rules import Catalogue, LicenceKind, ServiceKind
from appcomply.kernel.actor import Role

# PostgreSQL cannot store U+0000 in text or JSONB (SQLite can): free text carrying one would pass validation and
# then fail at the INSERT, as a 500 and on one database only. Refused at the boundary instead, alike everywhere.
NO_NUL = r"^[^\x00]*$"
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=NO_NUL)]
ShortName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=NO_NUL)]
LongText = Annotated[str, StringConstraints(max_length=2000, pattern=NO_NUL)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FeatureCreate(_Strict):
    name: Name = Field(description="Feature name as users see it, e.g. 评论 or 直播间.")
    service_kind: ServiceKind = Field(description="Which information service the feature provides.")
    public_opinion: bool = Field(
        default=False, description="Has public-opinion attributes or social-mobilisation capacity (Art 14)."
    )
    description: LongText = Field(default="", description="What it does.")


class FeatureUpdate(_Strict):
    name: Name | None = None
    service_kind: ServiceKind | None = None
    public_opinion: bool | None = None
    description: LongText | None = None


class FeatureRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    service_kind: ServiceKind
    public_opinion: bool
    description: str
    created_at: dt.datetime


class LicenceCreate(_Strict):
    kind: LicenceKind = Field(description="Licence or filing kind.")
    number: ShortName = Field(description="Number as issued, e.g. 京ICP备12345678号-1.")
    scope: LongText = Field(default="", description="Licensed scope.")
    expires_on: dt.date | None = Field(default=None, description="Expiry date, if the licence expires.")


class LicenceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: LicenceKind
    number: str
    scope: str
    expires_on: dt.date | None
    created_at: dt.datetime


class AppTypeRef(BaseModel):
    code: int
    name_zh: str
    name_en: str


class EntityRead(BaseModel):
    name: str
    uscc: str


class AppCreate(_Strict):
    slug: Annotated[str, StringConstraints(min_length=1, max_length=40)] = Field(
        description="URL name for public pages (/p/{slug}/…): lower-case letters, digits, hyphens."
    )
    name: Name = Field(description="App name as published in stores.")
    entity_name: Name = Field(description="Operating entity's registered name (运营主体).")
    entity_uscc: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)] = Field(
        description="Operating entity's unified social credit code (GB 32100-2015)."
    )
    app_types: list[int] = Field(
        default_factory=list, max_length=39, description="Codes 1–39 of the 2021 necessary-PI catalogue."
    )
    service_kinds: list[ServiceKind] = Field(default_factory=list, max_length=20, description="Services offered.")
    features: list[FeatureCreate] = Field(default_factory=list, max_length=200, description="Initial features.")
    licences: list[LicenceCreate] = Field(default_factory=list, max_length=50, description="Initial licences.")


class AppUpdate(_Strict):
    name: Name | None = None
    entity_name: Name | None = None
    entity_uscc: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)] | None = None
    app_types: list[int] | None = Field(default=None, max_length=39)
    service_kinds: list[ServiceKind] | None = Field(default=None, max_length=20)


class AppRead(BaseModel):
    id: uuid.UUID
    slug: str
    name: str
    entity: EntityRead
    app_types: list[AppTypeRef]
    service_kinds: list[ServiceKind]
    features: list[FeatureRead]
    licences: list[LicenceRead]
    created_at: dt.datetime
    updated_at: dt.datetime


class AppSummary(BaseModel):
    id: uuid.UUID
    slug: str
    name: str
    entity_name: str
    app_types: list[int]
    created_at: dt.datetime


class AppPage(BaseModel):
    items: list[AppSummary]
    next_cursor: uuid.UUID | None = Field(description="Pass as `after` to get the next page; null on the last.")


class ApiKeyCreate(_Strict):
    name: ShortName = Field(default="default", description="What the key is for, e.g. 'prod backend'.")


class ApiKeyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    app_id: uuid.UUID
    name: str
    prefix: str = Field(
        description="First characters of the key, to recognise it; the key itself is never shown again."
    )
    created_at: dt.datetime
    created_by: str
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None


class ApiKeyCreated(ApiKeyRead):
    key: str = Field(description="The secret key. Shown once: store it now.")


class StaffCreate(_Strict):
    username: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=2, max_length=64, pattern=r"^[A-Za-z0-9._@-]+$")
    ]
    display_name: Name
    password: Annotated[str, StringConstraints(min_length=1, max_length=512)]
    roles: list[Role] = Field(min_length=1)


class StaffRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    username: str
    display_name: str
    roles: list[Role]
    active: bool
    locked_until: dt.datetime | None
    last_login_at: dt.datetime | None
    created_at: dt.datetime


class StaffTokenCreate(_Strict):
    name: ShortName = Field(description="What the token is for.")
    roles: list[Role] = Field(min_length=1, description="Roles the token carries; a subset of the owner's roles.")
    expires_in_days: int | None = Field(default=90, ge=1, le=366, description="Lifetime; null for no expiry.")


class StaffTokenRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    prefix: str
    roles: list[Role]
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None


class StaffTokenCreated(StaffTokenRead):
    token: str = Field(description="The secret token. Shown once.")


class PiItemRead(BaseModel):
    code: str
    zh: str
    en: str
    sensitive: bool


class NecessaryPiRead(BaseModel):
    item: str
    condition_zh: str | None
    condition_en: str | None


class AppTypeRead(BaseModel):
    code: int
    name_zh: str
    name_en: str
    basic_function_zh: str
    basic_function_en: str
    no_pi_needed: bool
    necessary_pi: list[NecessaryPiRead]


class CatalogueRead(BaseModel):
    version: str
    pi_items: list[PiItemRead]
    types: list[AppTypeRead]

    @classmethod
    def from_catalogue(cls, cat: Catalogue) -> CatalogueRead:
        return cls(
            version=cat.version,
            pi_items=[PiItemRead(code=p.code, zh=p.zh, en=p.en, sensitive=p.sensitive) for p in cat.pi_items.values()],
            types=[
                AppTypeRead(
                    code=t.code,
                    name_zh=t.name_zh,
                    name_en=t.name_en,
                    basic_function_zh=t.basic_function_zh,
                    basic_function_en=t.basic_function_en,
                    no_pi_needed=t.no_pi_needed,
                    necessary_pi=[
                        NecessaryPiRead(item=n.item, condition_zh=n.condition_zh, condition_en=n.condition_en)
                        for n in t.necessary_pi
                    ],
                )
                for t in cat.types.values()
            ],
        )
