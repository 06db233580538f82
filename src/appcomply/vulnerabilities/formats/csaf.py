"""CSAF 2.0 security advisories (OASIS): built from a disclosed vulnerability, validated against the packaged schema.

The OASIS schema is packaged in `vulnerabilities/data/` and read offline. The CVSS score schemas it references at
www.first.org are not packaged; they resolve to a local stand-in that checks the members every score carries (the
scores themselves come from the `cvss` package). See data/SOURCE.txt.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Final

import jsonschema_rs

from appcomply.vulnerabilities.errors import CsafDocumentInvalid
from appcomply.vulnerabilities.formats.cvss import CvssScore

_FIRST: Final = "https://www.first.org/cvss/cvss-v"
_CSAF_SCHEMA: Final = "https://docs.oasis-open.org/csaf/csaf/v2.0/csaf_json_schema.json"
_NOT_IN_FILENAME: Final = re.compile(r"[^+\-a-z0-9]+")


def _cvss_stand_in(version: str) -> dict[str, Any]:
    """FIRST's score schema reduced to what tells the versions apart (CSAF's cvss_v3 is a oneOf of 3.0 and 3.1)."""
    return {
        "type": "object",
        "required": ["version", "vectorString", "baseScore"],
        "properties": {
            "version": {"type": "string", "enum": [version]},
            "vectorString": {"type": "string", "pattern": "^AV:" if version == "2.0" else f"^CVSS:{version}/"},
            "baseScore": {"type": "number", "minimum": 0, "maximum": 10},
        },
    }


PRODUCT_ID: Final = "CSAFPID-0001"


@dataclass(frozen=True, slots=True)
class Advisory:
    """What a CSAF advisory says about one vulnerability of one product."""

    tracking_id: str
    title: str
    publisher_name: str
    publisher_namespace: str  # https URL of the publisher
    initial_release: dt.datetime
    current_release: dt.datetime
    product_name: str
    vendor: str
    affected: tuple[str, ...]  # version ranges (vers-like text) or versions
    fixed: tuple[str, ...]
    summary: str
    remediation: str
    lang: str = "zh-CN"
    status: str = "final"
    details: str | None = None
    cve: str | None = None
    cwe: tuple[str, str] | None = None  # ("CWE-79", "Improper Neutralization of Input …")
    cvss: CvssScore | None = None
    remediation_url: str | None = None
    revision_history: tuple[tuple[str, dt.datetime, str], ...] = field(default=())


def _when(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def build_csaf(advisory: Advisory) -> dict[str, Any]:
    """A CSAF 2.0 `csaf_security_advisory` document (validate it with `validate_csaf`)."""
    history = advisory.revision_history or (("1", advisory.initial_release, "Initial version"),)
    document = {
        "category": "csaf_security_advisory",
        "csaf_version": "2.0",
        "lang": advisory.lang,
        "title": advisory.title,
        "distribution": {"tlp": {"label": "WHITE", "url": "https://www.first.org/tlp/"}},
        "publisher": {"category": "vendor", "name": advisory.publisher_name, "namespace": advisory.publisher_namespace},
        "notes": [{"category": "summary", "title": "Summary", "text": advisory.summary}],
        "tracking": {
            "id": advisory.tracking_id,
            "status": advisory.status,
            "version": history[-1][0],
            "initial_release_date": _when(advisory.initial_release),
            "current_release_date": _when(advisory.current_release),
            "revision_history": [{"number": n, "date": _when(d), "summary": s} for n, d, s in history],
        },
    }
    if advisory.details:
        document["notes"].append({"category": "details", "title": "Details", "text": advisory.details})  # type: ignore[attr-defined]
    return {
        "document": document,
        "product_tree": _product_tree(advisory),
        "vulnerabilities": [_vulnerability(advisory)],
    }


def _product_tree(advisory: Advisory) -> dict[str, Any]:
    leaves = [
        *({"category": "product_version_range", "name": r, "product": {"name": f"{advisory.product_name} {r}",
           "product_id": _pid("affected", i)}} for i, r in enumerate(advisory.affected)),
        *({"category": "product_version", "name": v, "product": {"name": f"{advisory.product_name} {v}",
           "product_id": _pid("fixed", i)}} for i, v in enumerate(advisory.fixed)),
    ]  # fmt: skip
    product: dict[str, Any] = {"category": "product_name", "name": advisory.product_name}
    if leaves:
        product["branches"] = leaves
    else:  # a draft that names no version yet: the product itself is the leaf (a branch needs one or the other)
        product["product"] = {"name": advisory.product_name, "product_id": PRODUCT_ID}
    return {"branches": [{"category": "vendor", "name": advisory.vendor, "branches": [product]}]}


def _pid(kind: str, index: int) -> str:
    return f"CSAFPID-{kind}-{index + 1:04d}"


def _vulnerability(advisory: Advisory) -> dict[str, Any]:
    affected = [_pid("affected", i) for i in range(len(advisory.affected))]
    fixed = [_pid("fixed", i) for i in range(len(advisory.fixed))]
    vuln: dict[str, Any] = {
        "title": advisory.title,
        "notes": [{"category": "description", "title": "Description", "text": advisory.summary}],
    }
    status = {k: v for k, v in {"known_affected": affected, "fixed": fixed}.items() if v}
    if status:  # a draft may not know its versions yet; the schema wants no empty lists
        vuln["product_status"] = status
        vuln["remediations"] = [
            {"category": "vendor_fix", "details": advisory.remediation, "product_ids": affected or fixed}
            | ({"url": advisory.remediation_url} if advisory.remediation_url else {})
        ]
    if advisory.cve:
        vuln["cve"] = advisory.cve
    if advisory.cwe:
        vuln["cwe"] = {"id": advisory.cwe[0], "name": advisory.cwe[1]}
    score = advisory.cvss
    if score is not None and affected:
        if score.version.startswith("3"):
            cvss_v3 = {"version": score.version, "vectorString": score.vector, "baseScore": score.base_score,
                       "baseSeverity": score.severity.upper()}  # fmt: skip
            vuln["scores"] = [{"products": affected, "cvss_v3": cvss_v3}]
        else:  # CSAF 2.0 has no cvss_v4 member: the vector is stated in a note
            text = f"CVSS v{score.version} {score.vector}: base score {score.base_score} ({score.severity})"
            vuln["notes"].append({"category": "other", "title": "CVSS v4.0", "text": text})
    return vuln


def csaf_filename(tracking_id: str) -> str:
    """The file name CSAF 2.0 §5.1 gives a document: the tracking id in lower case, every run of characters other
    than `+`, `-`, a-z and 0-9 replaced by `_`, then `.json`."""
    return _NOT_IN_FILENAME.sub("_", tracking_id.lower()) + ".json"


def distribution_path(tracking_id: str, initial_release: dt.datetime) -> str:
    """Where a TLP:WHITE document sits in a CSAF provider's directory (§7.1.11): `<year of release>/<file name>`."""
    return f"{initial_release.astimezone(dt.UTC).year}/{csaf_filename(tracking_id)}"


