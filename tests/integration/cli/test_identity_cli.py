"""`appcomply sms outbox` and `appcomply keys rotate` in a subprocess, on a SQLite file seeded through the services."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest

from appcomply import accounts, apps
from appcomply.bootstrap import Services, build_services
from appcomply.db.migrate import upgrade
from appcomply.db.session import unit_of_work
from appcomply.identity import service as identity
from appcomply.identity.schemas import IdCardStart, PhoneStart
from appcomply.kernel.actor import Actor, ActorKind, system_actor
from appcomply.settings import DEV_VAULT_KEY, DatabaseSettings, Settings
from appcomply.vault import generate_key_line
from tests.integration.cli.conftest import Run

pytestmark = pytest.mark.slow  # every command starts a Python interpreter

CLEAR_PHONE = "13800138000"


@pytest.fixture
def services(database_url: str) -> Iterator[Services]:
    built = build_services(Settings(database=DatabaseSettings(url=database_url)))
    upgrade(built.engine)
    yield built
    built.engine.dispose()


@pytest.fixture
def seeded(services: Services) -> str:
    """A demo-like app with one user who started a phone and an ID-card verification; returns the app's slug."""
    factory, clock = services.session_factory, services.clock
    with unit_of_work(factory, clock=clock, actor=system_actor("test"), request_id="t1") as ctx:
        app = apps.create_app(
            ctx,
            apps.AppCreate(
                slug="cli-demo", name="命令行测试", entity_name="测试公司", entity_uscc="91110108MA01DFM005"
            ),
        )
        app_id = app.id
    app_actor = Actor(kind=ActorKind.APP, label="app:cli-demo", app_id=app_id)
    with unit_of_work(factory, clock=clock, actor=app_actor, request_id="t2") as ctx:
        user = accounts.register_user(ctx, accounts.UserCreate(external_ref="u-1", nickname="快乐的鱼"))
        env = services.identity
        phone = PhoneStart(method="phone", phone=CLEAR_PHONE)
        identity.start_verification(ctx, user.id, phone, env=env, client_ip="203.0.113.9")
        card = IdCardStart(method="id_card", name="张三丰", id_number="11010519491231002X")
        identity.start_verification(ctx, user.id, card, env=env, client_ip=None)
    return "cli-demo"


def test_the_outbox_shows_the_code_text_and_the_masked_number_only(run: Run, seeded: str) -> None:
    result = run("sms", "outbox", "--app", seeded, "--json")
    assert result.returncode == 0, result.stderr
    [message] = json.loads(result.stdout)
    assert message["phone"] == "138****8000"
    assert message["provider"] == "local"
    assert re.fullmatch(r"验证码 \d{6}，5 分钟内有效。", message["text"])
    assert {"phone", "text", "provider", "created_at"} <= message.keys()
    text = run("sms", "outbox")
    assert text.returncode == 0, text.stderr
    for output in (result.stdout, text.stdout, result.stderr, text.stderr):
        assert CLEAR_PHONE not in output
        assert "0013" not in output
    assert "138****8000" in text.stdout


def test_the_outbox_of_an_unknown_app_is_not_found(run: Run, seeded: str) -> None:
    result = run("sms", "outbox", "--app", "no-such-app")
    assert result.returncode != 0
    assert "app" in result.stderr.lower()


def test_keys_rotate_rewraps_every_sealed_value_once(run: Run, seeded: str) -> None:
    keys = {"APPCOMPLY_VAULT__KEYS": f"{generate_key_line('new')},dev:{DEV_VAULT_KEY}"}
    first = run("keys", "rotate", "--json", env=keys)
    assert first.returncode == 0, first.stderr
    # The phone verification seals the number; the ID card seals the name and the ID number.
    assert json.loads(first.stdout) == {"values_rewrapped": 3, "current_key": "new"}
    second = run("keys", "rotate", "--json", env=keys)
    assert json.loads(second.stdout) == {"values_rewrapped": 0, "current_key": "new"}
    outbox = run("sms", "outbox", "--json", env=keys)  # still readable under the new keyring
    assert outbox.returncode == 0, outbox.stderr
    text = run("keys", "rotate", env=keys)
    assert text.stdout.strip() == "re-encrypted 0 value(s) under key new"
