"""CLI of the vault: `appcomply keys …` for operators managing the keys that seal personal information."""

from __future__ import annotations

from typing import Annotated

import typer

from appcomply.kernel.runner import emit
from appcomply.vault import rules

keys_cli = typer.Typer(help="Keys that seal personal information at rest.", no_args_is_help=True)


@keys_cli.command("generate")
def generate(
    kid: Annotated[
        str | None, typer.Option("--kid", help="Key id, e.g. '2026-05' (1–16 of a-z, 0-9, '-'); default random.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Print a fresh key line. Put it first in APPCOMPLY_VAULT__KEYS to rotate; keep the old keys after it.

    The part after the colon also serves as an APPCOMPLY_VAULT__BLIND_INDEX_KEY.
    """
    line = rules.generate_key_line(kid or rules.new_key_id())
    chosen, _, key = line.partition(":")
    emit({"kid": chosen, "key": key, "line": line}, as_json=as_json, text=line)
