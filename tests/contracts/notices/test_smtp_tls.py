"""The SMTP adapter over real TLS: STARTTLS on 587-style servers and implicit TLS (SMTPS), against a certificate
made for this run by a throwaway CA (cryptography), trusted through the adapter's `ca_file`.

The server is a small threaded socketserver written here (no aiosmtpd: the stdlib and `ssl` are enough for the
part of RFC 3207 smtplib uses). It records, for each message, the TLS version of the socket the DATA arrived on,
so the test sees that the message and the login crossed the wire encrypted, not just that smtplib said so.
"""

from __future__ import annotations

import base64
import datetime as dt
import email
import ipaddress
import socket
import socketserver
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Any, BinaryIO

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pydantic import SecretStr

from appcomply.notices.ports import EmailUnavailable
from appcomply.notices.providers import SmtpEmailSender
from appcomply.settings import SmtpSecurity, SmtpSettings

USER, PASSWORD = "notices", "s3cret"
# Certificates are checked against the real time by OpenSSL, so they are valid around the wall clock, not the
# tests' FixedClock; a fixed wide window keeps this free of time calls (T1).
NOT_BEFORE = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
NOT_AFTER = dt.datetime(2099, 1, 1, tzinfo=dt.UTC)


# --- certificates ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ca:
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    def pem_file(self, directory: Path) -> Path:
        path = directory / "ca.pem"
        path.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))
        return path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_ca(common_name: str) -> Ca:
    key = ec.generate_private_key(ec.SECP256R1())
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOT_BEFORE)
        .not_valid_after(NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(ski, critical=False)
        .sign(key, hashes.SHA256())
    )
    return Ca(cert, key)


def make_server_cert(
    ca: Ca, directory: Path, *, names: tuple[str, ...] = ("localhost", "127.0.0.1")
) -> tuple[Path, Path]:
    """A server certificate signed by `ca` for `names` (DNS names and IP addresses); (cert file, key file)."""
    key = ec.generate_private_key(ec.SECP256R1())
    sans: list[x509.GeneralName] = []
    for name in names:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            sans.append(x509.DNSName(name))
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(names[0]))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOT_BEFORE)
        .not_valid_after(NOT_AFTER)
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False)
        .sign(ca.key, hashes.SHA256())
    )
    cert_file, key_file = directory / f"{names[0]}.crt", directory / f"{names[0]}.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_file, key_file


# --- the server -----------------------------------------------------------------------------------------------------


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: Message
    tls_version: str | None  # of the socket the DATA came in on; None in clear


@dataclass
class Mailbox:
    messages: list[Received] = field(default_factory=list)
    logins: list[tuple[str, str | None]] = field(default_factory=list)  # (user, TLS version at AUTH)
    handshake_failures: int = 0


class _TlsSmtpHandler(socketserver.BaseRequestHandler):
    """Enough of RFC 5321 + 3207 for smtplib: EHLO, STARTTLS, AUTH PLAIN, MAIL, RCPT, DATA, QUIT."""

    server: _TlsSmtpServer

    def setup(self) -> None:
        self.sock: socket.socket = self.request
        self.tls: ssl.SSLSocket | None = None
        self.sock.settimeout(5)

    def finish(self) -> None:
        if self.tls is not None:  # wrap_socket() moved the connection into it: the server closes only the plain one
            self.tls.close()

    def _files(self) -> tuple[BinaryIO, Any]:
        sock = self.tls or self.sock
        return sock.makefile("rb"), sock.makefile("wb", buffering=0)

    def _starttls(self) -> bool:
        try:
            self.tls = self.server.tls.wrap_socket(self.sock, server_side=True)
        except (ssl.SSLError, OSError):
            self.server.mailbox.handshake_failures += 1  # the client refused our certificate
            return False
        return True

    def handle(self) -> None:
        if self.server.implicit and not self._starttls():
            return
        rfile, wfile = self._files()

        def say(line: str) -> None:
            wfile.write((line + "\r\n").encode())

        say("220 test ESMTP")
        sender, recipients, tls_offered = "", list[str](), self.tls is None
        while raw := rfile.readline():
            line = raw.decode().rstrip("\r\n")
            verb = line.split(" ", 1)[0].upper()
            version = self.tls.version() if self.tls else None
            if verb in ("EHLO", "HELO"):
                say("250-test")
                if tls_offered:
                    say("250-STARTTLS")
                say("250 AUTH PLAIN")
            elif verb == "STARTTLS":
                say("220 go ahead")
                if not self._starttls():
                    return
                rfile, wfile = self._files()
                tls_offered = False
            elif verb == "AUTH":
                _, user, password = base64.b64decode(line.split()[2]).decode().split("\0")
                self.server.mailbox.logins.append((user, version))
                say("235 ok" if (user, password) == (USER, PASSWORD) else "535 bad credentials")
            elif verb == "MAIL":
                sender, recipients = line.split(":", 1)[1].strip("<> "), []
                say("250 ok")
            elif verb == "RCPT":
                recipients.append(line.split(":", 1)[1].strip("<> "))
                say("250 ok")
            elif verb == "DATA":
                say("354 end with .")
                body = b""
                while (chunk := rfile.readline()) not in (b".\r\n", b""):
                    body += chunk
                self.server.mailbox.messages.append(
                    Received(sender, recipients, email.message_from_bytes(body), version)
                )
                say("250 queued")
            elif verb == "QUIT":
                say("221 bye")
                return
            else:
                say("250 ok")


