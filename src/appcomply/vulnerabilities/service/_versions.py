"""App versions and forced upgrades (VUL-04): the releases per platform, the release that fixes a vulnerability,
the precomputed policy the version check reads, the versions users run, and how many still run affected ones.

The version check is on the app's request path: it reads one primary-key row (`app_version_policies`), kept
current in the transaction of every change that affects it (a release, a fix link, a vulnerability's state, the
manual minimum).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final

from packaging.version import Version
from sqlalchemy import Uuid, bindparam, func, select
from sqlalchemy.exc import IntegrityError

from appcomply import accounts, apps, audit
from appcomply.db.cache import AppCache
from appcomply.kernel.context import Ctx
from appcomply.kernel.ids import new_id
from appcomply.vulnerabilities import rules
from appcomply.vulnerabilities.errors import (
    AppVersionExists,
    AppVersionNotFound,
    UpgradeNotApplicable,
)
from appcomply.vulnerabilities.events import VulnerabilitiesEvent
from appcomply.vulnerabilities.models import AppVersion, UpgradeLink, UserAppVersion, VersionPolicy, Vulnerability
from appcomply.vulnerabilities.rules import UpgradeStatus
from appcomply.vulnerabilities.schemas import (
    AppVersionCreate,
    ExposureRead,
    ExposureRow,
    StatusReason,
    UpgradeReason,
    UpgradeSet,
    UserVersionRead,
    UserVersionSet,
    VersionPolicySet,
    VersionStatusRead,
)
from appcomply.vulnerabilities.service._intake import ref
from appcomply.vulnerabilities.service._queries import get_vulnerability

_POLICY: Final = VersionPolicy.__table__


def _policy_ref(app_id: uuid.UUID, platform: str) -> audit.Subject:
    return audit.Subject("version_policy", f"{app_id}:{platform}")


# --- releases -------------------------------------------------------------------------------------------------------


def register_version(ctx: Ctx, app_id: uuid.UUID, body: AppVersionCreate) -> AppVersion:
    """A release of the app on a platform. VersionInvalid, AppVersionExists, AppNotFound (an app key: only its own).
    Emits vulnerabilities.app_version.registered."""
    apps.get_app(ctx, app_id)
    version = str(rules.parse_version(body.version))
    now = ctx.clock.now()
    row = AppVersion(
        id=new_id(), app_id=app_id, platform=body.platform, version=version,
        released_at=body.released_at or now, notes=body.notes or None, created_at=now,
    )  # fmt: skip
    try:
        with ctx.session.begin_nested():
            ctx.session.add(row)
            ctx.session.flush()
    except IntegrityError:
        raise AppVersionExists(
            f"{body.platform} {version} is already registered", platform=body.platform, version=version
        ) from None
    recompute_policy(ctx, app_id, body.platform)
    data = {"platform": body.platform, "version": version}
    audit.record(ctx, VulnerabilitiesEvent.VERSION_REGISTERED, subject=audit.Subject("app_version", str(row.id)),
                 app_id=app_id, data=data)  # fmt: skip
    return row


def list_versions(
    ctx: Ctx, app_id: uuid.UUID, *, platform: str | None = None, limit: int = 50, after: uuid.UUID | None = None
) -> list[AppVersion]:
    """Newest registration first."""
    apps.get_app(ctx, app_id)
    stmt = select(AppVersion).where(AppVersion.app_id == app_id).order_by(AppVersion.id.desc()).limit(limit)
    if platform is not None:
        stmt = stmt.where(AppVersion.platform == platform)
    if after is not None:
        stmt = stmt.where(AppVersion.id < after)
    return list(ctx.session.scalars(stmt))


# --- fixes and the policy --------------------------------------------------------------------------------------------


def set_upgrade(ctx: Ctx, vulnerability_id: uuid.UUID, body: UpgradeSet) -> UpgradeLink:
    """Name the release that fixes the vulnerability on a platform (registered: AppVersionNotFound) and whether
    users must upgrade. A release inside an affected range fixes nothing: UpgradeNotApplicable. The policy changes
    at once if the vulnerability is fixed or disclosed, else when it gets there. Emits vulnerabilities.upgrade.set."""
    vuln = get_vulnerability(ctx, vulnerability_id)
    fixed_in = rules.parse_version(body.fixed_in)
    registered = ctx.session.scalar(
        select(AppVersion.id).where(
            AppVersion.app_id == vuln.app_id, AppVersion.platform == body.platform, AppVersion.version == str(fixed_in)
        )
    )
    if registered is None:
        raise AppVersionNotFound(
            f"{body.platform} {fixed_in} is not a registered release of this app (POST /v1/apps/{{app_id}}/versions)",
            platform=body.platform, version=str(fixed_in),
        )  # fmt: skip
    for affected in vuln.affected_versions:
        if affected["platform"] == body.platform and rules.in_range(fixed_in, affected["range"]):
            raise UpgradeNotApplicable(
                f"{fixed_in} is inside the affected range {affected['range']}: it cannot be the fix",
                range=affected["range"],
            )
    now = ctx.clock.now()
    link = ctx.session.scalars(
        select(UpgradeLink).where(UpgradeLink.vulnerability_id == vuln.id, UpgradeLink.platform == body.platform)
    ).first()
    if link is None:
        link = UpgradeLink(id=new_id(), vulnerability_id=vuln.id, app_id=vuln.app_id, platform=body.platform,
                           created_at=now)  # fmt: skip
        ctx.session.add(link)
    link.fixed_in = str(fixed_in)
    link.required = body.required
    link.updated_at = now
    ctx.session.flush()
    recompute_policy(ctx, vuln.app_id, body.platform)
    data = {"platform": body.platform, "fixed_in": link.fixed_in, "required": body.required}
    audit.record(ctx, VulnerabilitiesEvent.UPGRADE_SET, subject=ref(vuln), app_id=vuln.app_id, data=data)
    return link


def list_upgrades(ctx: Ctx, vulnerability_id: uuid.UUID) -> list[UpgradeLink]:
    vuln = get_vulnerability(ctx, vulnerability_id)
    stmt = select(UpgradeLink).where(UpgradeLink.vulnerability_id == vuln.id).order_by(UpgradeLink.platform)
    return list(ctx.session.scalars(stmt))


def set_manual_minimum(ctx: Ctx, app_id: uuid.UUID, platform: str, body: VersionPolicySet) -> VersionPolicy:
    """A minimum version by hand (null lifts it), with the reason users are shown. VersionInvalid, AppNotFound.
    Emits vulnerabilities.version_policy.set."""
    apps.get_app(ctx, app_id)
    minimum = str(rules.parse_version(body.minimum_version)) if body.minimum_version else None
    policy = _policy_row(ctx, app_id, platform)
    policy.manual_minimum = minimum
    policy.manual_reason = body.reason if minimum else None
    recompute_policy(ctx, app_id, platform)
    data = {"platform": platform, "manual_minimum": minimum}
    audit.record(ctx, VulnerabilitiesEvent.POLICY_SET, subject=_policy_ref(app_id, platform), app_id=app_id, data=data)
    return policy


def get_policy(ctx: Ctx, app_id: uuid.UUID, platform: str) -> VersionPolicy:
    apps.get_app(ctx, app_id)
    return _policy_row(ctx, app_id, platform)


def _policy_row(ctx: Ctx, app_id: uuid.UUID, platform: str) -> VersionPolicy:
    policy = ctx.session.get(VersionPolicy, (app_id, platform))
    if policy is None:
        policy = VersionPolicy(app_id=app_id, platform=platform, reasons=[], updated_at=ctx.clock.now())
        ctx.session.add(policy)
    return policy


def recompute_policy(ctx: Ctx, app_id: uuid.UUID, platform: str) -> VersionPolicy:
    """Bring the platform's policy up to date: the latest release, and the minimums that the fixes of fixed or
    disclosed vulnerabilities require or recommend, plus the manual minimum. Called in the changing transaction."""
    policy = _policy_row(ctx, app_id, platform)
    releases = ctx.session.scalars(
        select(AppVersion.version).where(AppVersion.app_id == app_id, AppVersion.platform == platform)
    ).all()
    links = ctx.session.execute(
        select(UpgradeLink, Vulnerability)
        .join(Vulnerability, Vulnerability.id == UpgradeLink.vulnerability_id)
        .where(
            UpgradeLink.app_id == app_id,
            UpgradeLink.platform == platform,
            Vulnerability.state.in_([s.value for s in rules.UPGRADE_STATES]),
        )
    ).all()
    reasons: list[dict[str, Any]] = [
        {"vulnerability_id": str(v.id), "title": v.title, "severity": v.severity, "fixed_in": link.fixed_in,
         "required": link.required}
        for link, v in links
    ]  # fmt: skip
    if policy.manual_minimum:
        reasons.append({"vulnerability_id": None, "title": policy.manual_reason or "", "severity": None,
                        "fixed_in": policy.manual_minimum, "required": True})  # fmt: skip
    policy.latest_version = rules.highest(releases)
    policy.minimum_required = rules.highest(r["fixed_in"] for r in reasons if r["required"])
    recommended = rules.highest(r["fixed_in"] for r in reasons)
    policy.minimum_recommended = recommended
    policy.reasons = sorted(reasons, key=lambda r: rules.parse_version(r["fixed_in"]), reverse=True)
    policy.updated_at = ctx.clock.now()
    ctx.session.flush()
    return policy


def recompute_for_vulnerability(ctx: Ctx, vuln: Vulnerability) -> None:
    """After a vulnerability's state changed: the policies of the platforms it has fix links on."""
    platforms = ctx.session.scalars(select(UpgradeLink.platform).where(UpgradeLink.vulnerability_id == vuln.id)).all()
    for platform in platforms:
        recompute_policy(ctx, vuln.app_id, platform)


