"""One contract suite for every SmsSender: the in-memory recorder and the Alibaba Cloud and Tencent Cloud adapters
(the latter two against replayed exchanges reconstructed from the vendors' documentation)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from appcomply.identity.ports import ProviderUnavailable, SmsSender
from appcomply.identity.providers import AliyunSmsSender, RecordingSmsSender, TencentSmsSender
from tests.contracts.identity import vendors

PHONE = "+8613800138000"
TEMPLATE_PARAMS = {"code": "482916", "minutes": "5"}
REF = "ref-1"


@dataclass
class Rig:
    provider: str
    sender: SmsSender
    seen: list[Any] = field(default_factory=list)


def _local(_scenario: str) -> Rig:
    return Rig("local", RecordingSmsSender())


def _aliyun(scenario: str) -> Rig:
    seen: list[Any] = []

    def check(params: dict[str, Any]) -> None:
        assert params["PhoneNumbers"] == "13800138000"  # 11 digits, no +86
        assert params["SignName"] == "合规测试"
        assert params["TemplateCode"] == "SMS_71390007"
        assert json.loads(params["TemplateParam"]) == TEMPLATE_PARAMS
        assert params["OutId"] == REF
        assert params["RegionId"] == "cn-hangzhou"

    host = "dysmsapi.aliyuncs.com"
    transport = vendors.aliyun_transport(
        scenario,
        vendors.recorded("aliyun_sendsms.json"),
        host=host,
        action="SendSms",
        version="2017-05-25",
        check=check,
        seen=seen,
    )
    return Rig("aliyun", AliyunSmsSender(vendors.aliyun_rpc(transport, host), sign_name="合规测试"), seen)


def _tencent(scenario: str) -> Rig:
    seen: list[Any] = []

    def check(payload: dict[str, Any]) -> None:
        assert payload["PhoneNumberSet"] == [PHONE]
        assert payload["SmsSdkAppId"] == "1400006666"
        assert payload["SignName"] == "合规测试"
        assert payload["TemplateId"] == "1110"
        assert payload["TemplateParamSet"] == ["482916", "5"]
        assert payload["SessionContext"] == REF

    host = "sms.tencentcloudapi.com"
    transport = vendors.tencent_transport(
        scenario,
        vendors.recorded("tencent_sendsms.json"),
        host=host,
        action="SendSms",
        version="2021-01-11",
        region="ap-guangzhou",
        check=check,
        seen=seen,
    )
    api = vendors.tencent_api(transport)
    sender = TencentSmsSender(api, sdk_app_id="1400006666", sign_name="合规测试", region="ap-guangzhou")
    return Rig("tencent", sender, seen)


TEMPLATES = {"local": "SMS_71390007", "aliyun": "SMS_71390007", "tencent": "1110"}
ALL: dict[str, Callable[[str], Rig]] = {"local": _local, "aliyun": _aliyun, "tencent": _tencent}
VENDORS = {name: rig for name, rig in ALL.items() if name != "local"}


def _send(rig: Rig, phone: str = PHONE) -> Any:
    template = TEMPLATES[rig.provider]
    return rig.sender.send(phone_e164=phone, template=template, params=TEMPLATE_PARAMS, request_ref=REF)


def _assert_no_phone(text: str) -> None:
    assert "13800138000" not in text
    assert "482916" not in text  # the one-time code is as sensitive as the number


# --- every sender -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("make", ALL.values(), ids=ALL.keys())
def test_a_well_formed_number_is_accepted(make: Callable[[str], Rig]) -> None:
    rig = make("accepted")
    receipt = _send(rig)
    assert (receipt.provider, receipt.accepted, receipt.result_code) == (rig.provider, True, "sms.accepted")
    assert receipt.provider_request_id


@pytest.mark.parametrize("make", ALL.values(), ids=ALL.keys())
@pytest.mark.parametrize("phone", ["13800138000", "+86 138 0013 8000", "+0861380013800", ""])
def test_a_number_that_is_not_e164_is_refused_without_contacting_the_vendor(
    make: Callable[[str], Rig], phone: str
) -> None:
    rig = make("accepted")
    receipt = _send(rig, phone)
    assert (receipt.accepted, receipt.result_code) == (False, "sms.invalid_number")
    assert rig.seen == []


@pytest.mark.parametrize("make", ALL.values(), ids=ALL.keys())
def test_no_log_line_carries_the_number_or_the_code(
    make: Callable[[str], Rig], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    receipt = _send(make("accepted"))
    assert caplog.records, "the send should be logged"
    _assert_no_phone(caplog.text)
    _assert_no_phone(receipt.detail)


def test_the_recorder_keeps_what_it_was_given() -> None:
    sender = RecordingSmsSender()
    sender.send(phone_e164=PHONE, template="T1", params=TEMPLATE_PARAMS, request_ref=REF)
    assert [(m.phone_e164, m.template, dict(m.params), m.request_ref) for m in sender.sent] == [
        (PHONE, "T1", TEMPLATE_PARAMS, REF)
    ]


# --- vendor adapters: the documented refusals are results ------------------------------------------------------

REFUSALS = {
    "invalid_number": "sms.invalid_number",
    "rate_limited": "sms.rate_limited",
    "template_invalid": "sms.template_invalid",
    "insufficient_balance": "sms.insufficient_balance",
    "recipient_blocked": "sms.recipient_blocked",
    "rejected": "sms.rejected",
}


@pytest.mark.parametrize("make", VENDORS.values(), ids=VENDORS.keys())
@pytest.mark.parametrize(("scenario", "code"), REFUSALS.items(), ids=REFUSALS.keys())
def test_a_vendor_refusal_is_a_mapped_result(
    make: Callable[[str], Rig], scenario: str, code: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    rig = make(scenario)
    receipt = _send(rig)
    assert (receipt.provider, receipt.accepted, receipt.result_code) == (rig.provider, False, code)
    assert receipt.provider_request_id
    assert len(rig.seen) == 1
    _assert_no_phone(caplog.text + receipt.detail)


# --- vendor adapters: no answer is ProviderUnavailable -----------------------------------------------------------

NO_ANSWER = ["http_500", "timeout", "malformed"]


@pytest.mark.parametrize("make", VENDORS.values(), ids=VENDORS.keys())
@pytest.mark.parametrize("scenario", NO_ANSWER)
def test_no_usable_answer_raises_provider_unavailable(
    make: Callable[[str], Rig], scenario: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    rig = make(scenario)
    with pytest.raises(ProviderUnavailable) as raised:
        _send(rig)
    assert raised.value.code == "identity.provider.unavailable"
    assert raised.value.fields["provider"] == rig.provider
    _assert_no_phone(caplog.text + str(raised.value) + repr(raised.value.fields))


def test_a_tencent_internal_error_is_no_answer_rather_than_a_refusal() -> None:
    with pytest.raises(ProviderUnavailable, match=r"InternalError\.Timeout"):
        _send(_tencent("vendor_fault"))
