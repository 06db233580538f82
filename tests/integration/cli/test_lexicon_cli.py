"""`appcomply lexicon compile FILE`: the real command on a small term list, text and JSON output, bad lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from appcomply.cli.exit_codes import ExitCode
from appcomply.content.engine import Category, Level, Lexicon, compile_lexicon, parse_term_list
from tests.integration.cli.conftest import Run

pytestmark = pytest.mark.slow  # every command starts a Python interpreter

LIST = "# a comment\n敏感词\nfoo bar\n法轮功,religion_cults_superstition,review,post|comment\n敏感词\n"


def _expected_patterns(text: str) -> int:
    terms, _ = parse_term_list(
        text, default_category=Category.CUSTOM, default_level=Level.BLOCK, source="", added_by=""
    )
    unique = tuple({t.text: t for t in terms}.values())
    return compile_lexicon(Lexicon("test", unique)).variant_count


def test_compile_reports_terms_patterns_seconds_and_peak_rss_as_json(run: Run, tmp_path: Path) -> None:
    (tmp_path / "terms.txt").write_text(LIST, encoding="utf-8")
    result = run("lexicon", "compile", "terms.txt", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"terms", "patterns", "seconds", "peak_rss_mb"}
    assert (data["terms"], data["patterns"]) == (3, _expected_patterns(LIST))  # 敏感词 twice is one term
    assert 0 < data["seconds"] < 60
    assert data["peak_rss_mb"] > 0
    assert result.stderr == ""  # no progress bar when stderr is not a terminal


def test_compile_prints_the_same_figures_for_people(run: Run, tmp_path: Path) -> None:
    (tmp_path / "terms.txt").write_text(LIST, encoding="utf-8")
    result = run("lexicon", "compile", "terms.txt")
    assert result.returncode == 0, result.stderr
    line = result.stdout.strip()
    assert line.startswith(f"3 terms -> {_expected_patterns(LIST):,} patterns in ")
    assert line.endswith(" MB")


def test_a_list_with_bad_lines_is_refused_with_each_line_named(run: Run, tmp_path: Path) -> None:
    (tmp_path / "terms.txt").write_text("好词\n词,no_such_category\n", encoding="utf-8")
    result = run("lexicon", "compile", "terms.txt")
    assert result.returncode == ExitCode.INVALID
    assert "terms.txt:2: unknown_category" in result.stderr
    assert result.stdout == ""


def test_a_missing_file_is_invalid(run: Run) -> None:
    result = run("lexicon", "compile", "absent.txt", "--json")
    assert result.returncode == ExitCode.INVALID
    assert "cannot read" in result.stderr
