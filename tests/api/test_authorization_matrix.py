"""The authorisation matrix of the /v1 API, built from the app's own routes rather than a hand-kept list.

Every /v1 route must carry a `web.security.Guard` (or be declared in PUBLIC with a reason). For each guarded route
and each kind of caller the guard must refuse, the refusal has the right status and code and writes nothing; the
callers it must let through (admin, the app's own key, any role where the guard accepts any) get a 2xx, which
proves the refusals come from the guard and not from bad test data.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import functools
import typing
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, cast

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from pydantic import BaseModel, TypeAdapter
from sqlalchemy import Connection, Engine, select
from sqlalchemy.orm import Session, sessionmaker
from tests.conftest import NOW
from tests.factories.agreements import publish
from tests.factories.apps import VALID_USCC, make_api_key, make_app
from tests.factories.consent import request_body, sent_code, verify_phone
from tests.factories.db import rolled_back, savepoint_factory
from tests.factories.services import services_over
from tests.factories.vulnerabilities import campaign_body, fixed_vulnerability

from appcomply import accounts, identity, notices
from appcomply.accounts import UserCreate
from appcomply.accounts import service as accounts_service
from appcomply.accounts.schemas import NicknameTermCreate, NicknameUpdate
from appcomply.agreements import AcceptanceCreate, DocumentKind
from appcomply.apps import LicenceKind, ServiceKind, service
from appcomply.apps.models import App, Staff
from appcomply.apps.schemas import (
    ApiKeyCreate,
    AppCreate,
    AppUpdate,
    FeatureCreate,
    FeatureUpdate,
    LicenceCreate,
    StaffTokenCreate,
)
from appcomply.bootstrap import Services, create_app
from appcomply.consent import service as consent_service
from appcomply.consent.rules import RequestKind, WorkCalendar
from appcomply.consent.schemas import (
    ActivityBody,
    ActivityCreate,
    AgeDeclaration,
    CheckCreate,
    ConsentCreate,
    DataRequestClose,
    DataRequestConfirm,
    DataRequestCreate,
    GuardianCreate,
    LegalHoldCreate,
)
from appcomply.content import service as content_service
from appcomply.content.engine import Category, Lexicon
from appcomply.content.schemas import (
    AllowCreate,
    ImportCreate,
    LexiconUpdate,
    ScreeningCreate,
    TermCreate,
    TermUpdate,
)
from appcomply.db.base import Base
from appcomply.identity import service as identity_service
from appcomply.identity.schemas import IdCardStart, PhoneStart, PolicyUpdate, RevealRequest, VerificationConfirm
from appcomply.kernel.actor import Actor, ActorKind, Role, cli_actor
from appcomply.kernel.clock import FixedClock
from appcomply.kernel.context import Ctx
from appcomply.settings import DatabaseSettings, Environment, Settings
from appcomply.vulnerabilities import service as vulnerabilities_service
from appcomply.vulnerabilities.rules import Channel as VulnChannel
from appcomply.vulnerabilities.rules import IncidentCategory, IncidentGrade
from appcomply.vulnerabilities.schemas import (
    AppVersionCreate,
    AttachmentUpload,
    CampaignCreate,
    FollowUpCreate,
    IncidentClose,
    IncidentCreate,
    IncidentHandled,
    IncidentUpdate,
    MessageCreate,
    ReportCreate,
    ShareCreate,
    SubmissionCreate,
    SupplierNoticeCreate,
    TransitionCreate,
    TriageUpdate,
    UpgradeSet,
    UserVersionSet,
    VersionPolicySet,
)
from appcomply.web.security import Guard

# Required query parameters of a route, with valid values.
QUERIES: dict[str, dict[str, str]] = {"/v1/app-versions/status": {"platform": "android", "version": "5.0"}}

# (method, path) -> why it needs no credential. Every other /v1 operation acts for someone.
PUBLIC: dict[tuple[str, str], str] = {
    ("POST", "/v1/vulnerability-reports"): "anyone may report a vulnerability (VR 5: an open intake channel)",
    ("GET", "/v1/vulnerability-reports/{token}"): "the reporter follows the report by the token they were given",
}

NON_ADMIN_ROLES = frozenset(Role) - {Role.ADMIN}


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    guard: Guard | None
    body: Any  # a model class, or an Annotated union of models

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


def _guards(dependant: Dependant) -> list[Guard]:
    """Every Guard among a dependant's dependencies, however deep: a parameter's or a `dependencies=[...]` entry."""
    found: list[Guard] = []
    for sub in dependant.dependencies:
        if isinstance(sub.call, Guard):
            found.append(sub.call)
        found.extend(_guards(sub))
    return found


def endpoints(app: FastAPI) -> list[Endpoint]:
    """The app's /v1 operations. FastAPI wraps included routers, so routes are walked through their contexts."""
    out: list[Endpoint] = []
    for context in iter_route_contexts(app.routes):
        path, route = context.path or "", context.original_route
        if not isinstance(route, APIRoute) or not (path == "/v1" or path.startswith("/v1/")):
            continue
        guards = list({id(g): g for g in _guards(context.dependant)}.values())
        assert len(guards) <= 1, f"{path} has {len(guards)} guards; one route, one policy"
        body = context.body_field.field_info.annotation if context.body_field is not None else None
        guard = guards[0] if guards else None
        out.extend(Endpoint(method, path, guard, body) for method in sorted(context.methods or ()))
    return out


