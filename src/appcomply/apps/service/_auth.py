"""The platform's authenticator: app API keys, staff personal tokens and console sessions, from this module's tables."""

from __future__ import annotations

from appcomply.apps.service._keys import authenticate_api_key
from appcomply.apps.service._staff import authenticate_session, authenticate_staff_token
from appcomply.kernel.actor import Actor
from appcomply.kernel.context import Ctx


class CredentialAuthenticator:
    """Satisfies `web.security.Authenticator` structurally; the composition root hands it to the web layer."""

    def api_key(self, ctx: Ctx, secret: str) -> Actor:
        return authenticate_api_key(ctx, secret)

    def staff_token(self, ctx: Ctx, secret: str) -> Actor:
        return authenticate_staff_token(ctx, secret)

    def console_session(self, ctx: Ctx, cookie: str) -> tuple[Actor, str] | None:
        found = authenticate_session(ctx, cookie)
        return None if found is None else (found[0], found[1].csrf_token)
