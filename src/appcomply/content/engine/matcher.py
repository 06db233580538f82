"""Compiled lexicons and screening: Aho-Corasick automata over every term variant and allow phrase.

Hot path per text: one fold-and-strip pass and one repeat-collapse pass (native, see normalise.py), one
automaton search (term variants, allow phrases and the detectors' contact hints together; a second, small
one only when the text has an ASCII letter, a third only when it has a repeat) and a `.`/`@` test. Only
texts with a match or a dot go on to offset mapping, the allow-list, detectors and hits (native loops when
the extension is built).
"""

from __future__ import annotations

import dataclasses
import gc
import re
from array import array
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from operator import attrgetter
from typing import Final, TypeVar

import ahocorasick_rs

from appcomply.content.engine import detectors
from appcomply.content.engine.detectors import may_link
from appcomply.content.engine.lexicon import MAX_TERM_CHARS, Lexicon, Term
from appcomply.content.engine.normalise import (
    FOLD_FAMILY,
    HAS_LETTER,
    HAS_NON_ASCII,
    IndexMap,
    collapse,
    fold,
    native_collect,
    native_hits,
    normalise_term,
    positions,
    prepare,
    record_factory,
    runs,
)
from appcomply.content.engine.taxonomy import Category, Level, Verdict
from appcomply.content.engine.transliterate import mixed_matches
from appcomply.content.engine.variants import (
    HOMOPHONE,
    MAX_VARIANTS_PER_FAMILY,
    PINYIN,
    POLYPHONIC_MAX_BIG,
    SPLIT,
    SPLIT_ALL_MAX_TERMS,
    SPLIT_MAX_CHARS,
    homophone_variants,
    pinyin_variants,
    split_table,
    split_variants,
)

_DETECTOR_CATEGORY: Final = {
    detectors.PHONE: Category.CONTACT,
    detectors.QQ: Category.CONTACT,
    detectors.WECHAT: Category.CONTACT,
    detectors.EMAIL: Category.CONTACT,
    detectors.URL: Category.ADVERTISING,
    detectors.SHORT_LINK: Category.ADVERTISING,
}


@dataclass(frozen=True, slots=True)
class Hit:
    """One match. `text[start:end]` is the matched original span; `evidence` is its normalised form."""

    term: str
    category: Category
    level: Level
    start: int
    end: int
    evidence: str
    evasions: tuple[str, ...]  # evasion families defeated, in a fixed order; () for a plain match
    detector: str | None = None  # set for detector hits; `term` is then the canonical value


@dataclass(frozen=True, slots=True)
class ScreeningResult:
    verdict: Verdict
    hits: tuple[Hit, ...]


PASSED: Final = ScreeningResult(Verdict.PASS_, ())
_EVASION_ORDER: Final = (
    "noise",
    "width",
    "case",
    "traditional",
    "confusable",
    "pinyin",
    "split",
    "homophone",
    "repeat",
)
_FAMILIES: Final = ("", PINYIN, SPLIT, HOMOPHONE)  # variant family codes 0-3

# What a pattern stands for is one int per (pattern, term): term index << 4 | family << 2 | latin_word << 1 |
# stretch. Ints in an array, not a tuple per entry: for 100k terms and 330k patterns, tuples and lists cost
# ~150 MB and a second of compile time. `latin_word`: the pattern is ASCII letters/digits, so it only
# matches between non-alphanumerics. `stretch`: it may match in the repeat-collapsed text.
_STRETCH: Final = 1
_LATIN: Final = 2
_NONE: Final = -1  # an allow phrase or contact hint only
_MANY: Final = -2  # several terms share the pattern: see `_Patterns.many`
_TermInfo = tuple[str, Category, Level, frozenset[str]]  # the term's fields a hit needs
_Match = tuple[int, int, int]  # an automaton match: pattern index, start, end
_MixSearch = tuple[ahocorasick_rs.AhoCorasick, Callable[[int, str], bool]]  # (automaton, keep): see transliterate