@functools.cache
def _collected() -> list[Endpoint]:
    # Parametrisation happens before any fixture exists; route declarations do not depend on the database, so an
    # app over an unopened in-memory engine has exactly the routes the tests then call.
    return endpoints(create_app(Settings(env=Environment.TEST, database=DatabaseSettings(url="sqlite://"))))


class Caller(enum.StrEnum):
    ANONYMOUS = "anonymous"
    GARBAGE_KEY = "garbage-key"
    GARBAGE_TOKEN = "garbage-staff-token"
    REVOKED_KEY = "revoked-key"
    REVOKED_TOKEN = "revoked-staff-token"
    EXPIRED_TOKEN = "expired-staff-token"
    WRONG_ROLE = "staff-without-the-role"
    STAFF = "staff-on-an-app-only-route"
    APP_KEY = "app-key"
    FOREIGN_KEY = "another-apps-key"
    OWN_KEY = "the-apps-own-key"
    ADMIN = "admin"
    ANY_ROLE = "reviewer-where-any-role-will-do"


# Expected refusals: status and problem code. FOREIGN_KEY is decided per route below.
REFUSED: dict[Caller, tuple[int, str]] = {
    Caller.ANONYMOUS: (401, "auth.unauthenticated"),
    Caller.GARBAGE_KEY: (401, "auth.invalid_token"),
    Caller.GARBAGE_TOKEN: (401, "auth.invalid_token"),
    Caller.REVOKED_KEY: (401, "auth.invalid_token"),
    Caller.REVOKED_TOKEN: (401, "auth.invalid_token"),
    Caller.EXPIRED_TOKEN: (401, "auth.invalid_token"),
    Caller.WRONG_ROLE: (403, "auth.role_required"),
    Caller.STAFF: (403, "auth.staff_not_allowed"),
    Caller.APP_KEY: (403, "auth.app_key_not_allowed"),
}


@functools.cache
def _by_operation() -> dict[tuple[str, str], Endpoint]:
    return {(e.method, e.path): e for e in _collected()}


def _refused_roles(guard: Guard) -> frozenset[Role]:
    """The non-admin roles this guard turns away (admin holds every role, so it is never one)."""
    return frozenset() if not guard.roles else NON_ADMIN_ROLES - guard.roles


def callers(endpoint: Endpoint) -> list[Caller]:
    guard = endpoint.guard
    assert guard is not None
    out = [
        Caller.ANONYMOUS,
        Caller.GARBAGE_KEY,
        Caller.GARBAGE_TOKEN,
        Caller.REVOKED_KEY,
        Caller.REVOKED_TOKEN,
        Caller.EXPIRED_TOKEN,
    ]
    if guard.staff:
        out.append(Caller.ADMIN)
        # A guard that accepts every role has no wrong role to test; check instead that the least role gets in.
        out.append(Caller.WRONG_ROLE if _refused_roles(guard) else Caller.ANY_ROLE)
    else:
        out.append(Caller.STAFF)
    out.extend([Caller.FOREIGN_KEY, Caller.OWN_KEY] if guard.app_key else [Caller.APP_KEY])
    return out


