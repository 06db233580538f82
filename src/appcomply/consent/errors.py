"""Errors of the consent module: each refusal has its own code, and nothing is written when one is raised."""

from __future__ import annotations

from appcomply.kernel.errors import Conflict, Invalid, NotFound


class ActivityNotFound(NotFound):
    code = "consent.activity.not_found"
    title = "No such processing activity"


class ActivityExists(Conflict):
    code = "consent.activity.exists"
    title = "The app already has an activity with this key"


class InvalidActivityKey(Invalid):
    code = "consent.activity.invalid_key"
    title = "Invalid activity key"


class UnknownPiItem(Invalid):
    code = "consent.pi_item.unknown"
    title = "Unknown personal-information item"


class NotAnAppType(Invalid):
    code = "consent.basic_type.not_app_type"
    title = "A basic function must be one of the app's own types"


class PolicyVersionRequired(Invalid):
    code = "consent.policy_version_required"
    title = "A consent must name the privacy-policy version shown"


class ChannelRequired(Invalid):
    code = "consent.channel_required"
    title = "A consent must say where the user answered"


class CannotWithdraw(Conflict):
    code = "consent.not_granted_cannot_withdraw"
    title = "Only a standing consent can be withdrawn"


class SeparateNotApplicable(Invalid):
    code = "consent.separate.not_applicable"
    title = "The activity neither needs nor asks this separate consent"


class GuardianInvalid(Invalid):
    code = "consent.guardian.invalid"
    title = "A guardian must be a verified adult user of the same app"


class AgeInvalid(Invalid):
    code = "consent.age.invalid"
    title = "Invalid declared age"


class InvalidActivity(Invalid):
    code = "consent.activity.invalid"
    title = "Invalid processing activity"


class InvalidRecipients(Invalid):
    code = "consent.recipients.invalid"
    title = "Invalid recipient lines"


class RequestNotFound(NotFound):
    code = "consent.request.not_found"
    title = "No such data-subject request"


class NoVerifiedPhone(Conflict):
    code = "consent.request.no_verified_phone"
    title = "The user has no verified phone to re-verify the request by"


class VerificationNotSent(Conflict):
    code = "consent.request.verification_not_sent"
    title = "The re-verification code could not be sent"


class LegalHoldActive(Conflict):
    code = "consent.request.legal_hold"
    title = "A legal hold forbids erasing this user's data"


class RequestClosed(Conflict):
    code = "consent.request_closed"
    title = "The request is already closed"


class RequestTransitionInvalid(Conflict):
    code = "consent.request_transition_invalid"
    title = "The request cannot move to this status now"


class HoldNotFound(NotFound):
    code = "consent.hold.not_found"
    title = "No such legal hold"


class HoldAlreadyReleased(Conflict):
    code = "consent.hold.already_released"
    title = "The legal hold is already released"


class UnknownFeature(Invalid):
    code = "consent.feature.unknown"
    title = "An activity serves one of the app's declared features"
