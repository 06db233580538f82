"""House-style rules that reviews should not have to catch: import layers, banned calls, module vocabulary, event
names and error codes (HOUSE_STYLE §6). Each scanner is also shown a violation, so a rule cannot pass vacuously.
"""

from __future__ import annotations

import ast
import enum
import importlib
import pkgutil
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import appcomply
from appcomply.kernel import errors as kernel_errors
from appcomply.kernel.errors import DomainError

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "appcomply"
DOTTED = re.compile(r"^[a-z_]+(\.[a-z_]+)+$")

# Packages that are infrastructure, not compliance domains.
INFRASTRUCTURE = frozenset({"kernel", "db", "web", "cli"})
DOMAIN_FILES = frozenset(
    {
        "__init__.py",
        "rules.py",
        "models.py",
        "service.py",
        "queries.py",
        "ports.py",
        "errors.py",
        "events.py",
        "schemas.py",
        "api.py",
        "admin.py",
        "cli.py",
    }
)
DOMAIN_DIRS = frozenset({"service", "providers", "templates", "data"})
DOMAIN_DIRS_BY_PACKAGE = {
    "content": frozenset({"engine"}),  # the screening engine lives only in content
    "vulnerabilities": frozenset({"formats"}),  # security.txt, CVSS, CSAF and the report PDF: pure formats
}

CLOCK_CALLS = frozenset(
    {
        "datetime.datetime.now",
        "datetime.datetime.utcnow",
        "datetime.datetime.today",
        "datetime.date.today",
        "time.time",
        "time.time_ns",
    }
)


# --- scanners ------------------------------------------------------------------------------------------------------


def _aliases(tree: ast.AST) -> dict[str, str]:
    """Local name -> what it was imported as: `import datetime as dt` gives dt -> datetime."""
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                # `import a.b` binds `a`; `import a.b as c` binds `c` to a.b.
                bound = alias.asname or alias.name.split(".")[0]
                names[bound] = alias.name if alias.asname else bound
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def _dotted(node: ast.expr, aliases: dict[str, str]) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(aliases.get(node.id, node.id))
    return ".".join(reversed(parts))


def banned_calls(source: str) -> Iterator[tuple[int, str]]:
    """(line, what) for each clock read, commit/rollback, or HTTPException use in `source`."""
    tree = ast.parse(source)
    aliases = _aliases(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = _dotted(node.func, aliases)
            if name in CLOCK_CALLS or (isinstance(node.func, ast.Attribute) and node.func.attr == "utcnow"):
                yield node.lineno, "clock"
            if isinstance(node.func, ast.Attribute) and node.func.attr in ("commit", "rollback"):
                yield node.lineno, "commit"
        if (
            (isinstance(node, ast.Name) and node.id == "HTTPException")
            or (isinstance(node, ast.Attribute) and node.attr == "HTTPException")
            or (isinstance(node, ast.ImportFrom) and any(a.name == "HTTPException" for a in node.names))
        ):
            yield node.lineno, "HTTPException"


def _sources() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if "__pycache__" not in p.parts)


def _violations(kind: str, allowed: tuple[str, ...]) -> list[str]:
    found = []
    for path in _sources():
        relative = path.relative_to(SRC).as_posix()
        if relative.startswith(allowed):
            continue
        found += [f"{relative}:{line}" for line, what in banned_calls(path.read_text()) if what == kind]
    return found


def _domain_packages() -> list[Path]:
    return sorted(
        p for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").exists() and p.name not in INFRASTRUCTURE
    )


def _all_modules() -> list[str]:
    skipped = ("appcomply.__main__", "appcomply.db.migrations")  # runs the CLI / runs Alembic on import
    return [
        info.name
        for info in pkgutil.walk_packages(appcomply.__path__, "appcomply.")
        if not info.name.startswith(skipped)
    ]


# --- the scanners catch what they are meant to catch ---------------------------------------------------------------

CAUGHT = {
    "import datetime as dt\ndt.datetime.now(dt.UTC)": "clock",
    "from datetime import datetime\ndatetime.utcnow()": "clock",
    "from datetime import date\ndate.today()": "clock",
    "import time\ntime.time()": "clock",
    "from time import time as t\nt()": "clock",
    "session.commit()": "commit",
    "self.session.rollback()": "commit",
    "from fastapi import HTTPException": "HTTPException",
    "import fastapi\nraise fastapi.HTTPException(404)": "HTTPException",
}
NOT_CAUGHT = [
    "ctx.clock.now()",
    "time.perf_counter()",
    "dt.datetime(2026, 1, 1, tzinfo=dt.UTC)",
    "committee.vote()",
    "value.commit_id",
]


