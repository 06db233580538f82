"""Use cases of the vulnerabilities module, one file per concern, re-exported here."""

from appcomply.vulnerabilities.service._advisories import (
    Directory,
    advisory_path,
    preview_csaf,
    provider_metadata,
    public_advisory,
    published,
    tracking_id,
)
from appcomply.vulnerabilities.service._clocks import AlertRun, ClockWatcher, record_submission, send_clock_alerts
from appcomply.vulnerabilities.service._env import VulnerabilitiesEnv
from appcomply.vulnerabilities.service._intake import Submitted, TrackedReport, submit_report, track_report
from appcomply.vulnerabilities.service._package import BuiltPackage, build_package, package_gaps
from appcomply.vulnerabilities.service._public import app_for_host, host_base, list_disclosed, security_txt
from appcomply.vulnerabilities.service._queries import (
    ClockView,
    Listed,
    get_attachment,
    get_vulnerability,
    list_attachments,
    list_clocks,
    list_pending_clocks,
    list_timeline,
    list_vulnerabilities,
    view_clock,
)
from appcomply.vulnerabilities.service._sharing import purge_receipts, share_vulnerability
from appcomply.vulnerabilities.service._triage import add_message, notify_supplier, transition, update_triage
from appcomply.vulnerabilities.service._versions import (
    exposure,
    get_policy,
    list_upgrades,
    list_versions,
    recompute_policy,
    register_version,
    report_user_version,
    set_manual_minimum,
    set_upgrade,
    version_status,
)

__all__ = [
    "AlertRun",
    "BuiltPackage",
    "ClockView",
    "ClockWatcher",
    "Directory",
    "Listed",
    "Submitted",
    "TrackedReport",
    "VulnerabilitiesEnv",
    "add_message",
    "advisory_path",
    "app_for_host",
    "build_package",
    "exposure",
    "get_attachment",
    "get_policy",
    "get_vulnerability",
    "host_base",
    "list_attachments",
    "list_clocks",
    "list_disclosed",
    "list_pending_clocks",
    "list_timeline",
    "list_upgrades",
    "list_versions",
    "list_vulnerabilities",
    "notify_supplier",
    "package_gaps",
    "preview_csaf",
    "provider_metadata",
    "public_advisory",
    "published",
    "purge_receipts",
    "recompute_policy",
    "record_submission",
    "register_version",
    "report_user_version",
    "security_txt",
    "send_clock_alerts",
    "set_manual_minimum",
    "set_upgrade",
    "share_vulnerability",
    "submit_report",
    "track_report",
    "tracking_id",
    "transition",
    "update_triage",
    "version_status",
    "view_clock",
]
