"""Errors of the content module: each refusal has its own code, and nothing is written when one is raised."""

from __future__ import annotations

from appcomply.kernel.errors import Conflict, Invalid, NotFound, TooLarge


class TextTooLong(TooLarge):
    code = "content.text_too_long"
    title = "Text too long to screen in one request"


class TermNotFound(NotFound):
    code = "content.term.not_found"
    title = "Lexicon term not found"


class TermExists(Conflict):
    code = "content.term.exists"
    title = "The lexicon already has this term"


class InvalidTerm(Invalid):
    code = "content.term.invalid"
    title = "Invalid lexicon term"


class AllowPhraseNotFound(NotFound):
    code = "content.allow_phrase.not_found"
    title = "Allow-list phrase not found"


class AllowPhraseExists(Conflict):
    code = "content.allow_phrase.exists"
    title = "The allow-list already has this phrase"


class ImportRejected(Invalid):
    code = "content.import.rejected"
    title = "The term list has invalid lines; nothing was imported"


class ImportEmpty(Invalid):
    code = "content.import.empty"
    title = "The term list has no terms"