class _Patterns:
    """One automaton and what its pattern indexes stand for: term codes, allow phrases, contact hints."""

    __slots__ = ("allow", "automaton", "codes", "fields", "hint_only", "hints", "many", "pinyin", "special")

    def __init__(
        self,
        patterns: list[str],
        codes: array[int],
        many: Mapping[int, tuple[int, ...]],
        allow: frozenset[int],
        hints: Sequence[str] = (),
    ) -> None:
        """Build the automaton over `patterns`, which it empties (see `_drain`); `codes` is kept, not copied."""
        # Contact hints ride in the automaton, so texts without one need no detector regex pass.
        wanted = frozenset(hints)
        position = {p: i for i, p in enumerate(patterns) if p in wanted} if hints else {}
        new = [h for h in dict.fromkeys(hints) if h not in position]
        count = len(patterns)
        self.codes = codes
        self.codes.extend([_NONE] * len(new))
        self.many = dict(many)
        self.allow = allow
        self.hints = frozenset(position[h] for h in hints if h in position)
        self.hints |= frozenset(range(count, count + len(new)))
        self.hint_only = count  # indexes from here on are contact hints and nothing else
        self.special = allow | self.hints  # one set test per match in the hot loop
        self.fields = (self.codes, self.many, self.special, self.allow, self.hints)  # `_collect`'s arguments
        # Pinyin mixed with characters is searched for only in automata with a pinyin variant (transliterate.py).
        self.pinyin = any(c >= 0 and c >> 2 & 3 == 1 for c in codes) or any(
            c >> 2 & 3 == 1 for group in many.values() for c in group
        )
        patterns.extend(new)
        # Contiguous NFA chosen explicitly: for 100k+ patterns the automatic choice is the non-contiguous NFA,
        # measured 5x slower to search on COLD; a DFA takes 3x longer to build and searches slower still.
        self.automaton = ahocorasick_rs.AhoCorasick(
            _drain(patterns),
            matchkind=ahocorasick_rs.MATCHKIND_STANDARD,
            implementation=ahocorasick_rs.Implementation.ContiguousNFA,
        )

    @classmethod
    def subset(
        cls,
        indexes: array[int],
        patterns: list[str],
        codes: array[int],
        many: Mapping[int, tuple[int, ...]],
        allow: frozenset[int],
        hints: Sequence[str] = (),
    ) -> _Patterns:
        """`patterns` are the selected patterns (emptied as the automaton is built), `indexes` their old indexes."""
        local_many = {j: many[i] for j, i in enumerate(indexes) if i in many} if many else {}
        local_allow = frozenset(j for j, i in enumerate(indexes) if i in allow) if allow else frozenset()
        local_codes = array("q", map(codes.__getitem__, indexes))
        return cls(patterns, local_codes, local_many, local_allow, hints)


def _drain(patterns: list[str]) -> Iterator[str]:
    """Yield the patterns, dropping the list's reference to each: the automaton copies them as it reads them, so
    the Python strings (~30 MB for 330k patterns) are freed before it builds (~120 MB more at its peak)."""
    for i in range(len(patterns)):
        pattern, patterns[i] = patterns[i], ""
        yield pattern
    patterns.clear()


