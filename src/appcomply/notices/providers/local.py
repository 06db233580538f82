"""Offline e-mail: the local outbox keeps messages in memory (lost on restart) for development and tests.

What was sent also stays on the notice row (subject and body), which is what the console shows.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from appcomply.notices.ports import EmailReceipt

PROVIDER = "local"
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    to: str
    subject: str
    body: str
    request_ref: str


class LocalEmailOutbox:
    """Accepts every message and keeps it in memory; thread-safe, as several workers may share it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sent: list[OutboxMessage] = []

    @property
    def sent(self) -> list[OutboxMessage]:
        with self._lock:
            return list(self._sent)

    def send(self, *, to: str, subject: str, body: str, request_ref: str) -> EmailReceipt:
        with self._lock:
            self._sent.append(OutboxMessage(to, subject, body, request_ref))
        log.info("email provider=local ref=%s result=accepted", request_ref)
        return EmailReceipt(PROVIDER, f"local-{request_ref}", True, "email.accepted")
