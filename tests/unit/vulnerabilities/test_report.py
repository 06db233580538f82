"""The authority report package (VR 7(2)): its JSON (content, fixed key order, same bytes every time), its Chinese
PDF (opens, carries the labels, the fields and the JSON's hash), the missing MIIT fields, and finding a CJK font.

The PDF tests need a Chinese font on the machine and fail without one: CI installs fonts-wqy-zenhei."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from pathlib import Path

import pytest
from fontTools.fontBuilder import FontBuilder
from fontTools.pens.ttGlyphPen import TTGlyphPen
from pypdf import PdfReader

from appcomply.vulnerabilities import ReportFontUnavailable
from appcomply.vulnerabilities.formats import (
    MIIT_FIELDS,
    AffectedRange,
    CjkFont,
    ClockRecord,
    CvssFacts,
    IntakeEntry,
    ReportPackage,
    TimelineStep,
    find_cjk_font,
    missing_fields,
    to_json,
    to_pdf,
)

T0 = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)
VECTOR = "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N"


_MET = ClockRecord(
    kind="miit_report", started_at=T0, due_at=T0 + dt.timedelta(hours=48), status="met",
    submitted_at=T0 + dt.timedelta(hours=30), submitted_by="王工", channel="MIIT 平台", reference="CNVD-2026-0042",
)  # fmt: skip


def _package(**overrides: object) -> ReportPackage:
    fields: dict[str, object] = {
        "vulnerability_id": "0193a4b0-0000-7000-8000-000000000001",
        "title": "评论接口存储型 XSS",
        "app_name": "演示社区",
        "app_slug": "demo",
        "provider_name": "演示科技有限公司",
        "provider_uscc": "91110108MA01DFM005",
        "state": "fixing",
        "component": "评论模块",
        "component_version": "5.2.1",
        "assignee": "安全组 王工",
        "supplier": None,
        "cve": None,
        "national_security": False,
        "intake": IntakeEntry(T0, "api", "203.0.113.0/24", "ab" * 32),
        "timeline": (
            TimelineStep(T0, "received", None, "received", "public", None),
            TimelineStep(T0 + dt.timedelta(hours=1), "transition", "received", "triaged", "王工", "已复现"),
        ),
        "cvss": CvssFacts(VECTOR, "3.1", 6.1, "medium"),
        "affected_versions": (AffectedRange("android", ">=5.0.0 <5.2.4"), AffectedRange("ios", "<5.2.4")),
        "fixed_version": "5.2.4",
        "fix_released_at": T0 + dt.timedelta(hours=20),
        "fix_plan": "服务端对评论内容做 HTML 转义",
        "technical_characteristics": "评论内容未转义即渲染，脚本在其他用户的页面执行",
        "harm": "可窃取其他用户的会话",
        "scope": "Android 与 iOS 5.0.0 至 5.2.3 的全部用户",
        "clocks": (_MET,),
        "generated_at": T0 + dt.timedelta(hours=40),
    }
    fields.update(overrides)
    return ReportPackage(**fields)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def font() -> CjkFont:
    # No skip: without a Chinese font the report cannot be made, and CI installs one (fonts-wqy-zenhei).
    return find_cjk_font(None)


def _pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


# --- JSON ---------------------------------------------------------------------------------------------------------


def test_the_json_states_the_miit_fields_intake_triage_cvss_versions_fix_and_clocks() -> None:
    doc = json.loads(to_json(_package()))
    assert doc["schema_version"] == "appcomply.vulnerability-report/1"
    assert doc["generated_at"] == "2026-12-02T18:00:00Z"
    assert doc["miit_report"] == {
        "product_name": "演示社区",
        "model": "评论模块",
        "version": "android >=5.0.0 <5.2.4；ios <5.2.4",
        "technical_characteristics": "评论内容未转义即渲染，脚本在其他用户的页面执行",
        "harm": "可窃取其他用户的会话",
        "scope": "Android 与 iOS 5.0.0 至 5.2.3 的全部用户",
        "fix": "服务端对评论内容做 HTML 转义\n升级到 5.2.4（2026-12-02 06:00 发布）",
    }
    assert doc["missing"] == []
    assert doc["provider"] == {"name": "演示科技有限公司", "uscc": "91110108MA01DFM005"}
    assert doc["intake"] == {
        "received_at": "2026-12-01T02:00:00Z", "channel": "api", "source_masked": "203.0.113.0/24",
        "summary_hash": "ab" * 32,
    }  # fmt: skip
    assert doc["cvss"] == {"vector": VECTOR, "version": "3.1", "score": 6.1, "severity": "medium"}
    assert doc["affected_versions"] == [{"platform": "android", "range": ">=5.0.0 <5.2.4"},
                                        {"platform": "ios", "range": "<5.2.4"}]  # fmt: skip
    assert doc["fix"] == {"fixed_version": "5.2.4", "released_at": "2026-12-01T22:00:00Z",
                          "plan": "服务端对评论内容做 HTML 转义"}  # fmt: skip
    assert doc["triage"]["state"] == "fixing"
    [clock] = doc["clocks"]
    assert (clock["status"], clock["due_at"], clock["reference"]) == ("met", "2026-12-03T02:00:00Z", "CNVD-2026-0042")
    assert [(t["kind"], t["from"], t["to"]) for t in doc["timeline"]] == [
        ("received", None, "received"),
        ("transition", "received", "triaged"),
    ]


def test_the_json_is_utf8_with_a_fixed_key_order_and_the_same_bytes_every_time() -> None:
    first, again = to_json(_package()), to_json(_package())
    assert first == again
    assert "评论接口存储型 XSS".encode() in first  # not \u-escaped
    keys = list(json.loads(first))
    assert keys[:6] == ["schema_version", "generated_at", "vulnerability_id", "title", "miit_report", "missing"]
    assert list(json.loads(first)["miit_report"]) == list(MIIT_FIELDS)
    assert to_json(_package(harm="另一种危害")) != first


def test_fields_the_record_does_not_state_are_listed_as_missing_and_the_package_still_builds() -> None:
    sparse = _package(component=None, affected_versions=(), component_version=None, harm="  ", scope=None,
                      fix_plan=None, fixed_version=None, technical_characteristics=None)  # fmt: skip
    assert missing_fields(sparse) == ("model", "version", "technical_characteristics", "harm", "scope", "fix")
    doc = json.loads(to_json(sparse))
    assert doc["missing"] == list(missing_fields(sparse))
    assert doc["miit_report"]["harm"] is None
    assert missing_fields(_package()) == ()


def test_a_version_falls_back_to_the_reported_component_version_and_the_fix_to_the_upgrade() -> None:
    pkg = _package(affected_versions=(), fix_plan=None, fix_released_at=None)
    doc = json.loads(to_json(pkg))
    assert doc["miit_report"]["version"] == "5.2.1"
    assert doc["miit_report"]["fix"] == "升级到 5.2.4"


# --- PDF ----------------------------------------------------------------------------------------------------------


def test_the_pdf_opens_and_carries_the_chinese_labels_the_fields_and_the_json_hash(font: CjkFont) -> None:
    pkg = _package()
    pdf = to_pdf(pkg, font.path, collection_index=font.collection_index)
    assert pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.metadata is not None
    assert reader.metadata.title == "网络产品安全漏洞报告 评论接口存储型 XSS"
    text = _pdf_text(pdf)
    for label in ("网络产品安全漏洞报告", *MIIT_FIELDS.values(), "接收记录", "研判记录", "报送时限", "处置时间线"):
        assert label in text, label
    for fact in ("演示社区", "评论模块", "android >=5.0.0 <5.2.4", "可窃取其他用户的会话", VECTOR, "CNVD-2026-0042",
                 "演示科技有限公司", "203.0.113.0/24", "已接收 → 已研判"):  # fmt: skip
        assert fact in text, fact
    digest = hashlib.sha256(to_json(pkg)).hexdigest()
    pages = len(reader.pages)
    for number, page in enumerate(reader.pages, start=1):
        page_text = page.extract_text()
        assert f"JSON SHA-256 {digest}" in page_text
        assert "生成时间 2026-12-03 02:00（北京时间）" in page_text
        assert f"第 {number} 页 / 共 {pages} 页" in page_text
    assert "待补充" not in text


def test_the_pdf_marks_each_missing_field_and_lists_them(font: CjkFont) -> None:
    sparse = _package(harm=None, scope=None)
    text = _pdf_text(to_pdf(sparse, font.path, collection_index=font.collection_index))
    assert text.count("待补充 (missing)") >= 3  # the two rows and the list
    assert "待补充 (missing)：危害、影响范围" in text


def test_the_same_package_gives_the_same_pdf(font: CjkFont) -> None:
    pkg = _package()
    assert to_pdf(pkg, font.path, collection_index=font.collection_index) == to_pdf(
        pkg, font.path, collection_index=font.collection_index
    )


def test_a_long_timeline_flows_onto_further_pages_with_the_footer_on_each(font: CjkFont) -> None:
    steps = tuple(
        TimelineStep(T0 + dt.timedelta(minutes=i), "transition", "fixing", "fixed", "王工", "修复说明 " * 20)
        for i in range(60)
    )
    pdf = to_pdf(_package(timeline=steps), font.path, collection_index=font.collection_index)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) > 3
    assert all("JSON SHA-256" in page.extract_text() for page in reader.pages)


# --- the font ---------------------------------------------------------------------------------------------------


def _latin_only_font(path: Path) -> Path:
    """A valid TrueType font with a single glyph (A): what fontconfig offers when no Chinese font is installed."""
    builder = FontBuilder(1000, isTTF=True)
    builder.setupGlyphOrder([".notdef", "A"])
    builder.setupCharacterMap({ord("A"): "A"})
    pen = TTGlyphPen(None)
    pen.moveTo((0, 0))
    pen.lineTo((500, 700))
    pen.lineTo((1000, 0))
    pen.closePath()
    glyph = pen.glyph()
    builder.setupGlyf({".notdef": glyph, "A": glyph})
    builder.setupHorizontalMetrics({".notdef": (1000, 0), "A": (1000, 0)})
    builder.setupHorizontalHeader(ascent=800, descent=-200)
    builder.setupNameTable({"familyName": "LatinOnly", "styleName": "Regular"})
    builder.setupOS2()
    builder.setupPost()
    builder.save(str(path))
    return path


def test_no_font_anywhere_is_a_clear_error_that_says_what_to_install() -> None:
    with pytest.raises(ReportFontUnavailable) as caught:
        find_cjk_font(None, candidates=(), fc_match=None)
    assert caught.value.code == "vulnerabilities.report.font_unavailable"
    assert "fonts-wqy-zenhei" in caught.value.detail
    assert "APPCOMPLY_VULNERABILITIES__REPORT_FONT" in caught.value.detail


def test_fonts_without_chinese_glyphs_and_files_that_are_no_font_are_passed_over(tmp_path: Path) -> None:
    latin = _latin_only_font(tmp_path / "latin.ttf")
    junk = tmp_path / "junk.ttc"
    junk.write_bytes(b"not a font at all")
    truncated = tmp_path / "truncated.ttf"
    truncated.write_bytes(latin.read_bytes()[:40])
    passed_over = (str(latin), str(junk), str(truncated), str(tmp_path / "absent.ttf"))
    with pytest.raises(ReportFontUnavailable):
        find_cjk_font(None, candidates=passed_over, fc_match=None)
    chinese = find_cjk_font(None)
    found = find_cjk_font(None, candidates=(*passed_over, str(chinese.path)), fc_match=None)
    assert found == chinese


def test_a_configured_font_is_used_and_a_wrong_one_is_refused_without_falling_back(tmp_path: Path) -> None:
    chinese = find_cjk_font(None)
    assert find_cjk_font(str(chinese.path), candidates=(), fc_match=None) == chinese
    for wrong in (str(_latin_only_font(tmp_path / "latin.ttf")), str(tmp_path / "absent.ttf")):
        with pytest.raises(ReportFontUnavailable) as caught:
            find_cjk_font(wrong)
        assert wrong in caught.value.detail


def test_fontconfig_is_asked_when_no_known_place_has_a_font() -> None:
    found = find_cjk_font(None, candidates=())  # fc-match finds what apt-get installed
    assert found.path.is_file()
    with pytest.raises(ReportFontUnavailable):
        find_cjk_font(None, candidates=(), fc_match="no-such-fc-match")
