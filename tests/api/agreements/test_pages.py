"""Public document pages (no login, Chinese first) and the console's document editor over HTTP."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import Connection, select
from tests.factories.agreements import publish
from tests.factories.apps import make_app, make_staff_token

from appcomply import agreements
from appcomply.agreements.models import Version
from appcomply.kernel.actor import Role
from appcomply.kernel.clock import FixedClock
from appcomply.kernel.context import Ctx

AGREEMENT = agreements.DocumentKind.USER_AGREEMENT
DAY = dt.timedelta(days=1)


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_the_public_page_shows_the_version_in_force_and_a_diff_of_each_earlier_one(
    client: TestClient, ctx: Ctx, clock: FixedClock
) -> None:
    app = make_app(ctx)
    publish(ctx, app.id, AGREEMENT, "# 协议\n第一条 旧的 <b>条款</b>。\n")
    current = publish(
        ctx, app.id, AGREEMENT, "# 协议\n第一条 新的条款。\n第二条 增加。\n", effective_at=clock.now() + DAY
    )
    clock.advance(DAY)
    page = client.get(f"/p/{app.slug}/agreement")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    text = page.text
    assert '<html lang="zh-CN">' in text
    assert "用户服务协议" in text
    assert current.text_sha256 in text
    assert "2026-11-30 17:00" in text  # the effective time in Beijing time
    assert 'id="c-2"' in text  # clauses are anchors
    assert "<ins>第一条 新的条款。</ins>" in text
    assert "<del>第一条 旧的 &lt;b&gt;条款&lt;/b&gt;。</del>" in text
    assert "<b>条款</b>" not in text  # the text is escaped, never rendered as markup


def test_the_english_switch_falls_back_to_chinese_text_with_english_labels(client: TestClient, ctx: Ctx) -> None:
    app = make_app(ctx)
    publish(ctx, app.id, agreements.DocumentKind.PRIVACY_POLICY, "1. 我们处理的信息\n")
    page = client.get(f"/p/{app.slug}/privacy?lang=en")
    assert page.status_code == 200
    assert '<html lang="en">' in page.text
    assert "Text SHA-256" in page.text
    assert "我们处理的信息" in page.text


def test_an_unpublished_document_is_a_404_page_and_custom_documents_have_their_own_path(
    client: TestClient, ctx: Ctx
) -> None:
    app = make_app(ctx)
    assert client.get(f"/p/{app.slug}/children").status_code == 404
    publish(ctx, app.id, agreements.DocumentKind.CUSTOM, "1. 直播规范\n", slug="live")
    assert "直播规范" in client.get(f"/p/{app.slug}/custom/live").text
    assert client.get("/p/no-such-app/rules").status_code == 404


def test_compliance_drafts_previews_and_schedules_and_the_console_lists_it(
    client: TestClient, ctx: Ctx, connection: Connection
) -> None:
    app = make_app(ctx)
    headers = _bearer(make_staff_token(ctx, Role.COMPLIANCE))
    created = client.post(
        f"/console/apps/{app.slug}/documents",
        data={"kind": "management_rules", "language": "zh-CN", "body": "第一条 总则。\n"},
        headers=headers,
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    url = created.headers["location"]
    preview = client.post(
        f"{url}/preview",
        data={"body": "第一条 总则。\n第二条 <script>x</script>\n"},
        headers={**headers, "HX-Request": "true"},
    )
    assert preview.status_code == 200
    assert 'id="c-2"' in preview.text
    assert "&lt;script&gt;" in preview.text
    assert "<script>x" not in preview.text
    assert "<html" not in preview.text  # only the preview fragment
    effective = (ctx.clock.now() + DAY).astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%dT%H:%M")
    saved = client.post(
        url, data={"body": "第一条 总则。\n", "effective_at": effective}, headers=headers, follow_redirects=False
    )
    assert saved.status_code == 303, saved.text
    assert client.post(f"{url}/schedule", headers=headers, follow_redirects=False).status_code == 303
    listing = client.get(f"/console/apps/{app.slug}/documents", headers=headers).text
    assert "管理规则" in listing
    assert 'class="badge badge-warn">' in listing  # the state badge of a scheduled version


def test_no_route_changes_a_published_version(client: TestClient, ctx: Ctx, connection: Connection) -> None:
    app = make_app(ctx)
    version = publish(ctx, app.id, AGREEMENT, "第一条 原文。\n")
    headers = _bearer(make_staff_token(ctx, Role.COMPLIANCE))
    before = connection.execute(select(Version.__table__).where(Version.id == version.id)).one()
    edit = client.post(f"/console/document-versions/{version.id}", data={"body": "第一条 篡改。\n"}, headers=headers)
    again = client.post(f"/console/document-versions/{version.id}/schedule", headers=headers)
    assert (edit.status_code, again.status_code) == (409, 409)
    assert connection.execute(select(Version.__table__).where(Version.id == version.id)).one() == before


def test_only_compliance_may_change_documents(client: TestClient, ctx: Ctx) -> None:
    app = make_app(ctx)
    headers = _bearer(make_staff_token(ctx, Role.REVIEWER))
    assert client.get(f"/console/apps/{app.slug}/documents", headers=headers).status_code == 200
    refused = client.post(
        f"/console/apps/{app.slug}/documents",
        data={"kind": "management_rules", "language": "zh-CN", "body": "第一条 总则。\n"},
        headers=headers,
    )
    assert refused.status_code == 403


def test_compliance_sets_the_policy_from_the_console(client: TestClient, ctx: Ctx) -> None:
    app = make_app(ctx)
    headers = _bearer(make_staff_token(ctx, Role.COMPLIANCE))
    response = client.post(
        f"/console/apps/{app.slug}/documents/policy",
        data={"notice_days": "14", "required": ["user_agreement", "management_rules"]},
        headers=headers,
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    page = client.get(f"/console/apps/{app.slug}/documents", headers=headers).text
    assert 'value="14"' in page
    assert 'value="management_rules" checked' in page


def test_an_effective_time_that_is_not_a_time_is_refused(client: TestClient, ctx: Ctx) -> None:
    app = make_app(ctx)
    draft = agreements.create_draft(
        ctx, app.id, kind=AGREEMENT, slug="", language=agreements.Language.ZH_CN,
        data=agreements.DraftForm(body="第一条 甲。\n"),
    )  # fmt: skip
    ctx.session.flush()
    headers = _bearer(make_staff_token(ctx, Role.COMPLIANCE))
    response = client.post(
        f"/console/document-versions/{draft.id}",
        data={"body": "第一条 乙。\n", "effective_at": "soon"},
        headers=headers,
    )
    assert response.status_code == 422
    assert "agreements.effective_date_required" in response.text
    page = client.get(f"/console/document-versions/{draft.id}", headers=headers)
    assert page.status_code == 200
    assert "第一条 甲。" in page.text
