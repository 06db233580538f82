"""The screening engine: normalisation, lexicons, variants, detectors and matching (no database, no web)."""

from appcomply.content.engine.lexicon import Lexicon, LineError, Term, layer, load_default_lexicon, parse_term_list
from appcomply.content.engine.matcher import CompiledLexicon, Hit, ScreeningResult, compile_lexicon
from appcomply.content.engine.registry import EngineRegistry
from appcomply.content.engine.taxonomy import CATEGORY_LABELS, Category, Level, Verdict

__all__ = [
    "CATEGORY_LABELS",
    "Category",
    "CompiledLexicon",
    "EngineRegistry",
    "Hit",
    "Level",
    "Lexicon",
    "LineError",
    "ScreeningResult",
    "Term",
    "Verdict",
    "compile_lexicon",
    "layer",
    "load_default_lexicon",
    "parse_term_list",
]