def _matrix() -> list[Any]:
    return [
        pytest.param(endpoint.method, endpoint.path, caller, id=f"{endpoint.label} <- {caller}")
        for endpoint in _collected()
        if endpoint.guard is not None
        for caller in callers(endpoint)
    ]


@dataclass
class World:
    """Two apps with one of everything, so path ids are real and a leak of the target's data is recognisable."""

    target: App
    ids: dict[str, str]
    keys: dict[str, str]
    markers: list[str]


def _staff_with_token(
    ctx: Ctx, roles: list[Role], *, expires_in: dt.timedelta | None = None
) -> tuple[uuid.UUID, uuid.UUID, str]:
    """A staff member holding `roles` and a personal token carrying them: (staff id, token id, secret)."""
    # Staff rows are inserted directly: the matrix never logs in with a password, and an argon2 hash per caller
    # (~0.2 s by design) would cost the matrix a minute. The token itself goes through the real use case.
    staff = Staff(
        username=f"matrix-{uuid.uuid4().hex[:10]}",
        display_name="Matrix",
        password_hash="!",  # not an argon2 hash: no password can ever match it
        roles=sorted(r.value for r in roles),
        active=True,
        failed_logins=0,
        created_at=ctx.clock.now(),
    )
    ctx.session.add(staff)
    ctx.session.flush()
    token, secret = service.create_staff_token(ctx, staff.id, name="matrix", roles=roles, expires_in=expires_in)
    return staff.id, token.id, secret


WORLD_PHONE = "13800138000"  # the world's own verification; request bodies use other numbers (no send limit hit)
DSR_PHONE = "13700137000"  # the data-subject requester's verified phone


def _data_requests(ctx: Ctx, services: Services, as_app: Ctx, clock: FixedClock) -> dict[str, str]:
    """A requester with a verified phone, one request verified (in progress) and one waiting for its code.

    Every request sends a code to the same phone: the clock steps past the minimum interval between two SMS, and
    once more at the end so the request under test may send its own.
    """
    requester = accounts.register_user(
        as_app, UserCreate(external_ref=f"dsr-{uuid.uuid4().hex[:8]}", nickname="请求人")
    )
    verify_phone(as_app, requester.id, DSR_PHONE, env=services.identity)
    opened = []
    for _ in range(2):
        clock.advance(dt.timedelta(minutes=2))
        opened.append(consent_service.open_request(
            as_app, requester.id, request_body(requester.id, RequestKind.ACCESS), identity_env=services.identity,
            calendar=WorkCalendar(),
        ))  # fmt: skip
    verified, waiting = opened
    assert verified.verification_id is not None
    code = sent_code(as_app, verified.verification_id)
    consent_service.confirm_request(as_app, verified.id, code, identity_env=services.identity)
    clock.advance(dt.timedelta(minutes=2))
    return {"dsr_user_id": str(requester.id), "request_id": str(verified.id), "verifying_request_id": str(waiting.id)}


def _delivered_inbox_notice(
    ctx: Ctx, services: Services, factory: sessionmaker[Session], app_id: uuid.UUID, user_id: uuid.UUID
) -> uuid.UUID:
    notice = notices.enqueue(
        ctx, app_id=app_id, user_id=user_id, channel=notices.Channel.INBOX, subject="矩阵通知", body="b"
    )
    ctx.session.flush()
    env = services.notices
    notices.deliver_due(factory, clock=ctx.clock, senders=env.senders, keyring=env.keyring, worker="matrix")
    return notice.id


