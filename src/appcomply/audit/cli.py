"""CLI of the audit module: `appcomply audit verify` and `appcomply audit chain`."""

from __future__ import annotations

from typing import Annotated, cast

import typer
from sqlalchemy.orm import Session, sessionmaker

from appcomply.audit.service import chain_all, count_unchained, verify_chain
from appcomply.kernel.runner import Runner, emit

audit_cli = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)

INTEGRITY_EXIT = 8  # matches cli.exit_codes.ExitCode.INTEGRITY


def _factory(runner: Runner, name: str) -> sessionmaker[Session]:
    return cast("sessionmaker[Session]", runner.services_value(name))


def _chain(runner: Runner) -> int:
    return chain_all(_factory(runner, "session_factory"))


@audit_cli.command("chain")
def chain(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Put every committed entry that is not chained yet on the hash chain (the server also does so every second)."""
    chained = _chain(cast(Runner, ctx.find_root().obj))
    emit({"chained": chained}, as_json=as_json, text=f"audit entries chained: {chained}")


@audit_cli.command("verify")
def verify(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    chain_first: Annotated[
        bool, typer.Option("--chain/--no-chain", help="Chain committed entries first (--no-chain: only read).")
    ] = True,
) -> None:
    """Walk the hash chain; exit 8 naming the first bad sequence number if any entry was tampered with."""
    runner = cast(Runner, ctx.find_root().obj)
    if chain_first:
        _chain(runner)
    # A read-only session: it never holds SQLite's write lock during the walk, and nothing is written after it.
    with _factory(runner, "read_session_factory")() as session:
        checked, fault = verify_chain(session)
        unchained = count_unchained(session)
    waiting = f"; {unchained} not chained yet" if unchained else ""
    if fault is None:
        emit(
            {"ok": True, "entries": checked, "unchained": unchained},
            as_json=as_json,
            text=f"audit chain intact: {checked} entries verified{waiting}",
        )
        return
    emit(
        {"ok": False, "entries": checked, "unchained": unchained, "first_bad_seq": fault.seq, "reason": fault.reason},
        as_json=as_json,
        text=f"audit chain BROKEN at seq {fault.seq}: {fault.reason}{waiting}",
    )
    raise typer.Exit(INTEGRITY_EXIT)