class CompiledLexicon:
    """A lexicon ready to screen text; immutable, so `screen` is safe from any number of threads.

    Three automata. `main` holds every pattern without a repeated character or an ASCII letter and runs on
    the text with noise removed and repeat runs collapsed (敏敏感感词 -> 敏感词), which is the stripped text
    itself unless the text has a repeat - so most texts need exactly one search. `latin` holds the same kind of
    patterns with an ASCII letter (pinyin variants, Latin terms, the letter contact hints) and runs on the same
    text, only when it has an ASCII letter (~11 % of COLD): kept out of `main`, they do not slow its search
    (fewer states, fewer cache misses) and a small-alphabet automaton builds in a fraction of the time (100k
    terms: 0.25 s + 0.88 s, against 1.57 s for one automaton). `exact` holds the patterns that must not be
    matched stretched (terms with `stretch=False`, and patterns with an inner repeat such as 哈哈, which
    cannot occur in collapsed text); it runs on the stripped text only when the text has a repeat.

    `patterns` is consumed: the list is empty once the automata are built (they keep copies of their own).
    """

    def __init__(
        self,
        version: str,
        terms: Sequence[_TermInfo],
        patterns: list[str],
        codes: array[int],
        many: Mapping[int, tuple[int, ...]],
        *,
        allow: frozenset[int],
    ) -> None:
        self.version = version
        self.term_count = len(terms)
        self.variant_count = len(patterns)
        self._terms = tuple(terms)
        main, latin, exact = _partition(patterns, codes, many, allow)
        # The exact automaton can only match where the text repeats a character that some exact pattern
        # repeats (哈 for 哈哈), unless it holds unstretchable patterns without a repeat (then any text with a
        # repeat needs it). One regex search instead of an automaton search for most texts with a repeat.
        doubled = {
            p[k] for i in exact if collapse(p := patterns[i]) is not p for k in range(1, len(p)) if p[k] == p[k - 1]
        }
        self._exact_doubles = (
            None
            if not doubled or any(collapse(patterns[i]) is patterns[i] for i in exact)
            else re.compile("([" + "".join(re.escape(c) for c in sorted(doubled)) + r"])\1")
        )
        lists = [[patterns[i] for i in indexes] for indexes in (exact, latin, main)]
        patterns.clear()  # the lists hold the strings now, and let go of each as its automaton reads it
        exact_patterns, latin_patterns, main_patterns = lists
        del lists
        # The biggest automaton first: its build's transient memory (~90 MB for 250k patterns) then comes on top
        # of the least retained memory (100k terms: peak RSS 270 -> 257 MB against building it last).
        hints = detectors.CONTACT_HINTS
        self._main = _Patterns.subset(main, main_patterns, codes, many, allow, [h for h in hints if not _has_letter(h)])
        self._latin = _Patterns.subset(latin, latin_patterns, codes, many, allow, [h for h in hints if _has_letter(h)])
        self._exact = _Patterns.subset(exact, exact_patterns, codes, many, allow) if exact else None
        self._search = self._main.automaton.find_matches_as_indexes  # the hot path's one attribute load
        self._latin_search = self._latin.automaton.find_matches_as_indexes
        self._hint_only = self._main.hint_only
        self._latin_hint_only = self._latin.hint_only
        # The (table, search) pairs of the mixed pinyin/character pass: only automata with a pinyin variant.
        self._mix_collapsed = [(t, _mix_search(t, self._terms)) for t in (self._main, self._latin) if t.pinyin]
        self._mix_stripped = [(t, _mix_search(t, self._terms)) for t in (self._exact,) if t is not None and t.pinyin]
        self._mixed = bool(self._mix_collapsed or self._mix_stripped)

    def _with_mixed(
        self, collapsed: str, stripped: str, found: list[_Match], latin: list[_Match], exact: list[_Match] | None
    ) -> tuple[list[_Match], list[_Match], list[_Match] | None]:
        """Add the matches of pinyin mixed with characters (transliterate.py) to each automaton's matches.

        Pinyin with a doubled letter (xinggan, qianggang) is an exact pattern, so the stripped text is searched
        too: collapsing repeats would have made xingan of it. Only automata with a pinyin variant are searched.
        """
        if collapsed is stripped:  # no repeat: one transliteration for every automaton
            pairs = self._mix_collapsed + self._mix_stripped
            more = mixed_matches(collapsed, *(search for _, search in pairs))
        else:
            pairs = self._mix_collapsed
            more = mixed_matches(collapsed, *(search for _, search in pairs)) if pairs else []
            if self._mix_stripped:
                pairs = pairs + self._mix_stripped
                more += mixed_matches(stripped, *(search for _, search in self._mix_stripped))
        for (table, _), matches in zip(pairs, more, strict=True):
            if not matches:
                continue
            if table is self._main:
                found = found + matches
            elif table is self._latin:
                latin = latin + matches
            else:
                exact = (exact or []) + matches
        return found, latin, exact

    def _exact_needed(self, stripped: str) -> bool:
        return self._exact_doubles is None or self._exact_doubles.search(stripped) is not None

    def screen(self, text: str, kind: str | None = None) -> ScreeningResult:
        """Screen one text; `kind` (post, comment, ...) selects scoped terms, None applies only unscoped ones."""
        stripped, collapsed, flags = prepare(text)
        found = self._search(collapsed, overlapping=True)
        letters = flags & HAS_LETTER
        latin = self._latin_search(collapsed, overlapping=True) if letters else []
        exact = None
        if collapsed is not stripped and self._exact is not None and self._exact_needed(stripped):
            exact = self._exact.automaton.find_matches_as_indexes(stripped, overlapping=True)
        if letters and self._mixed and flags & HAS_NON_ASCII:  # an ASCII letter beside other text: fa轮gong
            found, latin, exact = self._with_mixed(collapsed, stripped, found, latin, exact)
        # min(found) is the match with the lowest pattern index: one C call, not a generator per text.
        if (
            not exact
            and (not found or min(found)[0] >= self._hint_only)
            and (not latin or min(latin)[0] >= self._latin_hint_only)
        ):
            # No term and no allow phrase: at most detectors (a digit run starting 1[3-9], a `v`, a dot).
            return _detected_only(text, stripped) if found or latin or may_link(text) else PASSED
        return _screen_matches(self, text, stripped, collapsed, kind, (found, latin, exact))


