"""CLI of the vulnerabilities module: `appcomply vulns list|show|clocks|package|alerts|purge-receipts|notify`,
`vulns incidents list|show` and `vulns campaigns run|list`.

`vulns clocks` exits non-zero when any authority clock (of a vulnerability or an incident) is overdue, so an
operator can put it in cron.
"""

from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path
from typing import Annotated, Any, cast

import typer

from appcomply.kernel.runner import Runner, emit
from appcomply.vulnerabilities import rules, service
from appcomply.vulnerabilities.formats import MIIT_FIELDS
from appcomply.vulnerabilities.models import Incident, Vulnerability
from appcomply.vulnerabilities.rules import Audience, ClockOwner, ClockStatus, IncidentGrade, IncidentState, State
from appcomply.vulnerabilities.schemas import CampaignCreate
from appcomply.vulnerabilities.service import VulnerabilitiesEnv

vulns_cli = typer.Typer(
    help="Vulnerabilities (Art 10): the queue, the authority clocks, retention.", no_args_is_help=True
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
EXIT_INVALID = 3  # as cli/exit_codes.ExitCode.INVALID: `vulns package --out` names no writable directory
EXIT_OVERDUE = 9  # `vulns clocks`: at least one authority clock is past its deadline without a submission


def _runner(ctx: typer.Context) -> Runner:
    return cast(Runner, ctx.find_root().obj)


@vulns_cli.command("list")
def list_(
    ctx: typer.Context,
    state: Annotated[State | None, typer.Option(help="Only this state.")] = None,
    clock: Annotated[ClockStatus | None, typer.Option(help="Only this MIIT report clock status.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 100,
    as_json: JsonOpt = False,
) -> None:
    """Vulnerabilities, newest first, with their report clock."""
    with _runner(ctx).work() as uow:
        rows = [_row(r) for r in service.list_vulnerabilities(uow, state=state, clock=clock, limit=limit)]
    lines = [
        f"{r['id']}  {r['state']:<10} {r['severity'] or '-':<8} clock {r['clock'] or '-':<12} {r['title']}"
        for r in rows
    ]
    emit(rows, as_json=as_json, text="\n".join(lines) or "(no vulnerabilities)")


def _row(listed: service.Listed) -> dict[str, Any]:
    v, c = listed.vulnerability, listed.report_clock
    return {
        "id": str(v.id), "app_id": str(v.app_id), "title": v.title, "state": v.state, "severity": v.severity,
        "received_at": v.received_at.isoformat(), "clock": c.status.value if c else None,
        "due_at": c.clock.due_at.isoformat() if c else None,
    }  # fmt: skip


@vulns_cli.command("show")
def show(
    ctx: typer.Context, vulnerability_id: Annotated[uuid.UUID, typer.Argument()], as_json: JsonOpt = False
) -> None:
    """One vulnerability: facts, clocks and timeline (the reporter's contact stays masked)."""
    with _runner(ctx).work() as uow:
        v = service.get_vulnerability(uow, vulnerability_id)
        clocks = [_clock(c) for c in service.list_clocks(uow, v.id)]
        timeline = [
            {"at": t.at.isoformat(), "kind": t.kind, "to": t.to_state, "by": t.actor_label, "note": t.note}
            for t in service.list_timeline(uow, v.id)
        ]
        data = {
            "id": str(v.id), "title": v.title, "state": v.state, "severity": v.severity, "cvss": v.cvss_vector,
            "received_at": v.received_at.isoformat(), "contact": v.contact_masked, "component": v.component,
            "affected_versions": v.affected_versions, "fixed_version": v.fixed_version, "clocks": clocks,
            "timeline": timeline,
        }  # fmt: skip
    text = [f"{data['title']}  [{data['state']}]  {data['severity'] or 'unscored'}", f"received {data['received_at']}"]
    text += [f"clock {c['kind']}: {c['status']} (due {c['due_at']})" for c in clocks]
    text += [f"  {t['at']}  {t['kind']:<16} {t['to'] or ''} {t['by']}  {t['note'] or ''}" for t in timeline]
    emit(data, as_json=as_json, text="\n".join(text))


def _clock(view: service.ClockView) -> dict[str, Any]:
    c = view.clock
    return {
        "kind": c.kind, "status": view.status.value, "due_at": c.due_at.isoformat(),
        "seconds_left": view.seconds_left, "submitted_at": c.submitted_at.isoformat() if c.submitted_at else None,
        "reference": c.reference,
    }  # fmt: skip


@vulns_cli.command("clocks")
def clocks(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Every authority clock still waiting for a submission, soonest first. Exit 9 when any is overdue."""
    with _runner(ctx).work() as uow:
        rows = [_pending(owner, view) for owner, view in service.list_pending_clocks(uow)]
    overdue = [r for r in rows if r["status"] == ClockStatus.MISSED.value]
    lines = [f"{r['status']:<7} {_left(r['seconds_left']):>10}  {r['kind']:<16} "
             f"{r['vulnerability_id'] or r['incident_id']}  {r['title']}" for r in rows]  # fmt: skip
    emit(rows, as_json=as_json, text="\n".join(lines) or "(no open clocks)")
    if overdue:
        typer.echo(f"{len(overdue)} authority clock(s) overdue", err=True)
        raise typer.Exit(EXIT_OVERDUE)


def _pending(owner: Vulnerability | Incident, view: service.ClockView) -> dict[str, Any]:
    # Each row names its owner in its own key, the other is null (vulnerability_id stays for existing scripts).
    is_vuln = isinstance(owner, Vulnerability)
    return {"vulnerability_id": str(owner.id) if is_vuln else None, "incident_id": None if is_vuln else str(owner.id),
            "title": owner.title, **_clock(view)}  # fmt: skip


def _left(seconds: int) -> str:
    sign = "-" if seconds < 0 else ""
    hours, rest = divmod(abs(seconds), 3600)
    return f"{sign}{hours}h{rest // 60:02d}m"


@vulns_cli.command("package")
def package(
    ctx: typer.Context,
    vulnerability_id: Annotated[uuid.UUID, typer.Argument()],
    out: Annotated[Path, typer.Option("--out", help="Directory for <id>.json and <id>.pdf (created if need be).")],
    as_json: JsonOpt = False,
) -> None:
    """Build the authority report package (VR 7(2)): the JSON and the Chinese PDF. Fields the record does not state
    yet are warned about (the package marks them 待补充). Exit 7 when no Chinese font is installed or configured."""
    # The directory is made ready first: the export is audited when it is built, so writing must not then fail.
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        typer.echo(f"error: cannot create {out}: {exc.strerror}", err=True)
        raise typer.Exit(EXIT_INVALID) from None
    if not os.access(out, os.W_OK):
        typer.echo(f"error: cannot write to {out}", err=True)
        raise typer.Exit(EXIT_INVALID)
    runner = _runner(ctx)
    env = cast(VulnerabilitiesEnv, runner.services_value("vulnerabilities"))
    with runner.work() as uow:
        built = service.build_package(uow, env, vulnerability_id)
    assert built.pdf is not None  # noqa: S101 - asked for with the PDF
    json_path, pdf_path = out / f"{vulnerability_id}.json", out / f"{vulnerability_id}.pdf"
    json_path.write_bytes(built.json)
    pdf_path.write_bytes(built.pdf)
    for name in built.missing:
        typer.echo(f"warning: {name} ({MIIT_FIELDS[name]}) is not recorded yet; the report marks it 待补充", err=True)
    data = {"json": str(json_path), "pdf": str(pdf_path), "sha256": built.sha256, "missing": list(built.missing)}
    emit(data, as_json=as_json, text=f"{json_path}\n{pdf_path}")


@vulns_cli.command("alerts")
def alerts(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Send the due clock alerts (50 % and 90 %) to the security addresses; the server also does this itself."""
    runner = _runner(ctx)
    env = cast(VulnerabilitiesEnv, runner.services_value("vulnerabilities"))
    with runner.work() as uow:
        run = service.send_clock_alerts(uow, env)
    emit({"alerts": run.alerts, "notices": run.notices}, as_json=as_json,
         text=f"{run.alerts} clock alert(s), {run.notices} e-mail(s) queued")  # fmt: skip


@vulns_cli.command("purge-receipts")
def purge_receipts(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Delete receipt-log rows older than vulnerabilities.receipt_retention_days (never under 6 months, VR 5)."""
    runner = _runner(ctx)
    days = int(runner.settings_value("vulnerabilities.receipt_retention_days"))
    with runner.work() as uow:
        count = service.purge_receipts(uow, retention_days=days)
    emit({"purged": count, "retention_days": days}, as_json=as_json,
         text=f"purged {count} receipt(s) older than {days} days")  # fmt: skip


# --- security incidents (VUL-07) ------------------------------------------------------------------------------------

incidents_cli = typer.Typer(
    help="Security incidents (Incident Reporting Measures): list and show.", no_args_is_help=True
)
vulns_cli.add_typer(incidents_cli, name="incidents")


@incidents_cli.command("list")
def incidents_list(
    ctx: typer.Context,
    state: Annotated[IncidentState | None, typer.Option(help="Only this state.")] = None,
    grade: Annotated[IncidentGrade | None, typer.Option(help="Only this grade.")] = None,
    clock: Annotated[ClockStatus | None, typer.Option(help="Only incidents with a clock in this status.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 100,
    as_json: JsonOpt = False,
) -> None:
    """Security incidents, newest first, with the next report due."""
    with _runner(ctx).work() as uow:
        rows = [_incident_row(r) for r in service.list_incidents(uow, state=state, grade=grade, clock=clock,
                                                                 limit=limit)]  # fmt: skip
    lines = [f"{r['id']}  {r['state']:<8} {r['grade']:<18} next {r['next_clock'] or '-'} "
             f"{r['next_status'] or ''} {r['next_due_at'] or ''}  {r['title']}" for r in rows]  # fmt: skip
    emit(rows, as_json=as_json, text="\n".join(lines) or "(no security incidents)")


def _incident_row(listed: service.ListedIncident) -> dict[str, Any]:
    i, c = listed.incident, listed.next_clock
    return {
        "id": str(i.id), "app_id": str(i.app_id), "title": i.title, "grade": i.grade, "state": i.state,
        "detected_at": i.detected_at.isoformat(), "next_clock": c.kind.value if c else None,
        "next_status": c.status.value if c else None, "next_due_at": c.clock.due_at.isoformat() if c else None,
    }  # fmt: skip


@incidents_cli.command("show")
def incidents_show(
    ctx: typer.Context, incident_id: Annotated[uuid.UUID, typer.Argument()], as_json: JsonOpt = False
) -> None:
    """One incident: facts, clocks and timeline."""
    with _runner(ctx).work() as uow:
        i = service.get_incident(uow, incident_id)
        clocks = [_clock(c) for c in service.list_clocks(uow, i.id, owner=ClockOwner.INCIDENT)]
        timeline = [
            {"at": t.at.isoformat(), "kind": t.kind, "by": t.actor_label, "note": t.note, "data": t.data}
            for t in service.list_incident_timeline(uow, i.id)
        ]
        data = {
            "id": str(i.id), "app_id": str(i.app_id), "title": i.title, "category": i.category, "grade": i.grade,
            "operator_class": i.operator_class, "state": i.state, "detected_at": i.detected_at.isoformat(),
            "handled_at": i.handled_at.isoformat() if i.handled_at else None,
            "closed_at": i.closed_at.isoformat() if i.closed_at else None, "affected_users": i.affected_users,
            "personal_information_involved": i.personal_information_involved, "clocks": clocks, "timeline": timeline,
        }  # fmt: skip
    text = [f"{data['title']}  [{data['state']}]  {data['grade']} ({data['operator_class']})",
            f"detected {data['detected_at']}"]  # fmt: skip
    text += [f"clock {c['kind']}: {c['status']} (due {c['due_at']})" for c in clocks]
    text += [f"  {t['at']}  {t['kind']:<12} {t['by']}  {t['note'] or ''}" for t in timeline]
    emit(data, as_json=as_json, text="\n".join(text))


# --- user notice campaigns (VUL-04, VR 7(3)) ---------------------------------------------------------------------

campaigns_cli = typer.Typer(help="User notice campaigns: run the unfinished ones, list them.", no_args_is_help=True)
vulns_cli.add_typer(campaigns_cli, name="campaigns")
ChunkOpt = Annotated[int, typer.Option(min=1, max=10_000, help="Users per transaction.")]


@vulns_cli.command("notify")
def notify(
    ctx: typer.Context,
    vulnerability_id: Annotated[uuid.UUID, typer.Argument()],
    channels: Annotated[str, typer.Option(help="Comma-separated: inbox, sms, email.")] = "inbox",
    audience: Annotated[Audience, typer.Option(help="all users, or those on an affected version.")] = Audience.ALL,
    subject_zh: Annotated[str | None, typer.Option(help="Default: 安全更新：<title>.")] = None,
    subject_en: Annotated[str | None, typer.Option()] = None,
    body_zh: Annotated[str | None, typer.Option(help="Default: the fix and the version to upgrade to.")] = None,
    body_en: Annotated[str | None, typer.Option()] = None,
    wait: Annotated[bool, typer.Option("--wait", help="Run the campaign here, with a progress line.")] = False,
    chunk: ChunkOpt = service.DEFAULT_CHUNK,
    as_json: JsonOpt = False,
) -> None:
    """Notify the app's users that the vulnerability is fixed. Without --wait the server sends it (its periodic
    job); with --wait it runs here, and if interrupted `vulns campaigns run` finishes it where it stopped."""
    runner = _runner(ctx)
    with runner.work() as uow:
        vuln = service.get_vulnerability(uow, vulnerability_id)
        text = rules.default_campaign_text(title=vuln.title, fixed_version=vuln.fixed_version)
        given = {"subject_zh": subject_zh, "subject_en": subject_en, "body_zh": body_zh, "body_en": body_en}
        body = CampaignCreate.model_validate({
            "channels": [c.strip() for c in channels.split(",") if c.strip()], "audience": audience,
            **text, **{k: v for k, v in given.items() if v is not None},
        })  # fmt: skip
        campaign = service.start_campaign(uow, vulnerability_id, body)
        campaign_id = campaign.id
    if wait:
        _run_campaigns(runner, chunk=chunk, campaign_id=campaign_id)
    with runner.work() as uow:
        row = _campaign_row(service.get_campaign(uow, campaign_id))
    emit(row, as_json=as_json, text=_campaign_line(row))


@campaigns_cli.command("run")
def run_campaigns(ctx: typer.Context, chunk: ChunkOpt = service.DEFAULT_CHUNK, as_json: JsonOpt = False) -> None:
    """Run every unfinished campaign to the end, here, from where it stopped (a campaign another runner holds is
    left to it until its lease runs out)."""
    runner = _runner(ctx)
    users, chunks = _run_campaigns(runner, chunk=chunk, campaign_id=None)
    emit({"chunks": chunks, "users": users}, as_json=as_json, text=f"{chunks} chunk(s), {users} user(s)")


@campaigns_cli.command("list")
def list_campaigns(
    ctx: typer.Context,
    open_only: Annotated[bool, typer.Option("--open", help="Only queued or running ones.")] = False,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    as_json: JsonOpt = False,
) -> None:
    """Campaigns newest first: progress, and per channel queued / skipped / sent / pending / failed."""
    with _runner(ctx).work() as uow:
        rows = [_campaign_row(v) for v in service.list_campaigns(uow, open_only=open_only, limit=limit)]
    emit(rows, as_json=as_json, text="\n".join(_campaign_line(r) for r in rows) or "(no campaigns)")


def _run_campaigns(runner: Runner, *, chunk: int, campaign_id: uuid.UUID | None) -> tuple[int, int]:
    """Steps until nothing is left, each its own transaction; a progress line on stderr. (users, chunks)"""
    env = cast(VulnerabilitiesEnv, runner.services_value("vulnerabilities"))
    worker = f"cli-{os.getpid()}"
    users = chunks = 0
    while True:
        with runner.work() as uow:
            step = service.run_campaign_step(uow, env, chunk=chunk, worker=worker, campaign_id=campaign_id)
            if step is None:
                break
            shown = service.get_campaign(uow, step.campaign_id).campaign
            progress = f"{shown.id}  {shown.users_done}/{shown.users_total} users  {shown.state}"
        users, chunks = users + step.done, chunks + 1
        sys.stderr.write(f"\r{progress}")
        sys.stderr.flush()
    if chunks:
        sys.stderr.write("\n")
    return users, chunks


def _campaign_row(view: service.CampaignView) -> dict[str, Any]:
    c = view.campaign
    return {
        "id": str(c.id), "vulnerability_id": str(c.vulnerability_id), "state": c.state, "audience": c.audience,
        "users_total": c.users_total, "users_done": c.users_done, "users_matched": c.users_matched,
        "created_at": c.created_at.isoformat(),
        "channels": {
            name: {"queued": c.queued.get(name, 0), "skipped_no_address": c.skipped_no_address.get(name, 0),
                   "sent": view.delivery[name].sent, "pending": view.delivery[name].pending,
                   "failed": view.delivery[name].dead}
            for name in c.channels
        },
    }  # fmt: skip


def _campaign_line(row: dict[str, Any]) -> str:
    per = "  ".join(
        f"{name}: {c['queued']} queued, {c['skipped_no_address']} no address, {c['sent']} sent, {c['failed']} failed"
        for name, c in row["channels"].items()
    )
    return f"{row['id']}  {row['state']:<9} {row['users_done']}/{row['users_total']} users  {per}"
