"""Ctx: what every use case receives first — the session, the clock, who acts, and the request id."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from appcomply.kernel.actor import Actor
    from appcomply.kernel.clock import Clock


@dataclass(frozen=True, slots=True)
class Ctx:
    session: Session
    clock: Clock
    actor: Actor
    request_id: str