class _TlsSmtpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, cert_file: Path, key_file: Path, *, implicit: bool) -> None:
        super().__init__(("127.0.0.1", 0), _TlsSmtpHandler)
        self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.tls.minimum_version = ssl.TLSVersion.TLSv1_2
        self.tls.load_cert_chain(cert_file, key_file)
        self.implicit = implicit
        self.mailbox = Mailbox()

    @property
    def port(self) -> int:
        return int(self.server_address[1])


Serve = Callable[..., _TlsSmtpServer]


@pytest.fixture(scope="module")
def trusted_ca() -> Ca:
    return make_ca("appcomply test CA")


@pytest.fixture
def serve(tmp_path: Path, trusted_ca: Ca) -> Iterator[Serve]:
    """serve(implicit=…, ca=…, names=…) starts a server with a certificate from `ca` (default: the trusted CA)."""
    servers: list[_TlsSmtpServer] = []

    def start(
        *, implicit: bool, ca: Ca | None = None, names: tuple[str, ...] = ("localhost", "127.0.0.1")
    ) -> _TlsSmtpServer:
        directory = tmp_path / f"server-{len(servers)}"
        directory.mkdir()
        cert_file, key_file = make_server_cert(ca or trusted_ca, directory, names=names)
        server = _TlsSmtpServer(cert_file, key_file, implicit=implicit)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _sender(server: _TlsSmtpServer, security: SmtpSecurity, *, ca_file: Path | None) -> SmtpEmailSender:
    settings = SmtpSettings(
        host="127.0.0.1",
        port=server.port,
        username=USER,
        password=SecretStr(PASSWORD),
        from_address="notices@app.example",
        security=security,
        timeout_seconds=5,
    )
    return SmtpEmailSender(settings, ca_file=ca_file)


MODES = [pytest.param(SmtpSecurity.STARTTLS, False, id="starttls"), pytest.param(SmtpSecurity.SSL, True, id="implicit")]


@pytest.mark.parametrize(("security", "implicit"), MODES)
def test_the_message_and_the_login_cross_the_wire_encrypted_to_a_server_of_the_trusted_ca(
    serve: Serve, trusted_ca: Ca, tmp_path: Path, security: SmtpSecurity, implicit: bool
) -> None:
    server = serve(implicit=implicit)
    sender = _sender(server, security, ca_file=trusted_ca.pem_file(tmp_path))

    receipt = sender.send(to="reader@example.com", subject="隐私政策更新", body="第 5 条已修改。", request_ref="n-tls")

    assert (receipt.accepted, receipt.result_code) == (True, "email.accepted")
    [received] = server.mailbox.messages
    assert received.tls_version in ("TLSv1.2", "TLSv1.3")
    assert (received.sender, received.recipients) == ("notices@app.example", ["reader@example.com"])
    assert server.mailbox.logins == [(USER, received.tls_version)], "the password went out before TLS"
    payload = received.message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    assert payload.decode(received.message.get_content_charset() or "utf-8").strip() == "第 5 条已修改。"


@pytest.mark.parametrize(("security", "implicit"), MODES)
def test_a_certificate_from_an_untrusted_ca_is_refused_with_the_stable_reason_and_nothing_is_sent(
    serve: Serve, trusted_ca: Ca, tmp_path: Path, security: SmtpSecurity, implicit: bool
) -> None:
    server = serve(implicit=implicit, ca=make_ca("rogue CA"))
    sender = _sender(server, security, ca_file=trusted_ca.pem_file(tmp_path))

    with pytest.raises(EmailUnavailable) as caught:
        sender.send(to="reader@example.com", subject="s", body="b", request_ref="n-rogue")

    assert (caught.value.code, caught.value.fields["reason"]) == ("notices.email.unavailable", "tls_certificate")
    assert "reader@example.com" not in caught.value.detail + str(caught.value.fields)
    assert server.mailbox.messages == []
    assert server.mailbox.logins == []


def test_a_certificate_for_another_host_is_refused_even_from_the_trusted_ca(
    serve: Serve, trusted_ca: Ca, tmp_path: Path
) -> None:
    server = serve(implicit=False, names=("mail.other.example",))
    sender = _sender(server, SmtpSecurity.STARTTLS, ca_file=trusted_ca.pem_file(tmp_path))
    with pytest.raises(EmailUnavailable) as caught:
        sender.send(to="reader@example.com", subject="s", body="b", request_ref="n-host")
    assert caught.value.fields["reason"] == "tls_certificate"
    assert server.mailbox.messages == []


def test_without_a_ca_file_only_the_system_cas_are_trusted(serve: Serve) -> None:
    server = serve(implicit=True)
    with pytest.raises(EmailUnavailable) as caught:
        _sender(server, SmtpSecurity.SSL, ca_file=None).send(to="r@example.com", subject="s", body="b", request_ref="x")
    assert caught.value.fields["reason"] == "tls_certificate"
    assert server.mailbox.messages == []
