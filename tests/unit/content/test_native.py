"""The optional native normaliser (`_fold`) and the pure-Python fallback give identical results."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from appcomply.content.engine import normalise
from appcomply.content.engine.normalise import (
    _py_collapse,
    _py_fold,
    _py_positions,
    _py_runs,
    _py_strip,
    collapse,
    fold,
    positions,
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


def test_unchanged_text_is_returned_as_is() -> None:
    if normalise.PURE_PYTHON:
        pytest.skip("native extension not built")
    text = "没有噪音的文字"
    assert strip(text) is text
    assert collapse(text) is text


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
