"""HTML of the consent module: the public PI collection and sharing lists (CPI-08, no login, Chinese first) and the
console's processing-map editor, forced-consent findings, per-user ledger browser and data-subject requests board."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from pydantic import ValidationError

from appcomply import accounts, apps
from appcomply.apps.rules import load_catalogue
from appcomply.consent import errors, rules, service
from appcomply.consent.schemas import ActivityBody, ActivityCreate, ActivityRead, RecipientModel
from appcomply.kernel.actor import Role
from appcomply.kernel.context import Ctx
from appcomply.web.deps import ServicesDep
from appcomply.web.security import Auth, AuthDep, Guard, PublicCtx, console_chrome
from appcomply.web.templating import render, see_other

router = APIRouter(prefix="/console", include_in_schema=False)
public_router = APIRouter(prefix="/p", include_in_schema=False)

ReaderCtx = Annotated[Ctx, Depends(Guard(Role.COMPLIANCE, Role.REVIEWER))]
ComplianceCtx = Annotated[Ctx, Depends(Guard(Role.COMPLIANCE))]
Lang = Annotated[Literal["zh_CN", "en"], Query()]

PUBLIC_LABELS: Final[dict[str, dict[str, str]]] = {
    "zh_CN": {
        "collected": "个人信息收集清单", "shared": "第三方共享个人信息清单", "item": "个人信息", "purpose": "使用目的",
        "feature": "业务功能", "necessity": "是否必要", "necessary": "基本功能必要", "optional": "可选（需您同意）",
        "basis": "处理依据", "retention": "保存期限", "sensitive": "敏感", "recipient": "接收方", "kind": "类型",
        "items": "共享的个人信息", "cross_border": "出境", "none": "暂无。", "switch": "English", "policy": "隐私政策",
        "yes": "是", "no": "否",
    },
    "en": {
        "collected": "Personal information we collect", "shared": "Personal information shared with third parties",
        "item": "Personal information", "purpose": "Purpose", "feature": "Feature", "necessity": "Necessity",
        "necessary": "Necessary for the basic function", "optional": "Optional (needs your consent)",
        "basis": "Legal basis", "retention": "Retention", "sensitive": "sensitive", "recipient": "Recipient",
        "kind": "Kind", "items": "Information shared", "cross_border": "Leaves China", "none": "None.",
        "switch": "中文", "policy": "Privacy policy", "yes": "Yes", "no": "No",
    },
}  # fmt: skip
BASIS_LABELS: Final = {
    rules.LegalBasis.CONSENT: ("个人同意", "Consent"),
    rules.LegalBasis.CONTRACT: ("订立、履行合同所必需", "Necessary for the contract"),
    rules.LegalBasis.LEGAL_DUTY: ("履行法定职责或义务", "Legal duty"),
    rules.LegalBasis.EMERGENCY: ("应对突发公共卫生事件或紧急情况", "Emergency"),
    rules.LegalBasis.NEWS_PUBLIC_INTEREST: ("新闻报道、舆论监督", "News reporting in the public interest"),
    rules.LegalBasis.PUBLIC_INFORMATION: ("已合法公开的信息", "Lawfully published information"),
    rules.LegalBasis.OTHER_LAW: ("法律、行政法规规定的其他情形", "Other cases provided by law"),
}  # fmt: skip


# --- public lists ---------------------------------------------------------------------------------------------------


def _public(request: Request, ctx: Ctx, app_slug: str, lang: str, page: Literal["collected", "shared"]) -> Response:
    app = apps.get_app_by_slug(ctx, app_slug)
    models = [service.read_model(r, app.app_types) for r in service.list_activities(ctx, app.id)]
    context = {
        "app": app, "lang": lang, "labels": PUBLIC_LABELS[lang], "page": page, "pi": rules.load_pi_catalogue(),
        "rows": _collected(models) if page == "collected" else _shared(models), "basis_labels": BASIS_LABELS,
        "path": f"/p/{app.slug}/privacy/{page}",
    }  # fmt: skip
    return render(
        request, "consent/public_list.html", context=context, headers={"Cache-Control": "public, max-age=300"}
    )


def _collected(models: list[ActivityRead]) -> list[dict[str, Any]]:
    """One row per PI item and activity: what, why, for which feature, whether necessary, on what basis."""
    rows = [
        {
            "item": item,
            "purpose": m.purpose,
            "feature": m.feature,
            "necessary": item in m.necessary_items,
            "basis": m.effective_basis,
            "retention": m.retention,
        }
        for m in models
        for item in m.pi_items
    ]
    return sorted(rows, key=lambda r: (not r["necessary"], r["feature"], r["item"]))


def _shared(models: list[ActivityRead]) -> list[dict[str, Any]]:
    return [{"recipient": r, "feature": m.feature} for m in models for r in m.recipients]


@public_router.get("/{app_slug}/privacy/collected")
def public_collected(request: Request, ctx: PublicCtx, app_slug: str, lang: Lang = "zh_CN") -> Response:
    """The PI collection list, generated from the processing map (CPI-08)."""
    return _public(request, ctx, app_slug, lang, "collected")


@public_router.get("/{app_slug}/privacy/shared")
def public_shared(request: Request, ctx: PublicCtx, app_slug: str, lang: Lang = "zh_CN") -> Response:
    """The third-party sharing list (recipients and SDKs), generated from the processing map (CPI-08)."""
    return _public(request, ctx, app_slug, lang, "shared")


# --- console --------------------------------------------------------------------------------------------------------


def _chrome(auth: Auth, app_slug: str) -> dict[str, Any]:
    return {**console_chrome(auth, nav="consent"), "app_slug": app_slug}


@router.get("/apps/{slug}/processing")
def processing_map(request: Request, ctx: ReaderCtx, auth: AuthDep, slug: str) -> Response:
    """The processing map with its derived facts, the findings, and the editor."""
    app = apps.get_app_by_slug(ctx, slug)
    catalogue = load_catalogue()
    context = {
        **_chrome(auth, app.slug), "app": app,
        "activities": [service.read_model(r, app.app_types) for r in service.list_activities(ctx, app.id)],
        "findings": service.analyse_app(ctx, app.id), "pi": rules.load_pi_catalogue(),
        "app_types": [catalogue.get(code) for code in app.app_types], "bases": list(rules.LegalBasis),
        "basis_labels": BASIS_LABELS, "separate_kinds": list(rules.SeparateConsent),
        "recipient_kinds": list(rules.RecipientKind),
        "can_edit": auth.actor.has_any_role(frozenset({Role.COMPLIANCE})),
    }  # fmt: skip
    return render(request, "consent/processing.html", context=context)


def _recipients(text: str) -> list[RecipientModel]:
    """Recipients typed one per line: `name | kind | purpose | items separated by spaces | disclosed | cross-border`
    (the last two `yes` or `no`)."""
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) != 6:
            raise errors.InvalidRecipients(f"recipient line {number}: expected 6 fields separated by |", line=number)
        name, kind, purpose, items, disclosed, cross = parts
        try:
            out.append(RecipientModel(
                name=name, kind=rules.RecipientKind(kind), purpose=purpose, pi_items=items.split(),
                disclosed=disclosed.lower() in {"yes", "y", "是"}, cross_border=cross.lower() in {"yes", "y", "是"},
            ))  # fmt: skip
        except (ValueError, ValidationError):
            raise errors.InvalidRecipients(f"recipient line {number} is not valid", line=number) from None
    return out


@router.post("/apps/{slug}/processing")
def save_activity(
    ctx: ComplianceCtx,
    slug: str,
    key: Annotated[str, Form(min_length=1, max_length=64)],
    feature: Annotated[str, Form(min_length=1, max_length=200)],
    purpose: Annotated[str, Form(min_length=1, max_length=2000)],
    basis: Annotated[rules.LegalBasis, Form()],
    retention: Annotated[str, Form(min_length=1, max_length=200)],
    pi_items: Annotated[list[str], Form()],
    basic_type: Annotated[str, Form(max_length=3)] = "",
    choice: Annotated[str, Form(max_length=64)] = "",
    separate: Annotated[list[rules.SeparateConsent] | None, Form()] = None,
    recipients: Annotated[str, Form(max_length=20_000)] = "",
    replace: Annotated[bool, Form()] = False,
) -> Response:
    """Add an activity, or rewrite it (`replace`); every refusal is shown as a problem and nothing is saved."""
    app = apps.get_app_by_slug(ctx, slug)
    fields = {
        "feature": feature, "purpose": purpose, "pi_items": pi_items, "basis": basis, "retention": retention,
        "basic_type": int(basic_type) if basic_type.isdigit() else None, "choice": choice.strip() or None,
        "separate": separate or [], "recipients": _recipients(recipients),
    }  # fmt: skip
    try:
        if replace:
            service.replace_activity(ctx, app.id, key, ActivityBody(**fields))
        else:
            service.create_activity(ctx, app.id, ActivityCreate(key=key, **fields))
    except ValidationError as exc:
        raise errors.InvalidActivity(f"the activity is not valid: {exc.errors()[0]['msg']}") from None
    return see_other(f"/console/apps/{slug}/processing")


@router.post("/apps/{slug}/processing/{key}/archive")
def archive(ctx: ComplianceCtx, slug: str, key: str) -> Response:
    app = apps.get_app_by_slug(ctx, slug)
    service.archive_activity(ctx, app.id, key)
    return see_other(f"/console/apps/{slug}/processing")


@router.get("/users/{user_id}/consents")
def user_consents(request: Request, ctx: ReaderCtx, auth: AuthDep, user_id: uuid.UUID) -> Response:
    """One user's ledger: the current answer per subject, the history, and each activity's decision now."""
    user = accounts.get_user(ctx, user_id)
    app = apps.get_app(ctx, user.app_id)
    states, events = service.list_consents(ctx, user.id, limit=200)
    context = {
        **_chrome(auth, app.slug), "app": app, "user": user, "states": states, "events": events,
        "permissions": service.get_permissions(ctx, user.id), "age": service.user_age(ctx, user),
    }  # fmt: skip
    return render(request, "consent/user_consents.html", context=context)


@router.get("/apps/{slug}/data-requests")
def data_requests(
    request: Request,
    ctx: ReaderCtx,
    auth: AuthDep,
    services: ServicesDep,
    slug: str,
    status: Annotated[rules.RequestStatus | None, Query()] = None,
) -> Response:
    """The requests board: kind, status, received, due date and working days left (overdue first to the eye)."""
    app = apps.get_app_by_slug(ctx, slug)
    calendar = service.work_calendar(services.settings.consent)
    now = ctx.clock.now()
    rows = [
        {"row": r, "left": calendar.days_left(now, r.due_on), "open": r.closed_at is None}
        for r in service.list_requests(ctx, app_id=app.id, status=status, limit=200)
    ]
    context = {
        **_chrome(auth, app.slug), "app": app, "rows": rows, "statuses": list(rules.RequestStatus), "status": status,
        "can_close": auth.actor.has_any_role(frozenset({Role.COMPLIANCE})),
        "closable": {rules.RequestStatus.IN_PROGRESS.value}, "rejectable": {
            s.value for s, targets in rules.REQUEST_TRANSITIONS.items() if rules.RequestStatus.REJECTED in targets
        },
    }  # fmt: skip
    return render(request, "consent/requests.html", context=context)


@router.post("/apps/{slug}/data-requests/{request_id}/completion")
def complete_request(
    ctx: ComplianceCtx, slug: str, request_id: uuid.UUID, note: Annotated[str, Form(max_length=2000)] = ""
) -> Response:
    app = apps.get_app_by_slug(ctx, slug)
    _own(ctx, app.id, request_id)
    service.complete_request(ctx, request_id, note=note.strip())
    return see_other(f"/console/apps/{slug}/data-requests")


@router.post("/apps/{slug}/data-requests/{request_id}/rejection")
def reject_request(
    ctx: ComplianceCtx, slug: str, request_id: uuid.UUID, note: Annotated[str, Form(min_length=1, max_length=2000)]
) -> Response:
    app = apps.get_app_by_slug(ctx, slug)
    _own(ctx, app.id, request_id)
    service.reject_request(ctx, request_id, reason=note.strip())
    return see_other(f"/console/apps/{slug}/data-requests")


def _own(ctx: Ctx, app_id: uuid.UUID, request_id: uuid.UUID) -> None:
    """A request is closed from its own app's board only: a forged form cannot close another app's request."""
    if service.get_request(ctx, request_id).app_id != app_id:
        raise errors.RequestNotFound("no such request in this app", request_id=str(request_id))
