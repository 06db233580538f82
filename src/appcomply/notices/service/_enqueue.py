"""Writing notices into the outbox, in the transaction of the change that causes them."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping
from itertools import islice
from typing import Any, Final, cast

from sqlalchemy import Table, insert

from appcomply import audit, vault
from appcomply.kernel.context import Ctx
from appcomply.kernel.ids import new_id
from appcomply.notices import rules
from appcomply.notices.errors import InvalidRecipient, RecipientRequired
from appcomply.notices.events import NoticesEvent
from appcomply.notices.models import Notice
from appcomply.notices.rules import Channel, NoticeStatus

# Phone numbers and e-mail addresses are both sealed as contact data under the vault's PHONE kind: the vault has
# no e-mail kind yet, and the kind only binds the ciphertext to its use (AAD), which is "contact of a user" here.
RECIPIENT_KIND: Final = vault.PiKind.PHONE
FAN_OUT_BATCH: Final = 500  # rows per multi-row INSERT: ~17 parameters each stays far below every driver's limit
_NOTICES = cast(Table, Notice.__table__)


def _ref(notice: Notice) -> audit.Subject:
    return audit.Subject("notice", str(notice.id))


def enqueue(
    ctx: Ctx,
    *,
    app_id: uuid.UUID,
    user_id: uuid.UUID | None,
    channel: Channel,
    subject: str,
    body: str,
    recipient: str | None = None,
    reason: audit.Subject | None = None,
    keyring: vault.Keyring | None = None,
) -> Notice:
    """Queue one notice in the caller's transaction (status queued, due now). Emits notices.notice.queued.

    Nothing is sent here: a worker delivers after commit, so a rolled-back change sends nothing. SMS and e-mail
    need `recipient` (E.164 number or address), stored sealed, so `keyring` is then required; inbox notices need
    `user_id` and no recipient. RecipientRequired, InvalidRecipient, UserRequired, InvalidNoticeContent.
    """
    rules.check_content(subject, body)
    value = rules.check_recipient(channel, user_id=user_id, recipient=recipient)
    if value is not None and keyring is None:
        raise TypeError("enqueue() needs the vault keyring to seal the recipient")
    now = ctx.clock.now()
    notice = Notice(
        id=new_id(),
        app_id=app_id,
        user_id=user_id,
        channel=channel.value,
        status=NoticeStatus.QUEUED.value,
        subject=subject,
        body=body,
        recipient_sealed=vault.seal(keyring, value, kind=RECIPIENT_KIND, context=str(app_id))
        if value is not None and keyring is not None
        else None,
        recipient_masked=rules.mask_recipient(channel, value) if value is not None else None,
        reason_kind=reason.kind if reason else None,
        reason_id=reason.id if reason else None,
        attempts=0,
        not_before=now,
        created_at=now,
        updated_at=now,
    )
    ctx.session.add(notice)
    ctx.session.flush()
    data: dict[str, Any] = {"channel": channel.value, "user_id": str(user_id) if user_id else None}
    if notice.recipient_masked:
        data["recipient"] = notice.recipient_masked
    if reason:
        data["reason"] = f"{reason.kind}:{reason.id}"
    audit.record(ctx, NoticesEvent.QUEUED, subject=_ref(notice), app_id=app_id, data=data)
    return notice


def enqueue_many(
    ctx: Ctx,
    *,
    app_id: uuid.UUID,
    user_ids: Iterable[uuid.UUID],
    channel: Channel,
    subject: str,
    body: str,
    reason: audit.Subject | None,
) -> int:
    """Queue the same inbox notice for each user (fan-out), returning how many. Emits one notices.batch.queued.

    Multi-row INSERTs of FAN_OUT_BATCH rows, no ORM objects: a change notice to every registered user of an app
    must not cost one statement per user. Only the inbox can fan out (the others need one recipient each:
    RecipientRequired). InvalidNoticeContent.
    """
    if channel is not Channel.INBOX:
        raise RecipientRequired("only inbox notices fan out; SMS and e-mail need one recipient each")
    rules.check_content(subject, body)
    common = _common_row(ctx, app_id=app_id, channel=channel, subject=subject, body=body, reason=reason)
    count = 0
    conn = ctx.session.connection()
    for chunk in _chunks(iter(user_ids), FAN_OUT_BATCH):
        conn.execute(insert(_NOTICES).values([{**common, "id": new_id(), "user_id": uid} for uid in chunk]))
        count += len(chunk)
    _audit_batch(ctx, app_id=app_id, channel=channel, count=count, reason=reason)
    return count


def enqueue_addressed(
    ctx: Ctx,
    *,
    app_id: uuid.UUID,
    recipients: Mapping[uuid.UUID, str],
    channel: Channel,
    subject: str,
    body: str,
    reason: audit.Subject | None,
    keyring: vault.Keyring,
) -> int:
    """Queue the same SMS or e-mail notice to each user at their own recipient ({user id: number or address}),
    returning how many. Emits one notices.batch.queued.

    The bulk form of `enqueue` for SMS and e-mail: each recipient is checked (E.164 number or address), sealed and
    masked exactly as `enqueue` does, and the rows go in multi-row INSERTs of FAN_OUT_BATCH. One bad recipient
    refuses the whole call before anything is written (InvalidRecipient, RecipientRequired); the inbox takes no
    recipient and fans out with `enqueue_many` (InvalidRecipient). InvalidNoticeContent.
    """
    if channel is Channel.INBOX:
        raise InvalidRecipient("an inbox notice has no recipient: use enqueue_many", channel=channel.value)
    rules.check_content(subject, body)
    checked = [(uid, rules.check_recipient(channel, user_id=uid, recipient=to)) for uid, to in recipients.items()]
    common = _common_row(ctx, app_id=app_id, channel=channel, subject=subject, body=body, reason=reason)
    context = str(app_id)
    conn = ctx.session.connection()
    for start in range(0, len(checked), FAN_OUT_BATCH):
        rows = [
            {**common, "id": new_id(), "user_id": uid,
             "recipient_sealed": vault.seal(keyring, value, kind=RECIPIENT_KIND, context=context),
             "recipient_masked": rules.mask_recipient(channel, value)}
            for uid, value in checked[start : start + FAN_OUT_BATCH]
            if value is not None
        ]  # fmt: skip
        conn.execute(insert(_NOTICES).values(rows))
    _audit_batch(ctx, app_id=app_id, channel=channel, count=len(checked), reason=reason)
    return len(checked)


def _common_row(
    ctx: Ctx, *, app_id: uuid.UUID, channel: Channel, subject: str, body: str, reason: audit.Subject | None
) -> dict[str, Any]:
    """The columns every notice of one batch shares: queued, due now, no recipient yet."""
    now = ctx.clock.now()
    return {
        "app_id": app_id, "channel": channel.value, "status": NoticeStatus.QUEUED.value, "subject": subject,
        "body": body, "recipient_sealed": None, "recipient_masked": None,
        "reason_kind": reason.kind if reason else None, "reason_id": reason.id if reason else None,
        "attempts": 0, "not_before": now, "last_error": None, "provider": None, "provider_ref": None,
        "worker": None, "created_at": now, "updated_at": now, "sent_at": None, "read_at": None,
    }  # fmt: skip


def _audit_batch(ctx: Ctx, *, app_id: uuid.UUID, channel: Channel, count: int, reason: audit.Subject | None) -> None:
    subject_ref = reason or audit.Subject("app", str(app_id))
    data = {"channel": channel.value, "count": count, "reason": f"{reason.kind}:{reason.id}" if reason else None}
    audit.record(ctx, NoticesEvent.BATCH_QUEUED, subject=subject_ref, app_id=app_id, data=data)


def _chunks(values: Iterator[uuid.UUID], size: int) -> Iterator[list[uuid.UUID]]:
    while chunk := list(islice(values, size)):
        yield chunk
