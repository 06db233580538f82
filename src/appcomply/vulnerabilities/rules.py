"""Pure rules of Art 10 and the 2021 vulnerability regulations: the triage states and their transitions, the
authority clocks (VR 7(2) 48 h, NDR 10 24 h) counted from intake, the disclosure gate (VR 9), intake bounds; and of
the 2025 National Cybersecurity Incident Reporting Measures: incident grades, the 1/2/4-hour report, the summary.

Nothing here touches the database or the web; the service applies these decisions.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import ipaddress
import json
import operator
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Final

from packaging.specifiers import InvalidSpecifier, Specifier
from packaging.version import InvalidVersion, Version

from appcomply.vulnerabilities.errors import (
    CampaignAudienceInvalid,
    CampaignNeedsFix,
    DisclosureBlocked,
    ForeignSharingRefused,
    IncidentClosed,
    IncidentReportsPending,
    IncidentTimeInvalid,
    InvalidIncidentTransition,
    InvalidTransition,
    RetentionTooShort,
    VersionInvalid,
    VersionRangeInvalid,
)


class State(enum.StrEnum):
    RECEIVED = "received"
    TRIAGED = "triaged"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"
    FIXING = "fixing"
    FIXED = "fixed"
    DISCLOSED = "disclosed"


# received → triaged → confirmed | rejected | duplicate → fixing → fixed → disclosed. A report may be rejected or
# marked duplicate straight from intake; a rejection can be reopened to triage when new facts arrive.
TRANSITIONS: Final[Mapping[State, frozenset[State]]] = {
    State.RECEIVED: frozenset({State.TRIAGED, State.REJECTED, State.DUPLICATE}),
    State.TRIAGED: frozenset({State.CONFIRMED, State.REJECTED, State.DUPLICATE}),
    State.CONFIRMED: frozenset({State.FIXING, State.FIXED}),
    State.REJECTED: frozenset({State.TRIAGED}),
    State.DUPLICATE: frozenset(),
    State.FIXING: frozenset({State.FIXED}),
    State.FIXED: frozenset({State.FIXING, State.DISCLOSED}),
    State.DISCLOSED: frozenset(),
}

# States in which the vulnerability is real and unresolved or resolved: the authority report is owed.
REPORTABLE: Final = frozenset({State.CONFIRMED, State.FIXING, State.FIXED, State.DISCLOSED})
# States that close the matter without a report to the authority (not a vulnerability of ours).
NOT_REPORTABLE: Final = frozenset({State.REJECTED, State.DUPLICATE})


def check_transition(current: State, target: State) -> None:
    """InvalidTransition unless `target` follows `current` in the workflow."""
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none (final state)"
        raise InvalidTransition(
            f"a {current} vulnerability cannot become {target}; allowed: {allowed}",
            current=current.value,
            target=target.value,
        )


# --- clocks ---------------------------------------------------------------------------------------------------------


class ClockOwner(enum.StrEnum):
    """What a clock counts for: a reported vulnerability, or a security incident."""

    VULNERABILITY = "vulnerability"
    INCIDENT = "incident"


class ClockKind(enum.StrEnum):
    # VR 7(2): report to the MIIT vulnerability platform within 2 days (48 h from learning of it).
    MIIT_REPORT = "miit_report"
    # Incident Reporting Measures: the first report of a relatively major (较大) or worse incident, 1/2/4 hours.
    INCIDENT_REPORT = "incident_report"
    # Incident Reporting Measures: the summary report, within 30 days after handling ends.
    INCIDENT_SUMMARY = "incident_summary"

    @property
    def owner(self) -> ClockOwner:
        return ClockOwner.VULNERABILITY if self is ClockKind.MIIT_REPORT else ClockOwner.INCIDENT


class ClockStatus(enum.StrEnum):
    OPEN = "open"  # running, not yet due
    MET = "met"  # submitted before it was due
    MISSED = "missed"  # due and not submitted (or submitted late)
    NOT_REQUIRED = "not_required"  # the report turned out not to be a vulnerability of ours


MIIT_HOURS: Final = 48  # VR 7(2) "2日内", as a 48-hour timer from intake (spec: clock semantics)
NATIONAL_SECURITY_HOURS: Final = 24  # NDR 10: national security or the public interest
ALERT_FRACTIONS: Final = (0.5, 0.9)  # alerts to the security role at 50 % and 90 % of the time allowed


def report_due(received_at: dt.datetime, *, national_security: bool) -> dt.datetime:
    """When the authority report is due: counted from intake (the moment we learned of it), never from triage."""
    hours = NATIONAL_SECURITY_HOURS if national_security else MIIT_HOURS
    return received_at + dt.timedelta(hours=hours)


def clock_status(
    *, due_at: dt.datetime, submitted_at: dt.datetime | None, waived: bool, now: dt.datetime
) -> ClockStatus:
    if waived:
        return ClockStatus.NOT_REQUIRED
    if submitted_at is not None:
        return ClockStatus.MET if submitted_at <= due_at else ClockStatus.MISSED
    return ClockStatus.MISSED if now > due_at else ClockStatus.OPEN


def alerts_due(*, started_at: dt.datetime, due_at: dt.datetime, sent: int, now: dt.datetime) -> tuple[float, ...]:
    """The alert fractions reached by `now` and not yet sent (`sent` counts those already sent, in order)."""
    span = due_at - started_at
    reached = tuple(f for f in ALERT_FRACTIONS if now >= started_at + span * f)
    return reached[sent:]


# --- security incidents (VUL-07: National Cybersecurity Incident Reporting Measures, in force 1 Nov 2025) ------


class IncidentGrade(enum.StrEnum):
    PARTICULARLY_MAJOR = "particularly_major"  # 特别重大
    MAJOR = "major"  # 重大
    RELATIVELY_MAJOR = "relatively_major"  # 较大
    GENERAL = "general"  # 一般


# "较大及以上": only these grades must be reported to the authority within hours.
REPORTABLE_GRADES: Final = frozenset(
    {IncidentGrade.PARTICULARLY_MAJOR, IncidentGrade.MAJOR, IncidentGrade.RELATIVELY_MAJOR}
)


class OperatorClass(enum.StrEnum):
    CII = "cii"  # critical information infrastructure operator: protection department and public security, 1 h
    STATE_ORGAN = "state_organ"  # central and state organs: their cyber office, 2 h
    OTHER = "other"  # every other operator: the provincial CAC, 4 h


REPORT_HOURS: Final[Mapping[OperatorClass, int]] = {
    OperatorClass.CII: 1,
    OperatorClass.STATE_ORGAN: 2,
    OperatorClass.OTHER: 4,
}
SUMMARY_DAYS: Final = 30  # "处置结束后30日内" the summary report


class IncidentCategory(enum.StrEnum):
    """The incident categories of GB/T 20986-2023 (网络安全事件分类分级指南), which the Measures' grading guide uses."""

    MALWARE = "malware"  # 恶意程序事件
    NETWORK_ATTACK = "network_attack"  # 网络攻击事件
    DATA_SECURITY = "data_security"  # 数据安全事件
    INFORMATION_CONTENT = "information_content"  # 信息内容安全事件
    DEVICE_FAILURE = "device_failure"  # 设备设施故障事件
    VIOLATION = "violation"  # 违规操作事件
    SECURITY_HAZARD = "security_hazard"  # 安全隐患事件
    ABNORMAL_BEHAVIOUR = "abnormal_behaviour"  # 异常行为事件
    FORCE_MAJEURE = "force_majeure"  # 不可抗力事件
    OTHER = "other"  # 其他事件


