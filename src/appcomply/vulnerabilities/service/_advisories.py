"""Advisories as CSAF 2.0 documents: the staff preview of any vulnerability and the public provider directory
(`/.well-known/csaf/…`, CSAF 2.0 §7.1) of the advisories an app has disclosed — only those (VR 9)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import select

from appcomply import apps
from appcomply.apps import App
from appcomply.kernel.context import Ctx
from appcomply.vulnerabilities.errors import AdvisoryNotFound
from appcomply.vulnerabilities.formats import (
    Advisory,
    Published,
    build_csaf,
    build_provider_metadata,
    csaf_filename,
    distribution_path,
    score_cvss,
    validate_csaf,
    validate_provider_metadata,
)
from appcomply.vulnerabilities.models import Vulnerability
from appcomply.vulnerabilities.rules import State
from appcomply.vulnerabilities.service._queries import get_vulnerability

DIRECTORY: Final = "/.well-known/csaf/white/"
PROVIDER_METADATA: Final = "/.well-known/csaf/provider-metadata.json"
MAX_PUBLISHED: Final = 10_000  # documents listed in one directory index
_FILE: Final = re.compile(r"^[a-z0-9-]+-sa-(?P<id>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.json$")


def tracking_id(app: App, vuln: Vulnerability) -> str:
    """The advisory's CSAF tracking id: `<app slug>-sa-<vulnerability id>`, unique and stable from intake on."""
    return f"{app.slug}-sa-{vuln.id}"


def advisory_path(app: App, vuln: Vulnerability) -> str | None:
    """Where a disclosed advisory sits under DIRECTORY (`<year>/<file>`); None before disclosure."""
    if vuln.disclosed_at is None:
        return None
    return distribution_path(tracking_id(app, vuln), vuln.disclosed_at)


def csaf_document(ctx: Ctx, app: App, vuln: Vulnerability, *, base_url: str) -> dict[str, Any]:
    """The CSAF 2.0 advisory of `vuln`, validated: status final once disclosed, draft before (a staff preview only:
    nothing but a disclosed advisory is ever served publicly). CsafDocumentInvalid should the data not validate."""
    disclosed = vuln.state == State.DISCLOSED.value and vuln.disclosed_at is not None
    released = vuln.disclosed_at if disclosed and vuln.disclosed_at else ctx.clock.now()
    current = max(released, vuln.updated_at) if disclosed else released
    fixed = (vuln.fixed_version,) if vuln.fixed_version else ()
    history = (("1", released, "首次发布 / Initial release"),) if disclosed else (("0", released, "草稿 / Draft"),)
    advisory = Advisory(
        tracking_id=tracking_id(app, vuln),
        title=vuln.title,
        publisher_name=app.entity_name,
        publisher_namespace=base_url,
        initial_release=released,
        current_release=current,
        product_name=app.name,
        vendor=app.entity_name,
        affected=tuple(f"{a['platform']} {a['range']}" for a in vuln.affected_versions),
        fixed=fixed,
        summary=vuln.advisory_summary or vuln.title,
        remediation=vuln.fix_plan
        or (f"升级到 {vuln.fixed_version} / Upgrade to {vuln.fixed_version}" if fixed else "—"),
        status="final" if disclosed else "draft",
        cve=vuln.cve,
        cvss=score_cvss(vuln.cvss_vector) if vuln.cvss_vector else None,
        remediation_url=f"{base_url}/p/{app.slug}/security",
        revision_history=history,
    )
    document = build_csaf(advisory)
    validate_csaf(document)
    return document


def preview_csaf(ctx: Ctx, vulnerability_id: uuid.UUID, *, base_url: str) -> tuple[str, dict[str, Any]]:
    """Staff: the file name and CSAF document of any vulnerability (draft until disclosed). VulnerabilityNotFound."""
    vuln = get_vulnerability(ctx, vulnerability_id)
    app = apps.get_app(ctx, vuln.app_id)
    return csaf_filename(tracking_id(app, vuln)), csaf_document(ctx, app, vuln, base_url=base_url)


def _disclosed(ctx: Ctx, app_id: uuid.UUID) -> list[Vulnerability]:
    stmt = (
        select(Vulnerability)
        .where(Vulnerability.app_id == app_id, Vulnerability.state == State.DISCLOSED.value)
        .order_by(Vulnerability.disclosed_at.desc())
        .limit(MAX_PUBLISHED)
    )
    return list(ctx.session.scalars(stmt))


@dataclass(frozen=True, slots=True)
class Directory:
    """An app's public CSAF directory: what `index.txt` and `changes.csv` list."""

    app: App
    documents: list[Published]


def published(ctx: Ctx, app: App) -> Directory:
    """The disclosed advisories of `app` as directory entries."""
    documents = [
        Published(path=path, current_release=max(v.disclosed_at, v.updated_at))
        for v in _disclosed(ctx, app.id)
        if v.disclosed_at is not None and (path := advisory_path(app, v)) is not None
    ]
    return Directory(app=app, documents=documents)


def provider_metadata(ctx: Ctx, app: App, *, base_url: str) -> dict[str, Any]:
    """`provider-metadata.json` for the app's host, last updated at its newest advisory (or the app's creation)."""
    directory = published(ctx, app)
    last = max((d.current_release for d in directory.documents), default=app.created_at)
    document = build_provider_metadata(
        canonical_url=f"{base_url}{PROVIDER_METADATA}",
        directory_url=f"{base_url}{DIRECTORY}",
        publisher_name=app.entity_name,
        namespace=base_url,
        last_updated=last,
    )
    validate_provider_metadata(document)
    return document


def public_advisory(ctx: Ctx, app: App, *, year: int, filename: str, base_url: str) -> dict[str, Any]:
    """The disclosed advisory at `<year>/<filename>` of the app's directory. AdvisoryNotFound for anything else —
    including an advisory that exists but is not disclosed, so that nothing tells it apart from none."""
    match = _FILE.match(filename)
    vuln = (
        ctx.session.scalars(
            select(Vulnerability).where(Vulnerability.app_id == app.id, Vulnerability.id == uuid.UUID(match["id"]))
        ).first()
        if match
        else None
    )
    path = advisory_path(app, vuln) if vuln is not None and vuln.state == State.DISCLOSED.value else None
    if vuln is None or path != f"{year}/{filename}":
        raise AdvisoryNotFound("no advisory is published at this address")
    return csaf_document(ctx, app, vuln, base_url=base_url)