def _vulnerability(ctx: Ctx, services: Services, target: App, tag: str) -> dict[str, str]:
    report = ReportCreate(
        app=target.slug, title=f"目标漏洞-{tag}", description="矩阵用的漏洞报告，足够长。",
        attachments=[AttachmentUpload(filename="poc.txt", content_base64="cG9j")],
    )  # fmt: skip
    done = vulnerabilities_service.submit_report(
        ctx, services.vulnerabilities, report=report, channel=VulnChannel.STAFF, source_ip=None
    )
    [attachment] = vulnerabilities_service.list_attachments(ctx, done.vulnerability_id)
    vulnerabilities_service.register_version(ctx, target.id, AppVersionCreate(platform="android", version="9.9.9"))
    open_, closable = (_incident(ctx, services, target, tag, g) for g in (IncidentGrade.MAJOR, IncidentGrade.GENERAL))
    vulnerabilities_service.mark_handled(ctx, closable.id, IncidentHandled())
    # Fixed ones for the user notice campaigns (refused before the fix): one free, one with a campaign queued.
    fixed = fixed_vulnerability(ctx, services.vulnerabilities, target)
    notified = fixed_vulnerability(ctx, services.vulnerabilities, target)
    campaign = vulnerabilities_service.start_campaign(ctx, notified.id, campaign_body())
    return {"vulnerability_id": str(done.vulnerability_id), "attachment_id": str(attachment.id), "kind": "miit_report",
            "platform": "android", "incident_id": str(open_.id), "closable_incident_id": str(closable.id),
            "incident_kind": "incident_report", "fixed_vulnerability_id": str(fixed.id),
            "campaign_id": str(campaign.id)}  # fmt: skip


def _incident(ctx: Ctx, services: Services, target: App, tag: str, grade: IncidentGrade) -> Any:
    body = IncidentCreate(
        app_id=target.id, title=f"目标事件-{tag}", description="矩阵用的安全事件，足够长。",
        category=IncidentCategory.NETWORK_ATTACK, grade=grade,
    )  # fmt: skip
    return vulnerabilities_service.create_incident(ctx, services.vulnerabilities, body)


# The world is built once per module (per xdist worker), not per case: it is most of a case's cost, and every case
# only reads it. It lives in the outer transaction of one connection; each case runs in a savepoint of that
# transaction which is rolled back afterwards (`connection` below), so a case still sees exactly the world and
# nothing another case did. Each case gets its own services (empty caches) and a clock at the world's time.
@pytest.fixture(scope="module")
def _world_connection(engine: Engine) -> Iterator[Connection]:
    with rolled_back(engine) as conn:
        yield conn


@pytest.fixture(scope="module")
def _shared_world(
    _world_connection: Connection, settings: Settings, engine: Engine, default_lexicon: Lexicon
) -> tuple[World, dt.datetime]:
    """The world and the time its building ended at."""
    clock = FixedClock(NOW)
    factory = savepoint_factory(_world_connection)
    with factory() as session:
        ctx = Ctx(session=session, clock=clock, actor=cli_actor(), request_id="matrix-world")
        built = _build_world(ctx, services_over(settings, engine, factory, clock, default_lexicon), factory, clock)
        session.commit()  # releases the session's savepoint: the world stays in the outer transaction
    return built, clock.now()


@pytest.fixture
def connection(_world_connection: Connection) -> Iterator[Connection]:
    savepoint = _world_connection.begin_nested()
    yield _world_connection
    if savepoint.is_active:
        savepoint.rollback()


@pytest.fixture
def clock(_shared_world: tuple[World, dt.datetime]) -> FixedClock:
    return FixedClock(_shared_world[1])


@pytest.fixture
def world(_shared_world: tuple[World, dt.datetime]) -> World:
    shared = _shared_world[0]
    return dataclasses.replace(shared, ids=dict(shared.ids))  # a case may point token_id at its own token


