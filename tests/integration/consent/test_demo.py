"""The demo's processing map carries exactly one deliberate finding — and applying its fix clears it."""

from __future__ import annotations

from appcomply import apps, consent
from appcomply.cli.demo import DEMO_SLUG, seed_demo
from appcomply.consent import service
from appcomply.consent.schemas import ActivityBody, ActivityCreate
from appcomply.kernel.context import Ctx


def test_the_demo_shows_one_forced_consent_finding_and_its_fix_clears_it(ctx: Ctx) -> None:
    seed_demo(ctx)
    seed_demo(ctx)  # idempotent: the map is seeded once
    app = apps.get_app_by_slug(ctx, DEMO_SLUG)
    assert [a.key for a in consent.list_activities(ctx, app.id)] == ["messaging", "recommendations", "registration"]
    errors = [f for f in consent.analyse_app(ctx, app.id) if f.severity == "error"]
    # One fault, two consequences: the basic function depends on the address book, and (resting on consent
    # because of it) processes sensitive contact lists without a separate consent.
    assert [(f.code, f.activity_key, f.pi_items) for f in errors] == [
        ("basic_uses_unnecessary_pi", "messaging", ("contacts",)),
        ("sensitive_without_separate_consent", "messaging", ("contacts", "im_contact_list")),
    ]
    assert "contacts" in errors[0].fix_en

    # The fix: the address book leaves the basic function for a consent activity of its own.
    messaging = service.find_activity(ctx, app.id, "messaging")
    body = ActivityBody(
        feature=messaging.feature, purpose=messaging.purpose, basis=consent.LegalBasis.CONTRACT, basic_type=3,
        pi_items=["mobile_number", "im_account_id", "im_contact_list"], retention=messaging.retention,
    )  # fmt: skip
    service.replace_activity(ctx, app.id, "messaging", body)
    find_friends = ActivityCreate(
        key="find_friends", feature="私信 Direct messages", purpose="匹配通讯录中的好友",
        pi_items=["contacts"], basis=consent.LegalBasis.CONSENT, choice="find_friends", retention="撤回同意后删除",
        separate=[consent.SeparateConsent.SENSITIVE],
    )  # fmt: skip
    service.create_activity(ctx, app.id, find_friends)
    assert [f for f in consent.analyse_app(ctx, app.id) if f.severity == "error"] == []
