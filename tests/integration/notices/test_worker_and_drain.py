"""Delivery after commit by `appcomply worker` (a real process) and by the server's in-process drain thread.

Both need committed rows in a database of their own: a SQLite file per test.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from appcomply import audit, notices
from appcomply.audit.models import AuditEntry
from appcomply.bootstrap import build_services, create_app
from appcomply.db.migrate import upgrade
from appcomply.db.session import unit_of_work
from appcomply.kernel.actor import system_actor
from appcomply.notices import Channel
from appcomply.notices.models import Notice
from appcomply.settings import DatabaseSettings, Environment, NoticesSettings, Settings
from tests.factories.apps import make_app


def _seed(url: str, count: int, *, drain: bool = False) -> tuple[Settings, list[uuid.UUID]]:
    settings = Settings(
        env=Environment.TEST,
        database=DatabaseSettings(url=url),
        notices=NoticesSettings(drain_in_process=drain, drain_interval_seconds=0.05),
    )
    services = build_services(settings)
    upgrade(services.engine)
    with unit_of_work(services.session_factory, clock=services.clock, actor=system_actor("t"), request_id="t") as ctx:
        app = make_app(ctx)
        ids = [
            notices.enqueue(
                ctx, app_id=app.id, user_id=None, channel=Channel.EMAIL, subject="s", body="b",
                recipient=f"u{i}@example.com", keyring=services.notices.keyring,
            ).id
            for i in range(count)
        ]  # fmt: skip
    services.engine.dispose()
    return settings, ids


def _statuses(settings: Settings) -> list[str]:
    services = build_services(settings)
    with services.session_factory() as session:
        found = list(session.scalars(select(Notice.status)))
    services.engine.dispose()
    return found


def _env(url: str) -> dict[str, str]:
    base = {name: value for name, value in os.environ.items() if not name.startswith("APPCOMPLY_")}
    return {**base, "APPCOMPLY_DATABASE__URL": url, "APPCOMPLY_NOTICES__BATCH_SIZE": "4"}


def test_worker_once_delivers_everything_due_and_exits(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'worker.db'}"
    settings, _ = _seed(url, 10)
    done = subprocess.run(
        [sys.executable, "-m", "appcomply", "worker", "--once", "--json"],
        env=_env(url), cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert (summary["claimed"], summary["sent"]) == (10, 10)
    assert "claimed 4, sent 4" in done.stderr  # progress per step (batches of 4)
    assert _statuses(settings) == ["sent"] * 10
    services = build_services(settings)
    with services.session_factory() as session:  # the worker chained its own entries (the deliveries) before exiting
        assert session.scalar(select(func.count()).select_from(AuditEntry)) > 0
        assert audit.count_unchained(session) == 0
    services.engine.dispose()


def test_worker_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'worker.db'}"
    _seed(url, 0)
    proc = subprocess.Popen(
        [sys.executable, "-m", "appcomply", "worker", "--interval", "0.1"],
        env=_env(url), cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stderr is not None
    assert "Ctrl-C stops" in proc.stderr.readline()
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "SIGTERM, stopping" in err
    assert "claimed 0" in out


def test_the_server_drains_the_outbox_in_process_and_stops_the_thread_on_shutdown(tmp_path: Path) -> None:
    settings, _ = _seed(f"sqlite:///{tmp_path / 'serve.db'}", 3, drain=True)
    services = build_services(settings)
    try:
        with TestClient(create_app(services=services)):
            assert any(t.name == "appcomply-notices-drain" for t in threading.enumerate())
            deadline = time.monotonic() + 20
            while _statuses(settings) != ["sent"] * 3 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert _statuses(settings) == ["sent"] * 3
        assert not any(t.name == "appcomply-notices-drain" for t in threading.enumerate())
    finally:
        services.engine.dispose()


def test_tests_and_postgresql_servers_do_not_drain_by_default() -> None:
    assert NoticesSettings().drains_in_process("sqlite:///./var/appcomply.db")
    assert not NoticesSettings().drains_in_process("postgresql+psycopg://db/appcomply")
    assert not NoticesSettings(drain_in_process=False).drains_in_process("sqlite://")