def _build_world(ctx: Ctx, services: Services, session_factory: sessionmaker[Session], clock: FixedClock) -> World:
    tag = uuid.uuid4().hex[:8]
    target = make_app(
        ctx,
        slug=f"target-{tag}",
        name=f"目标应用-{tag}",
        entity_name=f"目标科技{tag}有限公司",
        features=[FeatureCreate(name=f"目标功能-{tag}", service_kind=ServiceKind.TEXT)],
        licences=[LicenceCreate(kind=LicenceKind.ICP_FILING, number=f"目标备案-{tag}")],
    )
    other = make_app(ctx)
    live_key, live_secret = service.create_api_key(ctx, target.id, name="live")
    revoked_key, revoked_secret = service.create_api_key(ctx, target.id, name="revoked")
    service.revoke_api_key(ctx, target.id, revoked_key.id)
    _, owner_token, _ = _staff_with_token(ctx, [Role.ADMIN])
    as_app = dataclasses.replace(ctx, actor=Actor(kind=ActorKind.APP, label="matrix", app_id=target.id))
    data_requests = _data_requests(ctx, services, as_app, clock)
    user = accounts.register_user(as_app, UserCreate(external_ref=f"target-user-{tag}", nickname=f"目标用户{tag}"))
    started = identity_service.start_verification(
        as_app, user.id, PhoneStart(method="phone", phone=WORLD_PHONE), env=services.identity, client_ip=None
    )
    assert started.verification.status == "pending", started.verification.result_code
    term = accounts_service.add_nickname_term(ctx, target.id, term=f"目标品牌{tag}", category="app_brand")
    agreement = publish(ctx, target.id, DocumentKind.USER_AGREEMENT, f"第一条 目标协议-{tag}。\n")
    privacy = publish(ctx, target.id, DocumentKind.PRIVACY_POLICY, f"1. 目标隐私-{tag}\n")
    consent_service.create_activity(ctx, target.id, ActivityCreate(
        key="matrix_ads", feature=f"目标功能-{tag}", purpose=f"目标用途-{tag}", pi_items=["device_id"], basis="consent",
        retention="撤回后删除",
    ))  # fmt: skip
    lexicon_term = content_service.add_term(ctx, target.id, TermCreate(text=f"目标词{tag}", category=Category.CUSTOM))
    phrase = content_service.add_allow(ctx, target.id, f"目标短语{tag}")
    guardian = accounts.register_user(as_app, UserCreate(external_ref=f"guardian-{tag}", nickname=f"家长{tag}"))
    identity_service.start_verification(
        as_app, guardian.id, IdCardStart(method="id_card", name="张三丰", id_number="11010519491231002X"),
        env=services.identity, client_ip=None,
    )  # fmt: skip
    return World(
        target=target,
        ids={
            "app_id": str(target.id),
            "feature_id": str(service.list_features(ctx, target.id)[0].id),
            "licence_id": str(service.list_licences(ctx, target.id)[0].id),
            "key_id": str(live_key.id),
            "token_id": str(owner_token),
            "user_id": str(user.id),
            "verification_id": str(started.verification.id),
            "term_id": str(term.id),
            "notice_id": str(_delivered_inbox_notice(ctx, services, session_factory, target.id, user.id)),
            "version_id": str(agreement.id),
            "privacy_version_id": str(privacy.id),
            "feature_name": f"目标功能-{tag}",
            "key": "matrix_ads",
            "guardian_user_id": str(guardian.id),
            "lexicon_term_id": str(lexicon_term.id),
            "phrase_id": str(phrase.id),
            "hold_id": str(consent_service.place_hold(ctx, user.id, reason="matrix investigation").id),
            **data_requests,
            **_vulnerability(ctx, services, target, tag),
        },
        keys={"own": live_secret, "revoked": revoked_secret, "foreign": make_api_key(ctx, other)},
        markers=[
            target.slug,
            target.name,
            target.entity_name,
            f"目标功能-{tag}",
            f"目标备案-{tag}",
            live_key.prefix,
            user.external_ref,
            user.nickname,
            identity.mask_mobile(WORLD_PHONE),
            f"目标协议-{tag}",
            f"目标用途-{tag}",
            f"目标词{tag}",
            f"目标短语{tag}",
            f"目标词{tag}",
            f"目标短语{tag}",
            f"目标漏洞-{tag}",
            f"目标事件-{tag}",
        ],
    )


