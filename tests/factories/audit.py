"""The audit chain in tests: entries are recorded unchained; a test chains them the way the server's chainer and
`appcomply audit verify` do before verifying."""

from __future__ import annotations

from sqlalchemy.orm import Session

from appcomply import audit


def chain_and_verify(session: Session) -> tuple[int, audit.ChainFault | None]:
    """Chain what `session` can see (its own flushed entries included), then verify: `audit verify`'s steps."""
    session.flush()
    audit.chain_pending(session)
    return audit.verify_chain(session)
