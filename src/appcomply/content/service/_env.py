"""What the content use cases need from the process: the packaged default lexicon, the compiled-lexicon cache, the
hit log's queue."""

from __future__ import annotations

from dataclasses import dataclass, field

from appcomply.content.engine import EngineRegistry, Lexicon, load_default_lexicon
from appcomply.content.service._hits import HitLog
from appcomply.content.service._states import StateCache


@dataclass(frozen=True, slots=True)
class ContentEnv:
    default: Lexicon
    registry: EngineRegistry = field(default_factory=EngineRegistry)
    hit_log: HitLog = field(default_factory=HitLog)
    states: StateCache = field(default_factory=StateCache)


def content_env() -> ContentEnv:
    """One per process: each process compiles each app's lexicon once per version and swaps it atomically."""
    return ContentEnv(default=load_default_lexicon())
