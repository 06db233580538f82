"""Content use cases: the app's lexicon (terms, allow-list, settings), screening texts, and the hit log."""

from appcomply.content.service._env import ContentEnv, content_env
from appcomply.content.service._hits import HitLog
from appcomply.content.service._lexicon import (
    ImportReport,
    add_allow,
    add_term,
    counts,
    get_state,
    get_term,
    import_terms,
    list_allow,
    list_terms,
    remove_allow,
    remove_term,
    set_include_default,
    update_term,
)
from appcomply.content.service._screen import (
    Screening,
    TermHits,
    compiled_for,
    hit_rows,
    screen,
    screen_in_memory,
    term_hits,
)

__all__ = [
    "ContentEnv",
    "HitLog",
    "ImportReport",
    "Screening",
    "TermHits",
    "add_allow",
    "add_term",
    "compiled_for",
    "content_env",
    "counts",
    "get_state",
    "get_term",
    "hit_rows",
    "import_terms",
    "list_allow",
    "list_terms",
    "remove_allow",
    "remove_term",
    "screen",
    "screen_in_memory",
    "set_include_default",
    "term_hits",
    "update_term",
]
