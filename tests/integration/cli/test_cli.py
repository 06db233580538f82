"""The real `appcomply` command in a subprocess, on its own SQLite file: exit codes, output, one-time secrets."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from appcomply.apps import LoginOutcome, log_in
from appcomply.bootstrap import Services, build_services, create_app
from appcomply.cli.exit_codes import ExitCode
from appcomply.db.session import unit_of_work
from appcomply.kernel.actor import system_actor
from appcomply.settings import DatabaseSettings, Settings
from tests.integration.cli.conftest import Run

pytestmark = pytest.mark.slow  # every command starts a Python interpreter


@pytest.fixture
def migrated(run: Run) -> Run:
    result = run("db", "upgrade")
    assert result.returncode == 0, result.stderr
    return run


@pytest.fixture
def services(database_url: str) -> Iterator[Services]:
    built = build_services(Settings(database=DatabaseSettings(url=database_url)))
    yield built
    built.engine.dispose()


def _logs_in(services: Services, username: str, password: str) -> bool:
    with unit_of_work(
        services.session_factory, clock=services.clock, actor=system_actor("test"), request_id="t"
    ) as ctx:
        result = log_in(
            ctx,
            username=username,
            password=password,
            max_failures=5,
            lockout=dt.timedelta(minutes=15),
            session_ttl=dt.timedelta(hours=1),
        )
    return result.outcome is LoginOutcome.OK


def test_db_upgrade_migrates_a_new_database_and_can_run_again(run: Run, tmp_path: Path) -> None:
    first = run("db", "upgrade")
    assert (first.returncode, first.stdout.strip()) == (0, "database at head")
    assert (tmp_path / "cli.db").is_file()
    again = run("db", "upgrade")
    assert again.returncode == 0, again.stderr
    listed = run("apps", "list", "--json")
    assert (listed.returncode, json.loads(listed.stdout)) == (0, [])


def test_demo_seeds_once_and_prints_the_admin_password_only_the_first_time(migrated: Run, services: Services) -> None:
    first = migrated("demo", "--json")
    assert first.returncode == 0, first.stderr
    seeded = json.loads(first.stdout)
    assert (seeded["app"], seeded["app_created"]) == ("demo", True)
    password = seeded["admin_password"]
    assert isinstance(password, str)
    assert len(password) >= 12
    assert _logs_in(services, "admin", password)

    again = migrated("demo")
    assert again.returncode == 0, again.stderr
    assert "already there" in again.stdout
    assert password not in again.stdout + again.stderr
    assert "one-time password" not in again.stdout

    as_json = migrated("demo", "--json")
    assert json.loads(as_json.stdout) == {
        "app": "demo",
        "app_id": seeded["app_id"],
        "app_created": False,
        "admin_password": None,
    }
    assert [a["slug"] for a in json.loads(migrated("apps", "list", "--json").stdout)] == ["demo"]


def test_creating_an_app_with_a_bad_uscc_exits_invalid_and_creates_nothing(migrated: Run) -> None:
    result = migrated(
        "apps", "create", "shequ", "--name", "社区", "--entity-name", "社区科技", "--entity-uscc", "91110108MA01DFM006"
    )
    assert result.returncode == ExitCode.INVALID.value == 3
    assert "apps.uscc.invalid" in result.stderr
    assert "Traceback" not in result.stderr
    assert json.loads(migrated("apps", "list", "--json").stdout) == []


def test_an_app_created_on_the_command_line_is_listed(migrated: Run) -> None:
    created = migrated(
        "apps", "create", "shequ", "--name", "社区", "--entity-name", "社区科技",
        "--entity-uscc", "91110108MA01DFM005", "--type", "4", "--json",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    app = json.loads(created.stdout)
    assert json.loads(migrated("apps", "list", "--json").stdout) == [app]


def test_an_api_key_from_the_command_line_authenticates_against_the_api(migrated: Run, database_url: str) -> None:
    demo = json.loads(migrated("demo", "--json").stdout)
    result = migrated("apps", "keys", "create", "demo", "--name", "backend", "--json")
    assert result.returncode == 0, result.stderr
    issued = json.loads(result.stdout)
    assert issued["key"].startswith("ak_")
    assert (issued["app"], issued["name"], issued["prefix"]) == ("demo", "backend", issued["key"][:10])

    application = create_app(Settings(database=DatabaseSettings(url=database_url)))
    try:
        with TestClient(application) as client:
            read = client.get(f"/v1/apps/{demo['app_id']}", headers={"Authorization": f"Bearer {issued['key']}"})
            forged = client.get(f"/v1/apps/{demo['app_id']}", headers={"Authorization": "Bearer ak_forged"})
    finally:
        application.state.services.engine.dispose()
    assert read.status_code == 200, read.text
    assert read.json()["slug"] == "demo"
    assert forged.status_code == 401


def test_a_key_for_an_unknown_app_exits_not_found(migrated: Run) -> None:
    result = migrated("apps", "keys", "create", "nosuch")
    assert result.returncode == ExitCode.NOT_FOUND.value == 4
    assert "apps.app.not_found" in result.stderr
    assert "ak_" not in result.stdout


def test_staff_created_without_a_password_gets_a_working_one_printed_once(migrated: Run, services: Services) -> None:
    result = migrated("staff", "create", "bob", "--role", "reviewer", "--json")
    assert result.returncode == 0, result.stderr
    created = json.loads(result.stdout)
    assert (created["username"], created["roles"]) == ("bob", ["reviewer"])
    assert _logs_in(services, "bob", created["password"])
    listed = json.loads(migrated("staff", "list", "--json").stdout)
    assert listed == [{"username": "bob", "roles": ["reviewer"], "active": True}]
    assert created["password"] not in json.dumps(listed)


def test_a_duplicate_username_exits_conflict(migrated: Run) -> None:
    assert migrated("staff", "create", "bob", "--role", "reviewer").returncode == 0
    again = migrated("staff", "create", "bob", "--role", "admin")
    assert again.returncode == ExitCode.CONFLICT
    assert "apps.staff.username_taken" in again.stderr


def test_config_show_markdown_prints_the_settings_table(run: Run) -> None:
    result = run("config", "show", "--markdown")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:2] == ["| Variable | Default | Description |", "|---|---|---|"]
    assert any(line.startswith("| `APPCOMPLY_DATABASE__URL` | `sqlite:///./var/appcomply.db` |") for line in lines)


def test_an_invalid_environment_value_exits_invalid_with_a_configuration_error(run: Run) -> None:
    result = run("config", "show", env={"APPCOMPLY_WEB__PORT": "abc"})
    assert result.returncode == ExitCode.INVALID.value == 3
    assert "configuration error" in result.stderr
    assert "web.port" in result.stderr
    assert result.stdout == ""


def test_an_unknown_command_is_a_usage_error_not_a_crash(run: Run) -> None:
    result = run("nosuch")
    assert result.returncode == ExitCode.USAGE.value == 2
    assert "No such command" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_staff_token_from_the_command_line_works_without_a_browser_and_can_be_revoked(
    migrated: Run, database_url: str
) -> None:
    """#12: a script gets a personal token with no console login and no scraped CSRF token."""
    demo = json.loads(migrated("demo", "--json").stdout)
    assert migrated("staff", "create", "carol", "--role", "compliance", "--role", "reviewer").returncode == 0
    result = migrated("staff", "tokens", "create", "carol", "--role", "compliance", "--name", "nightly", "--json")
    assert result.returncode == 0, result.stderr
    issued = json.loads(result.stdout)
    assert issued["token"].startswith("st_")
    assert (issued["staff"], issued["name"], issued["roles"]) == ("carol", "nightly", ["compliance"])
    assert issued["expires_at"] is not None

    listed = json.loads(migrated("staff", "tokens", "list", "carol", "--json").stdout)
    assert [t["id"] for t in listed] == [issued["id"]]
    assert issued["token"] not in json.dumps(listed)  # the secret is shown once only

    application = create_app(Settings(database=DatabaseSettings(url=database_url)))
    headers = {"Authorization": f"Bearer {issued['token']}"}
    try:
        with TestClient(application) as client:
            created = client.post(  # an unsafe request with a Bearer token: no CSRF token needed
                f"/v1/apps/{demo['app_id']}/nickname-terms", headers=headers, json={"term": "官方客服"}
            )
            assert created.status_code == 201, created.text
            read = client.get("/v1/apps", headers=headers)
            assert read.status_code == 200, read.text
            revoked = migrated("staff", "tokens", "revoke", "carol", issued["id"], "--json")
            assert revoked.returncode == 0, revoked.stderr
            assert json.loads(revoked.stdout)["revoked_at"] is not None
            assert client.get("/v1/apps", headers=headers).status_code == 401
    finally:
        application.state.services.engine.dispose()


def test_a_staff_token_with_roles_the_owner_lacks_or_for_nobody_is_refused(migrated: Run) -> None:
    assert migrated("staff", "create", "dave", "--role", "reviewer").returncode == 0
    too_much = migrated("staff", "tokens", "create", "dave", "--role", "admin")
    assert too_much.returncode == ExitCode.FORBIDDEN.value, too_much.stderr
    assert "apps.staff.roles_not_held" in too_much.stderr
    assert "st_" not in too_much.stdout
    nobody = migrated("staff", "tokens", "create", "nobody", "--role", "reviewer")
    assert nobody.returncode == ExitCode.NOT_FOUND.value
    assert "apps.staff.not_found" in nobody.stderr