# A minimal valid body per request model, given the caller's roles. A new body model fails the matrix until it
# is added here: refusals must be tested with requests that would otherwise succeed.
BODIES: dict[type[BaseModel], Callable[[list[Role]], dict[str, Any]]] = {
    AppCreate: lambda _: {
        "slug": f"matrix-{uuid.uuid4().hex[:8]}",
        "name": "矩阵",
        "entity_name": "矩阵科技有限公司",
        "entity_uscc": VALID_USCC,
    },
    AppUpdate: lambda _: {"name": "改名"},
    FeatureCreate: lambda _: {"name": "矩阵功能", "service_kind": "text"},
    FeatureUpdate: lambda _: {"public_opinion": True},
    LicenceCreate: lambda _: {"kind": "other", "number": "MATRIX-1"},
    ApiKeyCreate: lambda _: {"name": "matrix"},
    StaffTokenCreate: lambda roles: {"name": "matrix", "roles": [r.value for r in roles]},
    UserCreate: lambda _: {"external_ref": f"matrix-{uuid.uuid4().hex[:8]}", "nickname": "矩阵用户"},
    # A fresh number each time: the world's own number is inside its minimum send interval (it would answer 429).
    PhoneStart: lambda _: {"method": "phone", "phone": f"139{uuid.uuid4().int % 10**8:08d}"},
    VerificationConfirm: lambda _: {"code": "000000"},  # a wrong code is a recorded outcome (200), not a refusal
    NicknameUpdate: lambda _: {"nickname": f"新昵称{uuid.uuid4().hex[:6]}"},
    NicknameTermCreate: lambda _: {"term": f"矩阵品牌{uuid.uuid4().hex[:6]}"},
    PolicyUpdate: lambda _: {"requirements": {"comment": "none"}},
    RevealRequest: lambda _: {"field": "phone", "reason": "police request 2026-0042"},
    # "{version_id}" is filled from the world's ids, like a path parameter: the body names a real version.
    AcceptanceCreate: lambda _: {
        "version_id": "{version_id}",
        "accepted": True,
        "channel": "app",
        "client_time": "2026-11-29T17:00:00+08:00",
        "ip": "203.0.113.7",
        "user_agent": "Matrix/1.0",
    },
    ActivityCreate: lambda _: {
        "key": f"matrix_{uuid.uuid4().hex[:8]}", "feature": "{feature_name}", "purpose": "矩阵用途",
        "pi_items": ["device_id"],
        "basis": "consent", "retention": "撤回后删除",
    },
    ActivityBody: lambda _: {
        "feature": "{feature_name}", "purpose": "新用途", "pi_items": ["device_id"], "basis": "consent",
        "retention": "撤回后删除",
    },
    ConsentCreate: lambda _: {
        "activity": "matrix_ads", "action": "granted", "policy_version_id": "{privacy_version_id}", "channel": "app",
        "client_time": "2026-11-29T17:00:00+08:00",
    },
    CheckCreate: lambda _: {"user_id": "{user_id}", "activity": "matrix_ads"},
    AgeDeclaration: lambda _: {"age": 30},
    GuardianCreate: lambda _: {
        "guardian_user_id": "{guardian_user_id}", "policy_version_id": "{privacy_version_id}", "channel": "app",
        "client_time": "2026-11-29T17:00:00+08:00",
    },
    DataRequestCreate: lambda _: {"user_id": "{dsr_user_id}", "kind": "access"},
    DataRequestConfirm: lambda _: {"code": "000000"},  # a wrong code is a recorded outcome (200), not a refusal
    DataRequestClose: lambda _: {"note": "matrix note"},
    LegalHoldCreate: lambda _: {"reason": "matrix hold"},
    ScreeningCreate: lambda _: {"text": "今天天气不错", "kind": "comment"},
    TermCreate: lambda _: {"text": f"矩阵词{uuid.uuid4().hex[:6]}", "category": "custom"},
    TermUpdate: lambda _: {"level": "review"},
    ImportCreate: lambda _: {"text": f"矩阵导入{uuid.uuid4().hex[:6]}\n"},
    AllowCreate: lambda _: {"text": f"矩阵短语{uuid.uuid4().hex[:6]}"},
    LexiconUpdate: lambda _: {"include_default": False},
    TriageUpdate: lambda _: {"cvss_vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"},
    TransitionCreate: lambda _: {"to": "triaged"},
    MessageCreate: lambda _: {"message": "矩阵消息", "public": True},
    SupplierNoticeCreate: lambda _: {"supplier": "矩阵 SDK", "channel": "email"},
    SubmissionCreate: lambda _: {"channel": "MIIT", "reference": "MATRIX-1"},
    ShareCreate: lambda _: {"recipient": "CNCERT", "country": "CN", "purpose": "矩阵"},
    AppVersionCreate: lambda _: {"platform": "android", "version": f"1.{uuid.uuid4().int % 100_000}"},
    UpgradeSet: lambda _: {"platform": "android", "fixed_in": "9.9.9", "required": True},
    VersionPolicySet: lambda _: {"minimum_version": "1.0", "reason": "矩阵"},
    UserVersionSet: lambda _: {"platform": "android", "version": "5.2.3"},
    IncidentCreate: lambda _: {
        "app_id": "{app_id}", "title": "矩阵事件", "description": "矩阵用的安全事件描述。", "category": "malware",
        "grade": "relatively_major",
    },
    IncidentUpdate: lambda _: {"grade": "particularly_major"},
    FollowUpCreate: lambda _: {"channel": "12387", "text": "矩阵续报：事态已受控。"},
    IncidentHandled: lambda _: {},
    IncidentClose: lambda _: {},
    CampaignCreate: lambda _: {
        "channels": ["inbox"], "subject_zh": "安全更新", "body_zh": "漏洞已修复，请升级到最新版本。",
    },
}  # fmt: skip

