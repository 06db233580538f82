"""Tencent Cloud adapters: SMS through `SendSms` (SMS API 2021-01-11, sms.tencentcloudapi.com) and the resident-ID
two-element check through FaceID `IdCardVerification` (API 2018-03-01, faceid.tencentcloudapi.com), signed with
TC3-HMAC-SHA256.

Written to: "SendSms" (短信 API 2021-01-11: PhoneNumberSet, SmsSdkAppId, SignName, TemplateId, TemplateParamSet,
SessionContext; SendStatusSet[].Code "Ok"), "错误码" (SMS API 3.0 send error codes), "身份信息认证(二要素核验)"
(IdCardVerification: IdCard, Name; Result 0 = consistent, -1 = inconsistent, -2 = invalid ID number, -3 = invalid
name, -4 = ID database fault, -5 = no record, -6 = authority upgrading, -7 = daily limit), "公共参数" and
"签名方法 v3" (Signature v3). An error for the whole call comes as Response.Error {Code, Message}.
"""

from __future__ import annotations

import json
import logging
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
from appcomply.identity.providers import _tencent_signing as signing
from appcomply.identity.providers._common import exchange, id_input_problem, is_e164, malformed, scrub
from appcomply.kernel.clock import Clock

PROVIDER = "tencent"
SMS_VERSION = "2021-01-11"
FACEID_VERSION = "2018-03-01"
CONTENT_TYPE = "application/json; charset=utf-8"
log = logging.getLogger(__name__)

SMS_CODES: dict[str, SmsResult] = {
    "Ok": SmsResult.ACCEPTED,
    "InvalidParameterValue.IncorrectPhoneNumber": SmsResult.INVALID_NUMBER,
    "FailedOperation.PhoneNumberInBlacklist": SmsResult.RECIPIENT_BLOCKED,
    "FailedOperation.TemplateIncorrectOrUnapproved": SmsResult.TEMPLATE_INVALID,
    "FailedOperation.SignatureIncorrectOrUnapproved": SmsResult.TEMPLATE_INVALID,
    "FailedOperation.TemplateParamSetNotMatchApprovedTemplate": SmsResult.TEMPLATE_INVALID,
    "FailedOperation.ContainSensitiveWord": SmsResult.TEMPLATE_INVALID,
    "FailedOperation.InsufficientBalanceInSmsPackage": SmsResult.INSUFFICIENT_BALANCE,
    "FailedOperation.ServiceSuspendDueToArrears": SmsResult.INSUFFICIENT_BALANCE,
}
# Every LimitExceeded.* code (PhoneNumberDailyLimit, PhoneNumberThirtySecondLimit, DeliveryFrequencyLimit, ...)
# is a frequency or quota limit; InternalError.* (Timeout, OtherError, ...) is Tencent's own fault.
RATE_LIMIT_PREFIX = "LimitExceeded"
TRANSIENT_PREFIX = "InternalError"

RESULTS: dict[str, tuple[IdCheckOutcome, CheckResult]] = {
    "0": (IdCheckOutcome.MATCH, CheckResult.MATCH),
    "-1": (IdCheckOutcome.MISMATCH, CheckResult.MISMATCH),
    "-2": (IdCheckOutcome.INVALID_INPUT, CheckResult.INVALID_ID_NUMBER),
    "-3": (IdCheckOutcome.INVALID_INPUT, CheckResult.INVALID_NAME),
    "-4": (IdCheckOutcome.ERROR, CheckResult.SOURCE_ERROR),
    "-5": (IdCheckOutcome.NOT_FOUND, CheckResult.NOT_FOUND),
    "-6": (IdCheckOutcome.ERROR, CheckResult.SOURCE_ERROR),
    "-7": (IdCheckOutcome.ERROR, CheckResult.RATE_LIMITED),
}


class TencentApiClient:
    """Signs and posts one API 3.0 call (JSON body) to a Tencent Cloud endpoint."""

    def __init__(self, http: httpx.Client, *, secret_id: str, secret_key: str, clock: Clock, timeout: float) -> None:
        self._http, self._clock, self._timeout = http, clock, timeout
        self._secret_id, self._secret_key = secret_id, secret_key

    def call(
        self, *, host: str, action: str, version: str, payload: Mapping[str, Any], region: str | None = None
    ) -> dict[str, Any]:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        timestamp = int(self._clock.now().timestamp())
        signed = {"Content-Type": CONTENT_TYPE, "Host": host, "X-TC-Action": action}
        sig = signing.sign(
            secret_id=self._secret_id,
            secret_key=self._secret_key,
            service=host.split(".", 1)[0],
            timestamp=timestamp,
            headers=signed,
            payload=body,
        )
        headers = {
            **signed,
            "X-TC-Version": version,
            "X-TC-Timestamp": str(timestamp),
            "Authorization": sig.authorization,
        }
        if region:
            headers["X-TC-Region"] = region
        request = self._http.build_request(
            "POST", f"https://{host}/", content=body, headers=headers, timeout=self._timeout
        )
        answer = exchange(self._http, request, provider=PROVIDER).get("Response")
        if not isinstance(answer, dict):
            raise malformed(PROVIDER, f"{action} Response")
        return answer


