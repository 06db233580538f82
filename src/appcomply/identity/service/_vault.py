"""Clear values on purpose only: reveal with a stated reason (audited), and key rotation of sealed columns."""

from __future__ import annotations

import uuid
from typing import Final

from sqlalchemy import select

from appcomply import audit, vault
from appcomply.identity.errors import NothingToReveal, RevealReasonRequired
from appcomply.identity.events import IdentityEvent
from appcomply.identity.models import Verification
from appcomply.identity.service._env import IdentityEnv
from appcomply.identity.service._verify import get_verification
from appcomply.kernel.context import Ctx

# The same floor as the API's RevealRequest: the use case must not rely on each caller (CLI, console) checking it.
MIN_REASON_CHARS: Final = 10

_COLUMNS: Final = {
    "phone": ("phone_sealed", vault.PiKind.PHONE),
    "name": ("name_sealed", vault.PiKind.NAME),
    "id_number": ("id_number_sealed", vault.PiKind.ID_NUMBER),
    "uscc": ("uscc_sealed", vault.PiKind.USCC),
}


def reveal_value(ctx: Ctx, verification_id: uuid.UUID, *, field: str, reason: str, env: IdentityEnv) -> str:
    """Decrypt one stored value for a staff member with the vault role. Emits identity.value.revealed.

    The audit entry records who, which field of which verification, and the reason — never the value.
    RevealReasonRequired when the reason is missing or too short to act on.
    """
    reason = reason.strip()
    if len(reason) < MIN_REASON_CHARS:
        raise RevealReasonRequired(f"state why the value is needed (at least {MIN_REASON_CHARS} characters)")
    row = get_verification(ctx, verification_id)
    column, kind = _COLUMNS[field]
    sealed = getattr(row, column)
    if sealed is None:
        raise NothingToReveal(f"this verification holds no {field}", field=field)
    value = vault.open_sealed(env.keyring, sealed, kind=kind, context=str(row.app_id))
    audit.record(
        ctx,
        IdentityEvent.VALUE_REVEALED,
        subject=audit.Subject("verification", str(row.id)),
        app_id=row.app_id,
        data={"field": field, "reason": reason, "user_id": str(row.user_id)},
    )
    return value


def rotate_keys(ctx: Ctx, *, env: IdentityEnv, batch: int = 500) -> int:
    """Re-encrypt every sealed value not under the current key. Emits identity.keys.rotated with the count."""
    rewrapped, last = 0, None
    while True:
        stmt = select(Verification).order_by(Verification.id).limit(batch)
        if last is not None:
            stmt = stmt.where(Verification.id > last)
        rows = list(ctx.session.scalars(stmt))
        if not rows:
            break
        for row in rows:
            for column, kind in _COLUMNS.values():
                sealed = getattr(row, column)
                if sealed is not None and vault.needs_rewrap(env.keyring, sealed):
                    setattr(row, column, vault.rewrap(env.keyring, sealed, kind=kind, context=str(row.app_id)))
                    rewrapped += 1
        last = rows[-1].id
        ctx.session.flush()
    audit.record(
        ctx, IdentityEvent.KEYS_ROTATED, subject=audit.Subject("vault", env.keyring.current),
        data={"values_rewrapped": rewrapped, "current_key": env.keyring.current},
    )  # fmt: skip
    return rewrapped
