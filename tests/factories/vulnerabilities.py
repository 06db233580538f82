"""Factories for the vulnerabilities module: a fixed vulnerability, an app's users with versions, campaign bodies."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

from appcomply import accounts
from appcomply.apps.models import App
from appcomply.kernel.actor import Actor, ActorKind
from appcomply.kernel.context import Ctx
from appcomply.vulnerabilities import service
from appcomply.vulnerabilities.models import Vulnerability
from appcomply.vulnerabilities.rules import Channel, State
from appcomply.vulnerabilities.schemas import (
    AffectedVersion,
    CampaignCreate,
    ReportCreate,
    TriageUpdate,
    UserVersionSet,
)
from appcomply.vulnerabilities.service import VulnerabilitiesEnv

AFFECTED = ">=5.0.0 <5.2.4"


def app_ctx(ctx: Ctx, app: App) -> Ctx:
    """The same transaction, acting as the app's backend (its API key): users are registered by the app."""
    return dataclasses.replace(ctx, actor=Actor(kind=ActorKind.APP, label=f"app:{app.slug}", app_id=app.id))


def fixed_vulnerability(
    ctx: Ctx, env: VulnerabilitiesEnv, app: App, *, state: State = State.FIXED, affected: str | None = AFFECTED
) -> Vulnerability:
    """A vulnerability of `app` walked to `state` (fixed by default), affecting android `affected`."""
    report = ReportCreate(app=app.slug, title="支付桥接越权", description="支付桥接接口未校验调用方，可越权下单。")
    done = service.submit_report(ctx, env, report=report, channel=Channel.STAFF, source_ip=None)
    vuln = service.get_vulnerability(ctx, done.vulnerability_id)
    if affected is not None:
        service.update_triage(ctx, vuln.id, TriageUpdate(
            affected_versions=[AffectedVersion(platform="android", range=affected)], fixed_version="5.2.4",
        ))  # fmt: skip
    path = {State.RECEIVED: (), State.CONFIRMED: (State.TRIAGED, State.CONFIRMED),
            State.FIXED: (State.TRIAGED, State.CONFIRMED, State.FIXED)}[state]  # fmt: skip
    for step in path:
        service.transition(ctx, vuln.id, to=step)
    return vuln


def make_users(ctx: Ctx, app: App, count: int, *, versions: list[str | None] | None = None) -> list[uuid.UUID]:
    """`count` users of `app`; with `versions`, user i reports android versions[i % len] (None: reports nothing)."""
    as_app = app_ctx(ctx, app)
    ids = []
    for i in range(count):
        ref = f"u{i}-{uuid.uuid4().hex[:8]}"
        user = accounts.register_user(as_app, accounts.UserCreate(external_ref=ref, nickname=f"用户{i}"))
        version = versions[i % len(versions)] if versions else None
        if version is not None:
            service.report_user_version(as_app, user.id, UserVersionSet(platform="android", version=version))
        ids.append(user.id)
    return ids


def campaign_body(**overrides: Any) -> CampaignCreate:
    fields: dict[str, Any] = {
        "channels": ["inbox"],
        "audience": "all",
        "subject_zh": "安全更新：支付漏洞已修复",
        "subject_en": "Security update: payment flaw fixed",
        "body_zh": "我们修复了支付桥接中的一个安全漏洞，请升级到 5.2.4 或更高版本。",
        "body_en": "We fixed a security flaw in the payment bridge. Please upgrade to 5.2.4 or later.",
        **overrides,
    }
    return CampaignCreate.model_validate(fields)
