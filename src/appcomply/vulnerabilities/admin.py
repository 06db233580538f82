"""Pages of the vulnerabilities module: the app's public security page (report form, tracking, disclosed
advisories; Chinese first, English), /.well-known/security.txt, and the security team's console (vulnerabilities,
security incidents)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import uuid
from typing import Annotated, Any, Final, Literal, TypeVar

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi import Path as FastPath
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, ValidationError
from starlette.datastructures import UploadFile

from appcomply import apps
from appcomply.kernel.actor import Role
from appcomply.kernel.context import Ctx
from appcomply.kernel.errors import DomainError
from appcomply.vulnerabilities import service
from appcomply.vulnerabilities.errors import ConsoleFormInvalid
from appcomply.vulnerabilities.formats import changes_csv, index_txt
from appcomply.vulnerabilities.rules import (
    CAMPAIGN_STATES,
    TRANSITIONS,
    Channel,
    ClockKind,
    ClockOwner,
    ClockStatus,
    IncidentCategory,
    IncidentGrade,
    IncidentState,
    State,
)
from appcomply.vulnerabilities.schemas import (
    CampaignCreate,
    FollowUpCreate,
    IncidentClose,
    IncidentCreate,
    IncidentHandled,
    IncidentUpdate,
    ReportCreate,
    SubmissionCreate,
    TransitionCreate,
    TriageUpdate,
    UpgradeSet,
)
from appcomply.vulnerabilities.service import VulnerabilitiesEnv
from appcomply.web.deps import env_dependency, writes
from appcomply.web.downloads import attachment_response
from appcomply.web.security import AuthDep, Guard, PublicCtx, console_chrome
from appcomply.web.templating import render, see_other

M = TypeVar("M", bound=BaseModel)

VulnerabilitiesEnvDep = Annotated[VulnerabilitiesEnv, Depends(env_dependency("vulnerabilities", VulnerabilitiesEnv))]
Lang = Annotated[Literal["zh_CN", "en"], Query()]

public_router = APIRouter(prefix="/p", include_in_schema=False)
well_known_router = APIRouter(include_in_schema=False)

FIELDS: Final = ("title", "description", "component", "component_version", "steps", "contact")
LABELS: Final[dict[str, dict[str, str]]] = {
    "zh_CN": {
        "title": "安全漏洞报告", "switch": "English",
        "intro": "发现了本应用的安全漏洞？请通过下方表单告诉我们。"
                 "我们会在收到后尽快核实、修复，并按《网络产品安全漏洞管理规定》向主管部门报送。",
        "rules": "在我们发布修复之前，请勿公开漏洞细节，也请勿向境外组织或个人提供（第九条）。",
        "f_title": "标题", "f_description": "漏洞描述（影响、可被如何利用）", "f_component": "受影响的功能或组件",
        "f_component_version": "版本", "f_steps": "复现步骤", "f_contact": "联系方式（可选，加密保存）",
        "f_attachments": "附件（截图、录屏、PDF、文本或 ZIP）", "submit": "提交报告",
        "received": "已收到您的报告", "token": "跟踪码（只显示这一次，请保存）：", "track": "查询报告进度",
        "f_token": "跟踪码", "lookup": "查询", "status": "状态", "messages": "回复", "advisories": "已公开的安全公告",
        "none": "暂无已公开的安全公告。", "fixed_in": "已在以下版本修复", "errors": "请修改以下内容：",
        "unknown_token": "没有与此跟踪码对应的报告。", "csaf": "机器可读的公告（CSAF 2.0 JSON）",
    },
    "en": {
        "title": "Report a security vulnerability", "switch": "中文",
        "intro": "Found a security vulnerability in this app? Tell us with the form below. We verify and fix it "
                 "promptly and report it to the authorities as the Regulations on the Management of Network Product "
                 "Security Vulnerabilities require.",
        "rules": "Please do not publish details before we release a fix, and do not give them to organisations or "
                 "individuals outside China (Art 9).",
        "f_title": "Title", "f_description": "Description (impact, how it can be exploited)",
        "f_component": "Affected feature or component", "f_component_version": "Version",
        "f_steps": "Steps to reproduce",
        "f_contact": "How to reach you (optional, stored encrypted)",
        "f_attachments": "Attachments (screenshots, recordings, PDF, text or ZIP)", "submit": "Send report",
        "received": "We have received your report", "token": "Tracking code (shown only this once — keep it):",
        "track": "Follow a report", "f_token": "Tracking code", "lookup": "Look up", "status": "Status",
        "messages": "Replies", "advisories": "Published security advisories", "none": "No advisories published yet.",
        "fixed_in": "Fixed in", "errors": "Please correct the following:",
        "unknown_token": "No report has this tracking code.", "csaf": "Machine-readable advisory (CSAF 2.0 JSON)",
    },
}  # fmt: skip


def _page(request: Request, ctx: Ctx, slug: str, lang: str, *, status_code: int = 200, **extra: Any) -> Response:
    app = apps.get_app_by_slug(ctx, slug)
    context = {
        "app": app, "lang": lang, "labels": LABELS[lang], "fields": FIELDS, "path": request.url.path,
        "advisories": [(a, service.advisory_path(app, a)) for a in service.list_disclosed(ctx, app.id)],
        "form": {}, "errors": [],
        "idempotency_key": secrets.token_urlsafe(16), **extra,
    }  # fmt: skip
    response = render(request, "vulnerabilities/security.html", context=context, status_code=status_code)
    # The page may show a tracking code that was just issued: never cached anywhere.
    response.headers["Cache-Control"] = "no-store"
    return response


@public_router.get("/{app_slug}/security")
def security_page(request: Request, ctx: PublicCtx, app_slug: str, lang: Lang = "zh_CN") -> Response:
    """The public security page: how to report, the form, report tracking, disclosed advisories (no login)."""
    return _page(request, ctx, app_slug, lang)


@public_router.post("/{app_slug}/security")
async def submit_from_page(
    request: Request, ctx: PublicCtx, env: VulnerabilitiesEnvDep, app_slug: str, lang: Lang = "zh_CN"
) -> Response:
    """The form's submission: the same intake as the API (receipt log, rate limit, attachments sniffed); the
    hidden idempotency key makes a double click one report."""
    # `async with`: the uploaded files' temporary files are closed when the form is done with.
    async with request.form() as form:
        values = {name: str(form.get(name) or "").strip() or None for name in FIELDS}
        files = [f for f in form.getlist("attachments") if isinstance(f, UploadFile) and f.filename]
        attachments = [
            {"filename": f.filename, "content_base64": base64.b64encode(await f.read()).decode()} for f in files
        ]
        key = str(form.get("idempotency_key") or "")
    key_or_none = key if 8 <= len(key) <= 80 else None
    try:
        report = ReportCreate.model_validate({"app": app_slug, **values, "attachments": attachments})
        done = service.submit_report(
            ctx, env, report=report, channel=Channel.WEB_FORM, idempotency_key=key_or_none,
            source_ip=request.client.host if request.client else None,
        )  # fmt: skip
    except ValidationError as exc:
        errors = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors(include_url=False)]
        return _page(request, ctx, app_slug, lang, status_code=422, form=values, errors=errors)
    except DomainError as exc:
        if exc.code == "vulnerabilities.app.not_found":
            raise
        return _page(request, ctx, app_slug, lang, status_code=_status(exc), form=values, errors=[exc.detail])
    return _page(request, ctx, app_slug, lang, status_code=201, receipt=done)


def _status(exc: DomainError) -> int:
    retry = getattr(exc, "retry_after", None)
    return 429 if retry is not None else 422


@public_router.post("/{app_slug}/security/track")
async def track_from_page(request: Request, ctx: PublicCtx, app_slug: str, lang: Lang = "zh_CN") -> Response:
    """Report status by tracking code, posted (not in the URL, so it stays out of logs and browser history)."""
    async with request.form() as form:
        token = str(form.get("token") or "").strip()
    try:
        tracked = service.track_report(ctx, token) if token.startswith("vrt_") and len(token) <= 100 else None
    except DomainError:
        tracked = None
    if tracked is None or tracked.vulnerability.app_id != apps.get_app_by_slug(ctx, app_slug).id:
        return _page(request, ctx, app_slug, lang, status_code=404, errors=[LABELS[lang]["unknown_token"]])
    return _page(request, ctx, app_slug, lang, tracked=tracked)


@well_known_router.get("/.well-known/security.txt")
def security_txt(request: Request, ctx: PublicCtx, env: VulnerabilitiesEnvDep) -> Response:
    """RFC 9116: the app of this host (settings `vulnerabilities.hosts`, else `vulnerabilities.default_app`)."""
    host = request.headers.get("host", "")
    text = service.security_txt(ctx, env, host=host)
    return PlainTextResponse(text, media_type="text/plain; charset=utf-8", headers={"Cache-Control": "max-age=3600"})


# --- CSAF 2.0 provider directory (§7.1): the disclosed advisories of the host's app, machine-readable --------------

_PUBLIC_CACHE: Final = {"Cache-Control": "public, max-age=300"}
Year = Annotated[int, FastPath(ge=1990, le=9999)]
CsafFile = Annotated[str, FastPath(min_length=6, max_length=200, pattern=r"^[a-z0-9+_-]+\.json$")]


@well_known_router.get("/.well-known/csaf/provider-metadata.json")
def csaf_provider_metadata(request: Request, ctx: PublicCtx, env: VulnerabilitiesEnvDep) -> Response:
    """CSAF 2.0 §7.1.7, validated against the OASIS provider schema; security.txt points here (CSAF field)."""
    host = request.headers.get("host", "")
    base = service.host_base(host)
    document = service.provider_metadata(ctx, service.app_for_host(ctx, env, host), base_url=base)
    return JSONResponse(document, headers=_PUBLIC_CACHE)


@well_known_router.get("/.well-known/csaf/white/index.txt")
def csaf_index(request: Request, ctx: PublicCtx, env: VulnerabilitiesEnvDep) -> Response:
    """CSAF 2.0 §7.1.13: every disclosed advisory's path, one per line."""
    directory = service.published(ctx, service.app_for_host(ctx, env, request.headers.get("host", "")))
    return PlainTextResponse(index_txt(directory.documents), headers=_PUBLIC_CACHE)


