"""Audit event names of the vulnerabilities module."""

from __future__ import annotations

import enum


class VulnerabilitiesEvent(enum.StrEnum):
    REPORT_RECEIVED = "vulnerabilities.report.received"
    TRIAGE_UPDATED = "vulnerabilities.triage.updated"
    TRANSITIONED = "vulnerabilities.vulnerability.transitioned"
    MESSAGE_ADDED = "vulnerabilities.message.added"
    SUPPLIER_NOTIFIED = "vulnerabilities.supplier.notified"
    CLOCK_SUBMITTED = "vulnerabilities.clock.submitted"
    CLOCK_ALERTED = "vulnerabilities.clock.alerted"
    SHARED = "vulnerabilities.vulnerability.shared"
    RECEIPTS_PURGED = "vulnerabilities.receipts.purged"
    ATTACHMENT_DOWNLOADED = "vulnerabilities.attachment.downloaded"
    CONTACT_REVEALED = "vulnerabilities.contact.revealed"
    VERSION_REGISTERED = "vulnerabilities.app_version.registered"
    UPGRADE_SET = "vulnerabilities.upgrade.set"
    POLICY_SET = "vulnerabilities.version_policy.set"
    USER_VERSION_REPORTED = "vulnerabilities.user_version.reported"
    PACKAGE_BUILT = "vulnerabilities.package.built"  # the authority report package was exported (VR 7(2))
    INCIDENT_CREATED = "vulnerabilities.incident.created"
    INCIDENT_GRADED = "vulnerabilities.incident.graded"
    INCIDENT_UPDATED = "vulnerabilities.incident.updated"
    INCIDENT_FOLLOW_UP_REPORTED = "vulnerabilities.incident.follow_up_reported"
    INCIDENT_HANDLED = "vulnerabilities.incident.handled"
    INCIDENT_CLOSED = "vulnerabilities.incident.closed"
    CAMPAIGN_STARTED = "vulnerabilities.campaign.started"  # user notices (VR 7(3)) requested
    CAMPAIGN_CHUNK_QUEUED = "vulnerabilities.campaign.chunk_queued"  # one chunk of users' notices in the outbox
    CAMPAIGN_FINISHED = "vulnerabilities.campaign.finished"
    CAMPAIGN_CANCELLED = "vulnerabilities.campaign.cancelled"
