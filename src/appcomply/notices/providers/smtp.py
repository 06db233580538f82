"""E-mail through an SMTP server (smtplib): STARTTLS or implicit TLS, login, one connection per message.

The server's certificate is verified against the system's CAs, or only against `ca_file` when given (a company
mail relay with a private CA). A certificate that does not verify raises EmailUnavailable with reason
`tls_certificate`: the message is never handed to a server that could not prove who it is.

A server's permanent refusal of the recipient (5xx on RCPT) is a result (`email.recipient_refused`); any other
failure to complete the conversation raises EmailUnavailable, and the worker retries the notice later.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from appcomply.notices.ports import EmailReceipt, EmailUnavailable
from appcomply.settings import SmtpSecurity, SmtpSettings

PROVIDER = "smtp"
log = logging.getLogger(__name__)


class SmtpEmailSender:
    def __init__(
        self, settings: SmtpSettings, *, ca_file: Path | None = None, tls_context: ssl.SSLContext | None = None
    ) -> None:
        self._settings = settings
        self._tls = tls_context or ssl.create_default_context(cafile=str(ca_file) if ca_file else None)

    def send(self, *, to: str, subject: str, body: str, request_ref: str) -> EmailReceipt:
        cfg = self._settings
        message = EmailMessage()
        message["From"] = cfg.from_address
        message["To"] = to
        message["Subject"] = subject
        message["Message-ID"] = make_msgid(idstring=request_ref.replace("-", "")[:32])
        message.set_content(body)
        try:
            with self._connect() as smtp:
                if cfg.username:
                    smtp.login(cfg.username, cfg.password.get_secret_value())
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if all(code >= 500 for code in codes):
                log.info("email provider=smtp ref=%s result=recipient_refused", request_ref)
                return EmailReceipt(PROVIDER, "", False, "email.recipient_refused")
            raise self._unavailable("recipient_deferred", request_ref) from None
        except smtplib.SMTPAuthenticationError:
            raise self._unavailable("authentication", request_ref) from None
        except ssl.SSLCertVerificationError:
            raise self._unavailable("tls_certificate", request_ref) from None
        except (smtplib.SMTPException, OSError) as exc:
            # Messages of smtplib errors may quote the server's reply, which can echo the address: type name only.
            raise self._unavailable(type(exc).__name__, request_ref) from None
        log.info("email provider=smtp ref=%s result=accepted", request_ref)
        return EmailReceipt(PROVIDER, str(message["Message-ID"]).strip("<>"), True, "email.accepted")

    def _connect(self) -> smtplib.SMTP:
        cfg = self._settings
        if cfg.security is SmtpSecurity.SSL:
            return smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=cfg.timeout_seconds, context=self._tls)
        smtp = smtplib.SMTP(cfg.host, cfg.port, timeout=cfg.timeout_seconds)
        if cfg.security is SmtpSecurity.STARTTLS:
            try:
                smtp.starttls(context=self._tls)
            except BaseException:
                smtp.close()
                raise
        return smtp

    @staticmethod
    def _unavailable(reason: str, request_ref: str) -> EmailUnavailable:
        log.warning("email provider=smtp ref=%s unavailable reason=%s", request_ref, reason)
        return EmailUnavailable("the mail server did not accept the message", provider=PROVIDER, reason=reason)
