"""Adapters of the notices ports, and the one place that picks the e-mail sender from settings (C3).

SMS notices go through the SMS gateway the identity module already configured: the composition root passes it in.
"""

from __future__ import annotations

from appcomply.notices.ports import EmailSender, NoticeSenders, SmsSender
from appcomply.notices.providers.local import LocalEmailOutbox, OutboxMessage
from appcomply.notices.providers.smtp import SmtpEmailSender
from appcomply.settings import EmailProvider, Settings

__all__ = ["LocalEmailOutbox", "OutboxMessage", "SmtpEmailSender", "build_email_sender", "build_notice_senders"]


def build_email_sender(settings: Settings) -> EmailSender:
    if settings.providers.email is EmailProvider.SMTP:
        return SmtpEmailSender(settings.smtp, ca_file=settings.smtp.ca_file)
    return LocalEmailOutbox()


def build_notice_senders(settings: Settings, *, sms: SmsSender) -> NoticeSenders:
    return NoticeSenders(sms=sms, email=build_email_sender(settings))
