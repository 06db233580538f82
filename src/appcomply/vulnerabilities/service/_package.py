"""The authority report package (VR 7(2)): one vulnerability's record gathered in one read, built as JSON and a
Chinese PDF, and the export recorded in the audit log (who took what out, when, with the JSON's hash)."""

from __future__ import annotations

import hashlib
import uuid
from typing import NamedTuple

from sqlalchemy import select

from appcomply import apps, audit
from appcomply.kernel.context import Ctx
from appcomply.vulnerabilities.events import VulnerabilitiesEvent
from appcomply.vulnerabilities.formats import (
    AffectedRange,
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
from appcomply.vulnerabilities.formats.report import SCHEMA_VERSION
from appcomply.vulnerabilities.models import Clock, Receipt, Vulnerability
from appcomply.vulnerabilities.service._env import VulnerabilitiesEnv
from appcomply.vulnerabilities.service._intake import ref
from appcomply.vulnerabilities.service._queries import get_vulnerability, list_clocks, list_timeline

# The timeline the authority sees: intake and the workflow's steps, not the team's internal notes and messages.
_REPORTED_STEPS = frozenset({"received", "transition"})


class BuiltPackage(NamedTuple):
    json: bytes
    pdf: bytes | None  # None when only the JSON was asked for
    missing: tuple[str, ...]  # VR 7(2) fields the record does not state yet (formats.MIIT_FIELDS keys)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.json).hexdigest()


def build_package(ctx: Ctx, env: VulnerabilitiesEnv, vulnerability_id: uuid.UUID, *, pdf: bool = True) -> BuiltPackage:
    """The MIIT report package of one vulnerability: JSON, and (unless `pdf=False`) the Chinese PDF whose footer
    carries the JSON's SHA-256. Missing VR 7(2) fields do not stop it: they are marked and returned in `missing`.

    VulnerabilityNotFound (also for another app's, read with an app's key); ReportFontUnavailable when no CJK font
    is configured or installed (nothing is written). Emits vulnerabilities.package.built with the hash."""
    vuln = get_vulnerability(ctx, vulnerability_id)
    font = find_cjk_font(env.limits.report_font) if pdf else None
    package = gather(ctx, vuln)
    document = to_json(package)
    rendered = to_pdf(package, font.path, collection_index=font.collection_index) if font is not None else None
    built = BuiltPackage(json=document, pdf=rendered, missing=missing_fields(package))
    audit.record(
        ctx, VulnerabilitiesEvent.PACKAGE_BUILT, subject=ref(vuln), app_id=vuln.app_id,
        data={"sha256": built.sha256, "schema_version": SCHEMA_VERSION, "formats": ["json", "pdf"] if pdf else ["json"],
              "missing": list(built.missing)},
    )  # fmt: skip
    return built


def package_gaps(ctx: Ctx, vulnerability_id: uuid.UUID) -> tuple[str, ...]:
    """The VR 7(2) fields the package would mark missing now (a read: builds nothing, audits nothing).
    VulnerabilityNotFound."""
    return missing_fields(gather(ctx, get_vulnerability(ctx, vulnerability_id)))


def gather(ctx: Ctx, vuln: Vulnerability) -> ReportPackage:
    """Everything the package states, read for `vuln` and its own app only."""
    app = apps.get_app(ctx, vuln.app_id)
    return ReportPackage(
        vulnerability_id=str(vuln.id), title=vuln.title, app_name=app.name, app_slug=app.slug,
        provider_name=app.entity_name, provider_uscc=app.entity_uscc, state=vuln.state, component=vuln.component,
        component_version=vuln.component_version, assignee=vuln.assignee, supplier=vuln.supplier, cve=vuln.cve,
        national_security=vuln.national_security, intake=_intake(ctx, vuln), timeline=_timeline(ctx, vuln),
        cvss=_cvss(vuln), affected_versions=tuple(
            AffectedRange(platform=str(a["platform"]), range=str(a["range"])) for a in vuln.affected_versions
        ),
        fixed_version=vuln.fixed_version, fix_released_at=vuln.fix_released_at, fix_plan=vuln.fix_plan,
        technical_characteristics=vuln.technical_characteristics, harm=vuln.harm, scope=vuln.scope,
        clocks=_clocks(ctx, vuln), generated_at=ctx.clock.now(),
    )  # fmt: skip


def _intake(ctx: Ctx, vuln: Vulnerability) -> IntakeEntry:
    stmt = (
        select(Receipt)
        .where(Receipt.app_id == vuln.app_id, Receipt.vulnerability_id == vuln.id)
        .order_by(Receipt.received_at)
        .limit(1)
    )
    receipt = ctx.session.scalars(stmt).first()
    if receipt is None:
        # The receipt log is kept for its retention (≥ 6 months, VR 5), the vulnerability for longer: what the
        # vulnerability itself recorded at intake still says when, how and what arrived.
        return IntakeEntry(vuln.received_at, vuln.channel, None, vuln.summary_hash)
    return IntakeEntry(receipt.received_at, receipt.channel, receipt.source_masked, receipt.summary_hash)


def _timeline(ctx: Ctx, vuln: Vulnerability) -> tuple[TimelineStep, ...]:
    steps = [t for t in list_timeline(ctx, vuln.id) if t.kind in _REPORTED_STEPS]
    return tuple(
        TimelineStep(
            at=t.at,
            kind=t.kind,
            from_state=t.from_state,
            to_state=t.to_state,
            actor=t.actor_label,
            note=t.note if t.kind == "transition" else None,
        )
        for t in steps
    )


def _cvss(vuln: Vulnerability) -> CvssFacts | None:
    if not vuln.cvss_vector or vuln.cvss_score is None:
        return None
    return CvssFacts(vuln.cvss_vector, vuln.cvss_version or "", vuln.cvss_score, vuln.severity or "")


def _clocks(ctx: Ctx, vuln: Vulnerability) -> tuple[ClockRecord, ...]:
    return tuple(_clock(view.clock, view.status.value) for view in list_clocks(ctx, vuln.id))


def _clock(clock: Clock, status: str) -> ClockRecord:
    return ClockRecord(
        kind=clock.kind, started_at=clock.started_at, due_at=clock.due_at, status=status,
        submitted_at=clock.submitted_at, submitted_by=clock.submitted_by, channel=clock.channel,
        reference=clock.reference,
    )  # fmt: skip
