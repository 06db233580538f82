"""Stored rows as the pure rules see them."""

from __future__ import annotations

from appcomply.consent import rules
from appcomply.consent.models import ProcessingActivity


def to_rule(row: ProcessingActivity) -> rules.Activity:
    """The stored activity as the pure rules see it."""
    return rules.Activity(
        key=row.key, feature=row.feature, purpose=row.purpose, pi_items=tuple(row.pi_items),
        basis=rules.LegalBasis(row.basis), basic_type=row.basic_type, choice=row.choice,
        separate=frozenset(rules.SeparateConsent(s) for s in row.separate),
        recipients=tuple(
            rules.Recipient(name=r["name"], kind=rules.RecipientKind(r["kind"]), pi_items=tuple(r["pi_items"]),
                            purpose=r["purpose"], disclosed=r["disclosed"], cross_border=r["cross_border"])
            for r in row.recipients
        ),
        retention=row.retention,
    )  # fmt: skip
