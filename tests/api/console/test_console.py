"""The staff console over HTTP: log-in (lockout, login CSRF), guards and CSRF on forms, API keys, language, htmx."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import TypeVar

import httpx2
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from tests.factories.apps import STAFF_PASSWORD, make_app, make_staff

from appcomply.apps.admin import LOGIN_CSRF_COOKIE, safe_next
from appcomply.apps.models import ApiKey, App, Staff
from appcomply.kernel.actor import Role
from appcomply.kernel.clock import FixedClock
from appcomply.kernel.context import Ctx
from appcomply.web.security import SESSION_COOKIE
from appcomply.web.templating import translations

SRC = Path(__file__).resolve().parents[3] / "src" / "appcomply"
SECRET = re.compile(r"ak_[A-Za-z0-9_-]{40,}")
HTMX = {"HX-Request": "true"}
Row = TypeVar("Row", Staff, ApiKey)


def _hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no hidden field {name!r}"
    return found.group(1)


def _log_in(client: TestClient, username: str, password: str = STAFF_PASSWORD, **form: str) -> httpx2.Response:
    page = client.get("/console/login")
    data = {"username": username, "password": password, "csrf_token": _hidden(page.text, "csrf_token"), **form}
    return client.post("/console/login", data=data, follow_redirects=False)


def _staff_session(client: TestClient, ctx: Ctx, *roles: Role) -> str:
    """Log a new staff member with `roles` in; returns the session's CSRF token as the pages carry it."""
    staff = make_staff(ctx, *roles)
    assert _log_in(client, staff.username).status_code == 303
    return _hidden(client.get("/console/").text, "csrf_token")


def _fresh(session: Session, row: Row) -> Row:
    session.refresh(row)  # the app committed through its own session on the same connection
    return row


# --- log-in ----------------------------------------------------------------------------------------------


def test_login_sets_an_http_only_session_cookie_and_lands_on_the_dashboard(client: TestClient, ctx: Ctx) -> None:
    make_app(ctx, name="社区应用")
    staff = make_staff(ctx, Role.ADMIN)
    response = _log_in(client, staff.username)
    assert (response.status_code, response.headers["location"]) == (303, "/console/")
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith(f"{SESSION_COOKIE}="))
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    assert "Max-Age=28800" in cookie
    assert "Secure" not in cookie  # settings.security.secure_cookies is off in tests
    dashboard = client.get("/console/")
    assert dashboard.status_code == 200
    assert "社区应用" in dashboard.text
    assert staff.username in dashboard.text


def test_a_wrong_password_gets_a_401_page_and_is_counted(client: TestClient, ctx: Ctx, session: Session) -> None:
    staff = make_staff(ctx, Role.ADMIN)
    response = _log_in(client, staff.username, "not the password at all")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.text
    assert SESSION_COOKIE not in response.cookies
    assert _fresh(session, staff).failed_logins == 1


def test_an_unknown_user_gets_the_same_message_as_a_wrong_password(client: TestClient) -> None:
    response = _log_in(client, "nobody-here")
    assert response.status_code == 401
    assert "用户名或密码错误" in response.text


def test_the_account_locks_after_max_failures_and_unlocks_when_the_lockout_passes(
    client: TestClient, ctx: Ctx, clock: FixedClock
) -> None:
    staff = make_staff(ctx, Role.ADMIN)
    statuses = [_log_in(client, staff.username, f"wrong password {n}").status_code for n in range(5)]
    assert statuses == [401, 401, 401, 401, 403]
    locked = _log_in(client, staff.username)  # the right password, still locked
    assert locked.status_code == 403
    # 09:00 UTC plus the default 900 s lockout, shown in Beijing time.
    assert "已锁定" in locked.text
    assert "2026-11-29 17:15" in locked.text
    clock.advance(dt.timedelta(seconds=901))
    assert _log_in(client, staff.username).status_code == 303


@pytest.mark.parametrize(
    ("token", "keep_cookie"),
    [("", True), ("forged-token", True), (None, False)],
    ids=["no token", "wrong token", "no cookie"],
)
def test_login_without_the_double_submit_token_is_refused(
    client: TestClient, ctx: Ctx, session: Session, token: str | None, keep_cookie: bool
) -> None:
    staff = make_staff(ctx, Role.ADMIN)
    page = client.get("/console/login")
    if not keep_cookie:
        client.cookies.delete(LOGIN_CSRF_COOKIE, path="/console/login")
    sent = _hidden(page.text, "csrf_token") if token is None else token
    data = {"username": staff.username, "password": STAFF_PASSWORD, "csrf_token": sent}
    response = client.post("/console/login", data=data, follow_redirects=False)
    assert response.status_code == 403
    assert "auth.csrf_failed" in response.text
    assert SESSION_COOKIE not in response.cookies
    assert _fresh(session, staff).last_login_at is None


