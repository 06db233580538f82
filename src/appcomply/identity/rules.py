"""Pure rules of real-identity verification (Art 6): identifier validators, masking, OTP decisions, impersonation.

The validators reject typos before a paid verification call (IDV-04); passing one proves only that a value is
well formed, never that it belongs to the user. Formats and checksums follow the spec, §2.8.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import hmac
import re
import secrets
import unicodedata
from dataclasses import dataclass

import phonenumbers
from phonenumbers import PhoneNumber, PhoneNumberType
from stdnum import numdb
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError

from appcomply.identity.errors import (
    IdNumberChecksumMismatch,
    InvalidIdBirthDate,
    InvalidMobileNumber,
    MalformedIdNumber,
    MalformedUscc,
    NotAMobileNumber,
    NotMainlandMobile,
    UnknownIdRegion,
    UsccChecksumMismatch,
)

# Separators people type inside identifiers; the ideographic space comes from Chinese input methods.
_SEPARATORS = str.maketrans("", "", " -\t\u3000")


def _compact(raw: str) -> str:
    # NFKC folds full-width digits and letters (１３８…, ｘ) typed with a Chinese IME; skipped for plain ASCII.
    text = raw if raw.isascii() else unicodedata.normalize("NFKC", raw)
    return text.translate(_SEPARATORS).upper()


# --- mainland mobile numbers ------------------------------------------------------------------------------------

_CN = 86
_MOBILE_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})


def normalise_mobile(raw: str) -> str:
    """E.164 form (``+8613800138000``) of a mainland China mobile number; libphonenumber's metadata decides.

    Raises InvalidMobileNumber, NotMainlandMobile (another country or region, including Hong Kong, Macao and
    Taiwan) or NotAMobileNumber (fixed line, 400/800 and other service numbers).
    """
    text = raw.translate(_SEPARATORS)
    national = text
    if text.startswith("+86"):
        national = text[3:]
    elif text.startswith("0086"):
        national = text[4:]
    elif len(text) == 13 and text.startswith("86"):
        national = text[2:]
    # Fast path for the common shapes: phonenumbers.parse() costs about five times number_type() on the result.
    # Anything else (brackets, full-width digits, carrier prefixes, other countries) goes through parse().
    if len(national) == 11 and national[0] == "1" and national.isascii() and national.isdigit():
        number = PhoneNumber(country_code=_CN, national_number=int(national))
    else:
        number = _parse(raw)
    return _mainland_mobile(number)


def _parse(raw: str) -> PhoneNumber:
    try:
        return phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException:
        raise InvalidMobileNumber("This is not a phone number.", masked=mask_mobile(raw)) from None


def _mainland_mobile(number: PhoneNumber) -> str:
    if number.country_code != _CN:
        raise NotMainlandMobile("Only mainland China mobile numbers can be verified.", country_code=number.country_code)
    kind = phonenumbers.number_type(number)
    national = phonenumbers.national_significant_number(number)
    if kind in _MOBILE_TYPES and not number.extension:
        return f"+86{national}"
    masked = mask_mobile(national)
    if kind == PhoneNumberType.UNKNOWN or number.extension:
        raise InvalidMobileNumber("This is not a valid mainland mobile number.", masked=masked)
    kind_name = (PhoneNumberType.to_string(kind) or "other").lower()
    raise NotAMobileNumber("Use a mobile number; this one cannot receive a verification code.", kind=kind_name)


# --- resident ID numbers (GB 11643-1999) ------------------------------------------------------------------------

_ID_18 = re.compile(r"\d{17}[\dX]")
_ID_15 = re.compile(r"\d{15}")
# Province-level GB/T 2260 codes, plus 81/82/83 for Hong Kong, Macao and Taiwan residents' residence permits.
# Only the province is enforced: county codes change and old ones stay valid on issued cards (§2.8 pitfalls).
_PROVINCES = frozenset(
    {"11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42", "43"}
    | {"44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82", "83"}
)
_FOREIGN_PERMANENT_RESIDENT = "9"  # 2023 permanent-residence card: 9 + issuing province + nationality code
_EARLIEST_BIRTH_YEAR = 1800


class Sex(enum.StrEnum):
    MALE = "male"
    FEMALE = "female"


@dataclass(frozen=True, slots=True)
class IdNumber:
    number: str  # 18 characters, check character X upper-case
    region_code: str
    birth_date: dt.date
    sex: Sex
    legacy: bool = False  # given in the 15-digit 1989 form: readable in old data, expired for new registrations


def validate_id_number(raw: str, *, today: dt.date) -> IdNumber:
    """Parse a resident ID number (18 characters, or the legacy 15 digits, converted with its check digit).

    Raises MalformedIdNumber, UnknownIdRegion, InvalidIdBirthDate (impossible, before 1800 or after `today`)
    or IdNumberChecksumMismatch. python-stdnum's ``ric.validate`` is not used whole: its birth-place check
    rejects Hong Kong, Macao and Taiwan residence permits and anyone whose card bears a county code created
    after their birth, although the code is that of the residence at issue, not at birth.
    """
    number = _compact(raw)
    legacy = len(number) == 15 and _ID_15.fullmatch(number) is not None
    if legacy:
        body = f"{number[:6]}19{number[6:]}"
        number = body + ric.calc_check_digit(body + "0")
    elif not _ID_18.fullmatch(number):
        raise MalformedIdNumber("Use the 18-character resident ID number.", masked=mask_id_number(number))
    masked = mask_id_number(number)
    if not _known_province(number):
        raise UnknownIdRegion("The number does not start with a known region code.", masked=masked)
    birth_date = _birth_date(number, today=today, masked=masked)
    if number[-1] != ric.calc_check_digit(number):
        raise IdNumberChecksumMismatch("The last character does not match; check for a typo.", masked=masked)
    sex = Sex.MALE if int(number[16]) % 2 else Sex.FEMALE
    return IdNumber(number=number, region_code=number[:6], birth_date=birth_date, sex=sex, legacy=legacy)


def _known_province(number: str) -> bool:
    if number[0] == _FOREIGN_PERMANENT_RESIDENT:
        return number[1:3] in _PROVINCES
    return number[:2] in _PROVINCES


def _birth_date(number: str, *, today: dt.date, masked: str) -> dt.date:
    try:
        birth_date: dt.date = ric.get_birth_date(number)
    except ValidationError:
        birth_date = dt.date.min
    if not dt.date(_EARLIEST_BIRTH_YEAR, 1, 1) <= birth_date <= today:
        raise InvalidIdBirthDate("The birth date in the number is not possible.", masked=masked)
    return birth_date


def address_code_known(id_number: IdNumber) -> bool:
    """Whether the county code appears, at any date, in python-stdnum's history of GB/T 2260 codes.

    A warning signal to log, never a reason to refuse: the table lags new codes and omits 830000.
    """
    found = numdb.get("cn/loc").info(id_number.region_code)
    return any("county" in props for _, props in found)


def age_on(birth_date: dt.date, today: dt.date) -> int:
    """Age in full years (周岁) on `today`.

    A person reaches an age on the day *after* the birthday (Civil Code Art 201: the first day of a period is
    not counted; the courts count 周岁 the same way), so on the 18th birthday itself a user is still 17. This
    also settles 29 February births: 18 from 1 March in common years.
    """
    if birth_date > today:
        raise ValueError("birth date is after today")
    years = today.year - birth_date.year
    if (today.month, today.day) <= (birth_date.month, birth_date.day):
        years -= 1
    return max(years, 0)


# --- unified social credit codes (GB 32100-2015) ----------------------------------------------------------------

# The same shape python-stdnum checks: 8 digits (authority, category, region), then 10 of the 31-character set.
_USCC = re.compile(r"\d{8}[0-9A-HJ-NPQRTUWXY]{10}", re.ASCII)


def validate_uscc(raw: str) -> str:
    """The 18-character upper-case code; raises MalformedUscc or UsccChecksumMismatch."""
    code = _compact(raw)
    if not _USCC.fullmatch(code):
        raise MalformedUscc("Use the 18-character unified social credit code.", masked=mask_uscc(code))
    if code[-1] != uscc.calc_check_digit(code):
        raise UsccChecksumMismatch("The last character does not match; check for a typo.", masked=mask_uscc(code))
    return code


# --- masking ----------------------------------------------------------------------------------------------------
# Masks are for display and logs only: many values share a mask, so a mask never identifies anyone. A value of
# an unexpected shape is starred whole rather than guessed at.


def _mask(value: str, *, head: int, tail: int, lengths: tuple[int, ...]) -> str:
    if len(value) not in lengths:
        return "*" * len(value)
    return value[:head] + "*" * (len(value) - head - tail) + value[len(value) - tail :]


def mask_mobile(number: str) -> str:
    """``+8613800138000`` → ``138****8000``."""
    national = _compact(number).removeprefix("+86")
    return _mask(national, head=3, tail=4, lengths=(11,))


def mask_id_number(number: str) -> str:
    """``11010519491231002X`` → ``110***********002X``: province and sequence shown, county and birth date hidden."""
    return _mask(_compact(number), head=3, tail=4, lengths=(15, 18))


def mask_uscc(code: str) -> str:
    """``91350100M000100Y43`` → ``9135**********0Y43``."""
    return _mask(_compact(code), head=4, tail=4, lengths=(18,))


def mask_name(name: str) -> str:
    """``张三丰`` → ``张**``; a one-character name is ``*``."""
    name = name.strip()
    if len(name) <= 1:
        return "*" * len(name)
    return name[0] + "*" * (len(name) - 1)


# --- one-time passwords (IDV-01) ----------------------------------------------------------------------------------

OTP_LENGTH = 6
OTP_TTL = dt.timedelta(minutes=5)
OTP_MAX_ATTEMPTS = 5


class OtpOutcome(enum.StrEnum):
    MATCHED = "matched"
    WRONG_CODE = "wrong_code"  # the caller counts the attempt
    EXPIRED = "expired"
    LOCKED = "locked"


def new_otp() -> str:
    """A code drawn uniformly from 000000–999999."""
    return f"{secrets.randbelow(10**OTP_LENGTH):0{OTP_LENGTH}d}"


def otp_digest(code: str, *, key: bytes, verification_id: str) -> str:
    """HMAC-SHA256 of the code, bound to one verification.

    A bare SHA-256 of six digits is reversed by trying all million codes; the server key stops that, and binding
    the verification id stops a stored digest from being replayed against another verification.
    """
    message = f"{len(verification_id)}:{verification_id}:{code}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def otp_matches(code: str, digest: str, *, key: bytes, verification_id: str) -> bool:
    expected = otp_digest(code, key=key, verification_id=verification_id)
    return hmac.compare_digest(expected.encode(), digest.encode())


def check_otp(
    code: str,
    digest: str,
    *,
    key: bytes,
    verification_id: str,
    attempts_used: int,
    expires_at: dt.datetime,
    now: dt.datetime,
) -> OtpOutcome:
    """Judge a submitted code. Lock comes first, so a correct code after five wrong ones is still LOCKED."""
    if attempts_used >= OTP_MAX_ATTEMPTS:
        return OtpOutcome.LOCKED
    if now >= expires_at:
        return OtpOutcome.EXPIRED
    # Codes typed with a Chinese IME arrive as full-width digits; NFKC folds them.
    submitted = unicodedata.normalize("NFKC", code).strip()
    if otp_matches(submitted, digest, key=key, verification_id=verification_id):
        return OtpOutcome.MATCHED
    return OtpOutcome.WRONG_CODE


# --- verification methods, statuses and service gating (Art 6) -----------------------------------------------------


class Method(enum.StrEnum):
    PHONE = "phone"
    ID_CARD = "id_card"
    ORGANIZATION = "organization"


class Status(enum.StrEnum):
    PENDING = "pending"  # an OTP was sent and awaits confirmation
    VERIFIED = "verified"
    FAILED = "failed"  # the checker said no, or the SMS could not be delivered
    LOCKED = "locked"  # too many wrong codes
    EXPIRED = "expired"
    REFUSED = "refused"  # not attempted: rate limit, number bound to too many accounts, ...


class Action(enum.StrEnum):
    """Service actions an app asks about. Browsing is free; the rest are information publishing or messaging."""

    BROWSE = "browse"
    PUBLISH = "publish"
    COMMENT = "comment"
    MESSAGE = "message"
    LIVE_STREAM = "live_stream"
    LIST_ITEM = "list_item"
    CREATE_GROUP = "create_group"


class Requirement(enum.StrEnum):
    NONE = "none"
    VERIFIED = "verified"  # any real-identity method of Art 6: mobile number, ID number or USCC
    ID_CARD = "id_card"  # a resident ID (or an organisation's USCC) — stricter services, e.g. hosting live streams


# Art 6: publishing and instant messaging need real-identity authentication; browsing needs nothing. Hosting a
# live stream needs an ID-card check under the live-streaming rules (spec §2.10).
DEFAULT_POLICY: dict[Action, Requirement] = {
    Action.BROWSE: Requirement.NONE,
    Action.PUBLISH: Requirement.VERIFIED,
    Action.COMMENT: Requirement.VERIFIED,
    Action.MESSAGE: Requirement.VERIFIED,
    Action.LIVE_STREAM: Requirement.ID_CARD,
    Action.LIST_ITEM: Requirement.VERIFIED,
    Action.CREATE_GROUP: Requirement.VERIFIED,
}


@dataclass(frozen=True, slots=True)
class Decision:
    action: Action
    allowed: bool
    reason: str | None  # a stable code when denied


def decide(action: Action, requirement: Requirement, *, verified: frozenset[Method], account_status: str) -> Decision:
    """Whether a user may perform `action` (IDV-07): closed accounts nothing, restricted ones browse only."""
    if account_status == "closed":
        return Decision(action, allowed=False, reason="accounts.closed")
    if account_status == "restricted" and action is not Action.BROWSE:
        return Decision(action, allowed=False, reason="accounts.restricted")
    if requirement is Requirement.NONE:
        return Decision(action, allowed=True, reason=None)
    if requirement is Requirement.ID_CARD:
        ok = bool(verified & {Method.ID_CARD, Method.ORGANIZATION})
        return Decision(action, allowed=ok, reason=None if ok else "identity.id_card_required")
    ok = bool(verified)
    return Decision(action, allowed=ok, reason=None if ok else "identity.unverified")


def sms_retry_after(
    sent_at: list[dt.datetime], *, now: dt.datetime, per_hour: int, min_interval: dt.timedelta
) -> int | None:
    """Seconds until another SMS may go to a number (or from an IP), or None if it may go now."""
    window = [t for t in sent_at if now - t < dt.timedelta(hours=1)]
    waits: list[float] = []
    if window and now - max(window) < min_interval:
        waits.append((max(window) + min_interval - now).total_seconds())
    if len(window) >= per_hour:
        waits.append((min(window) + dt.timedelta(hours=1) - now).total_seconds())
    return max(1, int(max(waits)) + 1) if waits else None
