"""`appcomply vulns notify|campaigns …` in a subprocess: a campaign run here with --wait, one left to the server and
resumed by `campaigns run`, and the list."""

from __future__ import annotations

import json

import pytest

from appcomply.bootstrap import build_services
from appcomply.db.session import unit_of_work
from appcomply.kernel.actor import cli_actor
from appcomply.settings import DatabaseSettings, Settings
from appcomply.vulnerabilities.rules import State
from tests.factories.apps import make_app
from tests.factories.vulnerabilities import fixed_vulnerability, make_users
from tests.integration.cli.conftest import Run

pytestmark = pytest.mark.slow  # every command starts a Python interpreter


def _seed(database_url: str, users: int) -> str:
    services = build_services(Settings(database=DatabaseSettings(url=database_url)))
    try:
        with unit_of_work(services.session_factory, clock=services.clock, actor=cli_actor(), request_id="t") as c:
            app = make_app(c)
            make_users(c, app, users)
            return str(fixed_vulnerability(c, services.vulnerabilities, app).id)
    finally:
        services.engine.dispose()


def test_notify_wait_runs_the_campaign_here_and_campaigns_run_resumes_the_others(run: Run, database_url: str) -> None:
    assert run("db", "upgrade").returncode == 0
    vid = _seed(database_url, 5)
    waited = run("vulns", "notify", vid, "--channels", "inbox,sms", "--wait", "--chunk", "2", "--json")
    assert waited.returncode == 0, waited.stderr
    row = json.loads(waited.stdout)
    assert (row["state"], row["users_done"], row["users_total"]) == ("done", 5, 5)
    assert row["channels"]["inbox"]["queued"] == 5
    assert row["channels"]["sms"] == {"queued": 0, "skipped_no_address": 5, "sent": 0, "pending": 0, "failed": 0}
    assert "5/5 users" in waited.stderr  # the progress line

    left = json.loads(run("vulns", "notify", vid, "--audience", "affected", "--json").stdout)
    assert (left["state"], left["users_total"]) == ("queued", 0)  # nobody reported a version
    resumed = run("vulns", "campaigns", "run", "--json")
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout) == {"chunks": 1, "users": 0}
    listed = json.loads(run("vulns", "campaigns", "list", "--json").stdout)
    assert [(r["id"], r["state"]) for r in listed] == [(left["id"], "done"), (row["id"], "done")]
    assert "(no campaigns)" in run("vulns", "campaigns", "list", "--open").stdout


def test_notify_before_the_fix_is_refused(run: Run, database_url: str) -> None:
    assert run("db", "upgrade").returncode == 0
    services = build_services(Settings(database=DatabaseSettings(url=database_url)))
    with unit_of_work(services.session_factory, clock=services.clock, actor=cli_actor(), request_id="t") as c:
        vid = str(fixed_vulnerability(c, services.vulnerabilities, make_app(c), state=State.CONFIRMED).id)
    services.engine.dispose()
    refused = run("vulns", "notify", vid)
    assert refused.returncode != 0
    assert "fixed" in refused.stderr