class IncidentState(enum.StrEnum):
    OPEN = "open"  # being handled; its grade may still change
    HANDLED = "handled"  # handling has ended: the summary report's 30 days run
    CLOSED = "closed"  # every authority report went out; nothing changes any more


INCIDENT_TRANSITIONS: Final[Mapping[IncidentState, frozenset[IncidentState]]] = {
    IncidentState.OPEN: frozenset({IncidentState.HANDLED}),
    IncidentState.HANDLED: frozenset({IncidentState.CLOSED}),
    IncidentState.CLOSED: frozenset(),
}


def incident_report_due(
    detected_at: dt.datetime, *, grade: IncidentGrade, operator_class: OperatorClass
) -> dt.datetime | None:
    """When the first report is due, counted from `detected_at` (when the provider learned of the incident, never
    from when it was graded); None for a general incident, which has no report clock."""
    if grade not in REPORTABLE_GRADES:
        return None
    return detected_at + dt.timedelta(hours=REPORT_HOURS[operator_class])


def opens_report_clock(grade: IncidentGrade, *, has_report_clock: bool) -> bool:
    """A (re)grading opens the report clock when the grade is reportable and none is open yet. A clock once opened
    stays whatever the grade becomes: the duty arose when the incident was that serious."""
    return grade in REPORTABLE_GRADES and not has_report_clock


