"""The demo tenant that `make run` seeds: an online-community app with features, licences and an admin."""

from __future__ import annotations

from importlib import resources
from typing import Any

from appcomply import agreements, apps, consent
from appcomply.apps import FeatureCreate, LicenceCreate, LicenceKind, ServiceKind
from appcomply.apps.rules import new_password
from appcomply.consent.schemas import ActivityCreate, RecipientModel
from appcomply.kernel.actor import Role
from appcomply.kernel.context import Ctx

DEMO_SLUG = "demo"
# A made-up entity: the code is checksum-valid (GB 32100) but registered to no one.
DEMO_USCC = "91110108MA01DFM005"


RECOMMENDATIONS = FeatureCreate(
    name="个性化推荐 Recommendations",
    service_kind=ServiceKind.ALGORITHM_RECOMMENDATION,
    description="Posts recommended from browsing.",
)


def _demo_app() -> apps.AppCreate:
    return apps.AppCreate(
        slug=DEMO_SLUG,
        name="示例社区 Demo Community",
        entity_name="示例网络科技有限公司",
        entity_uscc=DEMO_USCC,
        app_types=[3, 4],
        service_kinds=[ServiceKind.TEXT, ServiceKind.PICTURE, ServiceKind.FORUM, ServiceKind.INSTANT_MESSAGING],
        features=[
            FeatureCreate(
                name="发帖 Posts", service_kind=ServiceKind.FORUM, description="Users publish posts with pictures."
            ),
            FeatureCreate(name="评论 Comments", service_kind=ServiceKind.TEXT, public_opinion=True),
            FeatureCreate(name="私信 Direct messages", service_kind=ServiceKind.INSTANT_MESSAGING),
            RECOMMENDATIONS,
        ],
        licences=[
            LicenceCreate(kind=LicenceKind.ICP_FILING, number="京ICP备00000000号-1", scope="示例备案号 (demo)"),
            LicenceCreate(kind=LicenceKind.APP_FILING, number="京ICP备00000000号-2A", scope="App 备案 (demo)"),
        ],
    )


# Published at once (first versions are not changes, so no notice period applies); plainly marked as demo text.
DEMO_DOCUMENTS = (
    (agreements.DocumentKind.MANAGEMENT_RULES, "demo_management_rules.md"),
    (agreements.DocumentKind.USER_AGREEMENT, "demo_user_agreement.md"),
    (agreements.DocumentKind.PRIVACY_POLICY, "demo_privacy_policy.md"),
)


def _seed_documents(ctx: Ctx, app: apps.App) -> None:
    """Publish the demo documents the app does not have yet."""
    published = {view.document.kind for view in agreements.list_documents(ctx, app.id)}
    for kind, name in DEMO_DOCUMENTS:
        if kind.value in published:
            continue
        body = (resources.files("appcomply.agreements") / "data" / name).read_text(encoding="utf-8")
        data = agreements.DraftForm(body=body, effective_at=ctx.clock.now(), change_summary="首个版本（演示）")
        version = agreements.create_draft(
            ctx, app.id, kind=kind, slug="", language=agreements.Language.ZH_CN, data=data
        )
        agreements.schedule_version(ctx, version.id)


def _demo_activities() -> list[ActivityCreate]:
    """The demo's processing map, with one deliberate fault so the findings page is not empty: direct messaging, a
    basic function of an instant-messaging app (type 3), also uploads the address book, which the 2021 rules do not
    count as necessary. The fix the page proposes: move `contacts` into its own consent activity."""
    contract, consent_ = consent.LegalBasis.CONTRACT, consent.LegalBasis.CONSENT
    return [
        ActivityCreate(
            key="registration", feature="发帖 Posts",
            purpose="注册账号、发布信息（网络社区基本功能）", pi_items=["mobile_number"], basis=contract, basic_type=4,
            retention="账号注销后 15 个工作日内删除",
        ),
        ActivityCreate(
            key="messaging", feature="私信 Direct messages", purpose="提供即时通信服务（即时通信基本功能）",
            pi_items=["mobile_number", "im_account_id", "im_contact_list", "contacts"], basis=contract,
            basic_type=3, retention="账号注销后 15 个工作日内删除",
        ),
        ActivityCreate(
            key="recommendations", feature=RECOMMENDATIONS.name, purpose="根据浏览记录推荐内容",
            pi_items=["device_id", "browsing_history"], basis=consent_, choice="recommendations",
            separate=[consent.SeparateConsent.SENSITIVE, consent.SeparateConsent.SHARING],
            retention="撤回同意后 15 个工作日内删除",
            recipients=[RecipientModel(
                name="示例统计 SDK (demo)", kind=consent.RecipientKind.SDK, pi_items=["device_id"],
                purpose="统计推荐效果", disclosed=True, cross_border=False,
            )],
        ),
    ]  # fmt: skip


def _seed_processing_map(ctx: Ctx, app: apps.App) -> None:
    """Map the demo's processing once; a map the operator has started is left alone."""
    if consent.list_activities(ctx, app.id):
        return
    if RECOMMENDATIONS.name not in {f.name for f in apps.list_features(ctx, app.id)}:  # demos seeded before it
        apps.add_feature(ctx, app.id, RECOMMENDATIONS)
    for activity in _demo_activities():
        consent.create_activity(ctx, app.id, activity)


def seed_demo(ctx: Ctx) -> dict[str, Any]:
    """Create what is missing of the demo; leave what exists untouched (idempotent)."""
    app = apps.find_app_by_slug(ctx, DEMO_SLUG)
    created = app is None
    if app is None:
        app = apps.create_app(ctx, _demo_app())
    password: str | None = None
    if apps.find_staff(ctx, "admin") is None:
        password = new_password(username="admin")
        apps.create_staff(ctx, username="admin", display_name="Administrator", password=password, roles=[Role.ADMIN])
    _seed_documents(ctx, app)
    _seed_processing_map(ctx, app)
    return {"app": app.slug, "app_id": str(app.id), "app_created": created, "admin_password": password}
