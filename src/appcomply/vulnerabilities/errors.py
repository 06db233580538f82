"""Errors of the vulnerabilities module. Fields never carry a reporter's contact details."""

from __future__ import annotations

from appcomply.kernel.errors import Conflict, Forbidden, Invalid, NotFound, RateLimited, TooLarge, Unavailable


class CvssVectorInvalid(Invalid):
    code = "vulnerabilities.cvss.invalid"
    title = "Not a valid CVSS v3.1 or v4.0 vector"


class CsafDocumentInvalid(Invalid):
    code = "vulnerabilities.csaf.invalid"
    title = "The advisory does not validate against the CSAF 2.0 schema"


class ReportFontUnavailable(Unavailable):
    code = "vulnerabilities.report.font_unavailable"
    title = "No CJK font for the Chinese PDF report"


class VulnerabilityNotFound(NotFound):
    code = "vulnerabilities.vulnerability.not_found"
    title = "Vulnerability not found"


class ReportTokenNotFound(NotFound):
    code = "vulnerabilities.report.not_found"
    title = "No report has this tracking token"


class AttachmentNotFound(NotFound):
    code = "vulnerabilities.attachment.not_found"
    title = "Attachment not found"


class IntakeAppNotFound(NotFound):
    code = "vulnerabilities.app.not_found"
    title = "No app takes vulnerability reports under this name"


class InvalidTransition(Conflict):
    code = "vulnerabilities.transition.invalid"
    title = "This state change is not allowed"


class IdempotencyKeyReused(Conflict):
    code = "vulnerabilities.report.idempotency_key_reused"
    title = "This idempotency key was used for a different report"


class DuplicateTargetInvalid(Invalid):
    code = "vulnerabilities.duplicate.invalid"
    title = "A duplicate must name another vulnerability of the same app"


class AttachmentRejected(Invalid):
    code = "vulnerabilities.attachment.rejected"
    title = "Attachment refused"


class DisclosureBlocked(Conflict):
    code = "vulnerabilities.disclosure.blocked"
    title = "Not disclosable before the fix is released (VR 9)"


class ForeignSharingRefused(Forbidden):
    code = "vulnerabilities.sharing.foreign_refused"
    title = "Undisclosed vulnerabilities are not shared abroad (VR 9(7))"


class ClockNotFound(NotFound):
    code = "vulnerabilities.clock.not_found"
    title = "No such clock on this vulnerability"


class ClockClosed(Conflict):
    code = "vulnerabilities.clock.closed"
    title = "This clock is already closed"


class RetentionTooShort(Invalid):
    code = "vulnerabilities.retention.too_short"
    title = "Receipt logs must be kept at least 6 months (VR 5)"


class IntakeRateLimited(RateLimited):
    code = "vulnerabilities.report.rate_limited"
    title = "Too many reports from this address"


class AttachmentTooLarge(TooLarge):
    code = "vulnerabilities.attachment.too_large"
    title = "Attachment too large"


class SecurityTxtUnavailable(NotFound):
    code = "vulnerabilities.security_txt.unavailable"
    title = "No security.txt is configured for this host"


class ConsoleFormInvalid(Invalid):
    code = "vulnerabilities.form.invalid"
    title = "A field of the form is not valid"


class AdvisoryNotFound(NotFound):
    code = "vulnerabilities.advisory.not_found"
    title = "No advisory is published at this address"


class HostInvalid(Invalid):
    code = "vulnerabilities.host.invalid"
    title = "The request's Host header is not a host name"


class VersionInvalid(Invalid):
    code = "vulnerabilities.version.invalid"
    title = "Not a version number this service can compare"


class VersionRangeInvalid(Invalid):
    code = "vulnerabilities.version_range.invalid"
    title = "Not a version range"


class AppVersionNotFound(NotFound):
    code = "vulnerabilities.app_version.not_found"
    title = "This version of the app is not registered"


class AppVersionExists(Conflict):
    code = "vulnerabilities.app_version.exists"
    title = "This version is already registered for the platform"


class UpgradeNotApplicable(Conflict):
    code = "vulnerabilities.upgrade.not_applicable"
    title = "The fix release does not fix the affected versions"


class IncidentNotFound(NotFound):
    code = "vulnerabilities.incident.not_found"
    title = "Security incident not found"


class InvalidIncidentTransition(Conflict):
    code = "vulnerabilities.incident.transition_invalid"
    title = "This change of the incident's state is not allowed"


class IncidentClosed(Conflict):
    code = "vulnerabilities.incident.closed"
    title = "The incident is closed"


class IncidentReportsPending(Conflict):
    code = "vulnerabilities.incident.reports_pending"
    title = "The incident's summary report has not been submitted"


class IncidentTimeInvalid(Invalid):
    code = "vulnerabilities.incident.time_invalid"
    title = "The incident's times are not in order"


class IncidentVulnerabilityInvalid(Invalid):
    code = "vulnerabilities.incident.vulnerability_invalid"
    title = "An incident may only name a vulnerability of the same app"


class CampaignNotFound(NotFound):
    code = "vulnerabilities.campaign.not_found"
    title = "Notice campaign not found"


class CampaignNeedsFix(Conflict):
    """Users are told once the fix is out: before that a notice would disclose an open hole (VR 9)."""

    code = "vulnerabilities.campaign.not_fixed"
    title = "Users are notified once the vulnerability is fixed"


class CampaignAudienceInvalid(Invalid):
    code = "vulnerabilities.campaign.audience_invalid"
    title = "No affected versions to choose users by"


class CampaignClosed(Conflict):
    code = "vulnerabilities.campaign.closed"
    title = "The campaign has already finished"


class CampaignAlreadyOpen(Conflict):
    """A second campaign while one is still going would notify the same users twice (a double click, a retry)."""

    code = "vulnerabilities.campaign.already_open"
    title = "A notice campaign for this vulnerability is still going"
