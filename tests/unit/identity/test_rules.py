"""Pure identity rules: mobile numbers, resident ID numbers (GB 11643), credit codes (GB 32100), masks, OTPs and
impersonation, checked against upstream vectors and libphonenumber's own China metadata."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import phonenumbers
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from stdnum.cn import uscc

from appcomply.identity import errors, rules
from appcomply.kernel.errors import DomainError

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"
VECTORS = DATA / "cn-id-test-vectors"
PHONE_XML = DATA / "cn-phone-prefixes" / "PhoneNumberMetadata_CN.xml"
TODAY = dt.date(2026, 11, 29)

ID_ERRORS = (
    errors.MalformedIdNumber,
    errors.UnknownIdRegion,
    errors.InvalidIdBirthDate,
    errors.IdNumberChecksumMismatch,
)
STDNUM_ID_ERRORS: dict[str, type[DomainError]] = {
    "InvalidFormat": errors.MalformedIdNumber,
    "InvalidLength": errors.MalformedIdNumber,
    "InvalidComponent": errors.InvalidIdBirthDate,
    "InvalidChecksum": errors.IdNumberChecksumMismatch,
}


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"shared test data not present at {path} (checkout without /work/shared/data)")
    return path


def _csv(name: str) -> list[dict[str, str]]:
    with _need(VECTORS / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _phone_metadata() -> ET.Element:
    return ET.parse(_need(PHONE_XML)).getroot()  # noqa: S314 - a vetted file from our own shared data


def _pattern(territory: ET.Element, kind: str) -> str:
    return re.sub(r"\s+", "", territory.findtext(f"{kind}/nationalNumberPattern") or "")


# GB 11643 check character, computed here from the spec's weights rather than through python-stdnum.
WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def check_char(body17: str) -> str:
    return "10X98765432"[sum(int(d) * w for d, w in zip(body17, WEIGHTS, strict=True)) % 11]


# --- mobile numbers ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    ["13800138000", "+86 138 0013 8000", "+86-138-0013-8000", "0086 13800138000", "8613800138000",
     "86 138 0013 8000", "138 0013 8000", "(+86) 138-0013-8000", "１３８００１３８０００", "+86\u3000138 0013 8000"],
)  # fmt: skip
def test_every_common_way_of_writing_a_mainland_mobile_gives_one_e164_form(raw: str) -> None:
    assert rules.normalise_mobile(raw) == "+8613800138000"


@pytest.mark.parametrize(
    ("raw", "error", "kind"),
    [
        ("010 12345678", errors.NotAMobileNumber, "fixed_line"),
        ("+86 21 6212 3456", errors.NotAMobileNumber, "fixed_line"),
        ("400 123 4567", errors.NotAMobileNumber, "shared_cost"),
        ("800 123 4567", errors.NotAMobileNumber, "toll_free"),
        ("+852 9123 4567", errors.NotMainlandMobile, None),
        ("+886 912 345 678", errors.NotMainlandMobile, None),
        ("+1 650 253 0000", errors.NotMainlandMobile, None),
        ("1380013800", errors.InvalidMobileNumber, None),
        ("138001380001", errors.InvalidMobileNumber, None),
        ("14400000000", errors.InvalidMobileNumber, None),
        ("12345678901", errors.InvalidMobileNumber, None),
        ("not a number", errors.InvalidMobileNumber, None),
        ("13800138000 ext. 12", errors.InvalidMobileNumber, None),
    ],
)
def test_numbers_that_cannot_receive_a_verification_sms_are_refused_with_the_specific_error(
    raw: str, error: type[DomainError], kind: str | None
) -> None:
    with pytest.raises(error) as caught:
        rules.normalise_mobile(raw)
    if kind is not None:
        assert caught.value.fields["kind"] == kind


def test_libphonenumbers_china_mobile_example_is_accepted_and_its_other_examples_are_not_mobiles() -> None:
    territory = _phone_metadata()
    mobile = territory.findtext("mobile/exampleNumber") or ""
    assert rules.normalise_mobile(mobile) == f"+86{mobile}"
    for kind in ("fixedLine", "tollFree", "premiumRate", "sharedCost"):
        example = territory.findtext(f"{kind}/exampleNumber") or ""
        with pytest.raises(errors.NotAMobileNumber):
            rules.normalise_mobile(example)


@given(st.data())
def test_every_number_matching_the_china_mobile_pattern_is_accepted(data: st.DataObject) -> None:
    pattern = _pattern(_phone_metadata(), "mobile")
    national = data.draw(st.from_regex(re.compile(pattern, re.ASCII), fullmatch=True))
    assert rules.normalise_mobile(national) == f"+86{national}"


@given(st.data())
def test_no_number_matching_the_china_fixed_line_pattern_passes_as_a_mobile(data: st.DataObject) -> None:
    pattern = _pattern(_phone_metadata(), "fixedLine")
    national = data.draw(st.from_regex(re.compile(pattern, re.ASCII), fullmatch=True))
    with pytest.raises((errors.NotAMobileNumber, errors.InvalidMobileNumber)):
        rules.normalise_mobile(f"0{national}")


def _library_outcome(raw: str) -> str:
    """What plain phonenumbers concludes: the oracle for the fast path in normalise_mobile."""
    try:
        number = phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException:
        return "InvalidMobileNumber"
    if number.country_code != 86:
        return "NotMainlandMobile"
    kind = phonenumbers.number_type(number)
    if kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return "InvalidMobileNumber" if kind == phonenumbers.PhoneNumberType.UNKNOWN else "NotAMobileNumber"


phone_like = st.builds(
    "".join,
    st.lists(
        st.one_of(
            st.sampled_from(["+86", "0086", "86", "+852", "1", "13", "138", "19", "0", " ", "-", "+"]),
            st.text(alphabet="0123456789", min_size=1, max_size=11),
        ),
        max_size=5,
    ),
)


@given(phone_like)
@example("1380013800+")
@example("138001380O0")
@example("+86１３８００１３８０００")
@example("+8601380013800")
def test_the_fast_path_judges_every_input_as_phonenumbers_does(raw: str) -> None:
    try:
        outcome = rules.normalise_mobile(raw)
    except DomainError as exc:
        outcome = type(exc).__name__
    assert outcome == _library_outcome(raw)


def test_a_refused_number_is_reported_masked_never_in_clear() -> None:
    with pytest.raises(errors.InvalidMobileNumber) as caught:
        rules.normalise_mobile("1380013800")
    assert "1380013800" not in repr(caught.value.fields)
    assert "1380013800" not in str(caught.value)


# --- resident ID numbers ---------------------------------------------------------------------------------------


def test_the_standards_own_example_is_valid_and_parsed() -> None:
    parsed = rules.validate_id_number("11010519491231002x", today=TODAY)
    assert parsed == rules.IdNumber(
        number="11010519491231002X",
        region_code="110105",
        birth_date=dt.date(1949, 12, 31),
        sex=rules.Sex.FEMALE,
    )


def _id_outcome(raw: str) -> object:
    try:
        return rules.validate_id_number(raw, today=TODAY)
    except DomainError as exc:
        return type(exc)


def test_python_stdnum_ric_vectors_get_our_specific_codes() -> None:
    wrong = []
    for row in _csv("stdnum_cn_ric_vectors.csv"):
        number, expected, outcome = row["number"], row["expected"], _id_outcome(row["number"])
        if row["function"] == "get_birth_place":
            continue  # below: the birth-place check is deliberately not a validity rule
        if expected in STDNUM_ID_ERRORS:
            ok = outcome is STDNUM_ID_ERRORS[expected]
        elif row["function"] == "get_birth_date":
            ok = isinstance(outcome, rules.IdNumber) and repr(outcome.birth_date) == expected
        else:
            ok = isinstance(outcome, rules.IdNumber) and repr(outcome.number) == expected
        if not ok:
            wrong.append(f"{row['function']}({number}): expected {expected}, got {outcome}")
    assert wrong == []


def test_an_unknown_province_is_a_region_error_but_a_county_created_after_birth_is_accepted() -> None:
    rows = {row["number"]: row for row in _csv("stdnum_cn_ric_vectors.csv") if row["function"] == "get_birth_place"}
    assert _id_outcome("990426199112010074") is errors.UnknownIdRegion
    assert rows["990426199112010074"]["expected"] == "InvalidComponent"
    # python-stdnum refuses these because the county did not exist in the birth year; but the code is that of the
    # residence when the card was issued, so real cards carry it. They are only a warning signal.
    for number in ("110111198012010078", "110201199312010077"):
        parsed = rules.validate_id_number(number, today=TODAY)
        assert rules.address_code_known(parsed)
    assert not rules.address_code_known(rules.validate_id_number("830000199201300022", today=TODAY))


def test_id_validator_vectors_agree_with_its_lenient_mode() -> None:
    wrong = []
    for row in _csv("id_validator_is_valid_vectors.csv"):
        if row["strict_mode"] == "True":
            continue  # strict mode refuses county codes newer than the birth date: see the test above
        valid = isinstance(_id_outcome(row["number"]), rules.IdNumber)
        if valid != (row["expected_valid"] == "True"):
            wrong.append(f"{row['number']} ({row['comment_zh']}): expected {row['expected_valid']}")
    assert wrong == []


def test_id_validator_get_info_vectors_give_the_same_birthday_sex_region_and_check_character() -> None:
    with _need(VECTORS / "id_validator_get_info_vectors.json").open(encoding="utf-8") as f:
        infos: list[dict[str, Any]] = json.load(f)
    for info in infos:
        parsed = rules.validate_id_number(info["number"], today=TODAY)
        assert parsed.birth_date.isoformat() == info["birthday_code"]
        assert parsed.sex == (rules.Sex.MALE if info["sex"] == 1 else rules.Sex.FEMALE)
        assert parsed.region_code == info["address_code"]
        assert parsed.number[-1] == info["check_bit"]


REGIONS = ["110105", "440308", "360426", "500154", "810000", "830000", "650102"]
birth_dates = st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY)
bodies = st.builds(
    lambda region, born, seq: f"{region}{born:%Y%m%d}{seq:03d}",
    st.sampled_from(REGIONS),
    birth_dates,
    st.integers(0, 999),
)


@given(bodies)
def test_any_well_formed_body_with_its_computed_check_character_is_valid(body: str) -> None:
    parsed = rules.validate_id_number(body + check_char(body), today=TODAY)
    assert parsed.number == body + check_char(body)
    assert parsed.birth_date == dt.date(int(body[6:10]), int(body[10:12]), int(body[12:14]))
    assert parsed.sex == (rules.Sex.MALE if int(body[16]) % 2 else rules.Sex.FEMALE)


@given(bodies, st.integers(0, 17), st.integers(1, 10))
def test_any_single_character_change_is_refused(body: str, position: int, shift: int) -> None:
    number = body + check_char(body)
    alphabet = "0123456789X" if position == 17 else "0123456789"
    changed = alphabet[(alphabet.index(number[position]) + shift) % len(alphabet)]
    if changed == number[position]:
        return
    with pytest.raises(ID_ERRORS):
        rules.validate_id_number(number[:position] + changed + number[position + 1 :], today=TODAY)


@given(st.sampled_from(REGIONS), st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(1999, 12, 31)),
       st.integers(0, 999))  # fmt: skip
def test_a_legacy_15_digit_number_becomes_the_18_digit_number_that_validates(
    region: str, born: dt.date, seq: int
) -> None:
    parsed = rules.validate_id_number(f"{region}{born:%y%m%d}{seq:03d}", today=TODAY)
    body = f"{region}{born:%Y%m%d}{seq:03d}"
    assert parsed.number == body + check_char(body)
    assert parsed.legacy
    assert rules.validate_id_number(parsed.number, today=TODAY) == rules.IdNumber(
        number=parsed.number, region_code=region, birth_date=born, sex=parsed.sex
    )


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ("11010519491231002", errors.MalformedIdNumber),
        ("1101051949123100211", errors.MalformedIdNumber),
        ("1101051949123100X1", errors.MalformedIdNumber),
        ("00010519491231002X", errors.UnknownIdRegion),
        ("610104620932690", errors.InvalidIdBirthDate),
        ("110105179912310023", errors.InvalidIdBirthDate),
    ],
)
def test_malformed_numbers_get_the_specific_error(raw: str, error: type[DomainError]) -> None:
    with pytest.raises(error):
        rules.validate_id_number(raw, today=TODAY)


def test_a_birth_date_after_today_is_refused_and_today_itself_is_accepted() -> None:
    body = f"110105{TODAY:%Y%m%d}001"
    assert rules.validate_id_number(body + check_char(body), today=TODAY).birth_date == TODAY
    tomorrow = f"110105{TODAY + dt.timedelta(days=1):%Y%m%d}001"
    with pytest.raises(errors.InvalidIdBirthDate):
        rules.validate_id_number(tomorrow + check_char(tomorrow), today=TODAY)


def test_a_refused_id_number_is_reported_masked_never_in_clear() -> None:
    with pytest.raises(errors.IdNumberChecksumMismatch) as caught:
        rules.validate_id_number("110105194912310021", today=TODAY)
    assert caught.value.fields == {"masked": "110***********0021"}
    assert "19491231" not in str(caught.value)


def test_a_person_reaches_an_age_on_the_day_after_the_birthday() -> None:
    born = dt.date(2008, 6, 1)
    assert rules.age_on(born, dt.date(2026, 5, 31)) == 17
    assert rules.age_on(born, dt.date(2026, 6, 1)) == 17
    assert rules.age_on(born, dt.date(2026, 6, 2)) == 18
    assert rules.age_on(dt.date(2008, 2, 29), dt.date(2026, 2, 28)) == 17
    assert rules.age_on(dt.date(2008, 2, 29), dt.date(2026, 3, 1)) == 18
    assert rules.age_on(born, born) == 0
    with pytest.raises(ValueError, match="after today"):
        rules.age_on(born, dt.date(2008, 5, 31))


# --- unified social credit codes ----------------------------------------------------------------------------------

STDNUM_USCC_ERRORS: dict[str, type[DomainError]] = {
    "InvalidLength": errors.MalformedUscc,
    "InvalidFormat": errors.MalformedUscc,
    "InvalidChecksum": errors.UsccChecksumMismatch,
}


def test_python_stdnum_uscc_vectors_get_our_specific_codes() -> None:
    wrong = []
    for row in _csv("stdnum_cn_uscc_vectors.csv"):
        try:
            outcome: object = rules.validate_uscc(row["number"])
        except DomainError as exc:
            outcome = type(exc)
        if row["expected"] == "valid":
            ok = outcome == uscc.compact(row["number"])
        else:
            ok = outcome is STDNUM_USCC_ERRORS[row["expected"]]
        if not ok:
            wrong.append(f"{row['number']}: expected {row['expected']}, got {outcome}")
    assert wrong == []


@given(st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXYIOZSV -", min_size=15, max_size=20))
def test_validity_of_any_code_agrees_with_python_stdnum(raw: str) -> None:
    try:
        rules.validate_uscc(raw)
        ours = True
    except (errors.MalformedUscc, errors.UsccChecksumMismatch):
        ours = False
    assert ours == uscc.is_valid(raw)


# --- masks -------------------------------------------------------------------------------------------------------


def test_masks_show_only_the_documented_characters() -> None:
    assert rules.mask_mobile("+8613800138000") == "138****8000"
    assert rules.mask_mobile("13800130000") == "138****0000"
    assert rules.mask_id_number("11010519491231002X") == "110***********002X"
    assert rules.mask_id_number("610104620927690") == "610********7690"
    assert rules.mask_uscc("91350100M000100Y43") == "9135**********0Y43"
    assert rules.mask_name("张三丰") == "张**"
    assert rules.mask_name("欧阳娜娜") == "欧***"
    assert rules.mask_name("张") == "*"
    assert rules.mask_name("") == ""


@pytest.mark.parametrize("value", ["138001380", "1101051949", "abc", "+852 9123 4567", "91350100M00010"])
def test_a_value_of_an_unexpected_shape_is_starred_whole(value: str) -> None:
    for mask in (rules.mask_mobile, rules.mask_id_number, rules.mask_uscc):
        assert set(mask(value)) <= {"*"}


@given(st.text(alphabet="0123456789", min_size=8, max_size=8), st.text(alphabet="0123456789", min_size=4, max_size=4))
def test_a_mobile_mask_hides_the_middle_so_many_numbers_share_it(middle: str, other: str) -> None:
    number, twin = f"+86138{middle[:4]}{middle[4:]}", f"+86138{other}{middle[4:]}"
    masked = rules.mask_mobile(number)
    assert masked == f"138****{middle[4:]}"
    assert rules.mask_mobile(twin) == masked


@given(bodies, bodies)
def test_an_id_mask_hides_region_detail_and_birth_date_so_masks_are_not_identifiers(body: str, other: str) -> None:
    number = body + check_char(body)
    masked = rules.mask_id_number(number)
    assert masked == number[:3] + "*" * 11 + number[-4:]
    twin_body = number[:3] + other[3:14] + body[14:17]
    if check_char(twin_body) == number[-1]:
        assert rules.mask_id_number(twin_body + number[-1]) == masked


# --- one-time passwords ------------------------------------------------------------------------------------------

KEY = b"k" * 32
ISSUED = dt.datetime(2026, 11, 29, 9, 0, tzinfo=dt.UTC)


def _check(code: str, digest: str, *, attempts: int = 0, at: dt.datetime = ISSUED) -> rules.OtpOutcome:
    return rules.check_otp(
        code, digest, key=KEY, verification_id="v1", attempts_used=attempts, expires_at=ISSUED + rules.OTP_TTL, now=at
    )


def test_otp_constants_are_as_specified() -> None:
    assert rules.OTP_LENGTH == 6
    assert dt.timedelta(minutes=5) == rules.OTP_TTL
    assert rules.OTP_MAX_ATTEMPTS == 5


def test_new_codes_are_six_digits_and_vary() -> None:
    codes = {rules.new_otp() for _ in range(200)}
    assert all(re.fullmatch(r"\d{6}", c) for c in codes)
    assert len(codes) > 190


def test_five_wrong_codes_lock_and_a_correct_code_after_the_lock_is_still_locked() -> None:
    digest = rules.otp_digest("123456", key=KEY, verification_id="v1")
    attempts = 0
    while (outcome := _check("000000", digest, attempts=attempts)) is rules.OtpOutcome.WRONG_CODE:
        attempts += 1
    assert (outcome, attempts) == (rules.OtpOutcome.LOCKED, rules.OTP_MAX_ATTEMPTS)
    assert _check("123456", digest, attempts=attempts) is rules.OtpOutcome.LOCKED
    assert _check("123456", digest, attempts=attempts - 1) is rules.OtpOutcome.MATCHED


def test_a_correct_code_is_matched_until_expiry_and_expired_from_then_on() -> None:
    digest = rules.otp_digest("123456", key=KEY, verification_id="v1")
    last_moment = ISSUED + rules.OTP_TTL - dt.timedelta(microseconds=1)
    assert _check("123456", digest, at=last_moment) is rules.OtpOutcome.MATCHED
    assert _check("123456", digest, at=ISSUED + rules.OTP_TTL) is rules.OtpOutcome.EXPIRED


def test_a_code_typed_in_full_width_digits_matches() -> None:
    digest = rules.otp_digest("123456", key=KEY, verification_id="v1")
    assert _check("１２３４５６", digest) is rules.OtpOutcome.MATCHED


@given(st.text(alphabet="0123456789", min_size=6, max_size=6))
def test_a_digest_is_bound_to_its_key_and_its_verification(code: str) -> None:
    digest = rules.otp_digest(code, key=KEY, verification_id="v1")
    assert rules.otp_matches(code, digest, key=KEY, verification_id="v1")
    assert not rules.otp_matches(code, digest, key=KEY, verification_id="v2")
    assert not rules.otp_matches(code, digest, key=b"other key", verification_id="v1")
    assert digest != rules.otp_digest(code, key=KEY, verification_id="v2")