@dataclass(frozen=True, slots=True)
class Published:
    """One document of a provider's directory: its path and when it last changed."""

    path: str
    current_release: dt.datetime


def index_txt(documents: list[Published]) -> str:
    """`index.txt` of a CSAF directory (§7.1.13): one relative path per line."""
    return "".join(f"{d.path}\n" for d in documents)


def changes_csv(documents: list[Published]) -> str:
    """`changes.csv` of a CSAF directory (§7.1.14): "path","current release" per line, newest first."""
    ordered = sorted(documents, key=lambda d: d.current_release, reverse=True)
    return "".join(f'"{d.path}","{_when(d.current_release)}"\n' for d in ordered)


def build_provider_metadata(
    *, canonical_url: str, directory_url: str, publisher_name: str, namespace: str, last_updated: dt.datetime
) -> dict[str, Any]:
    """A CSAF 2.0 `provider-metadata.json` (§7.1.7) for a publisher whose advisories are in one TLP:WHITE
    directory (role csaf_provider: documents valid, filenames per §5.1, served over TLS, index and changes files)."""
    return {
        "canonical_url": canonical_url,
        "distributions": [{"directory_url": directory_url}],
        "last_updated": _when(last_updated),
        "list_on_CSAF_aggregators": True,
        "metadata_version": "2.0",
        "mirror_on_CSAF_aggregators": True,
        "publisher": {"category": "vendor", "name": publisher_name, "namespace": namespace},
        "role": "csaf_provider",
    }


def _schema(name: str) -> dict[str, Any]:
    text = resources.files("appcomply.vulnerabilities").joinpath(f"data/{name}").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _retrieve(uri: str) -> dict[str, Any]:
    if uri.startswith(_FIRST) and uri.endswith(".json"):
        return _cvss_stand_in(uri.removeprefix(_FIRST).removesuffix(".json"))
    if uri == _CSAF_SCHEMA:
        return _schema("csaf_json_schema.json")
    raise ValueError(f"CSAF validation is offline; no local copy of {uri}")


@functools.cache
def _validator(name: str = "csaf_json_schema.json") -> Any:
    return jsonschema_rs.validator_for(_schema(name), retriever=_retrieve, validate_formats=True)


def validate_provider_metadata(document: dict[str, Any]) -> None:
    """CsafDocumentInvalid naming the first problems when `document` fails the CSAF 2.0 provider schema."""
    _check(_validator("provider_json_schema.json"), document)


def validate_csaf(document: dict[str, Any]) -> None:
    """CsafDocumentInvalid naming the first problems (JSON path and message) when `document` fails the schema."""
    _check(_validator(), document)


def _check(validator: Any, document: dict[str, Any]) -> None:
    errors = list(validator.iter_errors(document))
    if errors:
        shown = [f"{'/'.join(str(p) for p in e.instance_path) or '(root)'}: {e.message}" for e in errors[:5]]
        raise CsafDocumentInvalid("; ".join(shown), errors=shown, count=len(errors))
