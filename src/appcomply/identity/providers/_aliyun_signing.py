"""Alibaba Cloud RPC request signing, signature method V2 (HMAC-SHA1, SignatureVersion 1.0).

From "Request syntax and signature method V2 for RPC APIs" (Alibaba Cloud SDK docs) and the "Signature
mechanism" pages: percent-encode names and values per RFC 3986 (only A-Z a-z 0-9 - _ . ~ stay literal, so a
space is %20, `*` is %2A and `~` stays `~`), sort by name, join as the canonical query, then
StringToSign = Method & "%2F" & encode(canonical query), Signature = Base64(HMAC-SHA1(secret + "&", StringToSign)).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import quote


def percent_encode(value: str) -> str:
    # quote() with only the RFC 3986 unreserved marks as safe is exactly Alibaba's rule: it never emits "+"
    # for a space and encodes "*", so none of the %20 / %2A / %7E fix-ups other languages need apply here.
    return quote(value, safe="-_.~")


def canonical_query(params: Mapping[str, str]) -> str:
    return "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))


def string_to_sign(method: str, params: Mapping[str, str]) -> str:
    return f"{method.upper()}&{percent_encode('/')}&{percent_encode(canonical_query(params))}"


def signature(method: str, params: Mapping[str, str], access_key_secret: str) -> str:
    key = f"{access_key_secret}&".encode()
    digest = hmac.new(key, string_to_sign(method, params).encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def timestamp(at: dt.datetime) -> str:
    """ISO 8601 in UTC, the form the Timestamp parameter requires: 2016-02-23T12:46:24Z."""
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def signed_params(
    method: str,
    params: Mapping[str, str],
    *,
    access_key_id: str,
    access_key_secret: str,
    at: dt.datetime,
    nonce: str,
) -> dict[str, str]:
    """`params` (Action, Version and the API's own) plus the common parameters and their Signature."""
    common = {
        "AccessKeyId": access_key_id,
        "Format": "JSON",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": nonce,
        "SignatureVersion": "1.0",
        "Timestamp": timestamp(at),
    }
    unsigned = {**common, **params}
    return {**unsigned, "Signature": signature(method, unsigned, access_key_secret)}