def _mix_search(table: _Patterns, terms: tuple[_TermInfo, ...]) -> _MixSearch:
    return table.automaton, partial(_mixes_term, table, terms)


_has_letter: Final = re.compile("[a-z]").search  # normalised text is lower case, full width folded to ASCII


def _partition(
    patterns: list[str], codes: array[int], many: Mapping[int, tuple[int, ...]], allow: frozenset[int]
) -> tuple[array[int], array[int], array[int]]:
    """Indexes of the patterns matched in collapsed text (without, with an ASCII letter) and in stripped text."""
    main, latin, exact = array("q"), array("q"), array("q")  # ints in arrays: 330k int objects would cost ~10 MB
    for i, pattern in enumerate(patterns):
        if collapse(pattern) is pattern:
            (latin if _has_letter(pattern) else main).append(i)
            code = codes[i]
            if code >= 0 and code & _STRETCH:
                continue  # the common case
            if i in allow or all(c & _STRETCH for c in many.get(i, (code,))):
                continue
        elif not (i in allow or codes[i] != _NONE):
            continue
        exact.append(i)
    return main, latin, exact


def _mixes_term(table: _Patterns, terms: tuple[_TermInfo, ...], index: int, span: str) -> bool:
    """True if the pattern is the pinyin of a term holding every character of `span` that is not pinyin.

    The characters are transliterated by sound, so without this "Mei比" would be 美逼 (meibi): a homophone
    beside a Latin name is not the term.
    """
    code = table.codes[index]
    for c in (code,) if code >= 0 else table.many.get(index, ()):
        if c >> 2 & 3 == 1:
            term = normalise_term(terms[c >> 4][0])
            if all(ch in term for ch in span if not ch.isascii()):
                return True
    return False


_Candidate = tuple[int, int, str, int, int, str, int, int, bool]
"""(start, -end, term text, sequence, code, evidence, stripped start, stripped end, stretched): sorts in hit
order by plain tuple comparison (the sequence number keeps it from comparing further)."""


def _plain_evasions() -> tuple[tuple[str, ...], ...]:
    """Evasions of a span with nothing folded or removed inside it, at variant family code * 2 + stretched."""
    return tuple(
        tuple(f for f in _EVASION_ORDER if f == family or (stretched and f == "repeat"))
        for family in _FAMILIES
        for stretched in (False, True)
    )


_PLAIN_EVASIONS: Final = _plain_evasions()


def _screen_matches(
    lexicon: CompiledLexicon,
    text: str,
    stripped: str,
    collapsed: str,
    kind: str | None,
    matches: tuple[list[_Match], list[_Match], list[_Match] | None],
) -> ScreeningResult:
    """The slow path of one `screen` call: map matches back, apply the allow-list, run detectors.

    Runs for every text with a match, so it is written for the interpreter: plain functions and locals,
    tuples for candidates, and no Hit built before the allow-list and the overlap merge are done.
    """
    pos = None if stripped is text or stripped == text else positions(text)  # None: offsets are the text's own
    candidates: list[_Candidate] = []
    allowed: list[tuple[int, int]] = []
    hint = False
    terms = lexicon._terms
    found, latin, exact = matches
    starts, ends = runs(stripped) if collapsed is not stripped and (found or latin) else (None, None)
    out = (terms, candidates, allowed, text)
    for table, matched in ((lexicon._main, found), (lexicon._latin, latin)):
        if matched:
            hint |= _collect_matches(matched, *table.fields, *out, collapsed, starts, ends, pos, kind, False, _is_word)
    if exact and lexicon._exact is not None:
        _collect_matches(exact, *lexicon._exact.fields, *out, stripped, None, None, pos, kind, True, _is_word)
    hits = _build_hits(candidates, allowed, terms, text, stripped, pos is None, *_HIT_ARGS)
    if hint or may_link(text):
        detected = _detector_hits(text, stripped, allowed, unchanged=pos is None)
        if detected:
            hits = _merge_hits(hits + detected)
    if not hits:
        return PASSED
    blocked = Level.BLOCK in map(_LEVEL_OF, hits)  # a C loop, not a generator per text
    return _new_result(Verdict.BLOCK if blocked else Verdict.REVIEW, tuple(hits))


