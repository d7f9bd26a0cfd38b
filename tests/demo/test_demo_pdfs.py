"""Generated PDFs in the six UN languages: pypdf gets every page's words back, in order."""

from __future__ import annotations

import io
import shutil
import unicodedata
from pathlib import Path

import pytest
from pypdf import PdfReader

from archive.demo.pdfs import FontNotFound, FontSpec, find_font, make_pdf, write_pdf

# Per language: pages of (text, words found on that page and on no other page).
PAGES: dict[str, list[tuple[str, list[str]]]] = {
    "en": [
        (
            "The Twelfth Meeting of States Parties reviewed victim assistance and welcomed "
            "the participation of survivors.",
            ["victim assistance", "survivors"],
        ),
        (
            "Chile requested an extension of its clearance deadline under Article 4.",
            ["clearance deadline", "Chile"],
        ),
        (
            "Stockpile destruction was completed by three States Parties.",
            ["Stockpile destruction", "three States"],
        ),
    ],
    "fr": [
        (
            "Les délégués ont souligné l'importance de l'assistance aux victimes.",
            ["délégués", "assistance aux victimes"],
        ),
        (
            "Le Chili a demandé une prolongation du délai de dépollution fixé à l'article 4.",
            ["délai de dépollution", "prolongation"],
        ),
        (
            "La destruction des stocks d'armes à sous-munitions est achevée dans trois États.",
            ["destruction des stocks", "sous-munitions", "États"],
        ),
    ],
    "es": [
        (
            "Las delegaciones reafirmaron su compromiso con la asistencia a las víctimas.",
            ["víctimas", "asistencia"],
        ),
        (
            "Chile solicitó una prórroga del plazo de remoción de restos de municiones en racimo.",
            ["prórroga", "remoción"],
        ),
        (
            "La destrucción de las existencias concluyó en tres Estados, según el artículo 3.",
            ["destrucción de las existencias", "artículo 3"],
        ),
    ],
    "ru": [
        (
            "Делегаты обсудили помощь жертвам кассетных боеприпасов и участие выживших.",
            ["помощь жертвам", "выживших"],
        ),
        (
            "Чили запросила продление срока в связи с разминированием загрязнённых районов.",
            ["разминированием", "продление срока"],
        ),
        (
            "Уничтожение запасов завершено тремя государствами-участниками.",
            ["Уничтожение запасов", "государствами-участниками"],
        ),
    ],
    "ar": [
        (
            "ناقش المندوبون مساعدة الضَّحايا وإدماج الناجين في المجتمع.",
            ["مساعدة الضَّحايا", "وإدماج الناجين"],
        ),
        (
            "طلبت شيلي تمديد الموعد النهائي لإزالة الذخائر العنقودية حتى عام 2026 وفقاً للمادة 4.",
            ["شيلي", "الموعد النهائي لإزالة", "عام 2026 وفقاً للمادة 4"],
        ),
        (
            "أكدت الدول الأطراف إتمام تدمير المخزونات، وآخر تقرير يحمل الرمز CCM/MSP/2024/10.",
            ["أكدت", "إتمام تدمير المخزونات", "وآخر", "الرمز CCM/MSP/2024/10"],
        ),
    ],
    "zh": [
        ("缔约国会议审议了受害者援助问题。", ["受害者援助"]),
        ("智利请求延长清除集束弹药残留物的最后期限。", ["智利", "最后期限"]),
        (
            "三个缔约国已完成库存销毁工作，见 CCM/MSP/2024/10 号文件。",
            ["库存销毁", "CCM/MSP/2024/10"],
        ),
    ],
}


