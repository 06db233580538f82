"""Notices use cases, one file per area: writing the outbox, delivering it, the inbox, the staff queue."""

from appcomply.notices.service._deliver import DEFAULT_LEASE_SECONDS, DeliveryReport, deliver_due
from appcomply.notices.service._drain import OutboxDrainer, drain
from appcomply.notices.service._enqueue import FAN_OUT_BATCH, RECIPIENT_KIND, enqueue, enqueue_addressed, enqueue_many
from appcomply.notices.service._env import NoticesEnv
from appcomply.notices.service._inbox import list_inbox, mark_read
from appcomply.notices.service._queue import (
    DeliverySummary,
    count_by_status,
    delivery_by_channel,
    delivery_summary,
    get_notice,
    list_queue,
    requeue_dead,
)
from appcomply.notices.service._subject import erase_user, export_user

__all__ = [
    "DEFAULT_LEASE_SECONDS",
    "FAN_OUT_BATCH",
    "RECIPIENT_KIND",
    "DeliveryReport",
    "DeliverySummary",
    "NoticesEnv",
    "OutboxDrainer",
    "count_by_status",
    "deliver_due",
    "delivery_by_channel",
    "delivery_summary",
    "drain",
    "enqueue",
    "enqueue_addressed",
    "enqueue_many",
    "erase_user",
    "export_user",
    "get_notice",
    "list_inbox",
    "list_queue",
    "mark_read",
    "requeue_dead",
]
