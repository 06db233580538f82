"""CVSS v3.x and v4.0 vectors, parsed and scored by the `cvss` package (FIRST's calculators): no scoring here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from cvss import CVSS3, CVSS4
from cvss.exceptions import CVSSError

from appcomply.vulnerabilities.errors import CvssVectorInvalid

MAX_VECTOR: Final = 255


@dataclass(frozen=True, slots=True)
class CvssScore:
    version: str  # "3.0", "3.1" or "4.0"
    vector: str  # normalised (the package's clean vector)
    base_score: float
    severity: str  # none | low | medium | high | critical


def score_cvss(vector: str) -> CvssScore:
    """Score a CVSS:3.0, CVSS:3.1 or CVSS:4.0 vector. CvssVectorInvalid for anything else, with the reason."""
    text = vector.strip()
    if len(text) > MAX_VECTOR:
        raise CvssVectorInvalid(f"a CVSS vector has at most {MAX_VECTOR} characters")
    try:
        if text.startswith("CVSS:4.0/"):
            v4 = CVSS4(text)
            return CvssScore("4.0", v4.clean_vector(), float(v4.base_score), str(v4.severity).lower())
        if text.startswith(("CVSS:3.0/", "CVSS:3.1/")):
            v3 = CVSS3(text)
            return CvssScore(text[5:8], v3.clean_vector(), float(v3.base_score), str(v3.severities()[0]).lower())
    except (CVSSError, ValueError, KeyError, IndexError) as exc:
        raise CvssVectorInvalid(f"not a valid CVSS vector: {exc}") from None
    raise CvssVectorInvalid("a CVSS vector starts with CVSS:3.1/ or CVSS:4.0/ (v2 is not accepted)")
