"""Tokens produced by the per-language analyzers."""

from __future__ import annotations

import pytest

from indexer.analysis import (
    PageTerms,
    analyzer_for,
    fold_latin,
    fold_yo,
    generic_analyzer,
    normalize_arabic,
    strip_arabic_article,
    tokens,
)


def same_tokens(language: str, first: str, second: str) -> bool:
    """True if both texts analyse to the same non-empty token list."""
    analyzer = analyzer_for(language)
    left, right = tokens(analyzer, first), tokens(analyzer, second)
    return bool(left) and left == right


@pytest.mark.parametrize(
    ("language", "typed", "written"),
    [
        ("fr", "Etats", "États"),
        ("fr", "delegues", "délégués"),
        ("fr", "victime", "victimes"),
        ("es", "victima", "víctimas"),
        ("es", "destruccion", "destrucción"),
        ("en", "victim", "victims"),
        ("en", "deadline", "deadlines"),
        ("ru", "разминирование", "разминированием"),
        ("ru", "загрязненных", "загрязнённых"),
    ],
)
def test_folding_and_stemming_conflate_forms(language: str, typed: str, written: str) -> None:
    assert same_tokens(language, typed, written)


def test_french_tokens() -> None:
    analyzer = analyzer_for("fr")
    assert tokens(analyzer, "Les délégués des États") == ["le", "delegu", "de", "etat"]
    assert tokens(analyzer, "l'assistance") == ["l", "assist"]
    assert tokens(analyzer, "œuvre") == ["oeuvr"]


def test_spanish_and_english_tokens() -> None:
    assert tokens(analyzer_for("es"), "víctimas Estados") == ["victim", "estad"]
    assert tokens(analyzer_for("en"), "Stockpile destruction") == ["stockpil", "destruct"]


def test_russian_folds_only_yo() -> None:
    analyzer = analyzer_for("ru")
    assert tokens(analyzer, "ёлка") == tokens(analyzer, "елка")
    assert tokens(analyzer, "йод") == ["йод"]  # й is not turned into и
    assert fold_yo("Ёж и ёлка, йод") == "Еж и елка, йод"


def test_arabic_marks_stay_inside_tokens_and_are_stripped() -> None:
    analyzer = analyzer_for("ar")
    assert tokens(analyzer, "مُساعَدةَ") == ["مساعده"]
    assert tokens(analyzer, "الضَّحايا") == ["ضحايا"]
    assert tokens(analyzer, "مساعدة الضحايا") == ["مساعده", "ضحايا"]


def test_arabic_letter_folding_and_tatweel() -> None:
    analyzer = analyzer_for("ar")
    assert tokens(analyzer, "أطراف إزالة آمن ٱلعمل") == ["اطراف", "ازاله", "امن", "عمل"]
    assert tokens(analyzer, "على") == ["علي"]
    assert tokens(analyzer, "اتفاقيـــة") == tokens(analyzer, "اتفاقية") == ["اتفاقيه"]
    assert normalize_arabic("مُـدَّة") == "مده"


def test_arabic_article_stripping_is_light() -> None:
    assert strip_arabic_article("الدول") == "دول"
    assert strip_arabic_article("والدول") == "دول"
    assert strip_arabic_article("للدول") == "دول"
    assert strip_arabic_article("الا") == "الا"  # too short to strip


def test_chinese_one_token_per_han_character() -> None:
    analyzer = analyzer_for("zh")
    assert tokens(analyzer, "受害者援助") == ["受", "害", "者", "援", "助"]
    assert tokens(analyzer, "2024年CCM会议") == ["2024", "年", "ccm", "会", "议"]


def test_nfkc_repairs_arabic_presentation_forms_and_ligatures() -> None:
    assert tokens(analyzer_for("ar"), "ﺍﻟﺪﻭﻝ") == tokens(analyzer_for("ar"), "الدول")
    assert tokens(analyzer_for("ar"), "ﻻ") == ["لا"]
    assert tokens(analyzer_for("en"), "ﬁnal") == tokens(analyzer_for("en"), "final")
    assert tokens(analyzer_for("fr"), "ＥＴＡＴＳ") == ["etat"]


def test_generic_analyzer_for_other_languages() -> None:
    analyzer = analyzer_for("de")
    assert tokens(analyzer, "Räumung Straße") == ["raumung", "strasse"]
    assert tokens(generic_analyzer(), "CCM/MSP/2024/10") == ["ccm", "msp", "2024", "10"]
    assert tokens(generic_analyzer(), "受害者") == ["受", "害", "者"]


def test_fold_latin_leaves_other_scripts_alone() -> None:
    assert fold_latin("Ça déjà Ñandú") == "Ca deja Nandu"
    assert fold_latin("йод ёлка الأراضي") == "йод ёлка الأراضي"


def test_term_spans_match_the_analyzer() -> None:
    analyzer = analyzer_for("es")
    text = "Las víctimas, y otra vez las víctimas."
    spans = list(PageTerms(analyzer).spans(text, {"victim"}))
    expected = [
        (t.pos, t.text, t.startchar, t.endchar)
        for t in analyzer(text, positions=True, chars=True)
        if t.text == "victim"
    ]
    assert spans == expected
    assert [text[a:b] for _, _, a, b in spans] == ["víctimas", "víctimas"]
