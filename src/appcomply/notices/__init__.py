"""notices: the outbox — notices written in the transaction of the change that causes them, delivered after commit
by workers (in-app inbox, SMS, e-mail) with retries, back-off and a dead-letter state."""

from appcomply.notices.errors import (
    InvalidNoticeContent,
    InvalidRecipient,
    NoticeNotDead,
    NoticeNotFound,
    RecipientRequired,
    UserRequired,
)
from appcomply.notices.models import Notice
from appcomply.notices.ports import EmailReceipt, EmailSender, EmailUnavailable, NoticeSenders, SmsSender
from appcomply.notices.rules import Channel, NoticeStatus, mask_recipient
from appcomply.notices.service import (
    DeliveryReport,
    DeliverySummary,
    NoticesEnv,
    OutboxDrainer,
    count_by_status,
    deliver_due,
    delivery_summary,
    drain,
    enqueue,
    enqueue_many,
    erase_user,
    export_user,
    get_notice,
    list_inbox,
    list_queue,
    mark_read,
    requeue_dead,
)

__all__ = [
    "Channel",
    "DeliveryReport",
    "DeliverySummary",
    "EmailReceipt",
    "EmailSender",
    "EmailUnavailable",
    "InvalidNoticeContent",
    "InvalidRecipient",
    "Notice",
    "NoticeNotDead",
    "NoticeNotFound",
    "NoticeSenders",
    "NoticeStatus",
    "NoticesEnv",
    "OutboxDrainer",
    "RecipientRequired",
    "SmsSender",
    "UserRequired",
    "count_by_status",
    "deliver_due",
    "delivery_summary",
    "drain",
    "enqueue",
    "enqueue_many",
    "erase_user",
    "export_user",
    "get_notice",
    "list_inbox",
    "list_queue",
    "mark_read",
    "mask_recipient",
    "requeue_dead",
]