# Path parameters that must name a resource in a particular state for one route: a code is confirmed only for a
# request still waiting for one, while completion, rejection and the reads use the verified request.
PATH_IDS: dict[str, dict[str, str]] = {
    "/v1/vulnerabilities/{vulnerability_id}/notice-campaigns": {"vulnerability_id": "fixed_vulnerability_id"},
    "/v1/data-requests/{request_id}/verification": {"request_id": "verifying_request_id"},
    # Only a handled incident with its reports in may close; an incident's clocks are not the MIIT one.
    "/v1/security-incidents/{incident_id}/close": {"incident_id": "closable_incident_id"},
    "/v1/security-incidents/{incident_id}/clocks/{kind}/submission": {"kind": "incident_kind"},
}

# What another app's key gets for a path naming the target's resource: the resource does not exist for it.
FOREIGN_NOT_FOUND = {
    "{app_id}": "apps.app.not_found",
    "{user_id}": "accounts.user.not_found",
    "{verification_id}": "identity.verification.not_found",
    "{request_id}": "consent.request.not_found",
}


def _foreign_refusal(path: str) -> str | None:
    return next((code for name, code in FOREIGN_NOT_FOUND.items() if name in path), None)


def _body_model(annotation: Any) -> type[BaseModel]:
    """The request model, or for a discriminated union (VerificationStart) its member that BODIES names."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    members = [member for member in typing.get_args(annotation) if member in BODIES]
    assert members, f"add a minimal valid member of {annotation} to BODIES"
    return cast(type[BaseModel], members[0])


def _credential(
    world: World, ctx: Ctx, clock: FixedClock, guard: Guard, caller: Caller
) -> tuple[str | None, list[Role]]:
    """The bearer credential for `caller` (None: none at all) and the roles it carries."""
    staff_roles = {
        Caller.ADMIN: [Role.ADMIN],
        Caller.STAFF: [Role.ADMIN],
        Caller.ANY_ROLE: [Role.REVIEWER],
        Caller.WRONG_ROLE: sorted(_refused_roles(guard)),
        Caller.REVOKED_TOKEN: [Role.ADMIN],
        Caller.EXPIRED_TOKEN: [Role.ADMIN],
    }
    if caller in staff_roles:
        roles = staff_roles[caller]
        expires = dt.timedelta(days=1) if caller is Caller.EXPIRED_TOKEN else None
        staff_id, token_id, secret = _staff_with_token(ctx, roles, expires_in=expires)
        world.ids["token_id"] = str(token_id)  # /staff/me/tokens/{token_id}: the caller's own token
        if caller is Caller.REVOKED_TOKEN:
            service.revoke_staff_token(ctx, staff_id, token_id)
        if caller is Caller.EXPIRED_TOKEN:
            clock.advance(dt.timedelta(days=1))  # expires_at == now: expired from this very instant
        return secret, roles
    return {
        Caller.ANONYMOUS: None,
        Caller.GARBAGE_KEY: f"ak_{uuid.uuid4().hex}",
        Caller.GARBAGE_TOKEN: f"st_{uuid.uuid4().hex}",
        Caller.REVOKED_KEY: world.keys["revoked"],
        Caller.APP_KEY: world.keys["own"],
        Caller.OWN_KEY: world.keys["own"],
        Caller.FOREIGN_KEY: world.keys["foreign"],
    }[caller], []


def _snapshot(connection: Connection) -> dict[str, list[Any]]:
    """Every row of every table: a refused request must leave all of it as it was (not only the audit log)."""
    return {
        table.name: [tuple(row) for row in connection.execute(select(table).order_by(*table.primary_key.columns))]
        for table in Base.metadata.sorted_tables
    }


def _fill(path: str, ids: dict[str, str]) -> str:
    names = [part[1:-1] for part in path.split("/") if part.startswith("{")]
    return path.format(**{name: ids.get(name, str(uuid.uuid4())) for name in names})


def _fill_body(body: dict[str, Any], ids: dict[str, str]) -> dict[str, Any]:
    """Replace "{name}" values with the world's ids (bodies that refer to a resource, like acceptances)."""
    return {
        key: ids[value[1:-1]] if isinstance(value, str) and value[1:-1] in ids and value.startswith("{") else value
        for key, value in body.items()
    }