def _collect(  # the positional signature of the native `collect`
    found: list[_Match],
    codes: array[int],
    many: Mapping[int, tuple[int, ...]],
    special: frozenset[int],
    allow: frozenset[int],
    hints: frozenset[int],
    terms: tuple[_TermInfo, ...],
    candidates: list[_Candidate],
    allowed: list[tuple[int, int]],
    text: str,
    searched: str,
    starts: IndexMap | None,
    ends: IndexMap | None,
    pos: IndexMap | None,
    kind: str | None,
    exact: bool,
    is_word: Callable[[str, int, int], bool],
) -> bool:
    """Append the candidates (and allow spans) of automaton matches; True if a contact hint matched.

    `searched` is the text the automaton ran on; `starts` and `ends` are `runs(stripped)` when that was its
    repeat-collapsed form, else None. The native `collect` (normalise.py) does the same in one C loop.
    """
    append, hint = candidates.append, False
    repeats = starts is not None and ends is not None
    for index, start, end in found:
        code = codes[index]
        if index in special:  # rare: an allow phrase or a contact hint
            hint |= index in hints
            if index in allow:
                ss, se = (starts[start], ends[end - 1]) if repeats else (start, end)  # type: ignore[index]
                allowed.append((pos[ss], pos[se - 1] + 1) if pos is not None else (ss, se))
            if code == _NONE:
                continue
        ss, se = (starts[start], ends[end - 1]) if repeats else (start, end)  # type: ignore[index]
        os, oe = (pos[ss], pos[se - 1] + 1) if pos is not None else (ss, se)
        for c in (code,) if code >= 0 else many[index]:
            stretch = c & _STRETCH
            if (repeats and not stretch) or (exact and stretch):
                continue  # the other automaton reports it
            term_text, _, _, scopes = terms[c >> 4]
            if scopes and kind not in scopes:
                continue
            if c & _LATIN and not is_word(text, os, oe):
                continue
            evidence = searched[start:end]
            append((os, -oe, term_text, len(candidates), c, evidence, ss, se, se - ss != end - start))
    return hint


def _hits(  # the positional signature of the native `hits`
    candidates: list[_Candidate],
    allowed: list[tuple[int, int]],
    terms: tuple[_TermInfo, ...],
    text: str,
    stripped: str,
    unchanged: bool,
    plain: tuple[tuple[str, ...], ...],
    evasions_of: Callable[[str, int, str, bool], tuple[str, ...]],
    families: tuple[str, ...],
    new_hit: Callable[..., Hit],
) -> list[Hit]:
    """The hits of the candidates outside the allow spans, overlaps merged; `unchanged` when the text needed no
    offset map (nothing folded or removed)."""
    if allowed and candidates:
        candidates = [c for c in candidates if not _is_allowed(allowed, c[0], -c[1])]
    if len(candidates) > 1:
        candidates = _merge_overlaps(candidates)
    hits = []
    for start, neg_end, term_text, _, code, evidence, ss, se, stretched in candidates:
        _, category, level, _ = terms[code >> 4]
        end = -neg_end
        family = code >> 2 & 3
        if unchanged or text[start:end] == stripped[ss:se]:  # nothing folded, no noise inside the span
            evasions = plain[family * 2 + stretched]
        else:
            evasions = evasions_of(text[start:end], se - ss, families[family], stretched)
        hits.append(new_hit(term_text, category, level, start, end, evidence, evasions, None))
    return hits


def _is_word(text: str, start: int, end: int) -> bool:
    """True unless an ASCII letter or digit (after folding) touches the span."""
    around = fold(text[start - 1 : start] + text[end : end + 1]) if start else fold(text[end : end + 1])
    return not any(ch.isascii() and ch.isalnum() for ch in around)


