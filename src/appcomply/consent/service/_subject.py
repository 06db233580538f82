"""Performing data-subject requests across modules: the export of everything held about a user, withdrawal of
every standing consent, erasure keeping only what a law requires, and the bilingual outcome of each."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import delete, select

from appcomply import accounts, agreements, identity, notices
from appcomply.consent import rules
from appcomply.consent.models import ConsentEvent, ConsentProfile, DataRequest
from appcomply.consent.service._ledger import _append, user_states
from appcomply.kernel.context import Ctx

EXPORT_FORMAT: Final = "appcomply.dsr-export/1"

# What each module keeps after an erasure and why, in Chinese (the modules' own lines are the English).
KEPT_ZH: Final = {
    "accounts": "账号记录（仅无意义的标识、状态和日期），使以下去标识化的证据对应同一主体",
    "identity": "实名核验记录（不含任何身份信息：仅方式、结果、服务商流水号和时间），作为履行真实身份认证义务的证据"
    "（《移动互联网应用程序信息服务管理规定》第六条；《网络安全法》第二十四条）",
    "agreements": "协议同意记录（不含 IP 地址：仅版本、文本哈希、渠道和时间），作为合同与告知的证据"
    "（《民法典》第四百九十六条；《个人信息保护法》第十七条）",
    "notices": "通知记录（不含接收人和正文：仅渠道、标题、状态和时间），作为已履行告知的记录",
    "consent": "同意记录（去标识化：处理活动、选择、隐私政策版本、渠道和时间），作为取得同意的证明"
    "（《个人信息保护法》第十三至十五条）；本请求及其结果，作为已响应权利请求的记录（第五十条）",
    "audit": "审计日志原样保留（不含明文个人信息），网络日志依法留存不少于六个月（《网络安全法》第二十一条）",
}
CONSENT_KEPT: Final = (
    "consent: the consent ledger, pseudonymised (activity, answer, privacy-policy version, channel, times), as proof "
    "of consent (PIPL Arts 13–15); the data-subject requests and their outcomes without the user's own words, as "
    "the record that the rights were honoured (PIPL Art 50)"
)
AUDIT_KEPT: Final = (
    "audit: the audit log, unchanged: it holds no clear personal information, and network logs must be kept at "
    "least six months (Cybersecurity Law Art 21)"
)
KIND_ZH: Final = {
    rules.RequestKind.ACCESS: "查阅", rules.RequestKind.COPY: "复制", rules.RequestKind.CORRECTION: "更正",
    rules.RequestKind.DELETION: "删除", rules.RequestKind.WITHDRAWAL: "撤回同意",
    rules.RequestKind.CANCELLATION: "注销账号", rules.RequestKind.EXPLANATION: "解释说明",
    rules.RequestKind.PORTABILITY: "转移",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Outcome:
    code: str
    zh: str
    en: str
    subject: str = "您的个人信息请求已处理 / Your personal-information request has been handled"


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


# --- export ---------------------------------------------------------------------------------------------------------


def _event(e: ConsentEvent) -> dict[str, Any]:
    return {
        "id": str(e.id), "subject": e.subject, "activity_key": e.activity_key, "separate": e.separate,
        "action": e.action, "policy_version_id": str(e.policy_version_id),
        "policy_version_number": e.policy_version_number, "channel": e.channel, "client_time": _iso(e.client_time),
        "guardian_user_id": str(e.guardian_user_id) if e.guardian_user_id else None, "recorded_at": _iso(e.recorded_at),
    }  # fmt: skip


def _consent(ctx: Ctx, user_id: uuid.UUID) -> dict[str, Any]:
    states = sorted(user_states(ctx, user_id).values(), key=lambda s: s.subject)
    own = select(ConsentEvent).where(ConsentEvent.user_id == user_id).order_by(ConsentEvent.id)
    as_guardian = select(ConsentEvent).where(ConsentEvent.guardian_user_id == user_id).order_by(ConsentEvent.id)
    profile = ctx.session.get(ConsentProfile, user_id)
    return {
        "current": [{"subject": s.subject, "action": s.action, "updated_at": _iso(s.updated_at)} for s in states],
        "history": [_event(e) for e in ctx.session.scalars(own)],
        "given_as_guardian": [_event(e) for e in ctx.session.scalars(as_guardian)],
        "declared_age": profile.declared_age if profile else None,
        "declared_on": _iso(profile.declared_on) if profile else None,
    }


def _requests(ctx: Ctx, user_id: uuid.UUID) -> list[dict[str, Any]]:
    stmt = select(DataRequest).where(DataRequest.user_id == user_id).order_by(DataRequest.id)
    return [
        {"id": str(r.id), "kind": r.kind, "status": r.status, "details": r.details, "received_at": _iso(r.received_at),
         "due_on": _iso(r.due_on), "outcome_code": r.outcome_code, "closed_at": _iso(r.closed_at)}
        for r in ctx.session.scalars(stmt)
    ]  # fmt: skip


def build_export(ctx: Ctx, user: accounts.EndUser, *, request_id: uuid.UUID) -> dict[str, Any]:
    """Everything held about the user across modules, as JSON. Identity values appear masked only: no module
    hands out a sealed value, an index or a clear identifier."""
    return {
        "format": EXPORT_FORMAT, "generated_at": ctx.clock.now().isoformat(), "request_id": str(request_id),
        "app_id": str(user.app_id), "user_id": str(user.id),
        "account": accounts.export_user(ctx, user.id), "identity": identity.export_user(ctx, user.id),
        "consent": _consent(ctx, user.id), "agreements": agreements.export_user(ctx, user.id),
        "notices": notices.export_user(ctx, user.id), "data_requests": _requests(ctx, user.id),
    }  # fmt: skip


# --- withdrawal and erasure -----------------------------------------------------------------------------------------


def withdraw_standing(ctx: Ctx, user: accounts.EndUser) -> list[str]:
    """Append a withdrawal for every standing grant (the guardian's consent included), through the ledger.

    Each withdrawal cites the policy version and channel of the grant it withdraws: it answers that consent.
    """
    withdrawn = []
    for subject, state in sorted(user_states(ctx, user.id).items()):
        if state.action != rules.ConsentAction.GRANTED.value:
            continue
        grant = ctx.session.get_one(ConsentEvent, state.event_id)
        policy = agreements.PolicyVersionRef(grant.policy_version_id, grant.policy_version_number, text_sha256="")
        _append(
            ctx, user, subject=subject, action=rules.ConsentAction.WITHDRAWN, policy=policy, channel=grant.channel,
            client_time=ctx.clock.now(), activity_key=grant.activity_key,
            separate=rules.SeparateConsent(grant.separate) if grant.separate else None,
        )  # fmt: skip
        withdrawn.append(subject)
    return withdrawn


def erase_everywhere(ctx: Ctx, user: accounts.EndUser, *, cancel: bool) -> list[str]:
    """Erase or anonymise the user in every module, keeping only what a law requires; returns what was kept.

    Standing grants are withdrawn first, so no check allows processing the erased user's PI on consent.
    """
    withdraw_standing(ctx, user)
    kept = identity.erase_user(ctx, user.id)
    kept += agreements.erase_user(ctx, user.id)
    kept += notices.erase_user(ctx, user.id)
    ctx.session.execute(delete(ConsentProfile).where(ConsentProfile.user_id == user.id))
    for row in ctx.session.scalars(select(DataRequest).where(DataRequest.user_id == user.id)):
        row.details = ""
    kept.append(CONSENT_KEPT)
    kept += accounts.erase_user(ctx, user.id, cancel=cancel)
    kept.append(AUDIT_KEPT)
    return kept


# --- outcomes -------------------------------------------------------------------------------------------------------


def _with_note(zh: str, en: str, note: str) -> tuple[str, str]:
    return (f"{zh}\n说明：{note}", f"{en}\nNote: {note}") if note.strip() else (zh, en)


def exported_outcome(kind: rules.RequestKind, note: str) -> Outcome:
    zh, en = _with_note(
        f"您的{KIND_ZH[kind]}请求已完成：我们持有的关于您的全部个人信息已汇总为一份导出文件（身份信息仅以遮盖形式出现），"
        "可通过应用查看或下载。",
        f"Your {kind.value} request is complete: everything we hold about you is in one export (identity data "
        "masked), available through the app.",
        note,
    )
    return Outcome("consent.request.exported", zh, en)


def withdrawn_outcome(subjects: list[str], note: str) -> Outcome:
    listed = ", ".join(subjects) or "—"
    zh, en = _with_note(
        f"您的撤回同意请求已完成：已撤回 {len(subjects)} 项同意（{listed}）。撤回不影响撤回前基于同意已进行的处理。",
        f"Your withdrawal is complete: {len(subjects)} consent(s) withdrawn ({listed}). Processing before the "
        "withdrawal stays lawful (PIPL Art 15).",
        note,
    )
    return Outcome("consent.request.withdrawn", zh, en)


def erased_outcome(kind: rules.RequestKind, kept: list[str], note: str) -> Outcome:
    modules = [line.split(":", 1)[0] for line in kept]
    kept_zh = "\n".join(f"- {KEPT_ZH[m]}" for m in dict.fromkeys(modules) if m in KEPT_ZH)
    kept_en = "\n".join(f"- {line}" for line in kept)
    cancelled = kind is rules.RequestKind.CANCELLATION
    done_zh = "您的账号已注销，个人信息已删除或匿名化" if cancelled else "您的个人信息已删除或匿名化"
    done_en = (
        "Your account is cancelled and your personal information deleted or anonymised"
        if cancelled
        else "Your personal information is deleted or anonymised"
    )
    zh, en = _with_note(
        f"{done_zh}。以下记录依法保留：\n{kept_zh}",
        f"{done_en}. Kept only because a law requires it:\n{kept_en}",
        note,
    )
    code = "consent.request.cancelled" if kind is rules.RequestKind.CANCELLATION else "consent.request.erased"
    return Outcome(code, zh, en)


def answered_outcome(note: str) -> Outcome:
    return Outcome("consent.request.answered", f"您的请求已处理：{note}", f"Your request has been handled: {note}")


def rejected_outcome(reason: str) -> Outcome:
    return Outcome(
        "consent.request.rejected",
        f"您的请求未予办理，理由：{reason}\n如有异议，可向履行个人信息保护职责的部门投诉、举报。",
        f"Your request was not granted. Reasons: {reason}\nYou may complain to the authority responsible for "
        "personal-information protection (PIPL Art 50).",
        subject="您的个人信息请求未予办理 / Your personal-information request was not granted",
    )