@well_known_router.get("/.well-known/csaf/white/changes.csv")
def csaf_changes(request: Request, ctx: PublicCtx, env: VulnerabilitiesEnvDep) -> Response:
    """CSAF 2.0 §7.1.14: path and last change of every disclosed advisory, newest first."""
    directory = service.published(ctx, service.app_for_host(ctx, env, request.headers.get("host", "")))
    return Response(changes_csv(directory.documents), media_type="text/csv; charset=utf-8", headers=_PUBLIC_CACHE)


@well_known_router.get("/.well-known/csaf/white/{year}/{filename}")
def csaf_document(
    request: Request, ctx: PublicCtx, env: VulnerabilitiesEnvDep, year: Year, filename: CsafFile
) -> Response:
    """One disclosed advisory (404 for anything not disclosed: VR 9)."""
    host = request.headers.get("host", "")
    base = service.host_base(host)
    app = service.app_for_host(ctx, env, host)
    document = service.public_advisory(ctx, app, year=year, filename=filename, base_url=base)
    return JSONResponse(document, headers=_PUBLIC_CACHE)


@public_router.get("/{app_slug}/security/advisories/{year}/{filename}")
def advisory_of_page(request: Request, ctx: PublicCtx, app_slug: str, year: Year, filename: CsafFile) -> Response:
    """The same document linked from an app's security page, whichever host serves the page."""
    base = service.host_base(request.headers.get("host", ""))
    app = apps.get_app_by_slug(ctx, app_slug)
    document = service.public_advisory(ctx, app, year=year, filename=filename, base_url=base)
    return JSONResponse(document, headers=_PUBLIC_CACHE)