# --- the check on the app's request path -----------------------------------------------------------------------------

_MESSAGES: Final = {
    UpgradeStatus.REQUIRED: (
        "当前版本存在已修复的安全问题，必须升级到 {v} 或更高版本后才能继续使用。",
        "This version has a security issue that is fixed in {v}: upgrade to {v} or later to continue.",
    ),
    UpgradeStatus.RECOMMENDED: (
        "新版本 {v} 修复了安全问题，建议尽快升级。",
        "Version {v} fixes a security issue: please upgrade soon.",
    ),
}


@dataclass(frozen=True, slots=True)
class _Policy:
    """A platform's policy as the version check reads it; the reasons with their parsed versions, newest first."""

    required: str | None
    recommended: str | None
    latest: str | None
    reasons: tuple[tuple[Version, UpgradeReason], ...]


# Every platform's policy of an app, per process: the check on every app start then reads no database. A change in this
# process is seen at once, one made by another worker within a second (db/cache.py); a forced upgrade waits that long.
_POLICIES: Final = AppCache[Mapping[str, _Policy]](VersionPolicy)
_APP_POLICIES: Final = select(
    _POLICY.c.platform, _POLICY.c.minimum_required, _POLICY.c.minimum_recommended, _POLICY.c.latest_version,
    _POLICY.c.reasons,
).where(_POLICY.c.app_id == bindparam("app_id", type_=Uuid()))  # fmt: skip


