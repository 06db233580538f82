"""CLI of the apps module: `appcomply apps …` and `appcomply staff …`."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Annotated, cast

import typer

from appcomply.apps import rules, service
from appcomply.apps.errors import StaffNotFound
from appcomply.apps.schemas import AppCreate
from appcomply.kernel.actor import Role
from appcomply.kernel.runner import Runner, emit

if TYPE_CHECKING:
    from appcomply.apps.models import Staff, StaffToken
    from appcomply.kernel.context import Ctx

apps_cli = typer.Typer(help="Apps (tenants) and their API keys.", no_args_is_help=True)
keys_cli = typer.Typer(help="API keys of an app.", no_args_is_help=True)
staff_cli = typer.Typer(help="Staff accounts.", no_args_is_help=True)
tokens_cli = typer.Typer(
    help="Personal API tokens of a staff member, for scripts and other non-browser clients.", no_args_is_help=True
)
apps_cli.add_typer(keys_cli, name="keys")
staff_cli.add_typer(tokens_cli, name="tokens")

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def _runner(ctx: typer.Context) -> Runner:
    return cast(Runner, ctx.find_root().obj)


@apps_cli.command("create")
def create(
    ctx: typer.Context,
    slug: Annotated[str, typer.Argument(help="URL name, e.g. 'demo'.")],
    name: Annotated[str, typer.Option(help="App name.")],
    entity_name: Annotated[str, typer.Option(help="Operating entity's registered name.")],
    entity_uscc: Annotated[str, typer.Option(help="Operating entity's unified social credit code.")],
    app_type: Annotated[list[int] | None, typer.Option("--type", help="Catalogue code 1–39; repeat.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Register an app."""
    body = AppCreate(slug=slug, name=name, entity_name=entity_name, entity_uscc=entity_uscc, app_types=app_type or [])
    with _runner(ctx).work() as uow:
        app = service.create_app(uow, body)
        data = {"id": str(app.id), "slug": app.slug, "name": app.name}
    emit(data, as_json=as_json, text=f"created app {app.slug} ({app.id})")


