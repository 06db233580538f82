"""vulnerabilities: security defects and incidents (Art 10; VR 5/7/9; NDR 10; CSL 25) — intake with a receipt log,
triage with CVSS, the authority clocks and report packages, user notices and forced upgrades, the disclosure gate."""

from appcomply.vulnerabilities.errors import (
    AttachmentNotFound,
    AttachmentRejected,
    AttachmentTooLarge,
    ClockClosed,
    ClockNotFound,
    CsafDocumentInvalid,
    CvssVectorInvalid,
    DisclosureBlocked,
    DuplicateTargetInvalid,
    ForeignSharingRefused,
    IdempotencyKeyReused,
    IntakeAppNotFound,
    IntakeRateLimited,
    InvalidTransition,
    ReportFontUnavailable,
    ReportTokenNotFound,
    RetentionTooShort,
    VulnerabilityNotFound,
)
from appcomply.vulnerabilities.events import VulnerabilitiesEvent
from appcomply.vulnerabilities.rules import Channel, ClockKind, ClockStatus, State
from appcomply.vulnerabilities.service import ClockWatcher, VulnerabilitiesEnv

__all__ = [
    "AttachmentNotFound",
    "AttachmentRejected",
    "AttachmentTooLarge",
    "Channel",
    "ClockClosed",
    "ClockKind",
    "ClockNotFound",
    "ClockStatus",
    "ClockWatcher",
    "CsafDocumentInvalid",
    "CvssVectorInvalid",
    "DisclosureBlocked",
    "DuplicateTargetInvalid",
    "ForeignSharingRefused",
    "IdempotencyKeyReused",
    "IntakeAppNotFound",
    "IntakeRateLimited",
    "InvalidTransition",
    "ReportFontUnavailable",
    "ReportTokenNotFound",
    "RetentionTooShort",
    "State",
    "VulnerabilitiesEnv",
    "VulnerabilitiesEvent",
    "VulnerabilityNotFound",
]
