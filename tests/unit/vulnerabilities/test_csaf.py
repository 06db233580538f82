"""CSAF 2.0: the OASIS examples and conformance documents against our packaged schema, and our own advisories."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from appcomply.vulnerabilities.errors import CsafDocumentInvalid
from appcomply.vulnerabilities.formats import (
    Advisory,
    Published,
    build_csaf,
    build_provider_metadata,
    changes_csv,
    csaf_filename,
    distribution_path,
    index_txt,
    score_cvss,
    validate_csaf,
    validate_provider_metadata,
)

CSAF = Path(__file__).resolve().parents[4] / "shared" / "data" / "csaf-examples" / "csaf_2.0"
T0 = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)


def _files(pattern: str) -> list[Path]:
    found = sorted(CSAF.glob(pattern))
    if not found:
        pytest.skip(f"shared test data not present at {CSAF} (checkout without /work/shared/data)")
    return found


def _advisory(**overrides: object) -> Advisory:
    fields: dict[str, object] = {
        "tracking_id": "DEMO-2026-0001", "title": "评论区存储型 XSS", "publisher_name": "演示科技有限公司",
        "publisher_namespace": "https://demo.example.cn", "initial_release": T0, "current_release": T0,
        "product_name": "演示社区 Android", "vendor": "演示科技", "affected": (">=5.0.0 <5.2.3",), "fixed": ("5.2.3",),
        "summary": "评论内容未转义，可在他人页面执行脚本。", "remediation": "升级到 5.2.3 或更高版本。",
    }  # fmt: skip
    fields.update(overrides)
    return Advisory(**fields)  # type: ignore[arg-type]


def test_every_oasis_example_advisory_validates() -> None:
    for path in _files("examples/csaf/*.json"):
        validate_csaf(json.loads(path.read_text()))


def test_the_conformance_documents_pass_the_schema_except_the_schema_level_invalid_cvss() -> None:
    """testcases.json: the 6.1.x documents test semantics beyond the schema; 6.1.8-03 (an invalid CVSS object)
    is the one the schema itself must reject."""
    rejected = []
    for path in _files("test/validator/data/*/*.json"):
        try:
            validate_csaf(json.loads(path.read_text()))
        except CsafDocumentInvalid:
            rejected.append(path.name)
    assert rejected == ["oasis_csaf_tc-csaf_2_0-2021-6-1-08-03.json"]


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"cvss": score_cvss("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N"), "cve": "CVE-2026-12345",
         "cwe": ("CWE-79", "Improper Neutralization of Input During Web Page Generation ('Cross-site Scripting')")},
        {"cvss": score_cvss("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"), "lang": "en"},
        {"affected": (), "fixed": ("5.2.3", "6.0.1"), "details": "仅影响开启了富文本评论的版本。"},
    ],
)  # fmt: skip
def test_our_advisories_validate(overrides: dict[str, object]) -> None:
    document = build_csaf(_advisory(**overrides))
    validate_csaf(document)
    assert document["document"]["category"] == "csaf_security_advisory"


def test_a_v3_score_is_a_cvss_v3_member_and_a_v4_score_a_note() -> None:
    v3 = build_csaf(_advisory(cvss=score_cvss("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")))["vulnerabilities"][0]
    assert v3["scores"][0]["cvss_v3"]["baseScore"] == 9.8
    v4 = build_csaf(_advisory(cvss=score_cvss("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N")))
    assert "scores" not in v4["vulnerabilities"][0]
    assert "CVSS:4.0/" in v4["vulnerabilities"][0]["notes"][-1]["text"]


def test_a_document_missing_a_required_member_is_rejected_with_its_path() -> None:
    document = build_csaf(_advisory())
    del document["document"]["tracking"]["id"]
    with pytest.raises(CsafDocumentInvalid, match="document/tracking"):
        validate_csaf(document)


@settings(max_examples=40, deadline=None)
@given(
    title=st.text(min_size=1, max_size=80).filter(str.strip),
    summary=st.text(min_size=1, max_size=400).filter(str.strip),
)
def test_any_title_and_summary_still_validate(title: str, summary: str) -> None:
    validate_csaf(build_csaf(_advisory(title=title, summary=summary)))


# --- the provider directory (CSAF 2.0 §5.1, §7.1) ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("tracking_id", "filename"),
    [
        ("Example Company - 2019-YH3234", "example_company_-_2019-yh3234.json"),  # the example of §5.1
        ("RHBA-2019:0024", "rhba-2019_0024.json"),  # ditto
        ("cisco-sa-20190513-secureboot", "cisco-sa-20190513-secureboot.json"),
        ("a+b__c", "a+b_c.json"),
    ],
)
def test_file_names_follow_the_csaf_rule(tracking_id: str, filename: str) -> None:
    assert csaf_filename(tracking_id) == filename


@given(st.text(min_size=1, max_size=60))
def test_any_tracking_id_gives_a_name_of_the_allowed_characters(tracking_id: str) -> None:
    name = csaf_filename(tracking_id)
    assert name.endswith(".json")
    assert set(name.removesuffix(".json")) <= set("abcdefghijklmnopqrstuvwxyz0123456789+-_")
    assert "__" not in name


def test_the_directory_lists_paths_by_year_and_changes_newest_first() -> None:
    old = Published(distribution_path("demo-sa-1", T0 - dt.timedelta(days=400)), T0 - dt.timedelta(days=400))
    new = Published(distribution_path("demo-sa-2", T0), T0)
    assert (old.path, new.path) == ("2025/demo-sa-1.json", "2026/demo-sa-2.json")
    assert index_txt([old, new]) == "2025/demo-sa-1.json\n2026/demo-sa-2.json\n"
    assert changes_csv([old, new]).splitlines() == [
        '"2026/demo-sa-2.json","2026-12-01T08:00:00.000Z"',
        '"2025/demo-sa-1.json","2025-10-27T08:00:00.000Z"',
    ]


def test_provider_metadata_validates_and_the_oasis_example_does_too() -> None:
    [example] = _files("examples/provider-metadata/*.json")
    validate_provider_metadata(json.loads(example.read_text()))
    ours = build_provider_metadata(
        canonical_url="https://demo.example.cn/.well-known/csaf/provider-metadata.json",
        directory_url="https://demo.example.cn/.well-known/csaf/white/",
        publisher_name="演示科技有限公司",
        namespace="https://demo.example.cn",
        last_updated=T0,
    )
    validate_provider_metadata(ours)
    broken = {**ours, "canonical_url": "https://demo.example.cn/metadata.json", "role": "csaf_publisher_x"}
    with pytest.raises(CsafDocumentInvalid) as caught:
        validate_provider_metadata(broken)
    assert "canonical_url" in caught.value.detail
    assert "role" in caught.value.detail


def test_a_draft_without_versions_still_validates() -> None:
    document = build_csaf(_advisory(affected=(), fixed=(), status="draft", revision_history=(("0", T0, "Draft"),)))
    validate_csaf(document)
    assert "product_status" not in document["vulnerabilities"][0]
