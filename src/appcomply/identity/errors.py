"""Errors of the identity module (real-identity verification, Art 6).

Fields become RFC 9457 members and may be logged, so they never carry a clear phone, ID or credit-code value:
at most its masked form (``rules.mask_*``).
"""

from __future__ import annotations

from appcomply.kernel.errors import Conflict, Invalid, NotFound


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


class VerificationNotFound(NotFound):
    code = "identity.verification.not_found"
    title = "Verification not found"


class VerificationNotPending(Conflict):
    code = "identity.verification.not_pending"
    title = "Verification is not awaiting a code"


class RevealReasonRequired(Invalid):
    code = "identity.reveal.reason_required"
    title = "A reason is required to reveal personal information"


class NothingToReveal(NotFound):
    code = "identity.reveal.nothing"
    title = "The verification holds no such value"
