"""Errors of the identity module (real-identity verification, Art 6).

Fields become RFC 9457 members and may be logged, so they never carry a clear phone, ID or credit-code value:
at most its masked form (``rules.mask_*``).
"""

from __future__ import annotations

from appcomply.kernel.errors import Invalid


class InvalidMobileNumber(Invalid):
    code = "identity.phone.invalid"
    title = "Invalid mobile number"


class NotMainlandMobile(Invalid):
    code = "identity.phone.not_mainland"
    title = "Not a mainland China number"


class NotAMobileNumber(Invalid):
    code = "identity.phone.not_mobile"
    title = "Not a mobile number"


class MalformedIdNumber(Invalid):
    code = "identity.id_number.format"
    title = "Malformed resident ID number"


class UnknownIdRegion(Invalid):
    code = "identity.id_number.region"
    title = "Unknown region in resident ID number"


class InvalidIdBirthDate(Invalid):
    code = "identity.id_number.birth_date"
    title = "Impossible birth date in resident ID number"


class IdNumberChecksumMismatch(Invalid):
    code = "identity.id_number.checksum"
    title = "Resident ID number check character does not match"


class MalformedUscc(Invalid):
    code = "identity.uscc.format"
    title = "Malformed unified social credit code"


class UsccChecksumMismatch(Invalid):
    code = "identity.uscc.checksum"
    title = "Unified social credit code check character does not match"


class ImpersonatingNickname(Invalid):
    code = "identity.nickname.impersonation"
    title = "Nickname imitates an organisation or news media"