def _load_policies(ctx: Ctx, app_id: uuid.UUID) -> Mapping[str, _Policy]:
    rows = ctx.session.connection().execute(_APP_POLICIES, {"app_id": app_id})
    return MappingProxyType({
        platform: _Policy(required, recommended, latest, tuple(
            (rules.parse_version(r["fixed_in"]), UpgradeReason(**r)) for r in reasons
        ))
        for platform, required, recommended, latest, reasons in rows
    })  # fmt: skip


def version_status(ctx: Ctx, *, platform: str, version: str) -> VersionStatusRead:
    """What the calling app should do for a user on `platform` `version`: from the app's policies in memory, or one
    read of them. An app (API key) only; a platform with no policy is ok. VersionInvalid."""
    parsed = rules.parse_version(version)
    app_id = ctx.actor.app_id
    assert app_id is not None  # noqa: S101 - the route admits app keys only
    policies = _POLICIES.get(ctx.session, app_id, lambda: _load_policies(ctx, app_id))
    return _status(policies.get(platform), parsed, platform=platform, version=version)


def version_status_in_memory(app_id: uuid.UUID, *, platform: str, version: str) -> VersionStatusRead | None:
    """`version_status` while this process holds the app's policies (no database, no session), else None."""
    policies = _POLICIES.peek(app_id)
    if policies is None:
        return None
    return _status(policies.get(platform), rules.parse_version(version), platform=platform, version=version)


