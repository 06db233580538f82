"""Sharing before disclosure (VR 9(7)) and the receipt log's retention (VR 5)."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import delete

from appcomply import audit
from appcomply.kernel.context import Ctx
from appcomply.kernel.ids import new_id
from appcomply.vulnerabilities import rules
from appcomply.vulnerabilities.events import VulnerabilitiesEvent
from appcomply.vulnerabilities.models import Receipt, TimelineEntry
from appcomply.vulnerabilities.rules import State
from appcomply.vulnerabilities.schemas import ShareCreate
from appcomply.vulnerabilities.service._intake import ref
from appcomply.vulnerabilities.service._queries import get_vulnerability


def share_vulnerability(ctx: Ctx, vulnerability_id: uuid.UUID, share: ShareCreate) -> TimelineEntry:
    """Record that the vulnerability was given to someone (a CERT, a partner, a vendor). Before disclosure a foreign
    recipient other than the product's provider is refused (ForeignSharingRefused, citing VR 9(7)), and the refusal
    writes nothing. Emits vulnerabilities.vulnerability.shared."""
    vuln = get_vulnerability(ctx, vulnerability_id)
    rules.check_sharing(
        state=State(vuln.state), country=share.country, recipient_is_provider=share.recipient_is_provider
    )
    data = {"recipient": share.recipient, "country": share.country.upper(), "provider": share.recipient_is_provider}
    entry = TimelineEntry(
        id=new_id(), vulnerability_id=vuln.id, at=ctx.clock.now(), kind="shared", from_state=None, to_state=None,
        actor_label=ctx.actor.label, note=share.purpose, public=False, data=data,
    )  # fmt: skip
    ctx.session.add(entry)
    audit.record(ctx, VulnerabilitiesEvent.SHARED, subject=ref(vuln), app_id=vuln.app_id, data=data)
    return entry


def purge_receipts(ctx: Ctx, *, retention_days: int) -> int:
    """Delete receipt-log rows older than the retention, which may not be under 6 months (RetentionTooShort).
    Returns how many went. Emits vulnerabilities.receipts.purged (with the cut-off) when any did."""
    days = rules.check_receipt_retention(retention_days)
    cutoff = ctx.clock.now() - dt.timedelta(days=days)
    result = ctx.session.execute(delete(Receipt).where(Receipt.received_at < cutoff))
    count = int(getattr(result, "rowcount", 0) or 0)
    if count:
        audit.record(
            ctx, VulnerabilitiesEvent.RECEIPTS_PURGED, subject=audit.Subject("vulnerability_receipts", "log"),
            data={"before": cutoff.isoformat(), "count": count, "retention_days": days},
        )  # fmt: skip
    return count
