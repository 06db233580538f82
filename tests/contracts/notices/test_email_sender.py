"""One suite for the EmailSender port, run against the local outbox and the SMTP adapter.

The SMTP adapter talks to a real SMTP server on 127.0.0.1 (a small socketserver written here, so the whole
conversation — EHLO, AUTH PLAIN, MAIL, RCPT, DATA, QUIT — crosses a real TCP socket).
"""

from __future__ import annotations

import base64
import email
import socket
import socketserver
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message

import pytest
from pydantic import SecretStr

from appcomply.notices.ports import EmailSender, EmailUnavailable
from appcomply.notices.providers import LocalEmailOutbox, SmtpEmailSender
from appcomply.settings import SmtpSecurity, SmtpSettings

USER, PASSWORD = "notices", "s3cret"


@dataclass
class Mailbox:
    messages: list[tuple[str, list[str], Message]] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)


class _SmtpHandler(socketserver.StreamRequestHandler):
    """Enough of RFC 5321 for smtplib: refuses recipients at refused.example (550), AUTH PLAIN only."""

    server: _SmtpServer

    def _say(self, line: str) -> None:
        self.wfile.write((line + "\r\n").encode())

    def handle(self) -> None:
        self._say("220 test ESMTP")
        sender, recipients = "", []
        while raw := self.rfile.readline():
            line = raw.decode().rstrip("\r\n")
            verb = line.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self._say("250-test")
                self._say("250 AUTH PLAIN")
            elif verb == "AUTH":
                _, user, password = base64.b64decode(line.split()[2]).decode().split("\0")
                ok = (user, password) == (USER, PASSWORD)
                self.server.mailbox.logins.append(user)
                self._say("235 ok" if ok else "535 bad credentials")
            elif verb == "MAIL":
                sender, recipients = line.split(":", 1)[1].strip("<> "), []
                self._say("250 ok")
            elif verb == "RCPT":
                to = line.split(":", 1)[1].strip("<> ")
                if to.endswith("@refused.example"):
                    self._say("550 no such user")
                else:
                    recipients.append(to)
                    self._say("250 ok")
            elif verb == "DATA":
                self._say("354 end with .")
                body = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    body += chunk
                self.server.mailbox.messages.append((sender, recipients, email.message_from_bytes(body)))
                self._say("250 queued")
            elif verb == "QUIT":
                self._say("221 bye")
                return
            else:
                self._say("250 ok")


class _SmtpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _SmtpHandler)
        self.mailbox = Mailbox()


@pytest.fixture
def smtp_server() -> Iterator[_SmtpServer]:
    server = _SmtpServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _smtp(server: _SmtpServer, **overrides: object) -> SmtpEmailSender:
    settings = SmtpSettings(
        host="127.0.0.1",
        port=server.server_address[1],
        username=USER,
        password=SecretStr(PASSWORD),
        from_address="notices@app.example",
        security=SmtpSecurity.NONE,
        timeout_seconds=5,
    )
    return SmtpEmailSender(settings.model_copy(update=overrides))


@pytest.fixture(params=["local", "smtp"])
def sender(request: pytest.FixtureRequest, smtp_server: _SmtpServer) -> EmailSender:
    return LocalEmailOutbox() if request.param == "local" else _smtp(smtp_server)


def test_a_message_is_accepted_with_a_receipt(sender: EmailSender) -> None:
    receipt = sender.send(to="reader@example.com", subject="协议更新", body="正文", request_ref="n-1")
    assert receipt.accepted
    assert receipt.result_code == "email.accepted"
    assert receipt.provider_request_id


def test_smtp_logs_in_and_delivers_the_exact_subject_and_body(smtp_server: _SmtpServer) -> None:
    _smtp(smtp_server).send(to="reader@example.com", subject="用户协议更新", body="第 3 条已修改。", request_ref="n-2")
    [(sender, recipients, message)] = smtp_server.mailbox.messages
    assert (sender, recipients, smtp_server.mailbox.logins) == ("notices@app.example", ["reader@example.com"], [USER])
    assert str(email.header.make_header(email.header.decode_header(message["Subject"]))) == "用户协议更新"
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    assert payload.decode(message.get_content_charset() or "utf-8").strip() == "第 3 条已修改。"


def test_smtp_answers_a_refused_recipient_as_a_result(smtp_server: _SmtpServer) -> None:
    receipt = _smtp(smtp_server).send(to="nobody@refused.example", subject="s", body="b", request_ref="n-3")
    assert (receipt.accepted, receipt.result_code) == (False, "email.recipient_refused")


def test_smtp_wrong_credentials_are_unavailable_without_echoing_the_address(smtp_server: _SmtpServer) -> None:
    with pytest.raises(EmailUnavailable) as caught:
        _smtp(smtp_server, password=SecretStr("wrong")).send(to="r@example.com", subject="s", body="b", request_ref="x")
    assert caught.value.fields["reason"] == "authentication"
    assert "r@example.com" not in str(caught.value.fields) + caught.value.detail


def test_smtp_refuses_to_send_in_clear_when_starttls_is_required_but_not_offered(smtp_server: _SmtpServer) -> None:
    with pytest.raises(EmailUnavailable):
        _smtp(smtp_server, security=SmtpSecurity.STARTTLS).send(
            to="r@example.com", subject="s", body="b", request_ref="x"
        )
    assert smtp_server.mailbox.messages == []


def test_smtp_server_down_is_unavailable() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = SmtpSettings(host="127.0.0.1", port=port, from_address="n@app.example", security=SmtpSecurity.NONE)
    with pytest.raises(EmailUnavailable):
        SmtpEmailSender(settings).send(to="r@example.com", subject="s", body="b", request_ref="x")
