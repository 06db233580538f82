"""The real `appcomply` command in a subprocess, on a SQLite file of the test's own."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


@pytest.fixture
def run(database_url: str, tmp_path: Path) -> Run:
    # Only what the command should see: none of the caller's APPCOMPLY_* variables (make exports one).
    base = {name: value for name, value in os.environ.items() if not name.startswith("APPCOMPLY_")}
    base["APPCOMPLY_DATABASE__URL"] = database_url

    def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - our own interpreter and module, fixed arguments
            [sys.executable, "-m", "appcomply", *args],
            env={**base, **(env or {})},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    return run
