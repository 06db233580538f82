"""Tencent Cloud API 3.0 request signing, TC3-HMAC-SHA256 ("Signature v3" / 签名方法 v3 in every product's API docs).

CanonicalRequest = method \\n uri \\n query \\n canonical headers \\n signed headers \\n hex(sha256(payload));
StringToSign = "TC3-HMAC-SHA256" \\n timestamp \\n date/service/tc3_request \\n hex(sha256(CanonicalRequest));
the key is derived HMAC-SHA256("TC3" + SecretKey, date) -> service -> "tc3_request", date being the UTC day of the
timestamp.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass

ALGORITHM = "TC3-HMAC-SHA256"


@dataclass(frozen=True, slots=True)
class Tc3Signature:
    canonical_request: str
    string_to_sign: str
    signature: str
    authorization: str


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def sign(
    *,
    secret_id: str,
    secret_key: str,
    service: str,
    timestamp: int,
    headers: Mapping[str, str],
    payload: bytes,
    method: str = "POST",
    path: str = "/",
    query: str = "",
) -> Tc3Signature:
    """Sign a request; `headers` are exactly the headers to sign (at least content-type and host)."""
    canonical = {name.lower(): value.strip().lower() for name, value in headers.items()}
    signed_headers = ";".join(sorted(canonical))
    canonical_headers = "".join(f"{name}:{canonical[name]}\n" for name in sorted(canonical))
    canonical_request = "\n".join(
        [method.upper(), path, query, canonical_headers, signed_headers, hashlib.sha256(payload).hexdigest()]
    )
    date = dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d")
    scope = f"{date}/{service}/tc3_request"
    to_sign = "\n".join([ALGORITHM, str(timestamp), scope, hashlib.sha256(canonical_request.encode()).hexdigest()])
    key = _hmac(_hmac(_hmac(f"TC3{secret_key}".encode(), date), service), "tc3_request")
    sig = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    authorization = f"{ALGORITHM} Credential={secret_id}/{scope}, SignedHeaders={signed_headers}, Signature={sig}"
    return Tc3Signature(canonical_request, to_sign, sig, authorization)
