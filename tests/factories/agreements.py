"""Factories for the agreements module: published documents and acceptances, through the real use cases."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

from appcomply import accounts, agreements
from appcomply.agreements.models import Acceptance, Version
from appcomply.kernel.actor import Actor, ActorKind
from appcomply.kernel.context import Ctx

INDEX_KEY = b"k" * 32
BODIES = {
    agreements.DocumentKind.USER_AGREEMENT: "# 用户服务协议\n\n第一条 总则。\n\n第二条 账号。\n",
    agreements.DocumentKind.PRIVACY_POLICY: "# 个人信息处理规则\n\n1. 我们处理的信息\n1.1 手机号码。\n2. 您的权利\n",
}


def publish(
    ctx: Ctx,
    app_id: uuid.UUID,
    kind: agreements.DocumentKind,
    body: str | None = None,
    *,
    effective_at: dt.datetime | None = None,
    material: bool = False,
    language: agreements.Language = agreements.Language.ZH_CN,
    slug: str = "",
    summary: str = "",
) -> Version:
    """Draft and publish one version of a document (effective now unless told otherwise)."""
    data = agreements.DraftForm(
        body=body or BODIES.get(kind, "第一条 示例。\n"),
        material=material,
        change_summary=summary,
        effective_at=effective_at or ctx.clock.now(),
    )
    version = agreements.create_draft(ctx, app_id, kind=kind, slug=slug, language=language, data=data)
    agreements.schedule_version(ctx, version.id)
    ctx.session.flush()  # visible to the app under test, which reads through its own session on the connection
    return version


def publish_required(ctx: Ctx, app_id: uuid.UUID) -> list[Version]:
    """The default required documents (user agreement, privacy policy), in force now."""
    return [publish(ctx, app_id, kind) for kind in BODIES]


def acceptance(version_id: uuid.UUID, **overrides: object) -> agreements.AcceptanceCreate:
    fields: dict[str, object] = {
        "version_id": version_id,
        "accepted": True,
        "channel": agreements.Channel.APP,
        "client_time": dt.datetime(2026, 11, 29, 17, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))),
        "ip": "203.0.113.7",
        "user_agent": "DemoApp/1.0 (iPhone; iOS 18.1)",
        **overrides,
    }
    return agreements.AcceptanceCreate.model_validate(fields)


def as_app(ctx: Ctx, app_id: uuid.UUID) -> Ctx:
    return dataclasses.replace(ctx, actor=Actor(kind=ActorKind.APP, label="test-app", app_id=app_id))


def accept_pending(ctx: Ctx, user: accounts.EndUser) -> list[Acceptance]:
    """Accept everything the user must accept now, as the user's app would after they tap 同意."""
    app_ctx = as_app(ctx, user.app_id)
    pending = agreements.list_pending(app_ctx, user.id).pending
    return [
        agreements.accept_version(app_ctx, user.id, acceptance(item.version_id), index_key=INDEX_KEY)
        for item in pending
    ]
