"""Errors of the notices module. Fields never carry a recipient's phone number or e-mail address."""

from __future__ import annotations

from appcomply.kernel.errors import Conflict, Invalid, NotFound


class NoticeNotFound(NotFound):
    code = "notices.notice.not_found"
    title = "Notice not found"


class RecipientRequired(Invalid):
    code = "notices.recipient.required"
    title = "SMS and e-mail notices need a recipient"


class InvalidRecipient(Invalid):
    code = "notices.recipient.invalid"
    title = "Invalid notice recipient"


class UserRequired(Invalid):
    code = "notices.user.required"
    title = "Inbox notices are addressed to a user"


class NoticeNotDead(Conflict):
    code = "notices.notice.not_dead"
    title = "Only a dead notice can be re-queued"


class InvalidNoticeContent(Invalid):
    code = "notices.content.invalid"
    title = "Notice subject or body is empty, too long or holds a NUL character"
