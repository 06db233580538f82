"""Replay rigs for the contract suites: each vendor adapter talks to an httpx.MockTransport that first checks the
request is what the vendor documents (method, host, action, version, parameters, a signature that verifies with
the same signer and secret) and then answers with a recorded exchange from `recorded/` (reconstructed from the
vendors' documentation; see each file's `_source`)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx

from appcomply.identity.providers import _aliyun_signing, _tencent_signing
from appcomply.identity.providers.aliyun import AliyunRpcClient
from appcomply.identity.providers.tencent import TencentApiClient
from appcomply.kernel.clock import FixedClock

RECORDED = Path(__file__).parent / "recorded"
NOW = dt.datetime(2026, 3, 1, 8, 30, tzinfo=dt.UTC)
ALI_ID, ALI_SECRET = "LTAI-contract-test", "ali-contract-secret"
TC_ID, TC_SECRET = "AKID-contract-test", "tc-contract-secret"
TIMEOUT = 3.0

Check = Callable[[dict[str, Any]], None]


def recorded(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((RECORDED / name).read_text(encoding="utf-8"))
    assert data.pop("_source").startswith("reconstructed from documentation")
    return data


def _answer(request: httpx.Request, scenario: str, exchanges: dict[str, Any]) -> httpx.Response:
    if scenario == "http_500":
        return httpx.Response(500, text="<html>Internal Server Error</html>")
    if scenario == "timeout":
        raise httpx.ReadTimeout("timed out", request=request)
    if scenario == "malformed":
        return httpx.Response(200, content=b'{"Code": "OK", "Mess', headers={"content-type": "application/json"})
    exchange = exchanges[scenario]
    return httpx.Response(exchange["status"], json=exchange["body"])


def aliyun_transport(
    scenario: str, exchanges: dict[str, Any], *, host: str, action: str, version: str, check: Check, seen: list[Any]
) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.method == "POST"
        assert request.url.host == host
        assert request.url.query == b"", "parameters must travel in the body, never in the URL"
        assert request.headers["content-type"] == "application/x-www-form-urlencoded"
        assert request.extensions["timeout"]["read"] == TIMEOUT
        params = dict(parse_qsl(request.content.decode(), keep_blank_values=True))
        seen.append(params)
        signature = params.pop("Signature")
        assert signature == _aliyun_signing.signature("POST", params, ALI_SECRET)
        assert params["Action"] == action
        assert params["Version"] == version
        assert params["AccessKeyId"] == ALI_ID
        assert (params["SignatureMethod"], params["SignatureVersion"], params["Format"]) == ("HMAC-SHA1", "1.0", "JSON")
        assert params["Timestamp"] == "2026-03-01T08:30:00Z"
        assert params["SignatureNonce"]
        check(params)
        return _answer(request, scenario, exchanges)

    return httpx.MockTransport(handler)


def tencent_transport(
    scenario: str,
    exchanges: dict[str, Any],
    *,
    host: str,
    action: str,
    version: str,
    region: str | None,
    check: Check,
    seen: list[Any],
) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.method == "POST"
        assert request.url.host == host
        assert request.url.path == "/"
        assert request.extensions["timeout"]["read"] == TIMEOUT
        headers = request.headers
        assert headers["x-tc-action"] == action
        assert headers["x-tc-version"] == version
        assert headers["x-tc-timestamp"] == str(int(NOW.timestamp()))
        assert headers.get("x-tc-region") == region
        assert headers["content-type"] == "application/json; charset=utf-8"
        expected = _tencent_signing.sign(
            secret_id=TC_ID,
            secret_key=TC_SECRET,
            service=host.split(".")[0],
            timestamp=int(headers["x-tc-timestamp"]),
            headers={name: headers[name] for name in ("content-type", "host", "x-tc-action")},
            payload=request.content,
        )
        assert headers["authorization"] == expected.authorization
        assert f"Credential={TC_ID}/2026-03-01/{host.split('.')[0]}/tc3_request" in expected.authorization
        payload = json.loads(request.content)
        seen.append(payload)
        check(payload)
        return _answer(request, scenario, exchanges)

    return httpx.MockTransport(handler)


def aliyun_rpc(transport: httpx.MockTransport, host: str) -> AliyunRpcClient:
    client = httpx.Client(transport=transport)
    clock = FixedClock(NOW)
    return AliyunRpcClient(
        client, host=host, access_key_id=ALI_ID, access_key_secret=ALI_SECRET, clock=clock, timeout=TIMEOUT
    )


def tencent_api(transport: httpx.MockTransport) -> TencentApiClient:
    client = httpx.Client(transport=transport)
    return TencentApiClient(client, secret_id=TC_ID, secret_key=TC_SECRET, clock=FixedClock(NOW), timeout=TIMEOUT)