# --- console: the security team's queue ---------------------------------------------------------------------------

router = APIRouter(prefix="/console/vulnerabilities", include_in_schema=False)
SecurityCtx = Annotated[Ctx, Depends(Guard(Role.SECURITY))]
PAGE_SIZE: Final = 50
SEVERITIES: Final = ("critical", "high", "medium", "low", "none")


@router.get("")
def queue(
    request: Request,
    ctx: SecurityCtx,
    auth: AuthDep,
    state: Annotated[State | None, Query()] = None,
    severity: Annotated[Literal["critical", "high", "medium", "low", "none"] | None, Query()] = None,
    clock: Annotated[ClockStatus | None, Query()] = None,
    after: Annotated[uuid.UUID | None, Query()] = None,
) -> Response:
    """Every app's vulnerabilities newest first, filtered by state, severity and report clock, with time left."""
    rows = service.list_vulnerabilities(
        ctx, state=state, severity=severity, clock=clock, limit=PAGE_SIZE + 1, after=after
    )
    filters = {k: v for k, v in {"state": state, "severity": severity, "clock": clock}.items() if v}
    context = {
        **console_chrome(auth, nav="vulnerabilities"), "rows": rows[:PAGE_SIZE], "states": list(State),
        "severities": SEVERITIES, "clocks": list(ClockStatus), "filters": filters, "after": after,
        "next_cursor": rows[PAGE_SIZE - 1].vulnerability.id if len(rows) > PAGE_SIZE else None,
        "apps": {a.id: a for a in apps.list_apps(ctx, limit=1000)},
    }  # fmt: skip
    return render(request, "vulnerabilities/queue.html", context=context, block="queue")


