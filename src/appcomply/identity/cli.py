"""CLI of the identity module: `appcomply sms outbox` (development SMS) and `appcomply keys rotate`."""

from __future__ import annotations

from typing import Annotated, cast

import typer

from appcomply import apps
from appcomply.identity import service
from appcomply.identity.service import IdentityEnv
from appcomply.kernel.runner import Runner, emit

sms_cli = typer.Typer(help="Verification SMS.", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def _runner(ctx: typer.Context) -> Runner:
    return cast(Runner, ctx.find_root().obj)


@sms_cli.command("outbox")
def outbox(
    ctx: typer.Context,
    app: Annotated[str | None, typer.Option("--app", help="Only this app (slug).")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=1000, help="How many, newest first.")] = 20,
    as_json: JsonOpt = False,
) -> None:
    """Verification SMS, newest first, with the text the local development provider kept (numbers masked)."""
    with _runner(ctx).work() as uow:
        app_id = apps.get_app_by_slug(uow, app).id if app else None
        rows = [
            {
                "id": str(m.id),
                "app_id": str(m.app_id),
                "verification_id": str(m.verification_id),
                "phone": m.phone_masked,
                "template": m.template,
                "provider": m.provider,
                "accepted": m.accepted,
                "result_code": m.result_code,
                "text": m.dev_body,
                "created_at": m.created_at.isoformat(),
            }
            for m in service.list_sms_messages(uow, app_id=app_id, limit=limit)
        ]
    lines = [f"{r['created_at']}  {r['phone']}  {r['provider']:<8} {r['text'] or '(text not kept)'}" for r in rows]
    emit(rows, as_json=as_json, text="\n".join(lines) or "(no SMS)")


def rotate(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Re-encrypt every sealed value under the first key of APPCOMPLY_VAULT__KEYS (audited).

    Keep the old keys listed after the new one until this reports 0 values left to rewrap.
    """
    runner = _runner(ctx)
    env = cast(IdentityEnv, runner.services_value("identity"))
    with runner.work() as uow:
        count = service.rotate_keys(uow, env=env)
    current = env.keyring.current
    emit(
        {"values_rewrapped": count, "current_key": current},
        as_json=as_json,
        text=f"re-encrypted {count} value(s) under key {current}",
    )
