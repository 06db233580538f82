"""Lexicons as data: list import with per-line errors, layering per app, and the packaged default."""

from __future__ import annotations

from appcomply.content.engine import (
    CATEGORY_LABELS,
    Category,
    Level,
    Lexicon,
    LineError,
    Term,
    Verdict,
    compile_lexicon,
    layer,
    load_default_lexicon,
    parse_term_list,
)


def parse(text: str) -> tuple[list[Term], list[LineError]]:
    return parse_term_list(
        text, default_category=Category.CUSTOM, default_level=Level.REVIEW, source="upload.csv", added_by="alice"
    )


def test_plain_list_takes_the_defaults_and_provenance() -> None:
    terms, errors = parse("# a comment\n大麻\n\n  代开发票  \n")
    assert errors == []
    assert terms == [
        Term("大麻", Category.CUSTOM, Level.REVIEW, source="upload.csv", added_by="alice"),
        Term("代开发票", Category.CUSTOM, Level.REVIEW, source="upload.csv", added_by="alice"),
    ]


def test_csv_lines_set_category_level_and_scopes() -> None:
    terms, errors = parse("大麻,obscenity_gambling_violence,block,post|comment\n刷单,fraud,,\n")
    assert errors == []
    assert terms[0].category is Category.OBSCENITY_GAMBLING_VIOLENCE
    assert terms[0].level is Level.BLOCK
    assert terms[0].scopes == frozenset({"post", "comment"})
    assert (terms[1].category, terms[1].level, terms[1].scopes) == (Category.FRAUD, Level.REVIEW, frozenset())


def test_bad_lines_are_reported_with_line_numbers_and_codes() -> None:
    text = "好词\n大麻,no_such_category,block\n，。！\n" + "长" * 51 + "\n刷单,fraud,maybe\na,custom,block,x,y\n"
    terms, errors = parse(text)
    assert [t.text for t in terms] == ["好词"]
    assert [(e.line_no, e.code) for e in errors] == [
        (2, "unknown_category"),
        (3, "empty"),
        (4, "too_long"),
        (5, "unknown_level"),
        (6, "too_many_fields"),
    ]


def test_fifty_characters_is_still_accepted() -> None:
    terms, errors = parse("长" * 50)
    assert (len(terms), errors) == (1, [])


def test_overlay_term_replaces_base_term_with_same_normalised_text() -> None:
    base = Lexicon("b1", (Term("大麻", Category.ILLEGAL_OTHER), Term("刷单", Category.FRAUD)), allow=("大麻烦",))
    overlay = Lexicon("a1", (Term("大 麻", Category.CUSTOM, Level.REVIEW),), allow=("大麻将",))
    merged = layer(base, overlay, version="b1+a1")
    assert merged.version == "b1+a1"
    assert [(t.text, t.category) for t in merged.terms] == [("刷单", Category.FRAUD), ("大 麻", Category.CUSTOM)]
    assert merged.allow == ("大麻烦", "大麻将")
    assert compile_lexicon(merged).screen("买大麻").verdict is Verdict.REVIEW


def test_default_lexicon_is_modest_categorised_and_screens() -> None:
    lexicon = load_default_lexicon()
    assert 300 <= len(lexicon.terms) <= 5000
    assert all(t.source for t in lexicon.terms)
    assert "大麻烦" in lexicon.allow
    engine = compile_lexicon(lexicon)
    assert engine.screen("出售雷管").verdict is Verdict.BLOCK
    assert engine.screen("今天天气真好，我们去公园散步吧").verdict is Verdict.PASS_


def test_taxonomy_has_the_regulation_categories_with_labels() -> None:
    assert sum(1 for c in Category if c.illegal) == 11
    assert len(Category) == 11 + 9 + 5
    assert set(CATEGORY_LABELS) == set(Category)
    assert Category.RUMOURS.zh.startswith("散布谣言")
    assert Category.CONTACT.en == "Contact details"
