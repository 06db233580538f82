"""Request-scoped dependencies: services, the one transaction per request, the Ctx (Annotated aliases)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from appcomply.bootstrap import Services
from appcomply.db.session import transaction


async def get_services(request: Request) -> Services:
    # async: no I/O, so FastAPI calls it on the event loop instead of hopping to the thread pool.
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def _session(services: ServicesDep) -> Iterator[Session]:
    with transaction(services.session_factory) as session:
        yield session


# scope="function": the commit runs after the handler returns and BEFORE the response is sent (D2), so a
# client never sees a 2xx for a transaction that then fails to commit.
SessionDep = Annotated[Session, Depends(_session, scope="function")]
