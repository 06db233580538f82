"""Audit event names of the notices module."""

from __future__ import annotations

import enum


class NoticesEvent(enum.StrEnum):
    QUEUED = "notices.notice.queued"
    BATCH_QUEUED = "notices.batch.queued"
    SENT = "notices.notice.sent"
    RETRIED = "notices.notice.retried"
    DEAD = "notices.notice.dead"
    READ = "notices.notice.read"
    REQUEUED = "notices.notice.requeued"
