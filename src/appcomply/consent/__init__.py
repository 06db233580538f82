"""consent: personal information and consent (Art 12; PIPL; the 2021 necessary-PI rules) — the PI catalogue, each
app's processing map and its forced-consent analysis, the consent ledger, checks, permissions, public lists and
data-subject requests."""

from appcomply.consent.rules import ConsentAction, LegalBasis, RecipientKind, SeparateConsent, load_pi_catalogue
from appcomply.consent.service import (
    analyse_app,
    check,
    create_activity,
    get_permissions,
    list_activities,
    record_consent,
)

__all__ = [
    "ConsentAction",
    "LegalBasis",
    "RecipientKind",
    "SeparateConsent",
    "analyse_app",
    "check",
    "create_activity",
    "get_permissions",
    "list_activities",
    "load_pi_catalogue",
    "record_consent",
]
