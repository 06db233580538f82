"""Builders for pure processing maps in the consent rule tests."""

from __future__ import annotations

from appcomply.consent.rules import Activity, LegalBasis, Recipient, RecipientKind, SeparateConsent


def act(
    key: str,
    *items: str,
    basis: LegalBasis = LegalBasis.CONSENT,
    basic_type: int | None = None,
    choice: str | None = None,
    separate: frozenset[SeparateConsent] = frozenset(),
    recipients: tuple[Recipient, ...] = (),
    purpose: str | None = None,
) -> Activity:
    return Activity(
        key=key,
        feature=key,
        purpose=purpose or f"purpose of {key}",
        pi_items=items,
        basis=basis,
        basic_type=basic_type,
        choice=choice,
        separate=separate,
        recipients=recipients,
        retention="until the account is cancelled",
    )


def recipient(
    name: str,
    *items: str,
    kind: RecipientKind = RecipientKind.THIRD_PARTY,
    disclosed: bool = True,
    cross_border: bool = False,
) -> Recipient:
    return Recipient(
        name=name, kind=kind, pi_items=items, purpose="analytics", disclosed=disclosed, cross_border=cross_border
    )
