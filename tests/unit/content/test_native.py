"""The optional native normaliser (`_fold`) and the pure-Python fallback give identical results."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from appcomply.content.engine import compile_lexicon, load_default_lexicon, matcher, normalise
from appcomply.content.engine.normalise import (
    _py_collapse,
    _py_fold,
    _py_positions,
    _py_prepare,
    _py_runs,
    _py_strip,
    collapse,
    fold,
    positions,
    prepare,
    runs,
    strip,
)

TEXTS = st.text(st.sampled_from(list("大麻烦敏感词哈aAＡ１ .*\u200b，😀\u0301輪亻尔\x00")), max_size=30) | st.text(
    max_size=30
)
SAMPLES = [
    "买大麻吗",
    "这是敏*感 词吧",
    "看看敏敏敏感感词呀",
    "法輪功",
    "玩 ＳＭ 吗",
    "亻尔好呀",
    "大大麻麻烦烦",
    "电话 13800138000",
    "fa轮gong 和 ｆａｌｕｎｇｏｎｇ",
    "加v: abc123 或者 qq 12345678",
    "看 www.example.com/x 哈哈哈哈",
    "大麻烦 大大麻麻",
]


@settings(max_examples=300)
@given(TEXTS)
def test_native_and_fallback_normalise_alike(text: str) -> None:
    stripped = strip(text)
    assert stripped == _py_strip(text)
    assert fold(text) == _py_fold(text)
    assert list(positions(text)) == list(_py_positions(text))
    assert collapse(stripped) == _py_collapse(stripped)
    assert tuple(map(list, runs(stripped))) == tuple(map(list, _py_runs(stripped)))
    assert prepare(text) == _py_prepare(text)


def test_unchanged_text_is_returned_as_is() -> None:
    if normalise.PURE_PYTHON:
        pytest.skip("native extension not built")
    text = "没有噪音的文字"
    assert strip(text) is text
    assert collapse(text) is text
    stripped, collapsed, _ = prepare(text)
    assert stripped is text
    assert collapsed is text


def _screen_all(code: str) -> str:
    script = (
        code
        + "\nfrom appcomply.content.engine import compile_lexicon, load_default_lexicon"
        + "\nfrom appcomply.content.engine.normalise import PURE_PYTHON"
        + "\nengine = compile_lexicon(load_default_lexicon())"
        + f"\nprint(PURE_PYTHON, [engine.screen(t) for t in {SAMPLES!r}])"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)  # noqa: S603
    return result.stdout


def test_screening_without_the_extension_gives_the_same_results() -> None:
    native = _screen_all("")
    fallback = _screen_all("import sys; sys.modules['appcomply.content.engine._fold'] = None")
    assert fallback.startswith("True ")
    assert native.split(" ", 1)[1] == fallback.split(" ", 1)[1]


ENGINE = compile_lexicon(load_default_lexicon())
SCREEN_TEXTS = (
    TEXTS | st.sampled_from(SAMPLES) | st.text(st.sampled_from(list("大麻法轮功fa lungo 哈敏感词·v1")), max_size=24)
)


def _both_collects(text: str) -> tuple[list[object], list[object]]:
    """Candidates and allow spans of every automaton's matches in `text`, from the native and the Python loop."""
    stripped = strip(text)
    collapsed = collapse(stripped)
    pos = None if stripped == text else positions(text)
    starts, ends = runs(stripped) if collapsed is not stripped else (None, None)
    results: tuple[list[object], list[object]] = ([], [])
    for collect, out in ((normalise.native_collect, results[0]), (matcher._collect, results[1])):
        for table, searched, exact in (
            (ENGINE._main, collapsed, False),
            (ENGINE._latin, collapsed, False),
            (ENGINE._exact, stripped, True),
        ):
            if table is None:
                continue
            found = table.automaton.find_matches_as_indexes(searched, overlapping=True)
            candidates: list[object] = []
            allowed: list[object] = []
            repeats = (None, None) if exact else (starts, ends)
            hint = collect(
                found,
                *table.fields,
                ENGINE._terms,
                candidates,
                allowed,
                text,
                searched,
                *repeats,
                pos,
                "post",
                exact,
                matcher._is_word,
            )
            out.append((hint, candidates, allowed))
            hits = (normalise.native_hits if collect is normalise.native_collect else matcher._hits)(
                list(candidates), allowed, ENGINE._terms, text, stripped, pos is None, *matcher._HIT_ARGS
            )
            out.append(hits)
    return results


@settings(max_examples=300)
@given(SCREEN_TEXTS)
def test_native_and_python_hit_collection_agree(text: str) -> None:
    if normalise.PURE_PYTHON:
        pytest.skip("native extension not built")
    native, python = _both_collects(text)
    assert native == python


def test_native_hit_collection_rejects_bad_arguments() -> None:
    if normalise.PURE_PYTHON:
        pytest.skip("native extension not built")
    table = ENGINE._main
    with pytest.raises(IndexError):
        normalise.native_collect(
            [(10**9, 0, 1)],
            *table.fields,
            ENGINE._terms,
            [],
            [],
            "ab",
            "ab",
            None,
            None,
            None,
            None,
            False,
            matcher._is_word,
        )
    with pytest.raises(TypeError):
        normalise.native_collect(
            [(0, 0)], *table.fields, ENGINE._terms, [], [], "ab", "ab", None, None, None, None, False, matcher._is_word
        )
    with pytest.raises(IndexError):  # an offset map shorter than the match
        normalise.native_collect(
            [(0, 0, 2)],
            *table.fields,
            ENGINE._terms,
            [],
            [],
            "abc",
            "abc",
            None,
            None,
            positions("a"),
            None,
            False,
            matcher._is_word,
        )
