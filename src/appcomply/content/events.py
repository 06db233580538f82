"""Audit event names of the content module."""

from __future__ import annotations

import enum


class ContentEvent(enum.StrEnum):
    TERM_ADDED = "content.term.added"
    TERM_CHANGED = "content.term.changed"
    TERM_REMOVED = "content.term.removed"
    TERMS_IMPORTED = "content.terms.imported"
    ALLOW_ADDED = "content.allow_phrase.added"
    ALLOW_REMOVED = "content.allow_phrase.removed"
    LEXICON_SETTINGS_CHANGED = "content.lexicon.settings_changed"
