"""A per-process cache of what every consent check of an app needs and what rarely changes: the app's types and its
processing map, and whether a privacy policy is in force.

Checks are the hot path (DESIGN.md: >= 1,500/s over HTTP); reading the map per check would triple their queries.
The map is kept by `db.cache.AppCache`: a change to an app's activities made in this process drops the app's entry
when it is flushed and again when it commits; one made by another process is seen within a second, as is a change
of the app's types. "A privacy policy is in force" can only turn true (a published version is never withdrawn, a
newer one supersedes it), so only a true answer is kept.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from sqlalchemy import select

from appcomply import agreements, apps
from appcomply.consent import rules
from appcomply.consent.models import ProcessingActivity
from appcomply.consent.service._convert import to_rule
from appcomply.db.cache import AppCache
from appcomply.kernel.context import Ctx


@dataclass(frozen=True, slots=True)
class AppFacts:
    app_types: tuple[int, ...]
    activities: Mapping[str, rules.Activity]  # the current map by key


_FACTS: Final = AppCache[AppFacts](ProcessingActivity)
_lock = threading.Lock()
_policy_in_force: set[uuid.UUID] = set()


def app_facts(ctx: Ctx, app_id: uuid.UUID) -> AppFacts:
    """The app's types and current map, read at most once a second in this process. Refused: AppNotFound."""
    return _FACTS.get(ctx.session, app_id, lambda: _read_facts(ctx, app_id))


def _read_facts(ctx: Ctx, app_id: uuid.UUID) -> AppFacts:
    app = apps.get_app(ctx, app_id)
    stmt = select(ProcessingActivity).where(
        ProcessingActivity.app_id == app_id, ProcessingActivity.archived_at.is_(None)
    )
    activities = {r.key: to_rule(r) for r in ctx.session.scalars(stmt)}
    return AppFacts(app_types=tuple(app.app_types), activities=MappingProxyType(activities))


def policy_in_force(ctx: Ctx, app_id: uuid.UUID) -> bool:
    if app_id in _policy_in_force:
        return True
    found = agreements.privacy_policy_in_force(ctx, app_id)
    if found:
        with _lock:
            _policy_in_force.add(app_id)
    return found