def incident_summary_due(handled_at: dt.datetime) -> dt.datetime:
    return handled_at + dt.timedelta(days=SUMMARY_DAYS)


def summary_required(grade: IncidentGrade, *, has_report_clock: bool) -> bool:
    """The summary follows a reported incident: one graded relatively major or worse, now or at any earlier time."""
    return grade in REPORTABLE_GRADES or has_report_clock


def check_incident_transition(current: IncidentState, target: IncidentState) -> None:
    """InvalidIncidentTransition unless `target` follows `current` (open → handled → closed)."""
    if target not in INCIDENT_TRANSITIONS[current]:
        allowed = ", ".join(sorted(INCIDENT_TRANSITIONS[current])) or "none (final state)"
        raise InvalidIncidentTransition(
            f"a {current} incident cannot become {target}; allowed: {allowed}",
            current=current.value,
            target=target.value,
        )


def check_incident_changeable(state: IncidentState, *, regrade: bool) -> None:
    """IncidentClosed for any change to a closed incident; InvalidIncidentTransition for a new grade once handling
    has ended (the grade decides the reports already owed)."""
    if state is IncidentState.CLOSED:
        raise IncidentClosed("a closed incident cannot change")
    if regrade and state is not IncidentState.OPEN:
        raise InvalidIncidentTransition(
            f"the grade of a {state} incident cannot change: grade it while it is open",
            current=state.value,
            target=state.value,
        )


def check_closable(pending: Iterable[ClockKind]) -> None:
    """IncidentReportsPending: an incident closes only once every report it owes has gone out, the summary report
    (due 30 days after handling ended) included; a late one still counts once submitted."""
    kinds = sorted(k.value for k in pending)
    if kinds:
        raise IncidentReportsPending(
            "closing an incident requires its summary report (and any initial report) to be submitted: record the "
            f"submission of {', '.join(kinds)} first",
            pending=kinds,
        )


def check_incident_times(*, detected_at: dt.datetime, now: dt.datetime, handled_at: dt.datetime | None = None) -> None:
    """IncidentTimeInvalid: no detection in the future; handling ends after detection and not in the future."""
    if detected_at > now:
        raise IncidentTimeInvalid("detected_at lies in the future", detected_at=detected_at.isoformat())
    if handled_at is not None and not detected_at <= handled_at <= now:
        raise IncidentTimeInvalid("handled_at must lie between detected_at and now", handled_at=handled_at.isoformat())


# --- disclosure (VR 9) ----------------------------------------------------------------------------------------------


def check_disclosable(*, state: State, fixed_version: str | None, fix_released_at: dt.datetime | None) -> None:
    """DisclosureBlocked unless the fix is released: VR 9(1) no publication before the fix, 9(5) fix published with
    the vulnerability."""
    if state is not State.FIXED:
        raise DisclosureBlocked(f"only a fixed vulnerability can be disclosed (this one is {state}; VR 9(1))")
    if not fixed_version or fix_released_at is None:
        raise DisclosureBlocked(
            "the advisory must name the released fix: set fixed_version and fix_released_at first (VR 9(1), 9(5))"
        )


DOMESTIC: Final = "CN"


def check_sharing(*, state: State, country: str, recipient_is_provider: bool) -> None:
    """ForeignSharingRefused: VR 9(7) forbids giving an undisclosed vulnerability to a foreign party other than the
    product's provider (e.g. the upstream SDK vendor)."""
    if state is State.DISCLOSED or country.upper() == DOMESTIC or recipient_is_provider:
        return
    raise ForeignSharingRefused(
        "an undisclosed vulnerability may not be given to a foreign organisation or individual other than the "
        "product's provider (VR 9(7)); share it after disclosure",
        country=country.upper(),
    )


# --- intake ---------------------------------------------------------------------------------------------------------


class Channel(enum.StrEnum):
    API = "api"  # POST /v1/vulnerability-reports
    WEB_FORM = "web_form"  # the public security page
    STAFF = "staff"  # entered by staff from another channel (mailbox, phone, MIIT platform notice)


MIN_RECEIPT_RETENTION_DAYS: Final = 183  # VR 5: receipt logs kept at least 6 months


