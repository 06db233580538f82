"""Request-scoped dependencies: the platform's services, the one transaction per request (Annotated aliases).

The web layer is plumbing: it knows the platform (settings, engine, session factory, clock, the authenticator)
through the `Platform` protocol, never a domain. The composition root (`appcomply.bootstrap`) builds the concrete
services; a domain's routers reach their own environment through `env_dependency`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Annotated, Any, Final, Protocol, TypeVar

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from appcomply.db.session import is_read_only, transaction_on_use, used_database
from appcomply.kernel.clock import Clock
from appcomply.settings import Settings

if TYPE_CHECKING:
    from appcomply.web.security import Authenticator

T = TypeVar("T")


class Platform(Protocol):
    """What the web layer needs of the process's services (the composition root's `Services` provides it)."""

    @property
    def settings(self) -> Settings: ...
    @property
    def engine(self) -> Engine: ...
    @property
    def session_factory(self) -> sessionmaker[Session]: ...
    @property
    def read_session_factory(self) -> sessionmaker[Session]:
        """Sessions that only read, each statement its own read-only transaction (`db.session.make_session_factory`)."""
        ...

    @property
    def clock(self) -> Clock: ...
    @property
    def authenticator(self) -> Authenticator: ...


async def get_services(request: Request) -> Platform:
    # async: no I/O, so FastAPI calls it on the event loop instead of hopping to the thread pool.
    services: Platform = request.app.state.services
    return services


ServicesDep = Annotated[Platform, Depends(get_services)]


def env_dependency(name: str, kind: type[T]) -> Callable[[Request], Awaitable[T]]:
    """A dependency yielding one domain's environment, which the composition root set as `services.<name>`."""

    async def get_env(request: Request) -> T:
        value = getattr(request.app.state.services, name)
        if not isinstance(value, kind):
            raise TypeError(f"services.{name} is {type(value).__name__}, not {kind.__name__}")
        return value

    get_env.__name__ = f"get_{name}_env"
    return get_env


_TRANSACTION: Final = "__appcomply_transaction__"
_READING_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
F = TypeVar("F", bound=Callable[..., Any])


def writes(endpoint: F) -> F:
    """Mark a GET route that changes something (e.g. writes an audit entry): it gets a read-write transaction."""
    setattr(endpoint, _TRANSACTION, "write")
    return endpoint


def reads_only(endpoint: F) -> F:
    """Mark a POST route that changes nothing (a check, a screening): it gets a read-only session, which on
    SQLite does not wait for the write lock. A write in it raises `WriteInReadOnlyTransaction`."""
    setattr(endpoint, _TRANSACTION, "read")
    return endpoint


_HOT: Final = "__appcomply_hot_path__"


def hot_path(endpoint: F) -> F:
    """Mark a route that an app's backend calls on its own request path (a screening, a consent check): the app
    routes it before every other route, so finding it costs a handful of path matches instead of a scan of the whole
    API (`web.app.build_app`). Its place in the OpenAPI document is unchanged."""
    setattr(endpoint, _HOT, True)
    return endpoint


def is_hot_path(endpoint: Callable[..., Any]) -> bool:
    return bool(getattr(endpoint, _HOT, False))


def request_reads_only(request: Request) -> bool:
    """Whether the request's transaction only reads: GET, HEAD and OPTIONS unless the route is marked `writes`, any
    other method only if the route is marked `reads_only`."""
    marked = getattr(request.scope.get("endpoint"), _TRANSACTION, None)
    if marked is not None:
        return bool(marked == "read")
    return request.method in _READING_METHODS


class _Unit:
    """The request's transaction, as `open_unit` opens it; `run_ending_transaction` may end it early."""

    __slots__ = ("ended", "session", "unit")

    def __init__(self, unit: AbstractContextManager[Session], session: Session) -> None:
        self.unit, self.session, self.ended = unit, session, False

    def end(self, exc: BaseException | None) -> None:
        if not self.ended:
            self.ended = True
            self.unit.__exit__(*((None, None, None) if exc is None else (type(exc), exc, exc.__traceback__)))


_UNIT: Final = "appcomply.unit"


def open_unit(request: Request) -> _Unit:
    """Open the request's transaction (a session connects on its first statement, so opening it does no I/O) and
    keep it in the scope, where `run_ending_transaction` finds it."""
    services: Platform = request.app.state.services  # not a dependency: each costs FastAPI time on every request
    factory = services.read_session_factory if request_reads_only(request) else services.session_factory
    unit = transaction_on_use(factory)
    held = _Unit(unit, unit.__enter__())
    request.scope[_UNIT] = held
    return held


async def end_unit(held: _Unit, exc: BaseException | None) -> None:
    """End the request's transaction if it is not ended yet: in the thread pool only if it touched the database, so
    a request answered from the process's caches never waits for a thread to end a transaction it never began."""
    if held.ended:
        return
    if used_database(held.session):
        await run_in_threadpool(held.end, exc)
    else:
        held.end(exc)


async def session_dependency(request: Request) -> AsyncIterator[Session]:
    """The request's transaction, as a dependency (`SessionDep`): committed when the handler returns, rolled back if
    it raises."""
    held = open_unit(request)
    try:
        yield held.session
    except BaseException as exc:
        await end_unit(held, exc)
        raise
    await end_unit(held, None)


async def run_ending_transaction(request: Request, function: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Call `function` and end the request's transaction right after it (committed, or rolled back if it raised),
    before the response is sent as always (D2). For a route that reads the database a few times:

    - on PostgreSQL, in the thread pool, one hop for the work and the transaction's end instead of two;
    - on an embedded SQLite file, on the event loop: its reads are the process's own CPU work on a local file, which
      in WAL mode waits for no writer, and a hop would only add a thread switch and two GIL handoffs to them.
    """
    held: _Unit = request.scope[_UNIT]

    def work() -> T:
        try:
            result = function(*args, **kwargs)
        except BaseException as exc:
            held.end(exc)
            raise
        held.end(None)
        return result

    services: Platform = request.app.state.services
    if services.engine.dialect.name == "sqlite" and is_read_only(held.session):
        return work()
    return await run_in_threadpool(work)


# scope="function": the commit runs after the handler returns and BEFORE the response is sent (D2), so a
# client never sees a 2xx for a transaction that then fails to commit.
SessionDep = Annotated[Session, Depends(session_dependency, scope="function")]
