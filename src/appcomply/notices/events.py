"""Audit event names of the notices module."""

from __future__ import annotations

import enum


class NoticesEvent(enum.StrEnum):
    QUEUED = "notices.notice.queued"
    BATCH_QUEUED = "notices.batch.queued"
    # One entry per app per worker step, listing the notices sent, retrying and dead (not one per notice: the
    # audit head row is locked until commit, and an entry per notice made it the workers' serialisation point).
    BATCH_DELIVERED = "notices.batch.delivered"
    READ = "notices.notice.read"
    REQUEUED = "notices.notice.requeued"
