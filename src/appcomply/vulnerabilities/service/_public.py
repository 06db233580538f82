"""What the public sees: the security.txt of an app's host (RFC 9116) and the advisories already disclosed."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Final

from sqlalchemy import select

from appcomply import apps
from appcomply.apps import App
from appcomply.kernel.context import Ctx
from appcomply.vulnerabilities.errors import HostInvalid, SecurityTxtUnavailable
from appcomply.vulnerabilities.formats import SecurityTxt, render_security_txt
from appcomply.vulnerabilities.models import Vulnerability
from appcomply.vulnerabilities.rules import State
from appcomply.vulnerabilities.service._env import VulnerabilitiesEnv

_HOST: Final = re.compile(r"^[A-Za-z0-9.-]{1,253}(:\d{1,5})?$")
LANGUAGES: Final = ("zh-CN", "en")


def host_base(host: str) -> str:
    """`https://<host>`: the base of the public documents served on the host a request named. HostInvalid."""
    if not _HOST.match(host):
        raise HostInvalid("the request's Host is not a host name")
    return f"https://{host.lower()}"


def app_for_host(ctx: Ctx, env: VulnerabilitiesEnv, host: str) -> App:
    """The app whose security.txt a host serves: `hosts` in settings, else `default_app`. SecurityTxtUnavailable."""
    name = host.split(":")[0].lower()
    slug = env.limits.hosts.get(name) or env.limits.default_app
    app = apps.find_app_by_slug(ctx, slug) if slug else None
    if app is None:
        raise SecurityTxtUnavailable(
            "no app publishes a security.txt on this host: set vulnerabilities.hosts (host → app slug) or "
            "vulnerabilities.default_app"
        )
    return app


def security_txt(ctx: Ctx, env: VulnerabilitiesEnv, *, host: str) -> str:
    """The security.txt text for `host`, valid for `security_txt_expires_days` from now.

    Contact and Policy point at the app's public security page on the same host (served over https, RFC 9116
    §2.5), followed by the extra contacts of the settings. SecurityTxtUnavailable.
    """
    base = host_base(host)
    app = app_for_host(ctx, env, host)
    page = f"{base}/p/{app.slug}/security"
    limits = env.limits
    now = ctx.clock.now()
    doc = SecurityTxt(
        contacts=(page, *limits.security_txt_contacts),
        expires=(now + dt.timedelta(days=limits.security_txt_expires_days)).replace(microsecond=0),
        policy=(page,),
        preferred_languages=LANGUAGES,
        canonical=(f"{base}/.well-known/security.txt",),
        encryption=(limits.security_txt_encryption,) if limits.security_txt_encryption else (),
        csaf=(f"{base}/.well-known/csaf/provider-metadata.json",),
        comment=(f"{app.name} — 漏洞报告 / vulnerability reports (网络产品安全漏洞管理规定 第五条)",),
    )
    try:
        return render_security_txt(doc, now=now)
    except ValueError as exc:
        raise SecurityTxtUnavailable(f"security.txt settings are not valid: {exc}") from None


def list_disclosed(ctx: Ctx, app_id: uuid.UUID, *, limit: int = 50) -> list[Vulnerability]:
    """The app's disclosed advisories, newest first: only these are ever shown publicly (VR 9)."""
    stmt = (
        select(Vulnerability)
        .where(Vulnerability.app_id == app_id, Vulnerability.state == State.DISCLOSED.value)
        .order_by(Vulnerability.disclosed_at.desc())
        .limit(limit)
    )
    return list(ctx.session.scalars(stmt))
