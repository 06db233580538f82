"""The authority report package (VR 7(2)): what the MIIT vulnerability platform asks for — product name, model,
version, technical characteristics, harm, scope of impact, fix or mitigation — with the intake log entry, the triage
record, CVSS, affected versions, the fix plan, the clocks and the timeline. As JSON and as a Chinese PDF laid out by
fpdf2; the PDF's footer prints the SHA-256 of the JSON, which ties the two together.

Pure: the service gathers a `ReportPackage`; nothing here reads the database or the clock.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from fpdf import FPDF, FontFace
from fpdf.enums import XPos, YPos

# fontTools tells, at every subset, that it drops the embedded bitmap strikes of fonts such as WenQuanYi Zen Hei:
# right for a PDF (the outlines are kept), and noise in every CLI run and server log.
logging.getLogger("fontTools.subset").setLevel(logging.ERROR)

SCHEMA_VERSION: Final = "appcomply.vulnerability-report/1"
MISSING: Final = "待补充 (missing)"
BEIJING: Final = dt.timezone(dt.timedelta(hours=8), "UTC+08:00")  # China has one zone and no summer time

# The fields VR 7(2) names, in the platform's order, with the label the PDF prints.
MIIT_FIELDS: Final[dict[str, str]] = {
    "product_name": "产品名称",
    "model": "型号",
    "version": "版本",
    "technical_characteristics": "技术特点",
    "harm": "危害",
    "scope": "影响范围",
    "fix": "修复措施",
}
STATE_NAMES: Final = {
    "received": "已接收", "triaged": "已研判", "confirmed": "已确认", "rejected": "未受理", "duplicate": "重复",
    "fixing": "修复中", "fixed": "已修复", "disclosed": "已公开",
}  # fmt: skip
CLOCK_NAMES: Final = {"miit_report": "报送工业和信息化部漏洞平台"}
CLOCK_STATUS: Final = {"open": "计时中", "met": "已按时报送", "missed": "已超时", "not_required": "无需报送"}
CHANNEL_NAMES: Final = {"api": "API", "web_form": "网页表单", "staff": "工作人员录入"}


@dataclass(frozen=True, slots=True)
class IntakeEntry:
    """The receipt-log row (VR 5). `source_masked` is None when it was purged after its retention or came in
    through staff."""

    received_at: dt.datetime
    channel: str
    source_masked: str | None
    summary_hash: str


@dataclass(frozen=True, slots=True)
class TimelineStep:
    at: dt.datetime
    kind: str  # "received", "transition"
    from_state: str | None
    to_state: str | None
    actor: str
    note: str | None


@dataclass(frozen=True, slots=True)
class CvssFacts:
    vector: str
    version: str
    score: float
    severity: str


@dataclass(frozen=True, slots=True)
class AffectedRange:
    platform: str
    range: str


@dataclass(frozen=True, slots=True)
class ClockRecord:
    kind: str
    started_at: dt.datetime
    due_at: dt.datetime
    status: str
    submitted_at: dt.datetime | None
    submitted_by: str | None
    channel: str | None
    reference: str | None


@dataclass(frozen=True, slots=True)
class ReportPackage:
    """Everything one report states, gathered by the service in one read."""

    vulnerability_id: str
    title: str
    app_name: str
    app_slug: str
    provider_name: str  # the app's operator, from the app record
    provider_uscc: str
    state: str
    component: str | None  # reported as the product's model (型号): the affected module of the app
    component_version: str | None
    assignee: str | None
    supplier: str | None
    cve: str | None
    national_security: bool
    intake: IntakeEntry
    timeline: tuple[TimelineStep, ...]
    cvss: CvssFacts | None
    affected_versions: tuple[AffectedRange, ...]
    fixed_version: str | None
    fix_released_at: dt.datetime | None
    fix_plan: str | None
    technical_characteristics: str | None
    harm: str | None
    scope: str | None
    clocks: tuple[ClockRecord, ...]
    generated_at: dt.datetime


def _text(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None


def miit_fields(pkg: ReportPackage) -> dict[str, str | None]:
    """The seven VR 7(2) fields as the report states them; None where the record does not say yet."""
    versions = "；".join(f"{a.platform} {a.range}" for a in pkg.affected_versions) or _text(pkg.component_version)
    fix = _text(pkg.fix_plan)
    if pkg.fixed_version:
        released = f"（{_local(pkg.fix_released_at)} 发布）" if pkg.fix_released_at else ""
        upgrade = f"升级到 {pkg.fixed_version}{released}"
        fix = f"{fix}\n{upgrade}" if fix else upgrade
    return {
        "product_name": _text(pkg.app_name),
        "model": _text(pkg.component),
        "version": versions,
        "technical_characteristics": _text(pkg.technical_characteristics),
        "harm": _text(pkg.harm),
        "scope": _text(pkg.scope),
        "fix": fix,
    }


def missing_fields(pkg: ReportPackage) -> tuple[str, ...]:
    """The VR 7(2) fields the record does not state yet (keys of MIIT_FIELDS, in order): the package still
    builds, marking each "待补充 (missing)", and the API and CLI warn."""
    return tuple(name for name, value in miit_fields(pkg).items() if value is None)


# --- JSON ---------------------------------------------------------------------------------------------------------


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if value is not None else None


def package_document(pkg: ReportPackage) -> dict[str, Any]:
    """The package as a JSON-ready mapping, keys in a fixed order (what `to_json` encodes)."""
    intake = pkg.intake
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_at": _iso(pkg.generated_at),
        "vulnerability_id": pkg.vulnerability_id,
        "title": pkg.title,
        "miit_report": miit_fields(pkg),
        "missing": list(missing_fields(pkg)),
        "provider": {"name": pkg.provider_name, "uscc": pkg.provider_uscc},
        "product": {
            "name": pkg.app_name,
            "slug": pkg.app_slug,
            "component": pkg.component,
            "component_version": pkg.component_version,
        },
        "intake": {
            "received_at": _iso(intake.received_at),
            "channel": intake.channel,
            "source_masked": intake.source_masked,
            "summary_hash": intake.summary_hash,
        },
        "triage": {
            "state": pkg.state,
            "assignee": pkg.assignee,
            "supplier": pkg.supplier,
            "cve": pkg.cve,
            "national_security": pkg.national_security,
        },
        "cvss": _cvss_document(pkg.cvss),
        "affected_versions": [{"platform": a.platform, "range": a.range} for a in pkg.affected_versions],
        "fix": {"fixed_version": pkg.fixed_version, "released_at": _iso(pkg.fix_released_at), "plan": pkg.fix_plan},
        "technical_characteristics": pkg.technical_characteristics,
        "harm": pkg.harm,
        "scope": pkg.scope,
        "clocks": [_clock_document(c) for c in pkg.clocks],
        "timeline": [
            {"at": _iso(t.at), "kind": t.kind, "from": t.from_state, "to": t.to_state, "actor": t.actor, "note": t.note}
            for t in pkg.timeline
        ],
    }


def _cvss_document(cvss: CvssFacts | None) -> dict[str, Any] | None:
    if cvss is None:
        return None
    return {"vector": cvss.vector, "version": cvss.version, "score": cvss.score, "severity": cvss.severity}


def _clock_document(clock: ClockRecord) -> dict[str, Any]:
    return {
        "kind": clock.kind,
        "started_at": _iso(clock.started_at),
        "due_at": _iso(clock.due_at),
        "status": clock.status,
        "submitted_at": _iso(clock.submitted_at),
        "submitted_by": clock.submitted_by,
        "channel": clock.channel,
        "reference": clock.reference,
    }


def to_json(pkg: ReportPackage) -> bytes:
    """UTF-8 JSON, indented, keys in a fixed order: the same package always gives the same bytes."""
    return (json.dumps(package_document(pkg), ensure_ascii=False, indent=2) + "\n").encode()


def json_sha256(pkg: ReportPackage) -> str:
    return hashlib.sha256(to_json(pkg)).hexdigest()


# --- PDF ----------------------------------------------------------------------------------------------------------

_FAMILY: Final = "cjk"
_HEAD: Final = FontFace(emphasis=None, fill_color=(232, 236, 241))  # no bold: a CJK font has one weight here
_LABEL_WIDTH: Final = (28, 72)


def _local(value: dt.datetime | None) -> str:
    return value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M") if value is not None else "—"


class _Report(FPDF):
    def __init__(self, *, footer_text: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self._footer_text = footer_text

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(_FAMILY, size=7)
        self.set_text_color(90)
        self.cell(0, 4, self._footer_text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.cell(0, 4, f"第 {self.page_no()} 页 / 共 {{nb}} 页", align="R")


def to_pdf(pkg: ReportPackage, font_path: Path, *, collection_index: int = 0) -> bytes:
    """The report in Chinese on A4: the VR 7(2) fields first, missing ones marked "待补充 (missing)", then the
    intake entry, triage, CVSS, versions, fix, clocks and timeline. Each page's footer carries the generation time
    (Beijing time), the page number and the SHA-256 of `to_json(pkg)`. Deterministic for a given package and font.

    `font_path` must have Chinese glyphs (formats.fonts.find_cjk_font finds one); fpdf2 embeds the glyphs used."""
    footer = f"生成时间 {_local(pkg.generated_at)}（北京时间）  JSON SHA-256 {json_sha256(pkg)}"
    pdf = _Report(footer_text=footer)
    pdf.set_creation_date(pkg.generated_at)
    pdf.set_title(f"网络产品安全漏洞报告 {pkg.title}")
    pdf.set_lang("zh-CN")
    pdf.add_font(_FAMILY, fname=str(font_path), collection_font_number=collection_index)
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_page()
    _heading(pdf, pkg)
    _section(pdf, "一、报送信息（《网络产品安全漏洞管理规定》第七条第二项）")
    fields = miit_fields(pkg)
    _facts(pdf, [(MIIT_FIELDS[name], value or MISSING) for name, value in fields.items()])
    missing = missing_fields(pkg)
    if missing:
        pdf.set_text_color(160, 30, 30)
        pdf.multi_cell(0, 6, "待补充 (missing)：" + "、".join(MIIT_FIELDS[m] for m in missing))
        pdf.set_text_color(0)
    _section(pdf, "二、产品与提供者")
    _facts(pdf, [("提供者", pkg.provider_name), ("统一社会信用代码", pkg.provider_uscc), ("应用", pkg.app_name),
                 ("组件版本", pkg.component_version or "—")])  # fmt: skip
    _section(pdf, "三、接收记录")
    intake = pkg.intake
    _facts(pdf, [("接收时间", _local(intake.received_at)), ("渠道", CHANNEL_NAMES.get(intake.channel, intake.channel)),
                 ("来源（脱敏）", intake.source_masked or "—"), ("内容摘要 SHA-256", intake.summary_hash)])  # fmt: skip
    _section(pdf, "四、研判记录")
    _facts(pdf, _triage_rows(pkg))
    _versions(pdf, pkg)
    _section(pdf, "六、报送时限")
    _table(pdf, ("时限", "起算", "截止", "状态", "报送"), [_clock_row(c) for c in pkg.clocks])
    _section(pdf, "七、处置时间线")
    _table(pdf, ("时间", "事项", "处理人", "说明"), [_step_row(t) for t in pkg.timeline], widths=(30, 40, 35, 75))
    return bytes(pdf.output())


def _heading(pdf: FPDF, pkg: ReportPackage) -> None:
    pdf.set_font(_FAMILY, size=16)
    pdf.cell(0, 10, "网络产品安全漏洞报告", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(_FAMILY, size=11)
    pdf.multi_cell(0, 6, pkg.title, align="C")
    pdf.set_font(_FAMILY, size=8)
    pdf.cell(0, 5, f"编号 {pkg.vulnerability_id}", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)


def _section(pdf: FPDF, title: str) -> None:
    pdf.ln(3)
    pdf.set_font(_FAMILY, size=12)
    pdf.cell(0, 8, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(_FAMILY, size=9)


def _facts(pdf: FPDF, rows: Sequence[tuple[str, str]]) -> None:
    _table(pdf, ("项目", "内容"), rows, widths=_LABEL_WIDTH)


def _table(
    pdf: FPDF, head: tuple[str, ...], rows: Sequence[Sequence[str]], *, widths: tuple[int, ...] | None = None
) -> None:
    body = [tuple(r) for r in rows] or [("—",) * len(head)]
    with pdf.table(col_widths=widths, headings_style=_HEAD, line_height=5.5, text_align="LEFT") as table:
        for row in (head, *body):
            cells = table.row()
            for cell in row:
                cells.cell(cell)


def _triage_rows(pkg: ReportPackage) -> list[tuple[str, str]]:
    score = pkg.cvss
    cvss = f"CVSS v{score.version} {score.score}（{score.severity}）\n{score.vector}" if score else "未评分"
    return [
        ("状态", _state(pkg.state)),
        ("CVSS", cvss),
        ("涉及国家安全或公共利益", "是（24 小时内报送，NDR 第十条）" if pkg.national_security else "否"),
        ("CVE 编号", pkg.cve or "—"),
        ("上游供应商", pkg.supplier or "—"),
        ("负责人", pkg.assignee or "—"),
    ]


def _versions(pdf: FPDF, pkg: ReportPackage) -> None:
    _section(pdf, "五、受影响版本与修复")
    rows = [(a.platform, a.range) for a in pkg.affected_versions]
    _table(pdf, ("平台", "受影响版本范围"), rows, widths=_LABEL_WIDTH)
    pdf.ln(2)
    _facts(pdf, [("修复版本", pkg.fixed_version or "—"), ("修复发布时间", _local(pkg.fix_released_at)),
                 ("修复方案", pkg.fix_plan or MISSING)])  # fmt: skip


def _clock_row(clock: ClockRecord) -> tuple[str, ...]:
    submitted = "—"
    if clock.submitted_at is not None:
        parts = [_local(clock.submitted_at), clock.channel or "", clock.reference or "", clock.submitted_by or ""]
        submitted = "\n".join(p for p in parts if p)
    return (CLOCK_NAMES.get(clock.kind, clock.kind), _local(clock.started_at), _local(clock.due_at),
            CLOCK_STATUS.get(clock.status, clock.status), submitted)  # fmt: skip


def _step_row(step: TimelineStep) -> tuple[str, ...]:
    if step.kind == "transition":
        what = f"{_state(step.from_state)} → {_state(step.to_state)}"
    else:
        what = "接收报告" if step.kind == "received" else step.kind
    return (_local(step.at), what, step.actor, step.note or "")


def _state(name: str | None) -> str:
    return STATE_NAMES.get(name or "", name or "—")
