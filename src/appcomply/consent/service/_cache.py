"""A per-process cache of what every consent check of an app needs and what rarely changes: the app's types and its
processing map, and whether a privacy policy is in force.

Checks are the hot path (DESIGN.md: >= 1,500/s over HTTP); reading the map per check would triple their queries.
Changes made in this process drop the app's entry at once; changes made by another process are seen within
`TTL_SECONDS`. "A privacy policy is in force" can only turn true (a published version is never withdrawn, a newer
one supersedes it), so only a true answer is kept.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from sqlalchemy import select

from appcomply import agreements, apps
from appcomply.consent import rules
from appcomply.consent.models import ProcessingActivity
from appcomply.consent.service._convert import to_rule
from appcomply.kernel.context import Ctx

TTL_SECONDS: Final = 1.0


@dataclass(frozen=True, slots=True)
class AppFacts:
    app_types: tuple[int, ...]
    activities: Mapping[str, rules.Activity]  # the current map by key
    read_at: float


_lock = threading.Lock()
_facts: dict[uuid.UUID, AppFacts] = {}
_policy_in_force: set[uuid.UUID] = set()


def app_facts(ctx: Ctx, app_id: uuid.UUID) -> AppFacts:
    """The app's types and current map, read at most once per TTL in this process. Refused: AppNotFound."""
    now = time.monotonic()
    cached = _facts.get(app_id)
    if cached is not None and now - cached.read_at < TTL_SECONDS:
        return cached
    app = apps.get_app(ctx, app_id)
    stmt = select(ProcessingActivity).where(
        ProcessingActivity.app_id == app_id, ProcessingActivity.archived_at.is_(None)
    )
    facts = AppFacts(
        app_types=tuple(app.app_types), activities={r.key: to_rule(r) for r in ctx.session.scalars(stmt)}, read_at=now
    )
    with _lock:
        _facts[app_id] = facts
    return facts


def policy_in_force(ctx: Ctx, app_id: uuid.UUID) -> bool:
    if app_id in _policy_in_force:
        return True
    found = agreements.privacy_policy_in_force(ctx, app_id)
    if found:
        with _lock:
            _policy_in_force.add(app_id)
    return found


def forget(app_id: uuid.UUID) -> None:
    """Drop the app's map after a change in this process."""
    with _lock:
        _facts.pop(app_id, None)