def _status(policy: _Policy | None, parsed: Version, *, platform: str, version: str) -> VersionStatusRead:
    if policy is None:
        return VersionStatusRead(status="ok", platform=platform, version=version, minimum_version=None,
                                 recommended_version=None, latest_version=None, reason=None)  # fmt: skip
    required, recommended = policy.required, policy.recommended
    status = rules.upgrade_status(parsed, minimum_required=required, minimum_recommended=recommended)
    reason = None
    if status is not UpgradeStatus.OK:
        target = required if status is UpgradeStatus.REQUIRED else recommended
        applying = [r for fixed_in, r in policy.reasons if parsed < fixed_in]
        code = "vulnerability_fixed" if any(r.vulnerability_id for r in applying) else "minimum_version"
        zh, en = _MESSAGES[status]
        reason = StatusReason(code=code, message_zh=zh.format(v=target), message_en=en.format(v=target),
                              vulnerabilities=applying)  # fmt: skip
    return VersionStatusRead(status=status.value, platform=platform, version=version, minimum_version=required,
                             recommended_version=recommended, latest_version=policy.latest, reason=reason)  # fmt: skip


# --- users' versions -------------------------------------------------------------------------------------------------


def report_user_version(ctx: Ctx, user_id: uuid.UUID, body: UserVersionSet) -> UserVersionRead:
    """The version a user runs on a platform, as the app saw it (an app key sees only its users: UserNotFound).
    Audited when it changes, not on every report. VersionInvalid."""
    user = accounts.get_user(ctx, user_id)
    parsed = rules.parse_version(body.version)
    now = ctx.clock.now()
    row = ctx.session.get(UserAppVersion, (user.id, body.platform))
    changed = row is None or row.version != str(parsed)
    if row is None:
        row = UserAppVersion(user_id=user.id, platform=body.platform, app_id=user.app_id, version=str(parsed),
                             reported_at=now)  # fmt: skip
        ctx.session.add(row)
    row.version = str(parsed)
    row.reported_at = now
    ctx.session.flush()
    if changed:
        audit.record(ctx, VulnerabilitiesEvent.USER_VERSION_REPORTED, subject=audit.Subject("user", str(user.id)),
                     app_id=user.app_id, data={"platform": body.platform, "version": row.version})  # fmt: skip
    policy = ctx.session.get(VersionPolicy, (user.app_id, body.platform))
    status = (
        rules.upgrade_status(parsed, minimum_required=policy.minimum_required,
                             minimum_recommended=policy.minimum_recommended)
        if policy is not None else UpgradeStatus.OK
    )  # fmt: skip
    return UserVersionRead(user_id=user.id, platform=row.platform, version=row.version, reported_at=row.reported_at,
                           status=status.value)  # fmt: skip


def exposure(ctx: Ctx, vulnerability_id: uuid.UUID) -> ExposureRead:
    """How many users last reported a version inside each affected range (one grouped read per platform)."""
    vuln = get_vulnerability(ctx, vulnerability_id)
    rows = []
    platforms = sorted({a["platform"] for a in vuln.affected_versions})
    counts: dict[str, list[tuple[str, int]]] = {}
    for platform in platforms:
        counts[platform] = [
            (version, n)
            for version, n in ctx.session.execute(
                select(UserAppVersion.version, func.count())
                .where(UserAppVersion.app_id == vuln.app_id, UserAppVersion.platform == platform)
                .group_by(UserAppVersion.version)
            )
        ]
    for affected in vuln.affected_versions:
        versions = counts[affected["platform"]]
        users = sum(n for v, n in versions if rules.in_range(rules.parse_version(v), affected["range"]))
        rows.append(ExposureRow(platform=affected["platform"], range=affected["range"], users=users))
    reporting = ctx.session.scalar(
        select(func.count(func.distinct(UserAppVersion.user_id))).where(UserAppVersion.app_id == vuln.app_id)
    )
    return ExposureRead(vulnerability_id=vuln.id, rows=rows, users_reporting=int(reporting or 0))