@pytest.mark.parametrize(("source", "kind"), CAUGHT.items(), ids=CAUGHT.values())
def test_the_scanner_catches_a_banned_call(source: str, kind: str) -> None:
    assert kind in {what for _, what in banned_calls(source)}


@pytest.mark.parametrize("source", NOT_CAUGHT)
def test_the_scanner_leaves_ordinary_calls_alone(source: str) -> None:
    assert list(banned_calls(source)) == []


# --- the rules -----------------------------------------------------------------------------------------------------


def test_import_contracts_hold() -> None:
    lint_imports = Path(sys.executable).parent / "lint-imports"
    done = subprocess.run(  # noqa: S603 - the virtualenv's own tool, fixed arguments
        [str(lint_imports)], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_only_db_session_commits() -> None:
    """D2/D3: the one transaction() commits; nothing else commits or rolls back. (db/_writers.py is the SQLite
    driver's connection, whose commit SQLAlchemy calls: it ends the writer's turn there.)"""
    assert _violations("commit", allowed=("db/session.py", "db/_writers.py")) == []


def test_only_the_kernel_reads_the_clock() -> None:
    """T1: business time comes from ctx.clock."""
    assert _violations("clock", allowed=("kernel/",)) == []


def test_http_exceptions_stay_in_the_web_layer() -> None:
    """E3: domain code raises DomainError; web/problems.py turns it into HTTP."""
    assert _violations("HTTPException", allowed=("web/",)) == []


def test_domain_packages_use_only_the_module_vocabulary() -> None:
    """L1: any developer can open any module and know where things are."""
    packages = _domain_packages()
    assert {p.name for p in packages} >= {"apps", "audit"}
    strays = []
    for package in packages:
        dirs = DOMAIN_DIRS | DOMAIN_DIRS_BY_PACKAGE.get(package.name, frozenset())
        for entry in sorted(package.iterdir()):
            if entry.name == "__pycache__" or entry.name.startswith("."):
                continue
            allowed = dirs if entry.is_dir() else DOMAIN_FILES
            if entry.name not in allowed:
                strays.append(f"{package.name}/{entry.name}")
        if (package / "service.py").exists() and (package / "service").is_dir():
            strays.append(f"{package.name}: both service.py and service/")
    assert strays == []


def test_event_names_are_dotted_and_unique_across_modules() -> None:
    """A2: `module.noun.verb_past`, declared once in the module's events.py."""
    seen: dict[str, str] = {}
    bad: list[str] = []
    for package in _domain_packages():
        if not (package / "events.py").exists():
            continue
        module = importlib.import_module(f"appcomply.{package.name}.events")
        enums = [
            obj
            for obj in vars(module).values()
            if isinstance(obj, type) and issubclass(obj, enum.StrEnum) and obj.__module__ == module.__name__
        ]
        for event_enum in enums:
            for member in event_enum:
                where = f"{module.__name__}.{event_enum.__name__}.{member.name}"
                if not DOTTED.match(member.value):
                    bad.append(f"{where} = {member.value!r}: not dotted lower-case")
                if member.value in seen:
                    bad.append(f"{where} = {member.value!r}: also {seen[member.value]}")
                seen.setdefault(member.value, where)
    assert seen, "no events found: the rule would pass vacuously"
    assert bad == []


def _subclasses(cls: type[DomainError]) -> Iterator[type[DomainError]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_domain_error_has_its_own_unique_dotted_code() -> None:
    """E1: clients branch on `code`, so each error class names itself, once."""
    for name in _all_modules():
        importlib.import_module(name)
    classes = sorted(
        {c for c in _subclasses(DomainError) if c.__module__.startswith("appcomply.")},
        key=lambda c: f"{c.__module__}.{c.__qualname__}",
    )
    seen: dict[str, str] = {}
    bad: list[str] = []
    for cls in classes:
        where = f"{cls.__module__}.{cls.__qualname__}"
        category = cls.__module__ == kernel_errors.__name__
        if not category and "code" not in vars(cls):
            bad.append(f"{where}: inherits code {cls.code!r} instead of naming its own")
        elif not category and not DOTTED.match(cls.code):
            bad.append(f"{where}: code {cls.code!r} is not dotted")
        if cls.code in seen and "code" in vars(cls):
            bad.append(f"{where}: code {cls.code!r} is also {seen[cls.code]}")
        seen.setdefault(cls.code, where)
    assert any(c.__module__ != kernel_errors.__name__ for c in classes), "no module errors found"
    assert bad == []
