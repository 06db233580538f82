"""Pure rules of the notices outbox: recipients, masking, back-off, dead-lettering, content."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from appcomply.notices import rules
from appcomply.notices.errors import (
    InvalidNoticeContent,
    InvalidRecipient,
    NoticeNotDead,
    RecipientRequired,
    UserRequired,
)
from appcomply.notices.rules import Channel, NoticeStatus

USER = uuid.uuid4()


def test_an_inbox_notice_needs_a_user_and_no_recipient() -> None:
    assert rules.check_recipient(Channel.INBOX, user_id=USER, recipient=None) is None
    with pytest.raises(UserRequired):
        rules.check_recipient(Channel.INBOX, user_id=None, recipient=None)
    with pytest.raises(InvalidRecipient):
        rules.check_recipient(Channel.INBOX, user_id=USER, recipient="+8613800138000")


@pytest.mark.parametrize("channel", [Channel.SMS, Channel.EMAIL])
@pytest.mark.parametrize("recipient", [None, "", "   "])
def test_sms_and_email_need_a_recipient(channel: Channel, recipient: str | None) -> None:
    with pytest.raises(RecipientRequired):
        rules.check_recipient(channel, user_id=USER, recipient=recipient)


@pytest.mark.parametrize(
    ("channel", "recipient"),
    [(Channel.SMS, "13800138000"), (Channel.SMS, "+86 138"), (Channel.EMAIL, "no-at-sign"), (Channel.EMAIL, "a@b")],
)
def test_a_malformed_recipient_is_refused_without_echoing_it(channel: Channel, recipient: str) -> None:
    with pytest.raises(InvalidRecipient) as caught:
        rules.check_recipient(channel, user_id=USER, recipient=recipient)
    assert recipient not in caught.value.detail


def test_recipients_are_stripped_and_masked() -> None:
    assert rules.check_recipient(Channel.SMS, user_id=None, recipient=" +8613800138000 ") == "+8613800138000"
    assert rules.mask_recipient(Channel.SMS, "+8613800138000") == "+86138****8000"
    assert rules.mask_recipient(Channel.EMAIL, "alice@example.com") == "a***@example.com"


def test_back_off_doubles_from_the_base_and_is_capped_at_a_day() -> None:
    delays = [rules.retry_delay(n, base_seconds=30) for n in range(1, 5)]
    assert delays == [dt.timedelta(seconds=s) for s in (30, 60, 120, 240)]
    assert rules.retry_delay(40, base_seconds=30) == dt.timedelta(days=1)


def test_a_failure_retries_until_the_last_attempt_and_a_hopeless_one_is_dead_at_once() -> None:
    assert rules.after_failure(1, "notices.email.unavailable", max_attempts=5) is NoticeStatus.RETRYING
    assert rules.after_failure(5, "notices.email.unavailable", max_attempts=5) is NoticeStatus.DEAD
    assert rules.after_failure(1, "sms.invalid_number", max_attempts=5) is NoticeStatus.DEAD


@pytest.mark.parametrize(("subject", "body"), [("", "b"), ("s", " "), ("s" * 201, "b"), ("s", "a\x00b")])
def test_content_must_be_present_bounded_and_free_of_nul(subject: str, body: str) -> None:
    with pytest.raises(InvalidNoticeContent):
        rules.check_content(subject, body)


def test_only_a_dead_notice_can_be_requeued() -> None:
    rules.ensure_requeueable(NoticeStatus.DEAD)
    for status in (NoticeStatus.QUEUED, NoticeStatus.RETRYING, NoticeStatus.SENT):
        with pytest.raises(NoticeNotDead):
            rules.ensure_requeueable(status)
