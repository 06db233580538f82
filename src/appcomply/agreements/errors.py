"""Errors of the agreements module: each refusal has its own code, and nothing is written when one is raised."""

from __future__ import annotations

from appcomply.kernel.errors import Conflict, Invalid, NotFound


class DocumentNotFound(NotFound):
    code = "agreements.document.not_found"
    title = "Document not found"


class VersionNotFound(NotFound):
    code = "agreements.version.not_found"
    title = "Document version not found"


class InvalidSlug(Invalid):
    code = "agreements.document.invalid_slug"
    title = "Invalid document slug"


class VersionImmutable(Conflict):
    code = "agreements.version.immutable"
    title = "A published version cannot be changed"


class DraftExists(Conflict):
    code = "agreements.version.draft_exists"
    title = "The document already has a draft"


class EffectiveDateRequired(Invalid):
    code = "agreements.effective_date_required"
    title = "Publishing needs an effective date"


class EffectiveInPast(Invalid):
    code = "agreements.effective_in_past"
    title = "The effective time has already passed"


class InsideNoticePeriod(Invalid):
    code = "agreements.notice_period"
    title = "A material change must be announced before it takes effect"


class EffectiveOutOfOrder(Invalid):
    code = "agreements.effective_out_of_order"
    title = "A later version must take effect after the earlier ones"


class VersionNotPublished(Invalid):
    code = "agreements.version.not_published"
    title = "A draft cannot be accepted"


class VersionSuperseded(Invalid):
    code = "agreements.version.superseded"
    title = "A superseded version cannot be accepted"


class ChannelRequired(Invalid):
    code = "agreements.acceptance.channel_required"
    title = "An acceptance must say where the user accepted"


class NotAffirmative(Invalid):
    code = "agreements.acceptance.not_affirmative"
    title = "Only an affirmative acceptance is recorded"


class AppKeyRequired(Invalid):
    code = "agreements.app_required"
    title = "Only an app's API key reads its documents"
