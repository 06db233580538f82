"""Who is acting: a staff member, an app's backend (API key), an anonymous public caller or a system job."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, field


class Role(enum.StrEnum):
    ADMIN = "admin"
    REVIEWER = "reviewer"
    COMPLIANCE = "compliance"
    SECURITY = "security"
    VAULT = "vault"  # may reveal clear personal information, with a stated reason (audited)


class ActorKind(enum.StrEnum):
    STAFF = "staff"
    APP = "app"
    PUBLIC = "public"
    SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class Actor:
    kind: ActorKind
    label: str
    id: uuid.UUID | None = None
    roles: frozenset[Role] = field(default_factory=frozenset)
    app_id: uuid.UUID | None = None  # set for app API keys: the only app this actor may touch

    def has_any_role(self, roles: frozenset[Role]) -> bool:
        return Role.ADMIN in self.roles or bool(self.roles & roles)


def system_actor(job: str) -> Actor:
    return Actor(kind=ActorKind.SYSTEM, label=f"system:{job}")


def cli_actor() -> Actor:
    return Actor(kind=ActorKind.SYSTEM, label="cli", roles=frozenset({Role.ADMIN}))
