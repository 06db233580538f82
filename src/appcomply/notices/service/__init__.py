"""Notices use cases, one file per area: writing the outbox, delivering it, the inbox, the staff queue."""

from appcomply.notices.service._deliver import DeliveryReport, OutboxDrainer, deliver_due, drain
from appcomply.notices.service._enqueue import FAN_OUT_BATCH, RECIPIENT_KIND, enqueue, enqueue_many
from appcomply.notices.service._env import NoticesEnv
from appcomply.notices.service._inbox import list_inbox, mark_read
from appcomply.notices.service._queue import count_by_status, get_notice, list_queue, requeue_dead

__all__ = [
    "FAN_OUT_BATCH",
    "RECIPIENT_KIND",
    "DeliveryReport",
    "NoticesEnv",
    "OutboxDrainer",
    "count_by_status",
    "deliver_due",
    "drain",
    "enqueue",
    "enqueue_many",
    "get_notice",
    "list_inbox",
    "list_queue",
    "mark_read",
    "requeue_dead",
]
