"""The `appcomply` command: serve, db, demo, config, and every module's sub-commands."""

from __future__ import annotations

import logging
import sys
from typing import Annotated

import typer
from pydantic import ValidationError

from appcomply.apps.cli import apps_cli, staff_cli
from appcomply.audit.cli import audit_cli
from appcomply.cli.context import CliState, state
from appcomply.cli.exit_codes import ExitCode, exit_code_for
from appcomply.content.cli import lexicon_cli
from appcomply.identity.cli import rotate as rotate_keys
from appcomply.identity.cli import sms_cli
from appcomply.kernel.errors import DomainError
from appcomply.kernel.runner import emit
from appcomply.notices.cli import worker as notices_worker
from appcomply.settings import Settings, describe
from appcomply.vault.cli import keys_cli
from appcomply.vulnerabilities.cli import vulns_cli

app = typer.Typer(
    help="appcomply: compliance platform for mobile app information services in China.", no_args_is_help=True
)
db_cli = typer.Typer(help="Database schema.", no_args_is_help=True)
config_cli = typer.Typer(help="Configuration.", no_args_is_help=True)
app.add_typer(db_cli, name="db")
app.add_typer(config_cli, name="config")
app.add_typer(apps_cli, name="apps")
app.add_typer(staff_cli, name="staff")
app.add_typer(audit_cli, name="audit")
app.add_typer(keys_cli, name="keys")
app.add_typer(sms_cli, name="sms")
app.add_typer(vulns_cli, name="vulns")
app.add_typer(lexicon_cli, name="lexicon")
# `keys generate` belongs to the vault; rotating re-encrypts the identity module's columns, so the command lives
# there and joins the same group here.
keys_cli.command("rotate")(rotate_keys)
# The outbox worker is a top-level command (`appcomply worker`): operators run it beside `serve`.
app.command("worker")(notices_worker)


@app.callback()
def root(ctx: typer.Context) -> None:
    """Settings come from APPCOMPLY_* environment variables (see `appcomply config show`)."""
    try:
        settings = Settings()
    except ValidationError as exc:
        typer.echo(f"configuration error: {exc}", err=True)
        raise typer.Exit(ExitCode.INVALID) from exc
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # Alembic announces each autogenerate plugin at INFO; the migrations it runs are the useful part.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    ctx.obj = CliState(settings=settings)


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Bind address (default from settings).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default from settings).")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes (settings are read again in each).")] = 1,
) -> None:
    """Serve the API, console and public pages."""
    import uvicorn

    from appcomply.bootstrap import create_app

    cli = state(ctx)
    web = cli.settings.web
    bind_host, bind_port = host or web.host, port or web.port
    base = f"http://{bind_host}:{bind_port}" if (host or port) else web.public_url.rstrip("/")
    typer.echo(f"appcomply console: {base}/console/   API: {base}/v1/   OpenAPI: {base}/openapi.json")
    if workers > 1:  # each worker process builds its own services from the same environment
        from appcomply.web.serving import serve_workers

        raise typer.Exit(serve_workers(bind_host, bind_port, workers=workers))
    uvicorn.run(create_app(services=cli.services), host=bind_host, port=bind_port, log_level="info")


@db_cli.command("upgrade")
def db_upgrade(ctx: typer.Context, revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Apply migrations up to REVISION (default: head)."""
    from appcomply.db.migrate import upgrade

    upgrade(state(ctx).services.engine, revision)
    typer.echo(f"database at {revision}")


@app.command()
def demo(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Seed the demo app (slug 'demo') and an admin account. Safe to run again."""
    from appcomply.cli.demo import seed_demo

    with state(ctx).work() as uow:
        result = seed_demo(uow)
    lines = [f"demo app: {result['app']} ({'created' if result['app_created'] else 'already there'})"]
    if result["admin_password"]:
        lines.append(f"admin login: admin / {result['admin_password']}  (one-time password: shown only now)")
    else:
        lines.append("admin login: admin exists; `appcomply staff set-password admin` issues a new password")
    emit(result, as_json=as_json, text="\n".join(lines))


@config_cli.command("show")
def config_show(
    markdown: Annotated[bool, typer.Option("--markdown", help="As a Markdown table (for the README).")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Every setting: environment variable, default and description."""
    rows = describe()
    if as_json:
        emit([{"env": e, "default": d, "description": t} for e, d, t in rows], as_json=True, text="")
    elif markdown:
        out = ["| Variable | Default | Description |", "|---|---|---|"]
        out += [f"| `{e}` | `{d}` | {t} |" for e, d, t in rows]
        typer.echo("\n".join(out))
    else:
        width = max(len(e) for e, _, _ in rows)
        typer.echo("\n".join(f"{e:<{width}}  {d:<28}  {t}" for e, d, t in rows))


def main() -> None:
    """Entry point: runs the Typer app and turns domain errors into messages and category exit codes."""
    try:
        # Without standalone mode click does not raise a command's typer.Exit: it returns the exit code, which
        # must reach the shell (a configuration error is 3, a broken audit chain 8).
        code = app(standalone_mode=False)
    except DomainError as exc:
        typer.echo(f"error [{exc.code}]: {exc.detail}", err=True)
        sys.exit(exit_code_for(exc))
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(ExitCode.UNEXPECTED)
    except typer.TyperException as exc:
        # Typer vendors click: its usage errors are TyperExceptions, not click.ClickException, and they must be
        # shown as usage messages (exit 2), not escape as a traceback.
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            typer.echo(f"error: {exc.format_message()}", err=True)
        sys.exit(ExitCode.USAGE)
    sys.exit(code if isinstance(code, int) else ExitCode.OK)