def test_every_v1_route_is_guarded_or_declared_public() -> None:
    found = _collected()
    assert found, "no /v1 routes found: the matrix would test nothing"
    unguarded = sorted(e.label for e in found if e.guard is None and (e.method, e.path) not in PUBLIC)
    assert unguarded == [], "add a Guard, or list the route in PUBLIC with the reason it needs no credential"


def test_the_public_allow_list_names_only_unguarded_routes_that_exist() -> None:
    by_key = {(e.method, e.path): e for e in _collected()}
    stale = sorted(f"{m} {p}" for m, p in PUBLIC if (m, p) not in by_key or by_key[m, p].guard is not None)
    assert stale == []


def test_every_guarded_operation_documents_its_refusals(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    undocumented = [
        f"{e.label} {status}"
        for e in _collected()
        if e.guard is not None
        for status in ("401", "403")
        if status not in paths[e.path][e.method.lower()]["responses"]
    ]
    assert undocumented == []


@pytest.mark.parametrize(("method", "path", "caller"), _matrix())
def test_authorization(
    client: TestClient,
    ctx: Ctx,
    session: Session,
    connection: Connection,
    clock: FixedClock,
    world: World,
    method: str,
    path: str,
    caller: Caller,
) -> None:
    # The collected declarations, not a walk of client.app: FastAPI rebuilds every route's dependant per walk (half
    # a second), and the routes are the same code whatever services the app was built over.
    endpoint = _by_operation()[method, path]
    assert endpoint.guard is not None
    secret, roles = _credential(world, ctx, clock, endpoint.guard, caller)
    session.flush()
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    body = None
    if endpoint.body is not None:
        model = _body_model(endpoint.body)
        assert model in BODIES, f"add a minimal valid {model.__name__} to BODIES"
        body = _fill_body(BODIES[model](roles or [Role.ADMIN]), world.ids)
        TypeAdapter(endpoint.body).validate_python(body)
    before = _snapshot(connection)

    ids = {**world.ids, **{name: world.ids[alias] for name, alias in PATH_IDS.get(path, {}).items()}}
    response = client.request(method, _fill(path, ids), headers=headers, json=body, params=QUERIES.get(path))

    if caller in (Caller.ADMIN, Caller.OWN_KEY, Caller.ANY_ROLE):
        assert 200 <= response.status_code < 300, response.text
        return
    foreign_code = _foreign_refusal(path)
    if caller is Caller.FOREIGN_KEY and foreign_code is None:
        # Routes without an app in the path scope themselves to the key's app: whatever the answer, it must not
        # carry the other app's data.
        assert response.status_code < 500, response.text
        assert not [m for m in [*world.markers, str(world.target.id)] if m in response.text]
        return
    status, code = (404, foreign_code) if caller is Caller.FOREIGN_KEY and foreign_code else REFUSED[caller]
    assert (response.status_code, response.json().get("code")) == (status, code), response.text
    assert response.headers["content-type"] == "application/problem+json"
    if status == 401:
        assert response.headers["www-authenticate"].startswith("Bearer")
    assert not [m for m in world.markers if m in response.text], "a refusal leaked the target app's data"
    assert _snapshot(connection) == before, "a refused request changed the database"