@router.get("/{vulnerability_id}")
def detail(request: Request, ctx: SecurityCtx, auth: AuthDep, vulnerability_id: uuid.UUID) -> Response:
    """One vulnerability: facts, clocks with time left, timeline, attachments, and the team's forms."""
    vuln = service.get_vulnerability(ctx, vulnerability_id)
    context = {
        **console_chrome(auth, nav="vulnerabilities"), "v": vuln, "app": apps.get_app(ctx, vuln.app_id),
        "clocks": service.list_clocks(ctx, vuln.id), "timeline": service.list_timeline(ctx, vuln.id),
        "attachments": service.list_attachments(ctx, vuln.id),
        "next_states": sorted(TRANSITIONS[State(vuln.state)]), "package_gaps": service.package_gaps(ctx, vuln.id),
        "upgrades": service.list_upgrades(ctx, vuln.id), "exposure": service.exposure(ctx, vuln.id),
        "campaigns": service.list_campaigns(ctx, vuln.id, limit=20),
        "can_notify": State(vuln.state) in CAMPAIGN_STATES,
    }  # fmt: skip
    return render(request, "vulnerabilities/detail.html", context=context)


def _back(vulnerability_id: uuid.UUID) -> Response:
    return see_other(f"/console/vulnerabilities/{vulnerability_id}")


