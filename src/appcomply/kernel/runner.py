"""What a module's CLI commands receive from the root command: a way to run a unit of work, and output."""

from __future__ import annotations

import json
import sys
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from appcomply.kernel.context import Ctx


class Runner(Protocol):
    """Implemented by the CLI root (cli/context.py); module CLIs depend only on this shape."""

    def work(self) -> AbstractContextManager[Ctx]: ...

    def settings_value(self, dotted: str) -> Any: ...

    def services_value(self, name: str) -> Any:
        """One of the process's built services by name, e.g. "identity" (the IdentityEnv)."""
        ...


def emit(data: Any, *, as_json: bool, text: str) -> None:
    """Print `data` as JSON (machine-readable, for `--json`) or `text` for people."""
    if as_json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
    else:
        sys.stdout.write(text + "\n")
