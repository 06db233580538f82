"""The app's processing map: activities as written, their derived legal facts, and the forced-consent analysis."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from appcomply import apps, audit
from appcomply.apps.rules import load_catalogue
from appcomply.consent import errors, rules
from appcomply.consent.events import ConsentEvent
from appcomply.consent.models import ProcessingActivity
from appcomply.consent.schemas import ActivityBody, ActivityCreate, ActivityRead, RecipientModel
from appcomply.consent.service._convert import to_rule
from appcomply.kernel.context import Ctx


def read_model(row: ProcessingActivity, app_types: Sequence[int]) -> ActivityRead:
    """The activity with what the law makes of it: basic or not, necessary items, effective basis, separate
    consents required."""
    activity, catalogue = to_rule(row), load_catalogue()
    return ActivityRead(
        id=row.id, key=row.key, feature=row.feature, purpose=row.purpose, pi_items=list(row.pi_items),
        basis=activity.basis, basic_type=row.basic_type, choice=row.choice, separate=sorted(activity.separate),
        recipients=[RecipientModel.model_validate(r) for r in row.recipients], retention=row.retention,
        basic=rules.is_basic(activity, app_types),
        necessary_items=sorted(rules.necessary_items(activity, app_types, catalogue)),
        effective_basis=rules.effective_basis(activity, app_types, catalogue),
        required_separate=sorted(rules.required_separate(activity, rules.load_pi_catalogue())),
        created_at=row.created_at, updated_at=row.updated_at,
    )  # fmt: skip


def list_activities(ctx: Ctx, app_id: uuid.UUID) -> list[ProcessingActivity]:
    """The app's current activities (archived ones are kept for the ledger's history but not listed)."""
    apps.get_app(ctx, app_id)
    stmt = (
        select(ProcessingActivity)
        .where(ProcessingActivity.app_id == app_id, ProcessingActivity.archived_at.is_(None))
        .order_by(ProcessingActivity.key)
    )
    return list(ctx.session.scalars(stmt))


def find_activity(ctx: Ctx, app_id: uuid.UUID, key: str) -> ProcessingActivity:
    """The current activity `key` of the app. Refused: ActivityNotFound."""
    stmt = select(ProcessingActivity).where(
        ProcessingActivity.app_id == app_id, ProcessingActivity.key == key, ProcessingActivity.archived_at.is_(None)
    )
    row = ctx.session.scalars(stmt).first()
    if row is None:
        raise errors.ActivityNotFound("no such processing activity in this app", activity=key)
    return row


def _check(ctx: Ctx, app_id: uuid.UUID, body: ActivityBody) -> None:
    """What no stored activity may be: unknown PI codes, a basic function of a type the app is not, a feature the
    app has not declared (an app that has declared none yet may name any)."""
    app = apps.get_app(ctx, app_id)
    features = sorted(f.name for f in apps.list_features(ctx, app_id))
    if features and body.feature not in features:
        raise errors.UnknownFeature(f"'{body.feature}' is not one of the app's features", features=features)
    codes = [*body.pi_items, *(c for r in body.recipients for c in r.pi_items)]
    unknown = rules.load_pi_catalogue().unknown(codes)
    if unknown:
        raise errors.UnknownPiItem(f"unknown PI item code(s): {', '.join(unknown)}", unknown=unknown)
    if body.basic_type is not None and body.basic_type not in app.app_types:
        raise errors.NotAnAppType(
            f"type {body.basic_type} is not one of the app's types {sorted(app.app_types)}",
            basic_type=body.basic_type, app_types=sorted(app.app_types),
        )  # fmt: skip


def _fields(body: ActivityBody) -> dict[str, Any]:
    return {
        "feature": body.feature, "purpose": body.purpose, "pi_items": sorted(set(body.pi_items)),
        "basis": body.basis.value, "basic_type": body.basic_type, "choice": body.choice or None,
        "separate": sorted(s.value for s in set(body.separate)),
        "recipients": [r.model_dump(mode="json") for r in body.recipients], "retention": body.retention,
    }  # fmt: skip


def create_activity(ctx: Ctx, app_id: uuid.UUID, body: ActivityCreate) -> ProcessingActivity:
    """Add an activity to the map. Refused with nothing written: InvalidActivityKey, UnknownPiItem, NotAnAppType,
    ActivityExists. Emits consent.activity.created."""
    problem = rules.activity_key_problem(body.key)
    if problem is not None:
        raise errors.InvalidActivityKey(problem)
    _check(ctx, app_id, body)
    now = ctx.clock.now()
    row = ProcessingActivity(app_id=app_id, key=body.key, created_at=now, updated_at=now, **_fields(body))
    try:
        with ctx.session.begin_nested():
            ctx.session.add(row)
            ctx.session.flush()
    except IntegrityError as exc:
        raise errors.ActivityExists(f"the app already has an activity '{body.key}'") from exc
    audit.record(ctx, ConsentEvent.ACTIVITY_CREATED, subject=_ref(row), app_id=app_id, data=_audit_data(row))
    return row


def replace_activity(ctx: Ctx, app_id: uuid.UUID, key: str, body: ActivityBody) -> ProcessingActivity:
    """Rewrite an activity (its key stays: the ledger refers to it). Emits consent.activity.changed."""
    _check(ctx, app_id, body)
    row = find_activity(ctx, app_id, key)
    for name, value in _fields(body).items():
        setattr(row, name, value)
    row.updated_at = ctx.clock.now()
    audit.record(ctx, ConsentEvent.ACTIVITY_CHANGED, subject=_ref(row), app_id=app_id, data=_audit_data(row))
    return row


def archive_activity(ctx: Ctx, app_id: uuid.UUID, key: str) -> None:
    """Stop an activity: it leaves the map (checks of it are refused as not found); its ledger history stays. Emits
    consent.activity.archived. Its key can then be used again for a new activity."""
    apps.get_app(ctx, app_id)
    row = find_activity(ctx, app_id, key)
    row.archived_at = ctx.clock.now()
    row.key = f"{row.key}~{row.id.hex[:12]}"  # frees the key; the ledger keeps the original in its subjects
    audit.record(ctx, ConsentEvent.ACTIVITY_ARCHIVED, subject=_ref(row), app_id=app_id, data={"key": key})


def analyse_app(ctx: Ctx, app_id: uuid.UUID) -> list[rules.Finding]:
    """The forced-consent analysis of the app's current map."""
    app = apps.get_app(ctx, app_id)
    activities = [to_rule(r) for r in list_activities(ctx, app_id)]
    return rules.analyse(
        list(app.app_types), activities, catalogue=load_catalogue(), pi_catalogue=rules.load_pi_catalogue()
    )


def _audit_data(row: ProcessingActivity) -> dict[str, Any]:
    return {
        "key": row.key, "pi_items": row.pi_items, "basis": row.basis, "basic_type": row.basic_type,
        "choice": row.choice, "separate": row.separate, "recipients": [r["name"] for r in row.recipients],
    }  # fmt: skip


def _ref(row: ProcessingActivity) -> audit.Subject:
    return audit.Subject("processing_activity", str(row.id))
