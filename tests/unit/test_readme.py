"""The README's configuration table is generated from the settings; this keeps the two in step."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from appcomply.cli.main import app

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_config_table_matches_config_show_markdown() -> None:
    result = CliRunner().invoke(app, ["config", "show", "--markdown"])
    assert result.exit_code == 0, result.output
    match = re.search(r"<!-- config-table:start -->\n(.*?)\n<!-- config-table:end -->", README.read_text(), re.S)
    assert match, "README lost its config-table markers"
    assert match.group(1).strip() == result.output.strip(), "regenerate with `appcomply config show --markdown`"


def test_readme_shows_the_two_commands() -> None:
    text = README.read_text()
    assert "make run" in text
    assert "make test" in text
