"""`appcomply audit verify` as an operator runs it: a real process on a SQLite file, tampered with by sqlite3."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # six interpreter start-ups


def _run(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # Only this database setting: nothing from the developer's or CI's APPCOMPLY_* environment leaks in.
    env = {key: value for key, value in os.environ.items() if not key.startswith("APPCOMPLY_")}
    env["APPCOMPLY_DATABASE__URL"] = f"sqlite:///{db}"
    return subprocess.run(  # noqa: S603 - our own CLI, fixed arguments
        [sys.executable, "-m", "appcomply", *args],
        env=env,
        cwd=db.parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_verify_passes_on_a_fresh_demo_and_names_the_tampered_entry(tmp_path: Path) -> None:
    db = tmp_path / "appcomply.db"
    for args in (("db", "upgrade"), ("demo",)):
        done = _run(db, *args)
        assert done.returncode == 0, done.stderr

    intact = _run(db, "audit", "verify", "--json")
    assert intact.returncode == 0, intact.stdout + intact.stderr
    report = json.loads(intact.stdout)
    assert report["ok"] is True
    assert report["entries"] >= 3  # the demo app, its features and licences, the admin
    assert report["unchained"] == 0  # every CLI command chains its own entries once it has committed
    entries = report["entries"]

    # An entry committed by a server that stopped before its chainer ran: recorded, not chained.
    with sqlite3.connect(db) as conn:
        conn.execute(
            "INSERT INTO audit_entries (at, actor_kind, actor_label, request_id, event, subject_kind, subject_id, data)"
            " VALUES ('2026-11-29 09:00:00.000000', 'system', 'system:probe', 'r', 'audit.probe.done', 'probe', '1',"
            " '{}')"
        )
    conn.close()
    reading = json.loads(_run(db, "audit", "verify", "--no-chain", "--json").stdout)
    assert (reading["ok"], reading["entries"], reading["unchained"]) == (True, entries, 1)
    chained = json.loads(_run(db, "audit", "verify", "--json").stdout)  # chains first
    assert (chained["ok"], chained["entries"], chained["unchained"]) == (True, entries + 1, 0)

    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE audit_entries SET actor_label = 'staff:forger' WHERE seq = 3")
    conn.close()

    broken = _run(db, "audit", "verify")
    assert broken.returncode == 8, broken.stdout + broken.stderr
    assert "seq 3" in broken.stdout

    as_json = _run(db, "audit", "verify", "--json")
    assert as_json.returncode == 8
    report = json.loads(as_json.stdout)
    assert (report["ok"], report["first_bad_seq"]) == (False, 3)
    assert report["reason"]
