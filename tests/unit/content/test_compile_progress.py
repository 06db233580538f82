"""compile_lexicon's progress callback: bounded calls, monotonic, ending at done == total; same result as without."""

from __future__ import annotations

from appcomply.content.engine import Category, Lexicon, Term, compile_lexicon

LEXICON = Lexicon(
    "progress-1", tuple(Term(f"词{chr(0x4E00 + i)}{chr(0x4E80 + i % 97)}", Category.CUSTOM) for i in range(1_000))
)


def test_progress_is_reported_about_every_percent_and_ends_at_the_total() -> None:
    calls: list[tuple[int, int]] = []
    compiled = compile_lexicon(LEXICON, progress=lambda done, total: calls.append((done, total)))
    totals = {total for _, total in calls}
    assert totals == {2 * len(LEXICON.terms)}
    done = [d for d, _ in calls]
    assert done == sorted(done)
    assert calls[-1] == (2 * len(LEXICON.terms), 2 * len(LEXICON.terms))
    assert 100 <= len(calls) <= 110  # a bounded number of calls, whatever the lexicon's size
    assert compiled.variant_count == compile_lexicon(LEXICON).variant_count


def test_an_empty_lexicon_reports_its_end() -> None:
    calls: list[tuple[int, int]] = []
    compile_lexicon(Lexicon("empty", ()), progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (0, 0)
