"""Pure rules of the notices outbox: channels, states, retry back-off, recipient checks and masking."""

from __future__ import annotations

import datetime as dt
import enum
import re
from typing import Final

from appcomply.notices.errors import (
    InvalidNoticeContent,
    InvalidRecipient,
    NoticeNotDead,
    RecipientRequired,
    UserRequired,
)


class Channel(enum.StrEnum):
    INBOX = "inbox"
    SMS = "sms"
    EMAIL = "email"


class NoticeStatus(enum.StrEnum):
    QUEUED = "queued"  # waiting for its first attempt
    RETRYING = "retrying"  # an attempt failed; due again at not_before
    SENDING = "sending"  # claimed by a worker until not_before (its lease); due again if the worker is lost
    SENT = "sent"  # handed to the gateway, or placed in the in-app inbox
    DEAD = "dead"  # out of attempts, or refused for good; an admin may re-queue it


DUE_STATUSES: Final = (NoticeStatus.QUEUED, NoticeStatus.RETRYING)
# A claim whose lease ran out is due again as well: its worker crashed or hung (at-least-once).
CLAIMABLE_STATUSES: Final = (*DUE_STATUSES, NoticeStatus.SENDING)
MAX_BACKOFF: Final = dt.timedelta(days=1)
# Answers that no retry can change: the next attempt would be refused the same way.
PERMANENT_ERRORS: Final = frozenset(
    {"sms.invalid_number", "sms.recipient_blocked", "email.recipient_refused", "notices.recipient_missing"}
)
# Recorded for a claimed notice whose worker was lost (lease ran out) when it had no attempts left.
WORKER_LOST: Final = "notices.worker_lost"

SUBJECT_MAX: Final = 200
BODY_MAX: Final = 20_000
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
_EMAIL = re.compile(r"[^@\s\x00]{1,64}@[^@\s\x00]{1,255}\.[^@\s\x00.]{2,63}")


def check_recipient(channel: Channel, *, user_id: object | None, recipient: str | None) -> str | None:
    """The recipient to store for `channel` (stripped), or None for the inbox.

    SMS needs an E.164 number and e-mail an address (RecipientRequired, InvalidRecipient); the inbox needs a user
    and takes no recipient (UserRequired, InvalidRecipient). Messages never echo the value.
    """
    if channel is Channel.INBOX:
        if user_id is None:
            raise UserRequired("an inbox notice is addressed to a user")
        if recipient is not None:
            raise InvalidRecipient("an inbox notice has no phone number or e-mail address", channel=channel.value)
        return None
    if recipient is None or not recipient.strip():
        raise RecipientRequired(f"a {channel.value} notice needs a recipient", channel=channel.value)
    value = recipient.strip()
    pattern = _E164 if channel is Channel.SMS else _EMAIL
    if not pattern.fullmatch(value):
        what = "an E.164 phone number (+86 and the mobile number)" if channel is Channel.SMS else "an e-mail address"
        raise InvalidRecipient(f"the recipient is not {what}", channel=channel.value)
    return value


def mask_recipient(channel: Channel, recipient: str) -> str:
    """What the console shows: +86138****8000, a***@example.com."""
    if channel is Channel.SMS:
        # The middle four of the subscriber number go, as on the identity module's masks: +86138****8000.
        return f"{recipient[:-8]}****{recipient[-4:]}"
    name, _, domain = recipient.partition("@")
    return f"{name[:1]}***@{domain}"


def retry_delay(attempts: int, *, base_seconds: float) -> dt.timedelta:
    """Exponential back-off after `attempts` failed attempts: base, 2·base, 4·base, … capped at a day."""
    seconds = base_seconds * 2 ** max(0, attempts - 1)
    return min(dt.timedelta(seconds=seconds), MAX_BACKOFF)


def after_failure(attempts: int, error_code: str, *, max_attempts: int) -> NoticeStatus:
    """The state after a failed attempt (`attempts` counts it): retrying, or dead when out of attempts or hopeless."""
    if attempts >= max_attempts or error_code in PERMANENT_ERRORS:
        return NoticeStatus.DEAD
    return NoticeStatus.RETRYING


def ensure_requeueable(status: str) -> None:
    """Only a dead notice goes back to the queue: a sent one is final (its content is evidence)."""
    if status != NoticeStatus.DEAD:
        raise NoticeNotDead("only a dead notice can be re-queued", status=status)


def check_content(subject: str, body: str) -> None:
    """A subject of 1–200 and a body of 1–20 000 characters, without NUL (PostgreSQL cannot store it)."""
    if not subject.strip() or not body.strip():
        raise InvalidNoticeContent("a notice needs a subject and a body")
    if len(subject) > SUBJECT_MAX or len(body) > BODY_MAX:
        raise InvalidNoticeContent(f"subject at most {SUBJECT_MAX}, body at most {BODY_MAX} characters")
    if "\x00" in subject or "\x00" in body:
        raise InvalidNoticeContent("a notice cannot contain a NUL character")
