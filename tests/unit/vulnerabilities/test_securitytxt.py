"""security.txt as RFC 9116 and the DTC validator (`sectxt`) read it: our files validate, what the validator calls
an error our renderer refuses, and the real-world files' own fields re-render into valid files."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sectxt import Parser

from appcomply.vulnerabilities.formats import SecurityTxt, render_security_txt

DATA = Path(__file__).resolve().parents[4] / "shared" / "data" / "security-txt"
URL = "https://sec.example.cn/.well-known/security.txt"
# The validator (sectxt) judges Expires against the real clock, so "now" is today, at midnight UTC: a fixed date
# here made every Expires less than a year ahead fail once that date had passed.
NOW = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _data(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"shared test data not present at {path} (checkout without /work/shared/data)")
    return path


def _check(text: str) -> Parser:
    return Parser(text.encode(), urls=URL)


def _doc(**overrides: object) -> SecurityTxt:
    fields: dict[str, object] = {
        "contacts": ("https://sec.example.cn/p/demo/security", "mailto:security@example.cn"),
        "expires": NOW + dt.timedelta(days=180),
        "policy": ("https://sec.example.cn/p/demo/security",),
        "preferred_languages": ("zh-CN", "en"),
        "canonical": (URL,),
        "encryption": ("https://sec.example.cn/pgp-key.txt",),
    }
    fields.update(overrides)
    return SecurityTxt(**fields)  # type: ignore[arg-type]


def test_our_file_is_valid_for_the_validator_with_every_field_in_place() -> None:
    text = render_security_txt(_doc(), now=NOW)
    parsed = _check(text)
    assert parsed.is_valid(), parsed.errors
    assert parsed._values["preferred-languages"] == ["zh-CN, en"]
    assert f"Expires: {NOW + dt.timedelta(days=180):%Y-%m-%d}T00:00:00Z" in text


@pytest.mark.parametrize(
    ("overrides", "rule"),
    [
        ({"contacts": ()}, "Contact"),
        ({"contacts": ("security@example.cn",)}, "no_uri"),
        ({"contacts": ("http://example.cn/contact",)}, "no_https"),
        ({"policy": ("http://example.cn/policy",)}, "no_https"),
        ({"expires": NOW - dt.timedelta(days=1)}, "expired"),
    ],
)
def test_what_the_validator_calls_an_error_our_renderer_refuses(overrides: dict[str, object], rule: str) -> None:
    with pytest.raises(ValueError):
        render_security_txt(_doc(**overrides), now=NOW)
    assert rule


def test_the_validator_cases_name_the_errors_we_guard_against() -> None:
    """The DTC validator's own cases: every error code whose input our renderer could produce is one it refuses."""
    with _data(DATA / "validator_cases_from_sectxt.csv").open(encoding="utf-8") as handle:
        codes = {row["code"] for row in csv.DictReader(handle) if row["expect_kind"] == "error"}
    # Format errors (prec_ws, empty_key, no_space, empty_value, invalid_expiry, invalid_lang) cannot come out of
    # render_security_txt, which writes "Name: value" lines itself; the value errors are refused above.
    assert {"no_uri", "no_https", "expired"} <= codes


def _values(parsed: Parser, name: str) -> tuple[str, ...]:
    return tuple(parsed._values.get(name, ()))


def test_each_real_world_files_fields_re_render_into_a_valid_file_or_are_refused() -> None:
    files = sorted(_data(DATA / "real-world").glob("*.security.txt"))
    assert len(files) >= 8
    valid = 0
    for path in files:
        original = Parser(path.read_bytes(), urls=URL)
        doc = SecurityTxt(
            contacts=_values(original, "contact"), expires=NOW + dt.timedelta(days=90), canonical=(URL,),
            policy=_values(original, "policy"), encryption=_values(original, "encryption"),
            hiring=_values(original, "hiring"), acknowledgments=_values(original, "acknowledgments"),
            preferred_languages=tuple(lang.strip() for v in _values(original, "preferred-languages")
                                      for lang in v.split(",")),
        )  # fmt: skip
        try:
            text = render_security_txt(doc, now=NOW)
        except ValueError:
            assert "no_uri" in {e["code"] for e in original.errors} or not doc.contacts, path.name
            continue
        parsed = _check(text)
        assert parsed.is_valid(), (path.name, parsed.errors)
        valid += 1
    assert valid >= 6


uris = st.from_regex(r"https://[a-z]{1,12}\.(cn|com)/[a-z0-9/]{0,20}", fullmatch=True)


@given(
    contacts=st.lists(st.one_of(uris, st.from_regex(r"mailto:[a-z]{1,8}@[a-z]{1,8}\.cn", fullmatch=True)),
                      min_size=1, max_size=3),
    days=st.integers(min_value=1, max_value=365),
    policy=st.lists(uris, max_size=2),
    languages=st.lists(st.sampled_from(["zh-CN", "en", "zh-TW", "ja"]), max_size=3, unique=True),
)  # fmt: skip
def test_any_valid_document_renders_to_a_file_the_validator_accepts(
    contacts: list[str], days: int, policy: list[str], languages: list[str]
) -> None:
    doc = SecurityTxt(
        contacts=tuple(contacts), expires=NOW + dt.timedelta(days=days), policy=tuple(policy),
        preferred_languages=tuple(languages), canonical=(URL,),
    )  # fmt: skip
    parsed = _check(render_security_txt(doc, now=NOW))
    assert parsed.is_valid(), parsed.errors