def _form_model(model: type[M], data: dict[str, Any]) -> M:
    try:
        return model.model_validate({k: v for k, v in data.items() if v not in (None, "")})
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        raise ConsoleFormInvalid(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from None


@router.post("/{vulnerability_id}/transitions")
def transition(
    ctx: SecurityCtx,
    vulnerability_id: uuid.UUID,
    to: Annotated[State, Form()],
    note: Annotated[str, Form(max_length=5000)] = "",
    duplicate_of: Annotated[str, Form(max_length=36)] = "",
) -> Response:
    body = _form_model(TransitionCreate, {"to": to, "note": note, "duplicate_of": duplicate_of})
    service.transition(ctx, vulnerability_id, to=body.to, note=body.note, duplicate_of=body.duplicate_of)
    return _back(vulnerability_id)


@router.post("/{vulnerability_id}/triage")
def triage(
    ctx: SecurityCtx,
    vulnerability_id: uuid.UUID,
    cvss_vector: Annotated[str, Form(max_length=255)] = "",
    national_security: Annotated[bool, Form()] = False,
    assignee: Annotated[str, Form(max_length=200)] = "",
    fixed_version: Annotated[str, Form(max_length=64)] = "",
    harm: Annotated[str, Form(max_length=20000)] = "",
    scope: Annotated[str, Form(max_length=20000)] = "",
    fix_plan: Annotated[str, Form(max_length=20000)] = "",
    component: Annotated[str, Form(max_length=200)] = "",
    technical_characteristics: Annotated[str, Form(max_length=20000)] = "",
) -> Response:
    """The triage form: blank fields are left as they are; the national-security box is always sent. Covers every
    field of the authority report (VR 7(2)) the report itself does not state."""
    fields = {"cvss_vector": cvss_vector, "assignee": assignee, "fixed_version": fixed_version, "harm": harm,
              "scope": scope, "fix_plan": fix_plan, "component": component,
              "technical_characteristics": technical_characteristics}  # fmt: skip
    body = _form_model(TriageUpdate, {**fields, "national_security": national_security})
    service.update_triage(ctx, vulnerability_id, body)
    return _back(vulnerability_id)


@router.post("/{vulnerability_id}/messages")
def message(
    ctx: SecurityCtx,
    vulnerability_id: uuid.UUID,
    text: Annotated[str, Form(min_length=1, max_length=5000)],
    public: Annotated[bool, Form()] = False,
) -> Response:
    service.add_message(ctx, vulnerability_id, message=text, public=public)
    return _back(vulnerability_id)


@router.post("/{vulnerability_id}/clocks/{kind}/submission")
def submission(
    ctx: SecurityCtx,
    vulnerability_id: uuid.UUID,
    kind: ClockKind,
    channel: Annotated[str, Form(min_length=1, max_length=80)],
    reference: Annotated[str, Form(max_length=120)] = "",
) -> Response:
    body = _form_model(SubmissionCreate, {"channel": channel, "reference": reference})
    service.record_submission(ctx, vulnerability_id, kind, body)
    return _back(vulnerability_id)


@router.post("/{vulnerability_id}/upgrades")
def upgrade(
    ctx: SecurityCtx,
    vulnerability_id: uuid.UUID,
    platform: Annotated[str, Form(min_length=1, max_length=32)],
    fixed_in: Annotated[str, Form(min_length=1, max_length=64)],
    required: Annotated[bool, Form()] = False,
) -> Response:
    """The fix release on a platform; `required` forces the upgrade once the vulnerability is fixed."""
    body = _form_model(UpgradeSet, {"platform": platform, "fixed_in": fixed_in, "required": required})
    service.set_upgrade(ctx, vulnerability_id, body)
    return _back(vulnerability_id)


@router.post("/{vulnerability_id}/notice-campaigns")
def notify_users(
    ctx: SecurityCtx,
    vulnerability_id: uuid.UUID,
    subject_zh: Annotated[str, Form(max_length=90)],
    body_zh: Annotated[str, Form(max_length=2000)],
    channels: Annotated[list[str], Form(max_length=3)],
    audience: Annotated[str, Form(max_length=8)] = "all",
    subject_en: Annotated[str, Form(max_length=100)] = "",
    body_en: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Start a notice campaign; the server sends it in chunks, the table shows its progress."""
    body = _form_model(CampaignCreate, {"channels": channels, "audience": audience, "subject_zh": subject_zh,
                                        "subject_en": subject_en, "body_zh": body_zh, "body_en": body_en})  # fmt: skip
    service.start_campaign(ctx, vulnerability_id, body)
    return _back(vulnerability_id)


@router.post("/{vulnerability_id}/notice-campaigns/{campaign_id}/cancel")
def stop_campaign(ctx: SecurityCtx, vulnerability_id: uuid.UUID, campaign_id: uuid.UUID) -> Response:
    service.cancel_campaign(ctx, campaign_id, vulnerability_id=vulnerability_id)
    return _back(vulnerability_id)


@router.get("/{vulnerability_id}/attachments/{attachment_id}")
def attachment(ctx: SecurityCtx, vulnerability_id: uuid.UUID, attachment_id: uuid.UUID) -> Response:
    """A download, never rendered (octet-stream, attachment disposition, sandboxed CSP)."""
    row = service.get_attachment(ctx, vulnerability_id, attachment_id)
    return attachment_response(row.filename, row.content, sha256=row.sha256)


@router.get("/{vulnerability_id}/csaf.json")
def csaf_download(ctx: SecurityCtx, env: VulnerabilitiesEnvDep, vulnerability_id: uuid.UUID) -> Response:
    """The CSAF 2.0 document as a download (draft until disclosed), validated against the schema."""
    filename, document = service.preview_csaf(ctx, vulnerability_id, base_url=env.public_url.rstrip("/"))
    content = json.dumps(document, ensure_ascii=False, indent=2).encode()
    return attachment_response(filename, content, sha256=hashlib.sha256(content).hexdigest())


@router.get("/{vulnerability_id}/package.json")
@writes  # the export is audited
def package_json(ctx: SecurityCtx, env: VulnerabilitiesEnvDep, vulnerability_id: uuid.UUID) -> Response:
    """The authority report package's JSON as a download (the export is audited)."""
    built = service.build_package(ctx, env, vulnerability_id, pdf=False)
    return _package_download(f"{vulnerability_id}.json", built.json, "application/json")


@router.get("/{vulnerability_id}/package.pdf")
@writes  # the export is audited
def package_pdf(ctx: SecurityCtx, env: VulnerabilitiesEnvDep, vulnerability_id: uuid.UUID) -> Response:
    """The authority report package as the Chinese PDF, a download (the export is audited; 503 without a CJK
    font)."""
    built = service.build_package(ctx, env, vulnerability_id)
    assert built.pdf is not None  # noqa: S101 - asked for with pdf=True
    return _package_download(f"{vulnerability_id}.pdf", built.pdf, "application/pdf")


def _package_download(filename: str, content: bytes, media_type: str) -> Response:
    digest = hashlib.sha256(content).hexdigest()
    return attachment_response(filename, content, sha256=digest, media_type=media_type)


# --- console: security incidents (VUL-07) ---------------------------------------------------------------------------

incidents_router = APIRouter(prefix="/console/incidents", include_in_schema=False)


@incidents_router.get("")
def incidents(
    request: Request,
    ctx: SecurityCtx,
    auth: AuthDep,
    state: Annotated[IncidentState | None, Query()] = None,
    grade: Annotated[IncidentGrade | None, Query()] = None,
    clock: Annotated[ClockStatus | None, Query()] = None,
    after: Annotated[uuid.UUID | None, Query()] = None,
) -> Response:
    """Every app's incidents newest first, filtered by state, grade and report clock, with the next deadline."""
    rows = service.list_incidents(ctx, state=state, grade=grade, clock=clock, limit=PAGE_SIZE + 1, after=after)
    filters = {k: v for k, v in {"state": state, "grade": grade, "clock": clock}.items() if v}
    context = {
        **console_chrome(auth, nav="incidents"), "rows": rows[:PAGE_SIZE], "states": list(IncidentState),
        "grades": list(IncidentGrade), "categories": list(IncidentCategory), "clocks": list(ClockStatus),
        "filters": filters, "after": after,
        "next_cursor": rows[PAGE_SIZE - 1].incident.id if len(rows) > PAGE_SIZE else None,
        "apps": {a.id: a for a in apps.list_apps(ctx, limit=1000)},
    }  # fmt: skip
    return render(request, "vulnerabilities/incidents.html", context=context, block="incidents")


@incidents_router.post("")
def create_incident(
    ctx: SecurityCtx,
    env: VulnerabilitiesEnvDep,
    app_id: Annotated[str, Form(max_length=36)],
    title: Annotated[str, Form(max_length=200)],
    description: Annotated[str, Form(max_length=20000)],
    category: Annotated[str, Form(max_length=24)],
    grade: Annotated[str, Form(max_length=24)],
    detected_at: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Blank `detected_at` means now; otherwise an ISO time with its offset (2026-12-01T09:30+08:00)."""
    body = _form_model(IncidentCreate, {"app_id": app_id, "title": title, "description": description,
                                        "category": category, "grade": grade, "detected_at": detected_at})  # fmt: skip
    return _incident_back(service.create_incident(ctx, env, body).id)


@incidents_router.get("/{incident_id}")
def incident_detail(request: Request, ctx: SecurityCtx, auth: AuthDep, incident_id: uuid.UUID) -> Response:
    """One incident: facts, the report clocks with time left, the timeline, and the team's forms."""
    incident = service.get_incident(ctx, incident_id)
    context = {
        **console_chrome(auth, nav="incidents"), "i": incident, "app": apps.get_app(ctx, incident.app_id),
        "clocks": service.list_clocks(ctx, incident.id, owner=ClockOwner.INCIDENT),
        "timeline": service.list_incident_timeline(ctx, incident.id), "grades": list(IncidentGrade),
    }  # fmt: skip
    return render(request, "vulnerabilities/incident.html", context=context)


def _incident_back(incident_id: uuid.UUID) -> Response:
    return see_other(f"/console/incidents/{incident_id}")


@incidents_router.post("/{incident_id}/grade")
def regrade(ctx: SecurityCtx, incident_id: uuid.UUID, grade: Annotated[IncidentGrade, Form()]) -> Response:
    service.update_incident(ctx, incident_id, IncidentUpdate(grade=grade))
    return _incident_back(incident_id)


@incidents_router.post("/{incident_id}/follow-ups")
def follow_up(
    ctx: SecurityCtx,
    incident_id: uuid.UUID,
    channel: Annotated[str, Form(max_length=80)],
    text: Annotated[str, Form(max_length=20000)],
    reference: Annotated[str, Form(max_length=120)] = "",
) -> Response:
    body = _form_model(FollowUpCreate, {"channel": channel, "text": text, "reference": reference})
    service.add_follow_up(ctx, incident_id, body)
    return _incident_back(incident_id)


@incidents_router.post("/{incident_id}/clocks/{kind}/submission")
def incident_submission(
    ctx: SecurityCtx,
    incident_id: uuid.UUID,
    kind: ClockKind,
    channel: Annotated[str, Form(max_length=80)],
    reference: Annotated[str, Form(max_length=120)] = "",
) -> Response:
    body = _form_model(SubmissionCreate, {"channel": channel, "reference": reference})
    service.record_submission(ctx, incident_id, kind, body, owner=ClockOwner.INCIDENT)
    return _incident_back(incident_id)


@incidents_router.post("/{incident_id}/handled")
def handled(ctx: SecurityCtx, incident_id: uuid.UUID, note: Annotated[str, Form(max_length=5000)] = "") -> Response:
    service.mark_handled(ctx, incident_id, _form_model(IncidentHandled, {"note": note}))
    return _incident_back(incident_id)


@incidents_router.post("/{incident_id}/close")
def close(ctx: SecurityCtx, incident_id: uuid.UUID, note: Annotated[str, Form(max_length=5000)] = "") -> Response:
    """Refused (409 problem) until the summary report, and any initial report, is recorded as submitted."""
    service.close_incident(ctx, incident_id, _form_model(IncidentClose, {"note": note}))
    return _incident_back(incident_id)