def _is_allowed(allowed: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(a <= start and end <= b for a, b in allowed)


def _evasions(span: str, stripped_len: int, family: str, *, stretched: bool) -> tuple[str, ...]:
    found = {FOLD_FAMILY[ch] for ch in span if ch in FOLD_FAMILY}
    if len(span) != stripped_len:
        found.add("noise")
    if family:
        found.add(family)
    if stretched:
        found.add("repeat")
    return tuple(f for f in _EVASION_ORDER if f in found)


def _detected_only(text: str, stripped: str) -> ScreeningResult:
    hits = _detector_hits(text, stripped, [], unchanged=stripped is text or stripped == text)
    if not hits:
        return PASSED
    return _new_result(Verdict.REVIEW, tuple(_merge_hits(hits) if len(hits) > 1 else hits))  # detectors review


def _detector_hits(text: str, stripped: str, allowed: list[tuple[int, int]], *, unchanged: bool) -> list[Hit]:
    hits = []
    for name, value, start, end in detectors.detect(text, text if unchanged else fold(text), stripped):
        if _is_allowed(allowed, start, end):
            continue
        evidence = normalise_term(text[start:end])
        evasions = () if unchanged else _evasions(text[start:end], len(evidence), "", stretched=False)
        hits.append(Hit(value, _DETECTOR_CATEGORY[name], Level.REVIEW, start, end, evidence, evasions, name))
    return hits


def _merge_overlaps(candidates: list[_Candidate]) -> list[_Candidate]:
    """Sort and keep one of each run of overlapping matches of the same term (哈哈 in 哈哈哈哈)."""
    candidates.sort()
    if len({c[2] for c in candidates}) == len(candidates):
        return candidates  # every term once: nothing to merge
    last_end: dict[str, int] = {}
    kept = []
    for c in candidates:
        if c[0] >= last_end.get(c[2], -1):
            kept.append(c)
            last_end[c[2]] = -c[1]
    return kept


def _merge_hits(hits: list[Hit]) -> list[Hit]:
    """Sort hits and keep one of each run of overlapping hits of the same term or detector value."""
    hits.sort(key=lambda h: (h.start, -h.end, h.term))
    last_end: dict[str, int] = {}
    kept = []
    for hit in hits:
        if hit.start >= last_end.get(hit.term, -1):
            kept.append(hit)
            last_end[hit.term] = hit.end
    return kept


_R = TypeVar("_R")
_LEVEL_OF: Final = attrgetter("level")


def _record_factory(cls: type[_R]) -> Callable[..., _R]:
    """A positional constructor of a frozen dataclass: the native one if built, else the class itself."""
    names = tuple(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]
    return record_factory(cls, names) if record_factory is not None else cls


_new_hit: Final = _record_factory(Hit)
_new_result: Final = _record_factory(ScreeningResult)


def _evasions_of(span: str, stripped_len: int, family: str, stretched: bool) -> tuple[str, ...]:
    return _evasions(span, stripped_len, family, stretched=stretched)


_HIT_ARGS: Final = (_PLAIN_EVASIONS, _evasions_of, _FAMILIES, _new_hit)
# The native loops of normalise.py's extension when it is built (same results, see test_native.py).
_collect_matches: Final[Callable[..., bool]] = native_collect if native_collect is not None else _collect
_build_hits: Final[Callable[..., list[Hit]]] = native_hits if native_hits is not None else _hits


def compile_lexicon(
    lexicon: Lexicon,
    *,
    homophones: Mapping[str, Sequence[str]] | None = None,
    split_max_chars: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    polyphonic_max: int | None = None,
) -> CompiledLexicon:
    """Compile a lexicon: normalise every term, generate its variants, build the automata with allow phrases.

    `homophones` maps a character to characters that sound alike (for example `{"麻": ["马"]}`); each
    term then also matches with one character replaced. Split-character variants are generated for
    terms of up to `split_max_chars` characters; None (the default) means every term when the lexicon
    has at most `variants.SPLIT_ALL_MAX_TERMS` terms, else `variants.SPLIT_MAX_CHARS` (the trade-off is there).

    `progress(done, total)` is called about every 1 % and once at the end with `done == total`. `total` is twice
    the term count: the first half counts terms whose variants are generated, the second half stands for building
    the automata (about as long, measured on 100k terms), reported in one step when they are built.
    Each term's pinyin also comes in up to `polyphonic_max` more readings of its polyphonic characters; None
    means `variants.MAX_VARIANTS_PER_FAMILY` up to that many terms, else `variants.POLYPHONIC_MAX_BIG`.
    """
    if split_max_chars is None:
        split_max_chars = MAX_TERM_CHARS if len(lexicon.terms) <= SPLIT_ALL_MAX_TERMS else SPLIT_MAX_CHARS
    if polyphonic_max is None:
        polyphonic_max = MAX_VARIANTS_PER_FAMILY if len(lexicon.terms) <= SPLIT_ALL_MAX_TERMS else POLYPHONIC_MAX_BIG
    gc_was_enabled = gc.isenabled()
    gc.disable()  # hundreds of thousands of small objects: collections would cost a third of the time
    try:
        terms: list[_TermInfo] = [(t.text, t.category, t.level, t.scopes) for t in lexicon.terms]
        by_pattern = _codes_by_pattern(
            lexicon, terms, homophones or {}, split_max_chars, progress, polyphonic_max=polyphonic_max
        )
        for phrase in lexicon.allow:
            if form := normalise_term(phrase):
                by_pattern[form] = _NONE  # an allow phrase wins over a term with the same text
        allow_forms = {normalise_term(phrase) for phrase in lexicon.allow}
        patterns = list(by_pattern)
        codes = array("q", [c if isinstance(c, int) else _MANY for c in by_pattern.values()])
        many = {i: tuple(c) for i, c in enumerate(by_pattern.values()) if not isinstance(c, int)}
        del by_pattern  # its keys and code ints: only `patterns` may hold the strings while the automata build
        allow = frozenset(i for i, p in enumerate(patterns) if p in allow_forms)
        compiled = CompiledLexicon(lexicon.version, terms, patterns, codes, many, allow=allow)
        if progress is not None:
            progress(2 * len(terms), 2 * len(terms))
        return compiled
    finally:
        if gc_was_enabled:
            gc.enable()


def _codes_by_pattern(
    lexicon: Lexicon,
    terms: list[_TermInfo],
    homophones: Mapping[str, Sequence[str]],
    split_max_chars: int,
    progress: Callable[[int, int], None] | None,
    *,
    polyphonic_max: int,
) -> dict[str, int | list[int]]:
    by_pattern: dict[str, int | list[int]] = {}
    get = by_pattern.get
    total = 2 * len(terms)
    step = max(1, len(terms) // 100)
    report = 0 if progress is not None else -1  # -1: never equal to an index, one int compare per term
    for index, term in enumerate(lexicon.terms):
        if index == report and progress is not None:
            progress(index, total)
            report += step
        stretch = _STRETCH if term.stretch else 0
        for pattern, family in _forms(term, homophones, split_max_chars, polyphonic_max=polyphonic_max):
            code = index << 4 | family << 2 | stretch
            if pattern.isascii() and pattern.isalnum():
                code |= _LATIN
            if stretch and collapse(pattern) is not pattern:
                code &= ~_STRETCH  # a pattern with a repeat (哈哈) is never matched stretched
            old = get(pattern)
            if old is None:
                by_pattern[pattern] = code
            elif isinstance(old, int):
                if terms[old >> 4][0] != term.text:  # one entry per term text: the first term wins
                    by_pattern[pattern] = [old, code]
            elif all(terms[c >> 4][0] != term.text for c in old):
                old.append(code)
    if progress is not None:
        progress(len(terms), total)
    return by_pattern


def _forms(
    term: Term, homophones: Mapping[str, Sequence[str]], split_max_chars: int, *, polyphonic_max: int
) -> list[tuple[str, int]]:
    """The term's patterns with their family codes (0 the term itself, then pinyin, split, homophone)."""
    base = normalise_term(term.text)
    if not base:
        return []
    forms = {base: 0}
    if term.pinyin:
        for pinyin in pinyin_variants(base, limit=polyphonic_max):  # polyphonic characters' common readings
            forms.setdefault(pinyin, 1)
    for variant in split_variants(base, split_table(), max_chars=split_max_chars):
        forms.setdefault(variant, 2)
    if homophones:
        for variant in homophone_variants(base, homophones):
            if form := normalise_term(variant):
                forms.setdefault(form, 3)
    return list(forms.items())