def check_receipt_retention(days: int) -> int:
    if days < MIN_RECEIPT_RETENTION_DAYS:
        raise RetentionTooShort(
            f"vulnerability receipt logs must be kept at least 6 months (VR 5): {days} < "
            f"{MIN_RECEIPT_RETENTION_DAYS} days",
            minimum=MIN_RECEIPT_RETENTION_DAYS,
        )
    return days


def summary_hash(fields: Mapping[str, object]) -> str:
    """SHA-256 of the submission's canonical JSON: the receipt log proves what arrived without keeping it twice."""
    canonical = json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def mask_source(address: str | None) -> str | None:
    """A source address coarse enough to show in the receipt log: an IPv4 /24 or an IPv6 /48."""
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "unknown"
    prefix = 24 if ip.version == 4 else 48
    network = ipaddress.ip_network(f"{ip}/{prefix}", strict=False)
    return str(network)


def mask_contact(contact: str) -> str:
    """Enough of a reporter's contact for staff to tell two apart, no more: a***@example.com, 138****0000, w***."""
    value = contact.strip()
    if "@" in value:
        local, _, domain = value.partition("@")
        return f"{local[:1]}***@{domain}"
    digits = [c for c in value if c.isdigit()]
    if len(digits) >= 7:
        return f"{''.join(digits[:3])}****{''.join(digits[-4:])}"
    return f"{value[:1]}***"


# --- app versions and upgrades (VUL-04) -----------------------------------------------------------------------------

MAX_VERSION_LENGTH: Final = 64
_RANGE_SEPARATOR: Final = re.compile(r"\s*,\s*|\s+(?=[<>=!~])")


def parse_version(text: str) -> Version:
    """An app's version as `packaging` compares it ("5.2.10" > "5.2.9", "6.0.0b1" < "6.0.0"). VersionInvalid for
    what it cannot order (build suffixes such as "5.2.1-0x28003254" are not versions: send the release number)."""
    value = text.strip()
    if not value or len(value) > MAX_VERSION_LENGTH:
        raise VersionInvalid(f"a version has 1 to {MAX_VERSION_LENGTH} characters", version=value[:MAX_VERSION_LENGTH])
    try:
        return Version(value)
    except InvalidVersion:
        raise VersionInvalid(
            f"{value!r} is not a version number (digits separated by dots, e.g. 5.2.1, optionally a pre-release "
            "such as 6.0.0b1)",
            version=value,
        ) from None


_COMPARE: Final[Mapping[str, Callable[[Version, Version], bool]]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}  # fmt: skip


def parse_range(text: str) -> tuple[tuple[str, Version], ...]:
    """A range of versions: clauses such as ">=5.0.0 <5.2.3" (spaces or commas between them; operators ==, !=, <,
    <=, >, >=), or a bare version meaning exactly that one. Parsed by `packaging`'s specifier grammar, compared by
    plain version order (so 6.0.0b1 is below 6.0.0, as an app's beta is). VersionRangeInvalid."""
    value = text.strip()
    clauses = [c for c in _RANGE_SEPARATOR.split(value) if c]
    if not clauses or len(value) > 100:
        raise VersionRangeInvalid("a version range has 1 to 100 characters and at least one version", range=value[:100])
    if len(clauses) == 1 and clauses[0][0].isdigit():
        clauses = [f"=={clauses[0]}"]
    parsed = []
    for clause in clauses:
        try:
            spec = Specifier(clause)
        except InvalidSpecifier:
            spec = None
        if spec is None or spec.operator not in _COMPARE or spec.version.endswith(".*"):
            raise VersionRangeInvalid(f'{value!r} is not a version range (e.g. "5.2.1", ">=5.0.0 <5.2.3")', range=value)
        parsed.append((spec.operator, parse_version(spec.version)))
    return tuple(sorted(parsed, key=lambda c: (c[1], c[0])))


def normalise_range(text: str) -> str:
    """The canonical text of a range (clauses in version order, space-separated), as stored and shown."""
    return " ".join(f"{op}{version}" for op, version in parse_range(text))


def in_range(version: Version, range_text: str) -> bool:
    return all(_COMPARE[op](version, bound) for op, bound in parse_range(range_text))


class UpgradeStatus(enum.StrEnum):
    OK = "ok"
    RECOMMENDED = "upgrade_recommended"
    REQUIRED = "upgrade_required"


# Fix releases of vulnerabilities in these states set the policy: the fix exists and is out (VR 7(3)).
UPGRADE_STATES: Final = frozenset({State.FIXED, State.DISCLOSED})


