"""The identity console over HTTP: users and lookup, a user's verifications, reveal with a reason, the SMS outbox."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.factories.apps import log_in_console, make_api_key, make_app, make_staff_token

from appcomply.audit.models import AuditEntry
from appcomply.kernel.actor import Role
from appcomply.kernel.context import Ctx

PHONE = "+86 138 0013 8000"
CLEAR_PHONE = "13800138000"
ID_NUMBER = "11010519491231002X"
NAME = "张三丰"
HTMX = {"HX-Request": "true"}


@dataclass(frozen=True)
class World:
    slug: str
    user_id: str
    phone_verification: str
    id_verification: str


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def world(client: TestClient, ctx: Ctx) -> World:
    """A user of a fresh app with a pending phone verification and a verified ID card, made through the API."""
    app = make_app(ctx)
    key = make_api_key(ctx, app)
    user = client.post("/v1/users", json={"external_ref": "ext-42", "nickname": "快乐的鱼"}, headers=_bearer(key))
    assert user.status_code == 201, user.text
    user_id = user.json()["id"]
    phone = client.post(
        f"/v1/users/{user_id}/verifications", json={"method": "phone", "phone": PHONE}, headers=_bearer(key)
    )
    card = client.post(
        f"/v1/users/{user_id}/verifications",
        json={"method": "id_card", "name": NAME, "id_number": ID_NUMBER},
        headers=_bearer(key),
    )
    assert (phone.status_code, card.status_code) == (201, 201), (phone.text, card.text)
    return World(app.slug, user_id, phone.json()["id"], card.json()["id"])


def _pages(client: TestClient, world: World, csrf: str) -> dict[str, str]:
    """Every identity page as the logged-in staff member sees it, lookups included."""
    pages = {
        path: client.get(path)
        for path in (
            f"/console/apps/{world.slug}/users",
            f"/console/users/{world.user_id}",
            f"/console/apps/{world.slug}/sms-outbox",
        )
    }
    for q in ("ext-42", CLEAR_PHONE, PHONE):
        pages[f"find {q}"] = client.post(f"/console/apps/{world.slug}/users", data={"q": q, "csrf_token": csrf})
    for name, response in pages.items():
        assert response.status_code == 200, name
        assert response.headers["Cache-Control"] == "no-store"
    return {name: response.text for name, response in pages.items()}


def test_pages_render_for_staff_with_masked_values_only(client: TestClient, ctx: Ctx, world: World) -> None:
    csrf = log_in_console(client, ctx, Role.VAULT)  # the role that sees reveal forms: still no clear value on any page
    pages = _pages(client, world, csrf)
    for name, text in pages.items():
        for clear in (CLEAR_PHONE, ID_NUMBER, NAME, "0013 8000", "0013"):
            assert clear not in text, (name, clear)
    user_page = pages[f"/console/users/{world.user_id}"]
    assert "138****8000" in user_page
    assert "110***********002X" in user_page
    assert "张**" in user_page
    assert f"/console/users/{world.user_id}" in pages[f"find {CLEAR_PHONE}"]


def test_the_user_page_shows_evidence_and_permissions(client: TestClient, ctx: Ctx, world: World) -> None:
    log_in_console(client, ctx, Role.REVIEWER)
    page = client.get(f"/console/users/{world.user_id}").text
    assert "ext-42" in page
    assert "identity.code_sent" in page
    assert f"local-{world.id_verification}" in page  # provider request id
    assert "2026-11-01" in page  # authorisation text version
    assert "identity.id_card_required" not in page  # the ID card is verified: live streaming is allowed
    assert "/reveal" not in page  # reveal forms only for the vault role


@pytest.mark.parametrize(
    "path", ["/console/apps/{slug}/users", "/console/users/{user}", "/console/apps/{slug}/sms-outbox"]
)
def test_anonymous_visitors_are_sent_to_the_login_form(client: TestClient, world: World, path: str) -> None:
    response = client.get(path.format(slug=world.slug, user=world.user_id), follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/console/login?next=")


def test_lookup_by_full_phone_finds_the_user_and_another_phone_does_not(
    client: TestClient, ctx: Ctx, world: World
) -> None:
    csrf = log_in_console(client, ctx, Role.REVIEWER)
    find = f"/console/apps/{world.slug}/users"
    found = client.post(find, data={"q": "138 0013 8000"}, headers={**HTMX, "X-CSRF-Token": csrf})
    assert found.status_code == 200
    assert "<html" not in found.text  # the htmx fragment
    assert f"/console/users/{world.user_id}" in found.text
    assert "按手机号匹配" in found.text
    for other in ("13900139000", "1380013", "138****8000", "8000"):
        missed = client.post(find, data={"q": other, "csrf_token": csrf})
        assert missed.status_code == 200
        assert f"/console/users/{world.user_id}" not in missed.text, other
    by_ref = client.post(find, data={"q": "ext-42", "csrf_token": csrf})
    assert f"/console/users/{world.user_id}" in by_ref.text
    assert "按外部标识匹配" in by_ref.text


def test_the_lookup_is_csrf_checked_and_keeps_the_number_out_of_the_url(
    client: TestClient, ctx: Ctx, world: World
) -> None:
    log_in_console(client, ctx, Role.REVIEWER)
    forged = client.post(f"/console/apps/{world.slug}/users", data={"q": CLEAR_PHONE, "csrf_token": "forged"})
    assert forged.status_code == 403
    page = client.get(f"/console/apps/{world.slug}/users").text
    assert 'method="post" action="/console/apps/' in page


def test_a_phone_of_another_app_is_not_found(client: TestClient, ctx: Ctx, world: World) -> None:
    other = make_app(ctx)
    csrf = log_in_console(client, ctx, Role.REVIEWER)
    response = client.post(f"/console/apps/{other.slug}/users", data={"q": CLEAR_PHONE, "csrf_token": csrf})
    assert response.status_code == 200
    assert f"/console/users/{world.user_id}" not in response.text


def test_reveal_is_refused_for_a_reviewer(client: TestClient, ctx: Ctx, session: Session, world: World) -> None:
    token = make_staff_token(ctx, Role.REVIEWER)
    response = client.post(
        f"/console/verifications/{world.phone_verification}/reveal",
        data={"field": "phone", "reason": "checking a police request 2026-1"},
        headers=_bearer(token),
    )
    assert response.status_code == 403
    assert "auth.role_required" in response.text
    assert CLEAR_PHONE not in response.text
    assert _reveal_entries(session) == []


def test_a_vault_token_reveals_with_a_reason_and_the_access_is_audited(
    client: TestClient, ctx: Ctx, session: Session, world: World
) -> None:
    token = make_staff_token(ctx, Role.VAULT)
    response = client.post(
        f"/console/verifications/{world.id_verification}/reveal",
        data={"field": "id_number", "reason": "  police request 2026-118  "},
        headers={**_bearer(token), **HTMX},
    )
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "no-store"
    assert ID_NUMBER in response.text
    assert "<html" not in response.text
    [entry] = _reveal_entries(session)
    assert entry.subject_id == world.id_verification
    assert entry.data["field"] == "id_number"
    assert entry.data["reason"] == "police request 2026-118"
    assert ID_NUMBER not in str(entry.data)


def test_a_vault_session_reveals_through_the_form_with_its_csrf_token(
    client: TestClient, ctx: Ctx, session: Session, world: World
) -> None:
    csrf = log_in_console(client, ctx, Role.VAULT)
    page = client.get(f"/console/users/{world.user_id}").text
    assert f"/console/verifications/{world.phone_verification}/reveal" in page
    form = {"field": "phone", "reason": "user asked to confirm the number", "csrf_token": csrf}
    response = client.post(f"/console/verifications/{world.phone_verification}/reveal", data=form)
    assert response.status_code == 200
    assert "+8613800138000" in response.text
    assert len(_reveal_entries(session)) == 1
    forged = client.post(
        f"/console/verifications/{world.phone_verification}/reveal", data={**form, "csrf_token": "forged"}
    )
    assert forged.status_code == 403
    assert len(_reveal_entries(session)) == 1


def test_an_admin_may_reveal_too(client: TestClient, ctx: Ctx, world: World) -> None:
    token = make_staff_token(ctx, Role.ADMIN)
    response = client.post(
        f"/console/verifications/{world.id_verification}/reveal",
        data={"field": "name", "reason": "court order 2026 no. 7"},
        headers=_bearer(token),
    )
    assert response.status_code == 200
    assert NAME in response.text


@pytest.mark.parametrize("reason", ["", "too short", "          x"])
def test_a_reason_under_ten_characters_is_a_problem(
    client: TestClient, ctx: Ctx, session: Session, world: World, reason: str
) -> None:
    token = make_staff_token(ctx, Role.VAULT)
    response = client.post(
        f"/console/verifications/{world.phone_verification}/reveal",
        data={"field": "phone", "reason": reason},
        headers={**_bearer(token), **HTMX},
    )
    assert response.status_code == 422
    assert response.headers["HX-Retarget"] == "#problem"
    assert "request.validation" in response.text
    assert CLEAR_PHONE not in response.text
    assert _reveal_entries(session) == []


def test_a_value_the_verification_does_not_hold_is_not_found(client: TestClient, ctx: Ctx, world: World) -> None:
    token = make_staff_token(ctx, Role.VAULT)
    response = client.post(
        f"/console/verifications/{world.phone_verification}/reveal",
        data={"field": "id_number", "reason": "police request 2026-118"},
        headers=_bearer(token),
    )
    assert response.status_code == 404
    assert "identity.reveal.nothing" in response.text


def test_the_outbox_shows_the_local_providers_text_and_the_masked_number(
    client: TestClient, ctx: Ctx, world: World
) -> None:
    log_in_console(client, ctx, Role.REVIEWER)
    page = client.get(f"/console/apps/{world.slug}/sms-outbox").text
    assert re.search(r"验证码 \d{6}，5 分钟内有效。", page)
    assert "138****8000" in page
    assert "verification_code" in page
    assert "本地开发服务商" in page  # the banner


def test_the_outbox_pages_newest_first(client: TestClient, ctx: Ctx, session: Session, world: World) -> None:
    log_in_console(client, ctx, Role.REVIEWER)
    page = client.get(f"/console/apps/{world.slug}/sms-outbox", params={"before": str(uuid.uuid4())})
    assert page.status_code == 200  # an unknown cursor is the first page, not an error


def _reveal_entries(session: Session) -> list[AuditEntry]:
    session.expire_all()
    stmt = select(AuditEntry).where(AuditEntry.event == "identity.value.revealed").order_by(AuditEntry.id)
    return list(session.scalars(stmt))
