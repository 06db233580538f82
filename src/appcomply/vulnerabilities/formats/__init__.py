"""Pure formats of the vulnerabilities module: CVSS scores, security.txt, CSAF advisories, the authority report
package (JSON and a Chinese PDF) and the CJK font it needs."""

from appcomply.vulnerabilities.formats.csaf import (
    Advisory,
    Published,
    build_csaf,
    build_provider_metadata,
    changes_csv,
    csaf_filename,
    distribution_path,
    index_txt,
    validate_csaf,
    validate_provider_metadata,
)
from appcomply.vulnerabilities.formats.cvss import CvssScore, score_cvss
from appcomply.vulnerabilities.formats.fonts import CjkFont, find_cjk_font
from appcomply.vulnerabilities.formats.report import (
    MIIT_FIELDS,
    AffectedRange,
    ClockRecord,
    CvssFacts,
    IntakeEntry,
    ReportPackage,
    TimelineStep,
    json_sha256,
    missing_fields,
    to_json,
    to_pdf,
)
from appcomply.vulnerabilities.formats.securitytxt import SecurityTxt, render_security_txt

__all__ = [
    "MIIT_FIELDS",
    "Advisory",
    "AffectedRange",
    "CjkFont",
    "ClockRecord",
    "CvssFacts",
    "CvssScore",
    "IntakeEntry",
    "Published",
    "ReportPackage",
    "SecurityTxt",
    "TimelineStep",
    "build_csaf",
    "build_provider_metadata",
    "changes_csv",
    "csaf_filename",
    "distribution_path",
    "find_cjk_font",
    "index_txt",
    "json_sha256",
    "missing_fields",
    "render_security_txt",
    "score_cvss",
    "to_json",
    "to_pdf",
    "validate_csaf",
    "validate_provider_metadata",
]
