"""`appcomply vulns …` in a subprocess: the queue, one vulnerability, the cron-able clock check (incident clocks
too), the authority report package, the security incidents."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest
from pypdf import PdfReader

from appcomply.apps import AppCreate, create_app
from appcomply.bootstrap import build_services
from appcomply.db.session import unit_of_work
from appcomply.kernel.actor import system_actor
from appcomply.kernel.clock import FixedClock, SystemClock
from appcomply.settings import DatabaseSettings, Settings
from appcomply.vulnerabilities import Channel
from appcomply.vulnerabilities import service as vulns
from appcomply.vulnerabilities.rules import IncidentCategory, IncidentGrade
from appcomply.vulnerabilities.schemas import IncidentCreate, ReportCreate
from tests.integration.cli.conftest import Run

pytestmark = pytest.mark.slow  # every command starts a Python interpreter


DEMO = AppCreate(slug="demo", name="演示", entity_name="演示科技有限公司", entity_uscc="91110108MA01DFM005")


def _report(database_url: str, *, received: dt.datetime, title: str) -> str:
    services = build_services(Settings(database=DatabaseSettings(url=database_url)), clock=FixedClock(received))
    try:
        with unit_of_work(services.session_factory, clock=services.clock, actor=system_actor("t"), request_id="t") as c:
            if title.startswith("old"):
                create_app(c, DEMO)
            report = ReportCreate(
                app="demo", title=title, description="一个足够长的漏洞描述。", contact="a@example.com"
            )
            done = vulns.submit_report(c, services.vulnerabilities, report=report, channel=Channel.API, source_ip=None)
            return str(done.vulnerability_id)
    finally:
        services.engine.dispose()


def test_clocks_exit_9_when_a_report_is_overdue_and_list_and_show_describe_it(run: Run, database_url: str) -> None:
    assert run("db", "upgrade").returncode == 0
    assert run("vulns", "clocks").returncode == 0  # nothing open: cron stays quiet
    now = SystemClock().now()
    old = _report(database_url, received=now - dt.timedelta(hours=50), title="old: 越权读取订单")
    new = _report(database_url, received=now - dt.timedelta(hours=1), title="new: 评论 XSS")
    clocks = run("vulns", "clocks", "--json")
    assert clocks.returncode == 9, clocks.stderr
    rows = json.loads(clocks.stdout)
    assert [(r["vulnerability_id"], r["status"]) for r in rows] == [(old, "missed"), (new, "open")]
    assert "1 authority clock(s) overdue" in clocks.stderr
    listed = json.loads(run("vulns", "list", "--clock", "missed", "--json").stdout)
    assert [r["id"] for r in listed] == [old]
    shown = run("vulns", "show", old)
    assert shown.returncode == 0
    assert "a@example.com" not in shown.stdout
    assert "miit_report: missed" in shown.stdout
    missing = run("vulns", "show", "00000000-0000-7000-8000-000000000000")
    assert missing.returncode == 4  # not found


def test_package_writes_the_json_and_the_pdf_warns_of_missing_fields_and_exits_7_without_a_font(
    run: Run, database_url: str, tmp_path: Path
) -> None:
    assert run("db", "upgrade").returncode == 0
    vid = _report(database_url, received=SystemClock().now(), title="old: 越权读取订单")
    out = tmp_path / "out" / "reports"
    done = run("vulns", "package", vid, "--out", str(out))
    assert done.returncode == 0, done.stderr
    json_path, pdf_path = out / f"{vid}.json", out / f"{vid}.pdf"
    assert done.stdout.split() == [str(json_path), str(pdf_path)]
    document = json.loads(json_path.read_bytes())
    assert document["vulnerability_id"] == vid
    assert pdf_path.read_bytes().startswith(b"%PDF-")
    assert hashlib.sha256(json_path.read_bytes()).hexdigest().encode() in _pdf_text(pdf_path).encode()
    assert "warning: harm (危害) is not recorded yet" in done.stderr
    assert document["missing"] == ["model", "version", "technical_characteristics", "harm", "scope", "fix"]

    elsewhere = tmp_path / "no-font"
    no_font = run("vulns", "package", vid, "--out", str(elsewhere),
                  env={"APPCOMPLY_VULNERABILITIES__REPORT_FONT": "/nonexistent/cjk.ttc"})  # fmt: skip
    assert no_font.returncode == 7, no_font.stderr
    assert "vulnerabilities.report.font_unavailable" in no_font.stderr
    assert "fonts-wqy-zenhei" in no_font.stderr
    assert list(elsewhere.iterdir()) == []
    assert run("vulns", "package", "00000000-0000-7000-8000-000000000000", "--out", str(out)).returncode == 4


def _pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def _incident(database_url: str, *, detected: dt.datetime, grade: IncidentGrade) -> str:
    settings = Settings(database=DatabaseSettings(url=database_url))
    services = build_services(settings, clock=FixedClock(SystemClock().now()))
    try:
        with unit_of_work(services.session_factory, clock=services.clock, actor=system_actor("t"), request_id="t") as c:
            app = create_app(c, DEMO.model_copy(update={"slug": f"demo-{grade}"}))
            body = IncidentCreate(
                app_id=app.id, title=f"{grade}: 数据库被拖库", description="攻击者导出了用户表，已断开外网访问。",
                category=IncidentCategory.DATA_SECURITY, grade=grade, detected_at=detected,
            )  # fmt: skip
            return str(vulns.create_incident(c, services.vulnerabilities, body).id)
    finally:
        services.engine.dispose()


def test_incident_clocks_are_listed_with_the_vulnerability_clocks_and_an_overdue_one_exits_9(
    run: Run, database_url: str
) -> None:
    assert run("db", "upgrade").returncode == 0
    now = SystemClock().now()
    overdue = _incident(database_url, detected=now - dt.timedelta(hours=5), grade=IncidentGrade.MAJOR)
    general = _incident(database_url, detected=now - dt.timedelta(hours=5), grade=IncidentGrade.GENERAL)
    clocks = run("vulns", "clocks", "--json")
    assert clocks.returncode == 9, clocks.stderr
    rows = json.loads(clocks.stdout)
    assert [(r["incident_id"], r["vulnerability_id"], r["kind"], r["status"]) for r in rows] == [
        (overdue, None, "incident_report", "missed")
    ]  # the general incident has no clock
    listed = json.loads(run("vulns", "incidents", "list", "--json").stdout)
    assert [(r["id"], r["next_clock"]) for r in listed] == [(general, None), (overdue, "incident_report")]
    majors = json.loads(run("vulns", "incidents", "list", "--grade", "major", "--json").stdout)
    assert [r["id"] for r in majors] == [overdue]
    shown = run("vulns", "incidents", "show", overdue)
    assert shown.returncode == 0, shown.stderr
    assert "incident_report: missed" in shown.stdout
    data = json.loads(run("vulns", "incidents", "show", overdue, "--json").stdout)
    assert (data["operator_class"], [t["kind"] for t in data["timeline"]]) == ("other", ["created"])
    assert run("vulns", "incidents", "show", "00000000-0000-7000-8000-000000000000").returncode == 4