def upgrade_status(version: Version, *, minimum_required: str | None, minimum_recommended: str | None) -> UpgradeStatus:
    """Below the required minimum: the app must not serve the user until upgraded; below the recommended: it
    should say so."""
    if minimum_required is not None and version < Version(minimum_required):
        return UpgradeStatus.REQUIRED
    if minimum_recommended is not None and version < Version(minimum_recommended):
        return UpgradeStatus.RECOMMENDED
    return UpgradeStatus.OK


def highest(versions: Iterable[str]) -> str | None:
    """The highest of some version texts (as given), or None."""
    return max(versions, key=Version, default=None)


# --- user notice campaigns (VUL-04, VR 7(3)) ---------------------------------------------------------------------


class CampaignState(enum.StrEnum):
    QUEUED = "queued"  # waiting for its first chunk
    RUNNING = "running"
    DONE = "done"  # every user of the audience processed (their notices are in the outbox)
    CANCELLED = "cancelled"  # stopped by staff; chunks already committed stay queued in the outbox


class Audience(enum.StrEnum):
    ALL = "all"  # every user of the app
    AFFECTED = "affected"  # users whose last reported version is inside an affected range


OPEN_CAMPAIGN_STATES: Final = frozenset({CampaignState.QUEUED, CampaignState.RUNNING})
# Users are told when they can act on it: the fix is out (the same states that set the upgrade policy).
CAMPAIGN_STATES: Final = UPGRADE_STATES


def check_campaign(*, state: State, audience: Audience, affected_versions: Iterable[Mapping[str, str]]) -> None:
    """A campaign needs a fixed or disclosed vulnerability (CampaignNeedsFix) and, for the affected audience, at
    least one affected range to choose users by (CampaignAudienceInvalid)."""
    if state not in CAMPAIGN_STATES:
        raise CampaignNeedsFix(
            "users are notified once the fix is released (state fixed or disclosed): before that a notice would "
            "point at an open hole and leave users nothing to do",
            state=state.value,
        )
    if audience is Audience.AFFECTED and not list(affected_versions):
        raise CampaignAudienceInvalid("the vulnerability names no affected versions: notify all users instead")


def campaign_text(*, subject_zh: str, subject_en: str, body_zh: str, body_en: str) -> tuple[str, str]:
    """The notice's subject and body: Chinese first, the English after it when given (users' language is not
    known, and a mainland app's users read Chinese)."""
    subject = f"{subject_zh} / {subject_en}" if subject_en else subject_zh
    body = f"{body_zh}\n\n{body_en}" if body_en else body_zh
    return subject, body


Ranges = Mapping[str, list[tuple[tuple[str, Version], ...]]]


def affected_ranges(affected_versions: Iterable[Mapping[str, str]]) -> Ranges:
    """The affected ranges parsed once, by platform, for `affected_match` over many users."""
    by_platform: dict[str, list[tuple[tuple[str, Version], ...]]] = {}
    for affected in affected_versions:
        by_platform.setdefault(affected["platform"], []).append(parse_range(affected["range"]))
    return by_platform


def affected_match(versions: Iterable[tuple[str, str]], ranges: Ranges, parsed: dict[str, Version]) -> bool:
    """Does any of a user's (platform, version) fall inside an affected range of that platform? `parsed` caches
    the versions already parsed (a chunk of users runs a handful of versions)."""
    for platform, text in versions:
        clauses = ranges.get(platform)
        if not clauses:
            continue
        version = parsed.get(text)
        if version is None:
            version = parsed[text] = parse_version(text)
        if any(all(_COMPARE[op](version, bound) for op, bound in clause) for clause in clauses):
            return True
    return False


def default_campaign_text(*, title: str, fixed_version: str | None) -> dict[str, str]:
    """What the CLI sends when staff give no text: the fix and what to do, Chinese first."""
    upgrade_zh = f"请尽快升级到 {fixed_version} 或更高版本。" if fixed_version else "请尽快升级到最新版本。"
    upgrade_en = (
        f"Please upgrade to {fixed_version} or later." if fixed_version else "Please upgrade to the latest version."
    )
    return {
        "subject_zh": f"安全更新：{title}"[:90],
        "subject_en": f"Security update: {title}"[:100],
        "body_zh": f"我们已修复一个安全问题（{title}）。{upgrade_zh}"[:2000],
        "body_en": f"We have fixed a security issue ({title}). {upgrade_en}"[:2000],
    }