def _error_code(response: dict[str, Any], action: str) -> str | None:
    error = response.get("Error")
    if error is None:
        return None
    if not isinstance(error, dict) or not isinstance(error.get("Code"), str):
        raise malformed(PROVIDER, f"{action} Error.Code")
    code: str = error["Code"]
    if code.startswith(TRANSIENT_PREFIX):
        raise ProviderUnavailable(f"tencent {action}: vendor fault {code}", provider=PROVIDER, reason=code)
    return code


def sms_result(code: str) -> SmsResult:
    if code.startswith(RATE_LIMIT_PREFIX):
        return SmsResult.RATE_LIMITED
    return SMS_CODES.get(code, SmsResult.REJECTED)


class TencentSmsSender:
    def __init__(
        self,
        api: TencentApiClient,
        *,
        sdk_app_id: str,
        sign_name: str,
        region: str,
        host: str = "sms.tencentcloudapi.com",
    ) -> None:
        self._api, self._sdk_app_id, self._sign_name, self._region, self._host = (
            api,
            sdk_app_id,
            sign_name,
            region,
            host,
        )

    def send(self, *, phone_e164: str, template: str, params: Mapping[str, str], request_ref: str) -> SmsReceipt:
        if not is_e164(phone_e164):
            return SmsReceipt(PROVIDER, "", False, SmsResult.INVALID_NUMBER, "not an E.164 number")
        payload = {
            "PhoneNumberSet": [phone_e164],
            "SmsSdkAppId": self._sdk_app_id,
            "SignName": self._sign_name,
            "TemplateId": template,
            "TemplateParamSet": list(params.values()),
            "SessionContext": request_ref,
        }
        response = self._api.call(
            host=self._host, action="SendSms", version=SMS_VERSION, payload=payload, region=self._region
        )
        code, message = self._status(response)
        result = sms_result(code)
        detail = scrub(f"{code}: {message}", phone_e164, phone_e164.removeprefix("+86"))
        log.info("sms provider=tencent ref=%s result=%s vendor_code=%s", request_ref, result.value, code)
        return SmsReceipt(PROVIDER, str(response.get("RequestId", "")), result is SmsResult.ACCEPTED, result, detail)

    @staticmethod
    def _status(response: dict[str, Any]) -> tuple[str, str]:
        code = _error_code(response, "SendSms")
        if code is not None:
            return code, str(response["Error"].get("Message", ""))
        statuses = response.get("SendStatusSet")
        if not isinstance(statuses, list) or len(statuses) != 1 or not isinstance(statuses[0], dict):
            raise malformed(PROVIDER, "SendSms SendStatusSet")
        status = statuses[0]
        if not isinstance(status.get("Code"), str):
            raise malformed(PROVIDER, "SendSms SendStatusSet[0].Code")
        return status["Code"], str(status.get("Message", ""))


class TencentIdentityChecker:
    def __init__(self, api: TencentApiClient, *, host: str = "faceid.tencentcloudapi.com") -> None:
        self._api, self._host = api, host

    def check(self, *, name: str, id_number: str, request_ref: str) -> IdCheckResult:
        problem = id_input_problem(name=name, id_number=id_number)
        if problem:
            return IdCheckResult(PROVIDER, "", IdCheckOutcome.INVALID_INPUT, problem)
        # Region: "本接口不需要传递此参数" (the FaceID docs), so none is sent.
        response = self._api.call(
            host=self._host,
            action="IdCardVerification",
            version=FACEID_VERSION,
            payload={"IdCard": id_number, "Name": name},
        )
        if _error_code(response, "IdCardVerification") is not None:
            outcome, code = IdCheckOutcome.ERROR, CheckResult.PROVIDER_ERROR
        elif not isinstance(response.get("Result"), str):
            raise malformed(PROVIDER, "IdCardVerification Result")
        else:
            outcome, code = RESULTS.get(response["Result"], (IdCheckOutcome.ERROR, CheckResult.PROVIDER_ERROR))
        log.info("identity check provider=tencent ref=%s outcome=%s code=%s", request_ref, outcome.value, code.value)
        return IdCheckResult(PROVIDER, str(response.get("RequestId", "")), outcome, code)
