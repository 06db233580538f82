"""What delivery needs beyond a session: the senders, the vault keys that open recipients, and the limits."""

from __future__ import annotations

from dataclasses import dataclass

from appcomply import vault
from appcomply.notices.ports import NoticeSenders
from appcomply.settings import NoticesSettings


@dataclass(frozen=True, slots=True)
class NoticesEnv:
    senders: NoticeSenders
    keyring: vault.Keyring
    limits: NoticesSettings
