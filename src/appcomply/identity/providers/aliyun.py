"""Alibaba Cloud adapters: SMS through Dysmsapi `SendSms` (API 2017-05-25) and the resident-ID two-element
check through Cloudauth `Id2MetaVerify` (API 2019-03-07), both RPC-style and signed with signature method V2.

Written to: "SendSms" (Short Message Service API reference), "Error codes" / "API错误码" (SMS), "身份二要素核验"
(ID Verification, information verification developer reference: Id2MetaVerify, cloudauth.aliyuncs.com,
ParamType/IdentifyNum/UserName, Code "200" = call succeeded, ResultObject.BizCode 1 = consistent,
2 = inconsistent, 3 = no record; Codes 400/401/402/403/410/411/412/500), and "Request syntax and signature
method V2 for RPC APIs". Parameters travel in a POST form body, never in the URL, so no log line that prints
a URL (httpx logs every request at INFO) can carry a phone or ID number.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Mapping
from typing import Any

import httpx

from appcomply.identity.ports import (
    CheckResult,
    IdCheckOutcome,
    IdCheckResult,
    ProviderUnavailable,
    SmsReceipt,
    SmsResult,
)
from appcomply.identity.providers import _aliyun_signing as signing
from appcomply.identity.providers._common import exchange, id_input_problem, is_e164, malformed, scrub
from appcomply.kernel.clock import Clock

PROVIDER = "aliyun"
SMS_VERSION = "2017-05-25"
CLOUDAUTH_VERSION = "2019-03-07"
log = logging.getLogger(__name__)

SMS_CODES: dict[str, SmsResult] = {
    "OK": SmsResult.ACCEPTED,
    "isv.MOBILE_NUMBER_ILLEGAL": SmsResult.INVALID_NUMBER,
    "isv.MOBILE_COUNT_OVER_LIMIT": SmsResult.INVALID_NUMBER,
    "isv.BUSINESS_LIMIT_CONTROL": SmsResult.RATE_LIMITED,
    "isv.DAY_LIMIT_CONTROL": SmsResult.RATE_LIMITED,
    "isv.MONTH_LIMIT_CONTROL": SmsResult.RATE_LIMITED,
    "isv.SMS_TEMPLATE_ILLEGAL": SmsResult.TEMPLATE_INVALID,
    "isv.SMS_SIGNATURE_ILLEGAL": SmsResult.TEMPLATE_INVALID,
    "isv.SMS_SIGNATURE_SCENE_ILLEGAL": SmsResult.TEMPLATE_INVALID,
    "isv.TEMPLATE_MISSING_PARAMETERS": SmsResult.TEMPLATE_INVALID,
    "isv.INVALID_JSON_PARAM": SmsResult.TEMPLATE_INVALID,
    "isv.AMOUNT_NOT_ENOUGH": SmsResult.INSUFFICIENT_BALANCE,
    "isv.OUT_OF_SERVICE": SmsResult.INSUFFICIENT_BALANCE,
    "isv.BLACK_KEY_CONTROL_LIMIT": SmsResult.RECIPIENT_BLOCKED,
}
# Alibaba's own faults: the request may well succeed later, so they are "no answer", not a refusal.
TRANSIENT_CODES = frozenset({"isp.SYSTEM_ERROR", "ServiceUnavailable", "InternalError", "500"})

ID_CODES: dict[str, tuple[IdCheckOutcome, CheckResult]] = {
    "401": (IdCheckOutcome.INVALID_INPUT, CheckResult.INVALID_INPUT),
    "402": (IdCheckOutcome.ERROR, CheckResult.SOURCE_ERROR),
    "403": (IdCheckOutcome.ERROR, CheckResult.RATE_LIMITED),
}
BIZ_CODES: dict[str, tuple[IdCheckOutcome, CheckResult]] = {
    "1": (IdCheckOutcome.MATCH, CheckResult.MATCH),
    "2": (IdCheckOutcome.MISMATCH, CheckResult.MISMATCH),
    "3": (IdCheckOutcome.NOT_FOUND, CheckResult.NOT_FOUND),
}


class AliyunRpcClient:
    """Signs and posts one RPC call to an Alibaba Cloud endpoint; one per (credentials, host)."""

    def __init__(
        self, http: httpx.Client, *, host: str, access_key_id: str, access_key_secret: str, clock: Clock, timeout: float
    ) -> None:
        self._http, self._host, self._clock, self._timeout = http, host, clock, timeout
        self._key_id, self._secret = access_key_id, access_key_secret

    def call(self, params: Mapping[str, str]) -> dict[str, Any]:
        signed = signing.signed_params(
            "POST",
            params,
            access_key_id=self._key_id,
            access_key_secret=self._secret,
            at=self._clock.now(),
            nonce=uuid.uuid4().hex,
        )
        request = self._http.build_request("POST", f"https://{self._host}/", data=signed, timeout=self._timeout)
        return exchange(self._http, request, provider=PROVIDER)


def dysms_number(phone_e164: str) -> str:
    """Mainland numbers go as 11 digits without +86; others as country code + number without "+" (SendSms docs)."""
    digits = phone_e164.removeprefix("+")
    return digits.removeprefix("86") if digits.startswith("86") and len(digits) == 13 else digits


class AliyunSmsSender:
    def __init__(self, rpc: AliyunRpcClient, *, sign_name: str, region_id: str = "cn-hangzhou") -> None:
        self._rpc, self._sign_name, self._region_id = rpc, sign_name, region_id

    def send(self, *, phone_e164: str, template: str, params: Mapping[str, str], request_ref: str) -> SmsReceipt:
        if not is_e164(phone_e164):
            return SmsReceipt(PROVIDER, "", False, SmsResult.INVALID_NUMBER, "not an E.164 number")
        number = dysms_number(phone_e164)
        body = self._rpc.call(
            {
                "Action": "SendSms",
                "Version": SMS_VERSION,
                "RegionId": self._region_id,
                "PhoneNumbers": number,
                "SignName": self._sign_name,
                "TemplateCode": template,
                "TemplateParam": json.dumps(dict(params), ensure_ascii=False, separators=(",", ":")),
                "OutId": request_ref,
            }
        )
        code = body.get("Code")
        if not isinstance(code, str):
            raise malformed(PROVIDER, "SendSms Code")
        if code in TRANSIENT_CODES:
            raise ProviderUnavailable(f"aliyun SendSms: vendor fault {code}", provider=PROVIDER, reason=code)
        result = SMS_CODES.get(code, SmsResult.REJECTED)
        detail = scrub(f"{code}: {body.get('Message', '')}", number, phone_e164)
        log.info("sms provider=aliyun ref=%s result=%s vendor_code=%s", request_ref, result.value, code)
        return SmsReceipt(PROVIDER, str(body.get("RequestId", "")), result is SmsResult.ACCEPTED, result, detail)


class AliyunIdentityChecker:
    def __init__(self, rpc: AliyunRpcClient) -> None:
        self._rpc = rpc

    def check(self, *, name: str, id_number: str, request_ref: str) -> IdCheckResult:
        problem = id_input_problem(name=name, id_number=id_number)
        if problem:
            return IdCheckResult(PROVIDER, "", IdCheckOutcome.INVALID_INPUT, problem)
        body = self._rpc.call(
            {
                "Action": "Id2MetaVerify",
                "Version": CLOUDAUTH_VERSION,
                "ParamType": "normal",
                "IdentifyNum": id_number,
                "UserName": name,
            }
        )
        outcome, code = self._verdict(body)
        log.info("identity check provider=aliyun ref=%s outcome=%s code=%s", request_ref, outcome.value, code.value)
        return IdCheckResult(PROVIDER, str(body.get("RequestId", "")), outcome, code)

    @staticmethod
    def _verdict(body: dict[str, Any]) -> tuple[IdCheckOutcome, CheckResult]:
        if "Code" not in body:
            raise malformed(PROVIDER, "Id2MetaVerify Code")
        code = str(body["Code"])  # the docs show it both as "200" and as 200
        if code in TRANSIENT_CODES:
            raise ProviderUnavailable(f"aliyun Id2MetaVerify: vendor fault {code}", provider=PROVIDER, reason=code)
        if code != "200":
            # 400 / 410 / 411 / 412 and gateway errors (SignatureDoesNotMatch, ...) are our configuration's fault.
            return ID_CODES.get(code, (IdCheckOutcome.ERROR, CheckResult.PROVIDER_ERROR))
        result = body.get("ResultObject")
        if not isinstance(result, dict) or "BizCode" not in result:
            raise malformed(PROVIDER, "Id2MetaVerify ResultObject.BizCode")
        return BIZ_CODES.get(str(result["BizCode"]), (IdCheckOutcome.ERROR, CheckResult.PROVIDER_ERROR))
