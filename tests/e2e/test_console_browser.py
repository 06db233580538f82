"""The console in a real browser: uvicorn on a free port, a migrated and seeded SQLite file, Debian's Chromium.

Skipped when /usr/bin/chromium is missing, unless APPCOMPLY_REQUIRE_BROWSER=1 (then it fails). Screenshots go to
the test's tmp_path, or to APPCOMPLY_SCREENSHOT_DIR when set, for a person to look at.
"""

from __future__ import annotations

import os
import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Page, expect, sync_playwright

from appcomply.bootstrap import build_services, create_app
from appcomply.cli.demo import seed_demo
from appcomply.db.migrate import upgrade
from appcomply.db.session import unit_of_work
from appcomply.kernel.actor import cli_actor
from appcomply.settings import DatabaseSettings, Environment, Settings

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
# Never `playwright install`: the browser is the distribution's, kept quiet and offline.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass(frozen=True)
class Server:
    url: str
    admin_password: str


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The real app under uvicorn in a thread, on a socket bound before start so no other process takes the port."""
    settings = Settings(
        env=Environment.TEST,
        database=DatabaseSettings(url=f"sqlite:///{tmp_path_factory.mktemp('e2e') / 'console.db'}"),
    )
    services = build_services(settings)
    upgrade(services.engine)
    with unit_of_work(services.session_factory, clock=services.clock, actor=cli_actor(), request_id="e2e") as ctx:
        password = seed_demo(ctx)["admin_password"]
    assert password
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(services=services), log_level="warning", ws="none", lifespan="off")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        for _ in range(500):
            if uv.started or not thread.is_alive():
                break
            threading.Event().wait(0.01)
        assert uv.started, "uvicorn did not start"
        yield Server(url=f"http://127.0.0.1:{port}", admin_password=password)
    finally:
        uv.should_exit = True
        thread.join(timeout=10)
        sock.close()
        services.engine.dispose()


@pytest.fixture(scope="module")
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium)"
        if os.environ.get("APPCOMPLY_REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return CHROMIUM


@pytest.fixture
def page(chromium_path: Path) -> Iterator[Page]:
    """A desktop-sized page in Debian's Chromium, in Chinese (the console's first language)."""
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        try:
            yield browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
        finally:
            browser.close()


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    chosen = os.environ.get("APPCOMPLY_SCREENSHOT_DIR")
    folder = Path(chosen) if chosen else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _log_in_as_admin(page: Page, server: Server) -> None:
    page.goto(f"{server.url}/console/login")
    page.fill("#username", "admin")
    page.fill("#password", server.admin_password)
    page.click("button[type=submit]")


def test_an_admin_logs_in_and_reads_the_demo_app_in_both_languages(
    page: Page, server: Server, screenshots: Path
) -> None:
    page.goto(f"{server.url}/console/apps/demo")
    expect(page).to_have_url(f"{server.url}/console/login?next=%2Fconsole%2Fapps%2Fdemo")
    expect(page.locator("h1")).to_have_text("登录合规控制台")
    page.screenshot(path=screenshots / "login-zh.png", full_page=True)

    page.fill("#username", "admin")
    page.fill("#password", server.admin_password)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{server.url}/console/apps/demo")
    expect(page.locator("h1")).to_contain_text("示例社区")
    expect(page.locator("#api-keys")).to_contain_text("API 密钥")
    page.screenshot(path=screenshots / "app-zh.png", full_page=True)

    page.click("a.brand")
    expect(page.locator("#app-list")).to_contain_text("示例网络科技有限公司")
    page.screenshot(path=screenshots / "dashboard-zh.png", full_page=True)
    page.fill("#q", "没有这个应用")  # htmx swaps the list in place and pushes the search into the URL
    expect(page.locator("#app-list")).to_contain_text("没有符合搜索条件的应用")
    expect(page).to_have_url(re.compile(r"/console/\?q="))
    page.fill("#q", "")
    expect(page.locator("#app-list")).to_contain_text("示例网络科技有限公司")

    page.click("text=English")
    expect(page.locator("h1")).to_have_text("Apps")
    page.screenshot(path=screenshots / "dashboard-en.png", full_page=True)

    page.click("#app-list >> text=示例社区 Demo Community")
    expect(page.locator("#licences-title")).to_have_text("Licences and filings")
    page.fill("#key-name", "e2e backend")
    page.click("text=Create API key")
    expect(page.locator(".secret-value")).to_contain_text("ak_")
    expect(page).to_have_url(f"{server.url}/console/apps/demo")  # swapped by htmx, not a full form post
    page.screenshot(path=screenshots / "app-en.png", full_page=True)

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(page.locator(".secret-value")).to_have_count(0)
    page.screenshot(path=screenshots / "app-en-phone.png", full_page=True)

    page.click("text=Log out")
    expect(page.locator("h1")).to_have_text("Log in to the compliance console")
    page.screenshot(path=screenshots / "login-en.png", full_page=True)


def test_compliance_pages_show_the_demo_finding_and_mark_a_screened_text(
    page: Page, server: Server, screenshots: Path
) -> None:
    _log_in_as_admin(page, server)

    page.goto(f"{server.url}/console/apps/demo/processing")
    expect(page.locator("h1")).to_have_text("个人信息处理清单")
    expect(page.locator("#findings-title")).to_contain_text("发现的问题")
    expect(page.locator("article.finding-error").first).to_contain_text("basic_uses_unnecessary_pi")
    page.screenshot(path=screenshots / "processing-zh.png", full_page=True)

    page.click("nav.mainnav >> text=词库")
    expect(page.locator("h1")).to_have_text("词库")
    page.fill("#test-text", "现在出售弹*簧*刀，联系 138 0013 8000")
    page.click("text=检测")  # htmx swaps the result in below the form
    expect(page.locator("#test-result mark").first).to_have_text("出售弹*簧*刀")
    expect(page.locator("#test-result")).to_contain_text("拦截")
    expect(page).to_have_url(f"{server.url}/console/apps/demo/lexicon")
    page.screenshot(path=screenshots / "lexicon-zh.png", full_page=True)

    page.goto(f"{server.url}/p/demo/privacy/collected")
    expect(page.locator("h1")).to_have_text("个人信息收集清单")
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=screenshots / "collected-phone.png", full_page=True)


def test_a_reporter_files_a_vulnerability_and_the_security_team_triages_it(
    page: Page, server: Server, screenshots: Path, tmp_path: Path
) -> None:
    shot = tmp_path / "截图.png"
    shot.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    page.goto(f"{server.url}/p/demo/security")
    expect(page.locator("h1")).to_have_text("安全漏洞报告")
    page.fill("#f-title", "订单接口越权")
    page.fill("#f-description", "修改订单号即可读取他人的订单与收货地址。")
    page.fill("#f-component_version", "5.2.1")
    page.fill("#f-contact", "researcher@example.org")
    page.set_input_files("#f-attachments", str(shot))
    page.click("text=提交报告")
    token = page.locator("#tracking-token")
    expect(token).to_contain_text("vrt_")
    tracking = token.inner_text()
    page.screenshot(path=screenshots / "security-received-zh.png", full_page=True)

    _log_in_as_admin(page, server)
    page.click("nav.mainnav >> text=安全漏洞")
    expect(page.locator("h1")).to_have_text("安全漏洞")
    page.click("#queue >> text=订单接口越权")
    expect(page.locator("#state")).to_have_text("已接收")
    expect(page.locator("#clock-miit_report")).to_have_text("计时中")
    expect(page.locator("text=截图.png")).to_be_visible()
    assert "researcher@example.org" not in page.content()  # the contact is masked

    page.fill("input[name=cvss_vector]", "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N")
    page.click("text=保存研判")
    expect(page.locator("dl.facts")).to_contain_text("medium (6.5)")
    page.select_option("#to", "triaged")
    page.click("button:has-text('变更')")
    expect(page.locator("#state")).to_have_text("已研判")
    page.fill("input[name=channel]", "MIIT NVDB")
    page.fill("input[name=reference]", "CNVD-C-2026-0001")
    page.click("text=记录报送")
    expect(page.locator("#clock-miit_report")).to_have_text("已按时报送")
    expect(page.locator("#package-gaps")).to_contain_text("技术特点")
    with page.expect_download() as downloading:
        page.click("#package-pdf")
    download = downloading.value
    assert download.suggested_filename.endswith(".pdf")
    assert Path(download.path()).read_bytes().startswith(b"%PDF-")
    page.screenshot(path=screenshots / "vulnerability-zh.png", full_page=True)

    page.click("text=English")
    expect(page.locator("#state")).to_have_text("Triaged")
    expect(page.locator("#clock-miit_report")).to_have_text("Met")
    page.screenshot(path=screenshots / "vulnerability-en.png", full_page=True)

    page.goto(f"{server.url}/p/demo/security?lang=en")
    page.fill("#f-token", tracking)
    page.click("text=Look up")
    expect(page.locator("#report-status")).to_have_text("triaged")


def test_the_security_team_records_an_incident_reports_it_on_time_and_closes_it(
    page: Page, server: Server, screenshots: Path
) -> None:
    _log_in_as_admin(page, server)
    page.click("nav.mainnav >> text=网络安全事件")
    expect(page.locator("h1")).to_have_text("网络安全事件")

    form = page.locator("#new-incident")
    form.locator("input[name=title]").fill("撞库攻击导致账号异常登录")
    form.locator("textarea[name=description]").fill("凌晨起大量异常登录请求，部分账号被盗用。")
    form.locator("select[name=category]").select_option("network_attack")
    form.locator("select[name=grade]").select_option("relatively_major")
    form.locator("button[type=submit]").click()
    expect(page.locator("h1")).to_have_text("撞库攻击导致账号异常登录")
    expect(page.locator("#grade")).to_have_text("较大")
    expect(page.locator("#state")).to_have_text("处置中")
    expect(page.locator("#clock-incident_report")).to_have_text("计时中")  # relatively major: reported in 4 h
    page.screenshot(path=screenshots / "incident-open-zh.png", full_page=True)

    report_row = page.locator("tr", has=page.locator("#clock-incident_report"))
    report_row.locator("input[name=channel]").fill("省级网信部门")
    report_row.locator("input[name=reference]").fill("WX-2026-0042")
    report_row.locator("text=记录报送").click()
    expect(page.locator("#clock-incident_report")).to_have_text("已按时报送")
    expect(page.locator("#timeline li").last).to_contain_text("已记录报送")
    expect(page.locator("#timeline li").last).to_contain_text("WX-2026-0042")

    page.click("text=标记为处置结束")
    expect(page.locator("#state")).to_have_text("已处置")
    expect(page.locator("#clock-incident_summary")).to_have_text("计时中")  # 30 days from the end of handling
    summary_row = page.locator("tr", has=page.locator("#clock-incident_summary"))
    summary_row.locator("input[name=channel]").fill("省级网信部门")
    summary_row.locator("text=记录报送").click()
    expect(page.locator("#clock-incident_summary")).to_have_text("已按时报送")
    page.click("text=关闭事件")
    expect(page.locator("#state")).to_have_text("已关闭")
    page.screenshot(path=screenshots / "incident-closed-zh.png", full_page=True)

    page.click("text=English")
    expect(page.locator("#state")).to_have_text("Incident closed")
    expect(page.locator("#clock-incident_report")).to_have_text("Met")
    page.click("nav.crumbs >> text=Security incidents")
    page.select_option("#incidents select[name=state]", "closed")
    page.click("#incidents button[type=submit]")  # htmx swaps the filtered list in place
    expect(page).to_have_url(re.compile(r"/console/incidents\?.*state=closed"))
    expect(page.locator("#incidents tbody")).to_contain_text("撞库攻击导致账号异常登录")
    page.screenshot(path=screenshots / "incidents-en.png", full_page=True)
