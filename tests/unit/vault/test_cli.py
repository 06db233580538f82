"""`appcomply keys generate`: a fresh key line for operators, as text or JSON."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from appcomply.cli.main import app
from appcomply.vault import BadKeyId, Keyring


def test_generate_prints_a_key_line_that_parses_into_a_keyring() -> None:
    result = CliRunner().invoke(app, ["keys", "generate", "--kid", "2026-05"])
    assert result.exit_code == 0, result.output
    line = result.output.strip()
    assert Keyring.parse(line).current == "2026-05"


def test_generate_without_a_kid_picks_a_random_one_and_can_answer_in_json() -> None:
    result = CliRunner().invoke(app, ["keys", "generate", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["line"] == f"{data['kid']}:{data['key']}"
    assert Keyring.parse(data["line"]).current == data["kid"]


def test_generate_refuses_a_malformed_kid() -> None:
    result = CliRunner().invoke(app, ["keys", "generate", "--kid", "Prod.1"])
    assert isinstance(result.exception, BadKeyId)
