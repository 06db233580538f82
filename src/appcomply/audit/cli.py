"""CLI of the audit module: `appcomply audit verify`."""

from __future__ import annotations

from typing import Annotated, cast

import typer

from appcomply.audit.service import verify_chain
from appcomply.kernel.runner import Runner, emit

audit_cli = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)

INTEGRITY_EXIT = 8  # matches cli.exit_codes.ExitCode.INTEGRITY


@audit_cli.command("verify")
def verify(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Walk the hash chain; exit 8 naming the first bad sequence number if any entry was tampered with."""
    runner = cast(Runner, ctx.find_root().obj)
    with runner.work() as uow:
        checked, fault = verify_chain(uow.session)
    if fault is None:
        emit({"ok": True, "entries": checked}, as_json=as_json, text=f"audit chain intact: {checked} entries verified")
        return
    emit(
        {"ok": False, "entries": checked, "first_bad_seq": fault.seq, "reason": fault.reason},
        as_json=as_json,
        text=f"audit chain BROKEN at seq {fault.seq}: {fault.reason}",
    )
    raise typer.Exit(INTEGRITY_EXIT)