@apps_cli.command("list")
def list_(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List apps."""
    with _runner(ctx).work() as uow:
        rows = [{"id": str(a.id), "slug": a.slug, "name": a.name} for a in service.list_apps(uow, limit=1000)]
    emit(rows, as_json=as_json, text="\n".join(f"{r['slug']:<24} {r['name']}  {r['id']}" for r in rows) or "(no apps)")


@keys_cli.command("create")
def create_key(
    ctx: typer.Context,
    app: Annotated[str, typer.Argument(help="The app's slug.")],
    name: Annotated[str, typer.Option(help="What the key is for.")] = "default",
    as_json: JsonOpt = False,
) -> None:
    """Issue an API key for an app; the key is printed once."""
    with _runner(ctx).work() as uow:
        target = service.get_app_by_slug(uow, app)
        key, secret = service.create_api_key(uow, target.id, name=name)
        data = {"id": str(key.id), "app": target.slug, "name": key.name, "prefix": key.prefix, "key": secret}
    emit(data, as_json=as_json, text=f"API key for {target.slug} (shown once, store it now):\n{secret}")


@staff_cli.command("create")
def create_staff(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[list[Role], typer.Option("--role", help="admin, reviewer, compliance or security; repeat.")],
    display_name: Annotated[str | None, typer.Option(help="Name shown in the console.")] = None,
    password: Annotated[
        str | None, typer.Option(help="Password; omitted: a random one is generated and printed once.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a staff account."""
    chosen = password or rules.new_password(username=username)
    with _runner(ctx).work() as uow:
        staff = service.create_staff(
            uow, username=username, display_name=display_name or username, password=chosen, roles=role
        )
        data = {"id": str(staff.id), "username": staff.username, "roles": staff.roles}
    if password is None:
        data["password"] = chosen
    shown = f"\npassword (shown once): {chosen}" if password is None else ""
    emit(data, as_json=as_json, text=f"created staff {username} with roles {', '.join(staff.roles)}{shown}")


@staff_cli.command("list")
def list_staff(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List staff accounts."""
    with _runner(ctx).work() as uow:
        staff = service.list_staff(uow)
    rows = [{"username": s.username, "roles": s.roles, "active": s.active} for s in staff]
    emit(rows, as_json=as_json, text="\n".join(f"{s.username:<24} {','.join(s.roles)}" for s in staff))


@staff_cli.command("set-password")
def set_password(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Login name.")],
    as_json: JsonOpt = False,
) -> None:
    """Give a staff member a new random password (printed once) and clear any lockout."""
    chosen = rules.new_password(username=username)
    with _runner(ctx).work() as uow:
        service.set_staff_password(uow, username, password=chosen)
    emit({"username": username, "password": chosen}, as_json=as_json, text=f"new password for {username}: {chosen}")


def _staff(uow: Ctx, username: str) -> Staff:
    staff = service.find_staff(uow, username)
    if staff is None:
        raise StaffNotFound("no staff member with that username", username=username)
    return staff


def _token_row(token: StaffToken, username: str) -> dict[str, object]:
    return {
        "id": str(token.id),
        "staff": username,
        "name": token.name,
        "prefix": token.prefix,
        "roles": token.roles,
        "created_at": token.created_at.isoformat(),
        "expires_at": token.expires_at.isoformat() if token.expires_at else None,
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
    }


@tokens_cli.command("create")
def create_token(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="The staff member who owns the token.")],
    role: Annotated[
        list[Role], typer.Option("--role", help="Role the token carries (a subset of the owner's); repeat.")
    ],
    name: Annotated[str, typer.Option(help="What the token is for.")] = "cli",
    expires: Annotated[
        int, typer.Option("--expires", min=0, max=366, help="Lifetime in days; 0 for a token that never expires.")
    ] = 90,
    as_json: JsonOpt = False,
) -> None:
    """Issue a personal token (`st_…`) without a console login; it is printed once.

    Send it as `Authorization: Bearer st_…`. A Bearer credential needs no CSRF token: CSRF applies only to
    requests authenticated by the console's session cookie.
    """
    with _runner(ctx).work() as uow:
        staff = _staff(uow, username)
        lifetime = dt.timedelta(days=expires) if expires else None
        token, secret = service.create_staff_token(uow, staff.id, name=name, roles=role, expires_in=lifetime)
        data = {**_token_row(token, username), "token": secret}
    emit(data, as_json=as_json, text=f"token for {username} (shown once, store it now):\n{secret}")


@tokens_cli.command("list")
def list_tokens(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="The staff member whose tokens to list.")],
    as_json: JsonOpt = False,
) -> None:
    """List a staff member's personal tokens (prefix, roles, expiry; never the secret)."""
    with _runner(ctx).work() as uow:
        rows = [_token_row(t, username) for t in service.list_staff_tokens(uow, _staff(uow, username).id)]
    lines = [
        f"{r['prefix']}…  {r['name']:<16} {','.join(cast(list[str], r['roles'])):<24} "
        f"{'revoked' if r['revoked_at'] else 'expires ' + str(r['expires_at'] or 'never')}  {r['id']}"
        for r in rows
    ]
    emit(rows, as_json=as_json, text="\n".join(lines) or "(no tokens)")


@tokens_cli.command("revoke")
def revoke_token(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="The token's owner.")],
    token_id: Annotated[uuid.UUID, typer.Argument(help="The token's id (from `staff tokens list`).")],
    as_json: JsonOpt = False,
) -> None:
    """Revoke a personal token at once."""
    with _runner(ctx).work() as uow:
        token = service.revoke_staff_token(uow, _staff(uow, username).id, token_id)
        data = _token_row(token, username)
    emit(data, as_json=as_json, text=f"revoked token {token.prefix}… of {username}")
