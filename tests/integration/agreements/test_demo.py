"""The demo, end to end: a new user is told what to accept, denied publishing until accepted, and asked again
after a material change takes effect."""

from __future__ import annotations

import datetime as dt

from appcomply import accounts, agreements, apps
from appcomply.bootstrap import Services
from appcomply.cli.demo import DEMO_SLUG, seed_demo
from appcomply.identity import service as identity_service
from appcomply.identity.schemas import PhoneStart
from appcomply.kernel.clock import FixedClock
from appcomply.kernel.context import Ctx
from tests.factories.agreements import accept_pending, as_app, publish
from tests.integration.identity._helpers import sent_code


def _publish_allowed(ctx: Ctx, user: accounts.EndUser) -> tuple[bool, str | None]:
    found = identity_service.get_permissions(ctx, user.id).permissions
    return next((p.allowed, p.reason) for p in found if p.action.value == "publish")


def test_the_demo_user_accepts_before_publishing_and_again_after_a_material_change(
    ctx: Ctx, services: Services, clock: FixedClock
) -> None:
    seed_demo(ctx)
    seed_demo(ctx)  # idempotent: no second version of anything
    app = apps.get_app_by_slug(ctx, DEMO_SLUG)
    assert sorted(v.document.kind for v in agreements.list_documents(ctx, app.id) if len(v.versions) == 1) == [
        "management_rules", "privacy_policy", "user_agreement",
    ]  # fmt: skip
    app_ctx = as_app(ctx, app.id)
    user = accounts.register_user(app_ctx, accounts.UserCreate(external_ref="demo-new", nickname="新用户"))
    pending = [item.kind for item in agreements.list_pending(app_ctx, user.id).pending]
    assert pending == [agreements.DocumentKind.USER_AGREEMENT, agreements.DocumentKind.PRIVACY_POLICY]

    started = identity_service.start_verification(
        app_ctx, user.id, PhoneStart(method="phone", phone="13800138000"), env=services.identity, client_ip=None
    )
    code = sent_code(ctx.session, started.verification.id)
    identity_service.confirm_verification(app_ctx, started.verification.id, code, env=services.identity)
    assert _publish_allowed(app_ctx, user) == (False, "agreements.pending")
    accept_pending(ctx, user)
    assert _publish_allowed(app_ctx, user) == (True, None)

    publish(
        ctx, app.id, agreements.DocumentKind.PRIVACY_POLICY, "第一条 新增处理目的（演示）。\n", material=True,
        effective_at=clock.now() + dt.timedelta(days=7), summary="新增处理目的",
    )  # fmt: skip
    assert _publish_allowed(app_ctx, user) == (True, None)  # announced, not yet in force
    clock.advance(dt.timedelta(days=7))
    assert _publish_allowed(app_ctx, user) == (False, "agreements.pending")