def test_login_goes_on_to_a_console_page_but_never_off_the_site(client: TestClient, ctx: Ctx) -> None:
    staff = make_staff(ctx, Role.ADMIN)
    assert _log_in(client, staff.username, next="/console/apps/x?a=1").headers["location"] == "/console/apps/x?a=1"
    client.cookies.clear()  # logged in, the form would skip straight on
    assert _log_in(client, staff.username, next="https://evil.example/").headers["location"] == "/console/"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/console/apps/demo", "/console/apps/demo"),
        ("/console/?q=a&after=b", "/console/?q=a&after=b"),
        ("", "/console/"),
        ("https://evil.example/console/", "/console/"),
        ("//evil.example/console/", "/console/"),
        ("/\\evil.example", "/console/"),
        ("/console/\nSet-Cookie: x", "/console/"),
        ("/v1/apps", "/console/"),
        ("/consolex", "/console/"),
        ("/console/logout", "/console/"),
        ("javascript:alert(1)", "/console/"),
    ],
)
def test_only_console_paths_are_honoured_as_next(value: str, expected: str) -> None:
    assert safe_next(value) == expected


def test_a_logged_in_visitor_skips_the_login_form(client: TestClient, ctx: Ctx) -> None:
    _staff_session(client, ctx, Role.ADMIN)
    response = client.get("/console/login", params={"next": "/console/apps/x"}, follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/console/apps/x")


def test_logging_out_ends_the_session(client: TestClient, ctx: Ctx) -> None:
    csrf = _staff_session(client, ctx, Role.REVIEWER)
    refused = client.post("/console/logout", follow_redirects=False)
    assert refused.status_code == 403
    response = client.post("/console/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/console/login")
    assert client.get("/console/", follow_redirects=False).status_code == 303


# --- guards ----------------------------------------------------------------------------------------------


def test_an_anonymous_browser_is_sent_to_the_login_form(client: TestClient) -> None:
    response = client.get("/console/apps/demo", params={"tab": "keys"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/console/login?next=%2Fconsole%2Fapps%2Fdemo%3Ftab%3Dkeys"
    form = client.get(response.headers["location"])
    assert _hidden(form.text, "next") == "/console/apps/demo?tab=keys"


def test_an_anonymous_htmx_request_is_redirected_with_hx_redirect(client: TestClient) -> None:
    headers = {**HTMX, "HX-Current-URL": "http://testserver/console/?q=abc"}
    response = client.get("/console/", params={"q": "abc"}, headers=headers, follow_redirects=False)
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/console/login?next=%2Fconsole%2F%3Fq%3Dabc"


def test_the_json_api_still_answers_401_problems(client: TestClient) -> None:
    response = client.get("/v1/apps")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


def test_a_reviewer_sees_the_app_page_but_cannot_create_or_revoke_keys(
    client: TestClient, ctx: Ctx, session: Session
) -> None:
    app = make_app(ctx, name="审核可见")
    key, _ = _create_key(ctx, app)
    csrf = _staff_session(client, ctx, Role.REVIEWER)
    page = client.get(f"/console/apps/{app.slug}")
    assert page.status_code == 200
    assert "审核可见" in page.text
    assert "只有管理员可以查看和管理 API 密钥" in page.text
    assert key.prefix not in page.text
    created = client.post(f"/console/apps/{app.slug}/api-keys", data={"csrf_token": csrf, "name": "x"})
    assert created.status_code == 403
    assert "auth.role_required" in created.text
    assert not SECRET.search(created.text)
    revoked = client.post(f"/console/apps/{app.slug}/api-keys/{key.id}/revoke", data={"csrf_token": csrf})
    assert revoked.status_code == 403
    assert _fresh(session, key).revoked_at is None


def test_a_post_without_the_csrf_token_from_a_cookie_session_is_refused(client: TestClient, ctx: Ctx) -> None:
    app = make_app(ctx)
    _staff_session(client, ctx, Role.ADMIN)
    for headers in ({}, {"X-CSRF-Token": "forged"}):
        response = client.post(f"/console/apps/{app.slug}/api-keys", data={"name": "x"}, headers=headers)
        assert response.status_code == 403
        assert "auth.csrf_failed" in response.text
        assert "安全校验未通过" in response.text
    assert "ak_" not in client.get(f"/console/apps/{app.slug}").text


# --- API keys --------------------------------------------------------------------------------------------


def _create_key(ctx: Ctx, app: App) -> tuple[ApiKey, str]:
    from appcomply.apps import service

    return service.create_api_key(ctx, app.id, name="existing")


def test_an_admin_creates_a_key_and_sees_the_secret_exactly_once(client: TestClient, ctx: Ctx) -> None:
    app = make_app(ctx)
    csrf = _staff_session(client, ctx, Role.ADMIN)
    created = client.post(f"/console/apps/{app.slug}/api-keys", data={"csrf_token": csrf, "name": "prod backend"})
    assert created.status_code == 201
    assert created.headers["cache-control"] == "no-store"
    secrets_shown = SECRET.findall(created.text)
    assert len(secrets_shown) == 1
    assert "请立即复制此密钥" in created.text
    again = client.get(f"/console/apps/{app.slug}")
    assert secrets_shown[0] not in again.text
    assert not SECRET.search(again.text)
    assert secrets_shown[0][:10] in again.text
    assert "prod backend" in again.text


def test_an_htmx_key_creation_returns_only_the_key_fragment(client: TestClient, ctx: Ctx) -> None:
    app = make_app(ctx)
    csrf = _staff_session(client, ctx, Role.ADMIN)
    created = client.post(
        f"/console/apps/{app.slug}/api-keys", data={"name": "x"}, headers={**HTMX, "X-CSRF-Token": csrf}
    )
    assert created.status_code == 201
    assert created.text.lstrip().startswith('<section class="card" id="api-keys"')
    assert "<html" not in created.text
    assert len(SECRET.findall(created.text)) == 1


def test_revoking_a_key_by_plain_form_post_redirects_back(client: TestClient, ctx: Ctx, session: Session) -> None:
    app = make_app(ctx)
    key, secret = _create_key(ctx, app)
    csrf = _staff_session(client, ctx, Role.ADMIN)
    url = f"/console/apps/{app.slug}/api-keys/{key.id}/revoke"
    response = client.post(url, data={"csrf_token": csrf}, follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, f"/console/apps/{app.slug}#api-keys")
    assert _fresh(session, key).revoked_at is not None
    assert "已吊销" in client.get(f"/console/apps/{app.slug}").text
    assert client.get("/v1/apps", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    twice = client.post(url, data={"csrf_token": csrf})
    assert twice.status_code == 409


def test_revoking_a_key_with_htmx_returns_the_refreshed_fragment(client: TestClient, ctx: Ctx) -> None:
    app = make_app(ctx)
    key, _ = _create_key(ctx, app)
    csrf = _staff_session(client, ctx, Role.ADMIN)
    url = f"/console/apps/{app.slug}/api-keys/{key.id}/revoke"
    response = client.post(url, headers={**HTMX, "X-CSRF-Token": csrf})
    assert response.status_code == 200
    assert "<html" not in response.text
    assert "已吊销" in response.text


# --- pages, language, htmx -------------------------------------------------------------------------------


def test_the_app_page_shows_entity_types_features_and_licences(client: TestClient, ctx: Ctx) -> None:
    from appcomply.apps import FeatureCreate, LicenceCreate, LicenceKind, ServiceKind

    app = make_app(
        ctx,
        app_types=[4],
        features=[FeatureCreate(name="评论区", service_kind=ServiceKind.TEXT, public_opinion=True)],
        licences=[
            LicenceCreate(kind=LicenceKind.ICP_FILING, number="京ICP备12345678号-1", expires_on=dt.date(2030, 1, 31))
        ],
    )
    _staff_session(client, ctx, Role.REVIEWER)
    page = client.get(f"/console/apps/{app.slug}").text
    for expected in (
        "91110108MA01DFM005",
        "网络社区类",
        "博客、论坛、社区",
        "评论区",
        "京ICP备12345678号-1",
        "ICP 备案",
    ):
        assert expected in page
    assert "2030-01-31" in page
    assert '<span class="badge badge-warn">是</span>' in page


def test_an_unknown_app_is_a_404_page(client: TestClient, ctx: Ctx) -> None:
    _staff_session(client, ctx, Role.REVIEWER)
    response = client.get("/console/apps/no-such-app")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "该页面或记录不存在" in response.text


def test_the_console_speaks_chinese_by_default_and_english_when_asked(client: TestClient, ctx: Ctx) -> None:
    app = make_app(ctx)
    _staff_session(client, ctx, Role.ADMIN)
    chinese = client.get(f"/console/apps/{app.slug}").text
    assert '<html lang="zh-CN">' in chinese
    assert "运营主体" in chinese
    switch = client.get(
        "/console/lang/en", headers={"Referer": f"http://testserver/console/apps/{app.slug}"}, follow_redirects=False
    )
    assert (switch.status_code, switch.headers["location"]) == (303, f"/console/apps/{app.slug}")
    english = client.get(f"/console/apps/{app.slug}").text
    assert '<html lang="en">' in english
    assert "Operating entity" in english
    assert "运营主体" not in english
    assert "Online community" in english


def test_the_language_switch_never_redirects_off_the_site(client: TestClient) -> None:
    response = client.get(
        "/console/lang/en", headers={"Referer": "https://evil.example/console/"}, follow_redirects=False
    )
    assert response.headers["location"] == "/console/"
    assert client.get("/console/lang/fr", follow_redirects=False).status_code == 422


def test_the_login_page_follows_the_language_switch(client: TestClient) -> None:
    assert "登录合规控制台" in client.get("/console/login").text
    client.get("/console/lang/en", headers={"Referer": "http://testserver/console/login?next=%2Fconsole%2Fapps%2Fa"})
    assert "Log in to the compliance console" in client.get("/console/login").text


def test_htmx_search_gets_the_list_fragment_and_navigation_gets_the_page(client: TestClient, ctx: Ctx) -> None:
    make_app(ctx, name="甲应用")
    make_app(ctx, name="乙应用")
    _staff_session(client, ctx, Role.REVIEWER)
    fragment = client.get("/console/", params={"q": "甲"}, headers=HTMX)
    assert fragment.text.lstrip().startswith('<div id="app-list">')
    assert "<html" not in fragment.text
    assert "甲应用" in fragment.text
    assert "乙应用" not in fragment.text
    assert fragment.headers["vary"] == "HX-Request"
    for extra in ({"HX-Boosted": "true"}, {"HX-History-Restore-Request": "true"}):
        page = client.get("/console/", params={"q": "甲"}, headers={**HTMX, **extra})
        assert page.text.lstrip().startswith("<!doctype html>")


def test_the_app_list_pages_by_cursor(client: TestClient, ctx: Ctx) -> None:
    first = make_app(ctx, name="第一个")
    make_app(ctx, name="第二个")
    _staff_session(client, ctx, Role.REVIEWER)
    page = client.get("/console/", params={"after": str(first.id)}).text
    assert "第二个" in page
    assert "第一个" not in page
    assert "第一页" in page


def test_an_htmx_error_is_a_fragment_retargeted_into_the_problem_slot(client: TestClient, ctx: Ctx) -> None:
    app = make_app(ctx)
    _staff_session(client, ctx, Role.ADMIN)
    response = client.post(f"/console/apps/{app.slug}/api-keys", headers={**HTMX, "X-CSRF-Token": "forged"})
    assert response.status_code == 403
    assert response.headers["HX-Retarget"] == "#problem"
    assert "<html" not in response.text
    assert "auth.csrf_failed" in response.text


def _console_strings() -> set[str]:
    method_map = [("**/templates/**.html", "jinja2")]
    options = {
        "**/templates/**.html": {"extensions": "jinja2.ext.i18n", "trim_blocks": "True", "lstrip_blocks": "True"}
    }
    return {
        message if isinstance(message, str) else message[0]
        for _, _, message, _, _ in extract_from_dir(str(SRC), method_map, options)
    }


@pytest.mark.parametrize("catalogue", ["messages.pot", "en/LC_MESSAGES/messages.po", "zh_CN/LC_MESSAGES/messages.po"])
def test_the_catalogues_are_well_formed_and_list_every_console_string(catalogue: str) -> None:
    # A msgid without its msgstr parses as a warning and silently drops the entry after it.
    with (SRC / "web" / "locale" / catalogue).open("rb") as file:
        parsed = read_po(file, abort_invalid=True)
    assert sorted(_console_strings() - {message.id for message in parsed if message.id}) == []


def test_every_console_string_has_a_chinese_translation() -> None:
    extracted = _console_strings()
    catalogue = translations("zh_CN")
    assert len(extracted) > 50
    missing = sorted(m for m in extracted if catalogue.gettext(m) == m)
    assert missing == []


def test_the_csrf_problem_tells_a_script_how_to_call_without_a_browser(client: TestClient, ctx: Ctx) -> None:
    """#12: a cookie-authenticated JSON call without the token learns to use a Bearer token or X-CSRF-Token."""
    app = make_app(ctx)
    _staff_session(client, ctx, Role.ADMIN)
    response = client.post(f"/v1/apps/{app.id}/nickname-terms", json={"term": "官方客服"})
    assert response.status_code == 403
    problem = response.json()
    assert problem["code"] == "auth.csrf_failed"
    assert "Authorization: Bearer st_" in problem["detail"]
    assert "appcomply staff tokens create" in problem["detail"]
    assert "X-CSRF-Token" in problem["detail"]
