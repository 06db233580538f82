"""One contract suite for every IdentityChecker (local, Alibaba Cloud Id2MetaVerify, Tencent FaceID
IdCardVerification; vendors against replayed exchanges reconstructed from documentation), plus the local
EnterpriseChecker, the only enterprise adapter so far."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from appcomply.identity.ports import IdCheckOutcome, IdentityChecker, ProviderUnavailable
from appcomply.identity.providers import (
    AliyunIdentityChecker,
    LocalEnterpriseChecker,
    LocalIdentityChecker,
    TencentIdentityChecker,
)
from tests.contracts.identity import vendors

NAME, ID_NUMBER = "韦小宝", "11010519491231002X"  # the checksum-valid example number of GB 11643
REF = "ref-7"


@dataclass
class Rig:
    provider: str
    checker: IdentityChecker
    seen: list[Any] = field(default_factory=list)


def _local(_scenario: str) -> Rig:
    return Rig("local", LocalIdentityChecker())


def _aliyun(scenario: str) -> Rig:
    seen: list[Any] = []

    def check(params: dict[str, Any]) -> None:
        assert (params["ParamType"], params["IdentifyNum"], params["UserName"]) == ("normal", ID_NUMBER, NAME)

    host = "cloudauth.aliyuncs.com"
    transport = vendors.aliyun_transport(
        scenario,
        vendors.recorded("aliyun_id2metaverify.json"),
        host=host,
        action="Id2MetaVerify",
        version="2019-03-07",
        check=check,
        seen=seen,
    )
    return Rig("aliyun", AliyunIdentityChecker(vendors.aliyun_rpc(transport, host)), seen)


def _tencent(scenario: str) -> Rig:
    seen: list[Any] = []

    def check(payload: dict[str, Any]) -> None:
        assert payload == {"IdCard": ID_NUMBER, "Name": NAME}

    transport = vendors.tencent_transport(
        scenario,
        vendors.recorded("tencent_idcardverification.json"),
        host="faceid.tencentcloudapi.com",
        action="IdCardVerification",
        version="2018-03-01",
        region=None,
        check=check,
        seen=seen,
    )
    return Rig("tencent", TencentIdentityChecker(vendors.tencent_api(transport)), seen)


ALL: dict[str, Callable[[str], Rig]] = {"local": _local, "aliyun": _aliyun, "tencent": _tencent}
VENDORS = {name: rig for name, rig in ALL.items() if name != "local"}


def _assert_no_pi(text: str) -> None:
    assert ID_NUMBER not in text
    assert NAME not in text


# --- every checker -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("make", ALL.values(), ids=ALL.keys())
def test_a_matching_name_and_number_is_a_match(make: Callable[[str], Rig], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    rig = make("match")
    result = rig.checker.check(name=NAME, id_number=ID_NUMBER, request_ref=REF)
    assert (result.provider, result.outcome) == (rig.provider, IdCheckOutcome.MATCH)
    assert result.result_code == ("local.format_valid" if rig.provider == "local" else "idcheck.match")
    assert result.provider_request_id
    assert caplog.records
    _assert_no_pi(caplog.text)


BAD_INPUT = {
    "checksum": (NAME, "110105194912310021", "idcheck.invalid_id_number"),
    "length": (NAME, "1101051949123100", "idcheck.invalid_id_number"),
    "empty name": ("  ", ID_NUMBER, "idcheck.invalid_name"),
}


@pytest.mark.parametrize("make", ALL.values(), ids=ALL.keys())
@pytest.mark.parametrize(("name", "number", "code"), BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_malformed_input_is_invalid_and_never_leaves_the_process(
    make: Callable[[str], Rig], name: str, number: str, code: str
) -> None:
    rig = make("match")
    result = rig.checker.check(name=name, id_number=number, request_ref=REF)
    assert (result.outcome, result.result_code) == (IdCheckOutcome.INVALID_INPUT, code)
    assert rig.seen == []


# --- vendor adapters: documented verdicts -------------------------------------------------------------------------

VERDICTS = {
    "mismatch": (IdCheckOutcome.MISMATCH, "idcheck.mismatch"),
    "not_found": (IdCheckOutcome.NOT_FOUND, "idcheck.not_found"),
    "source_error": (IdCheckOutcome.ERROR, "idcheck.source_error"),
    "rate_limited": (IdCheckOutcome.ERROR, "idcheck.rate_limited"),
    "provider_error": (IdCheckOutcome.ERROR, "idcheck.provider_error"),
}
INVALID_BY_VENDOR = {"aliyun": "idcheck.invalid_input", "tencent": "idcheck.invalid_name"}


@pytest.mark.parametrize("make", VENDORS.values(), ids=VENDORS.keys())
@pytest.mark.parametrize(("scenario", "expected"), VERDICTS.items(), ids=VERDICTS.keys())
def test_a_vendor_verdict_is_a_mapped_result(
    make: Callable[[str], Rig], scenario: str, expected: tuple[IdCheckOutcome, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    rig = make(scenario)
    result = rig.checker.check(name=NAME, id_number=ID_NUMBER, request_ref=REF)
    assert (result.outcome, result.result_code) == expected
    assert len(rig.seen) == 1
    _assert_no_pi(caplog.text)


@pytest.mark.parametrize("make", VENDORS.values(), ids=VENDORS.keys())
def test_input_the_vendor_refuses_is_invalid_input(make: Callable[[str], Rig]) -> None:
    rig = make("invalid_input")
    result = rig.checker.check(name=NAME, id_number=ID_NUMBER, request_ref=REF)
    assert (result.outcome, result.result_code) == (IdCheckOutcome.INVALID_INPUT, INVALID_BY_VENDOR[rig.provider])


# --- vendor adapters: no usable answer ------------------------------------------------------------------------------


@pytest.mark.parametrize("make", VENDORS.values(), ids=VENDORS.keys())
@pytest.mark.parametrize("scenario", ["http_500", "timeout", "malformed", "vendor_fault"])
def test_no_usable_answer_raises_provider_unavailable(
    make: Callable[[str], Rig], scenario: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    rig = make(scenario)
    with pytest.raises(ProviderUnavailable) as raised:
        rig.checker.check(name=NAME, id_number=ID_NUMBER, request_ref=REF)
    assert raised.value.fields["provider"] == rig.provider
    _assert_no_pi(caplog.text + str(raised.value) + repr(raised.value.fields))


# --- enterprise: local only -----------------------------------------------------------------------------------------


def test_the_local_enterprise_checker_proves_format_only() -> None:
    checker = LocalEnterpriseChecker()
    ok = checker.check(org_name="任意名称有限公司", uscc="91110000600037341L", request_ref=REF)
    assert (ok.provider, ok.outcome, ok.result_code) == ("local", IdCheckOutcome.MATCH, "local.format_valid")
    bad = checker.check(org_name="任意名称有限公司", uscc="91110000600037341X", request_ref=REF)
    assert (bad.outcome, bad.result_code) == (IdCheckOutcome.INVALID_INPUT, "idcheck.invalid_uscc")
    nameless = checker.check(org_name="", uscc="91110000600037341L", request_ref=REF)
    assert (nameless.outcome, nameless.result_code) == (IdCheckOutcome.INVALID_INPUT, "idcheck.invalid_org_name")