def squash(text: str) -> str:
    """NFKC (Arabic presentation forms back to letters), one space for any whitespace run."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def extract(data: bytes) -> list[str]:
    return [squash(page.extract_text()) for page in PdfReader(io.BytesIO(data)).pages]


@pytest.mark.parametrize("language", sorted(PAGES))
def test_each_page_comes_back_with_its_words_in_order(language: str) -> None:
    pages = PAGES[language]
    extracted = extract(make_pdf([text for text, _ in pages]))

    assert len(extracted) == len(pages)
    for number, ((text, words), got) in enumerate(zip(pages, extracted, strict=True)):
        assert got == squash(text)
        others = extracted[:number] + extracted[number + 1 :]
        for word in words:
            assert squash(word) in got
            assert not any(squash(word) in other for other in others)


def test_arabic_keeps_diacritics_alef_forms_and_lam_alef() -> None:
    text = "الضَّحايا أمس إزالة آخر الأطراف لإزالة الآن لا"
    (got,) = extract(make_pdf([text]))
    assert got == text
    assert "\u0651" in got and {"أ", "إ", "آ"} <= set(got)


def test_long_text_wraps_over_several_lines_in_reading_order() -> None:
    english = " ".join(
        f"Paragraph {n} on clearance deadlines and victim assistance." for n in range(8)
    )
    arabic = " ".join(f"الفقرة {n} بشأن مساعدة الضَّحايا وتدمير المخزونات." for n in range(8))
    chinese = "缔约国会议审议了受害者援助问题。" * 8
    data = make_pdf([english, arabic, chinese])
    lines = [page.extract_text().count("\n") for page in PdfReader(io.BytesIO(data)).pages]
    assert all(count >= 2 for count in lines), lines

    got_en, got_ar, got_zh = extract(data)
    assert got_en == english
    assert got_ar == squash(arabic)
    assert got_zh.replace(" ", "") == chinese


def test_paragraphs_and_mixed_scripts_on_one_page() -> None:
    page = "Statement by China\n\n中国代表团的发言：受害者援助\nمساعدة الضَّحايا\nразминированием"
    (got,) = extract(make_pdf([page]))
    for part in ("Statement by China", "受害者援助", "مساعدة الضَّحايا", "разминированием"):
        assert part in got


def test_arabic_inside_a_latin_paragraph_stays_in_reading_order() -> None:
    text = "Statement by Lebanon: كلمة لبنان بشأن مساعدة الضَّحايا, delivered on 11 September."
    (got,) = extract(make_pdf([text]))
    assert got == squash(text)


def test_brackets_in_arabic_are_drawn_mirrored_and_the_words_inside_still_found() -> None:
    text = "عقد الاجتماع في جنيف (سويسرا) بمشاركة اللجنة الدولية (ICRC) وفق «الخطة»."
    (got,) = extract(make_pdf([text]))
    for word in ("جنيف", "سويسرا", "ICRC", "الخطة"):
        assert word in got
    # Right-to-left text draws "(" with the glyph of ")" (UAX #9, L4), and pypdf reports
    # the glyph it sees; the indexer treats brackets as separators either way.
    assert got == text.translate(str.maketrans("()«»", ")(»«"))


def test_title_is_in_the_metadata() -> None:
    data = make_pdf(["Final report"], title="12MSP Final Report")
    assert PdfReader(io.BytesIO(data)).metadata.title == "12MSP Final Report"


def test_write_pdf_writes_the_same_bytes_every_time(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "report.pdf", ["Final report", "Annex"], title="Report")
    assert path == tmp_path / "report.pdf"
    assert path.read_bytes() == make_pdf(["Final report", "Annex"], title="Report")


def test_text_that_does_not_fit_on_a_page_is_refused() -> None:
    with pytest.raises(ValueError, match="page 2"):
        make_pdf(["fits", "victim assistance\n" * 80])


def test_no_pages_is_refused() -> None:
    with pytest.raises(ValueError):
        make_pdf([])


def test_fonts_are_found_through_fontconfig_too() -> None:
    if shutil.which("fc-list") is None:
        pytest.skip("fontconfig is not installed")
    spec = FontSpec(key="x", family="DejaVu Sans", known_paths=(), package="fonts-dejavu-core")
    path, index = find_font(spec)
    assert path.name == "DejaVuSans.ttf" and index == 0


def test_missing_font_names_the_package_to_install() -> None:
    spec = FontSpec(
        key="nofont",
        family="No Such Font Family",
        known_paths=("/nonexistent/NoSuchFont.ttf",),
        package="fonts-no-such-font",
    )
    with pytest.raises(FontNotFound, match="fonts-no-such-font"):
        find_font(spec)
