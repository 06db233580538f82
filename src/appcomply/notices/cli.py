"""CLI of the notices module: `appcomply worker`, which delivers the outbox until stopped."""

from __future__ import annotations

import os
import signal
import threading
from types import FrameType
from typing import Annotated, cast

import typer
from sqlalchemy.orm import Session, sessionmaker

from appcomply.audit import AuditChainer
from appcomply.kernel.clock import Clock
from appcomply.kernel.runner import Runner, emit
from appcomply.notices import service
from appcomply.notices.service import DeliveryReport, NoticesEnv
from appcomply.settings import Settings


def _runner(ctx: typer.Context) -> Runner:
    return cast(Runner, ctx.find_root().obj)


def worker(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="Deliver what is due now, then exit.")] = False,
    interval: Annotated[
        float | None, typer.Option("--interval", min=0.05, help="Seconds between steps when idle (default: settings).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable summary.")] = False,
) -> None:
    """Deliver queued notices (inbox, SMS, e-mail) with retries; stops cleanly on Ctrl-C or SIGTERM.

    Run as many as needed on PostgreSQL: each claims its own notices (FOR UPDATE SKIP LOCKED). Like the server, it
    chains the audit entries it commits (settings: audit.chain_in_process), the last ones before it exits.
    """
    runner = _runner(ctx)
    env = cast(NoticesEnv, runner.services_value("notices"))
    factory = cast(sessionmaker[Session], runner.services_value("session_factory"))
    clock = cast(Clock, runner.services_value("clock"))
    audit_settings = cast(Settings, runner.services_value("settings")).audit
    chainer = AuditChainer(factory, interval=audit_settings.chain_interval_seconds)
    stop = threading.Event()
    name = f"{os.uname().nodename}-{os.getpid()}"

    def _stop(signum: int, _frame: FrameType | None) -> None:
        typer.echo(f"worker {name}: {signal.Signals(signum).name}, stopping after this step", err=True)
        stop.set()

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    wait = interval if interval is not None else env.limits.drain_interval_seconds
    if not once:
        typer.echo(f"worker {name}: delivering notices every {wait:g} s when idle; Ctrl-C stops", err=True)
    if audit_settings.chain_in_process:
        chainer.start()
    try:
        total = service.drain(
            factory, clock=clock, env=env, worker=name, stop=stop, interval=wait, once=once, on_report=_progress
        )
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if audit_settings.chain_in_process:
            chainer.stop()  # chains what the last steps committed
    summary = {"worker": name, **_as_dict(total)}
    emit(summary, as_json=as_json, text=f"worker {name}: " + _line(total))


def _progress(report: DeliveryReport) -> None:
    typer.echo(_line(report), err=True)


def _as_dict(report: DeliveryReport) -> dict[str, int]:
    return {"claimed": report.claimed, "sent": report.sent, "retried": report.retried, "dead": report.dead}


def _line(report: DeliveryReport) -> str:
    return f"claimed {report.claimed}, sent {report.sent}, retrying {report.retried}, dead {report.dead}"
