"""What every command gets from the root callback: settings, lazily built services, output mode."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import typer

from appcomply import audit
from appcomply.bootstrap import Services, build_services
from appcomply.db.session import unit_of_work
from appcomply.kernel.actor import cli_actor
from appcomply.kernel.context import Ctx
from appcomply.kernel.ids import new_id
from appcomply.settings import Settings


@dataclass
class CliState:
    settings: Settings
    _services: Services | None = field(default=None)

    @property
    def services(self) -> Services:
        if self._services is None:
            self._services = build_services(self.settings)
        return self._services

    @contextmanager
    def work(self) -> Iterator[Ctx]:
        """One unit of work; once it has committed, its audit entries are chained (no server may be running to
        chain them, and a command's entries should not wait for one)."""
        services = self.services
        with unit_of_work(
            services.session_factory, clock=services.clock, actor=cli_actor(), request_id=f"cli-{new_id().hex}"
        ) as ctx:
            yield ctx
        audit.chain_all(services.session_factory, wait=False)

    def services_value(self, name: str) -> Any:
        return getattr(self.services, name)

    def settings_value(self, dotted: str) -> Any:
        value: Any = self.settings
        for part in dotted.split("."):
            value = getattr(value, part)
        return value


def state(ctx: typer.Context) -> CliState:
    obj = ctx.find_root().obj
    if not isinstance(obj, CliState):
        raise TypeError("the root callback did not set the CLI state")
    return obj
