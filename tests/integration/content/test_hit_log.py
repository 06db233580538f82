"""The screening hit log written behind the request: what is queued is written, a failed write keeps its rows for the
next flush, and a queue that cannot be written forever drops its oldest rows and counts them."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from appcomply.content.models import ScreeningHit
from appcomply.content.service import HitLog
from appcomply.kernel.context import Ctx
from appcomply.kernel.ids import new_id
from tests.factories.apps import make_app

pytestmark = pytest.mark.db


def _rows(ctx: Ctx, app_id: uuid.UUID, n: int, term: str = "弹簧刀") -> list[dict[str, object]]:
    return [
        {"id": new_id(), "app_id": app_id, "screening_id": new_id(), "kind": "comment", "term": term,
         "category": "contraband", "level": "block", "evasions": [], "lexicon_version": 0, "at": ctx.clock.now()}
        for _ in range(n)
    ]  # fmt: skip


def _stored(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(ScreeningHit)) or 0


def test_a_flush_writes_everything_queued(ctx: Ctx, session: Session, session_factory: sessionmaker[Session]) -> None:
    app = make_app(ctx)
    ctx.session.flush()
    log = HitLog()
    log.add(_rows(ctx, app.id, 3))
    log.add(_rows(ctx, app.id, 2))
    assert log.flush(session_factory) == 5
    assert log.queued == 0
    assert _stored(session) == 5
    assert log.flush(session_factory) == 0


def test_a_failed_flush_keeps_its_rows_for_the_next(
    ctx: Ctx, session: Session, session_factory: sessionmaker[Session], tmp_path: object
) -> None:
    app = make_app(ctx)
    ctx.session.flush()
    log = HitLog()
    log.add(_rows(ctx, app.id, 4))
    gone = sessionmaker(bind=create_engine(f"sqlite:///{tmp_path}/no/such/dir/x.db"))
    assert log.flush(gone) == 0
    assert log.queued == 4
    assert log.flush(session_factory) == 4
    assert _stored(session) == 4


def test_a_full_queue_drops_its_oldest_rows_and_counts_them(ctx: Ctx) -> None:
    app_id = new_id()
    log = HitLog(max_queued=3)
    log.add(_rows(ctx, app_id, 2, term="old"))
    log.add(_rows(ctx, app_id, 2, term="new"))
    assert (log.queued, log.dropped) == (3, 1)
