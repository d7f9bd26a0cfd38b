"""Real PDFs in the six UN languages, for the demo meeting and the tests.

Text is embedded with Unicode mappings so that pypdf gets it back out. Two fonts
cover the six languages: DejaVu Sans (Latin, Cyrillic, Arabic) and WenQuanYi Micro
Hei (Chinese); each is the other's fallback, so mixed text renders too.

Arabic is written the way pypdf expects to find it, as in a PDF from a word
processor: letters in their contextual (joined) forms, drawn in visual order,
right to left. fpdf2 can only do that with uharfbuzz, which is not a dependency,
so this module shapes with the Arabic Presentation Forms-B block and reorders
with fpdf2's own bidi algorithm (UAX #9). Each line is written one directional
run at a time, in reading order, so that pypdf also gets the words of a mixed
line (Arabic, numbers, a document symbol) back in reading order. pypdf returns
the letters as presentation forms; NFKC normalisation turns them back into the
base letters (``unicodedata.normalize("NFKC", text)``).
"""

from __future__ import annotations

import shutil
import subprocess
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from itertools import groupby
from pathlib import Path

from fpdf import FPDF
from fpdf.bidi import BIDI_BRACKETS, BidiCharacter, BidiParagraph, auto_detect_base_direction
from fpdf.enums import TextDirection, XPos, YPos

FONT_SIZE = 11
LINE_HEIGHT = 6
#: A fixed creation date, so the same pages always give the same bytes (and SHA-256).
CREATION_DATE = datetime(2024, 9, 10, tzinfo=UTC)


class FontNotFound(RuntimeError):
    """A font needed for the demo PDFs is not installed."""


@dataclass(frozen=True)
class FontSpec:
    """A font the PDFs need: where it usually is, and which package installs it."""

    key: str  #: the fpdf2 family name; lowercase, as fpdf2's fallback lookup requires
    family: str  #: the fontconfig family name
    known_paths: tuple[str, ...]
    package: str  #: the Debian package that installs it


LATIN_FONT = FontSpec(
    key="dejavu-sans",
    family="DejaVu Sans",
    known_paths=("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",),
    package="fonts-dejavu-core",
)
CJK_FONT = FontSpec(
    key="wqy-microhei",
    family="WenQuanYi Micro Hei",
    known_paths=("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",),
    package="fonts-wqy-microhei",
)

#: Mirrored pairs: the brackets of UAX #9 and the quotation marks of Arabic text.
_MIRRORS = {
    **{char: bracket["pair"] for char, bracket in BIDI_BRACKETS.items()},
    **dict(zip("«»‹›<>", "»«›‹><", strict=True)),
}

_CJK_RANGES = (
    (0x2E80, 0x9FFF),  # radicals, CJK punctuation, kana, CJK unified ideographs
    (0xAC00, 0xD7AF),  # Hangul syllables
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xFF00, 0xFFEF),  # full-width forms (Chinese punctuation)
    (0x20000, 0x3FFFF),  # CJK extensions B and later
)


def make_pdf(pages: list[str], *, title: str | None = None) -> bytes:
    """Return a PDF with one page per item of ``pages`` (``\\n`` starts a new paragraph)."""
    if not pages:
        raise ValueError("a PDF needs at least one page")
    pdf = _new_document(title, with_cjk=any(_needs_cjk_font(text) for text in pages))
    try:
        for number, text in enumerate(pages, 1):
            pdf.add_page()
            _write_page(pdf, text)
            if pdf.get_y() > pdf.h - pdf.b_margin:
                raise ValueError(f"the text of page {number} does not fit on one page")
        return bytes(pdf.output())
    finally:
        _close_fonts(pdf)


def _close_fonts(pdf: FPDF) -> None:
    """fpdf2 opens each TrueType file lazily and never closes it: close them here."""
    for font in pdf.fonts.values():
        ttfont = getattr(font, "ttfont", None)
        if ttfont is not None:
            ttfont.close()


def write_pdf(path: Path | str, pages: list[str], title: str | None = None) -> Path:
    """Write ``make_pdf(pages, title=title)`` to ``path`` and return the path."""
    path = Path(path)
    path.write_bytes(make_pdf(pages, title=title))
    return path


# -- fonts ------------------------------------------------------------------------


def find_font(font: FontSpec) -> tuple[Path, int]:
    """Return the font's file and face index (for a .ttc), from a known path or fontconfig."""
    return _find_font_file(font.family, font.known_paths, font.package)


@cache
def _find_font_file(family: str, known_paths: tuple[str, ...], package: str) -> tuple[Path, int]:
    for known in known_paths:
        if Path(known).is_file():
            return Path(known), 0
    for path, index in _fontconfig_faces(family):
        if path.suffix.lower() in (".ttf", ".ttc", ".otf", ".otc") and path.is_file():
            return path, index
    raise FontNotFound(
        f"font {family!r} not found; install the Debian package {package} "
        f"(apt-get install {package}, or `make system-deps`)"
    )


def _fontconfig_faces(family: str) -> list[tuple[Path, int]]:
    """The regular faces of ``family`` according to fc-list (none if it is missing)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return []
    result = subprocess.run(
        [fc_list, "-f", "%{file}\\t%{index}\\t%{style}\\n", f":family={family}"],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    faces = []
    for line in result.stdout.splitlines():
        path, index, style = (line.split("\t") + ["", ""])[:3]
        if style.split(",")[0] in ("Regular", "Book") and index.isdigit():
            faces.append((Path(path), int(index)))
    return faces


def _new_document(title: str | None, *, with_cjk: bool) -> FPDF:
    """An A4 document with the Latin font, and the CJK font when the text needs it."""
    pdf = FPDF(format="A4")
    pdf.set_creation_date(CREATION_DATE)
    pdf.set_auto_page_break(False)
    if title:
        pdf.set_title(title)
    for font in (LATIN_FONT, CJK_FONT) if with_cjk else (LATIN_FONT,):
        path, index = find_font(font)
        pdf.add_font(font.key, fname=path, collection_font_number=index)
    return pdf


def _needs_cjk_font(text: str) -> bool:
    return any(start <= ord(char) <= end for char in text for start, end in _CJK_RANGES)


# -- layout -----------------------------------------------------------------------


def _write_page(pdf: FPDF, text: str) -> None:
    """Write one page's paragraphs, in the CJK font if the text needs it."""
    main, fallback = (CJK_FONT, LATIN_FONT) if _needs_cjk_font(text) else (LATIN_FONT, CJK_FONT)
    pdf.set_font(main.key, size=FONT_SIZE)
    pdf.set_fallback_fonts([fallback.key] if fallback.key in pdf.fonts else [])
    for paragraph in text.split("\n"):
        if _has_arabic(paragraph):
            _write_bidi_paragraph(pdf, paragraph)
        else:
            # A word longer than the line (a run of Chinese) is broken between characters.
            pdf.multi_cell(
                0, LINE_HEIGHT, paragraph, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT
            )


def _write_bidi_paragraph(pdf: FPDF, paragraph: str) -> None:
    """Write a paragraph with Arabic in it: shape, wrap in logical order, lay out each line."""
    direction = auto_detect_base_direction(paragraph)
    # One font for the Arabic and the spaces between its words, even on a Chinese
    # page: pypdf restarts its right-to-left handling at every change of font.
    family = pdf.font_family
    pdf.set_font(LATIN_FONT.key)
    for line in _wrap_words(pdf, shape_arabic(paragraph), pdf.epw):
        _write_bidi_line(pdf, line, direction)
    pdf.set_font(family)


def _write_bidi_line(pdf: FPDF, line: str, direction: TextDirection) -> None:
    """Write one line in visual order (right-aligned if RTL), one text object per word.

    The words (Arabic, numbers, a Latin symbol) and the spaces between them are placed
    at their visual positions but written in reading order: pypdf extracts them in
    the order they were written, so a mixed line comes back in reading order.
    """
    segments = _visual_segments(line, direction)
    widths = [pdf.get_string_width(text) for _, text in segments]
    run_x = pdf.l_margin
    if direction == TextDirection.RTL:
        run_x += pdf.epw - sum(widths)
    y = pdf.get_y()
    placed = []
    for (logical_start, text), width in zip(segments, widths, strict=True):
        placed.append((logical_start, run_x, width, text))
        run_x += width
    for _, x, width, text in sorted(placed):
        pdf.set_xy(x, y)
        pdf.cell(width, LINE_HEIGHT, text)
    pdf.set_xy(pdf.l_margin, y + LINE_HEIGHT)


def _visual_segments(line: str, direction: TextDirection) -> list[tuple[int, str]]:
    """Reorder a line for display (UAX #9) and cut it into words and single other characters.

    Each segment is (logical index of its first character, its characters in visual
    order). pypdf reverses any stretch of text it reads after a right-to-left letter,
    up to the next left-to-right one, spaces and punctuation included: written
    alone, each word comes back whole and each space or mark (a single character,
    which reversed is itself) in its place.
    """
    reordered = BidiParagraph(line, base_direction=direction).get_reordered_characters()
    segments: list[list[BidiCharacter]] = []
    for (_, in_word), group in groupby(reordered, key=_segment_key):
        chars = list(group)
        segments.extend([chars] if in_word else [[char] for char in chars])
    return [
        (min(char.character_index for char in chars), "".join(map(_displayed, chars)))
        for chars in segments
    ]


def _segment_key(char: BidiCharacter) -> tuple[int, bool]:
    return char.embedding_level, _is_word_character(char.character)


def _displayed(char: BidiCharacter) -> str:
    """The character as drawn: brackets in right-to-left text are mirrored (UAX #9, L4).

    pypdf returns the mirrored character, so ``(`` in Arabic text comes back as ``)``.
    """
    if char.embedding_level % 2 and unicodedata.mirrored(char.character):
        return _MIRRORS.get(char.character, char.character)
    return char.character


def _is_word_character(char: str) -> bool:
    """A letter or a European digit of either direction, or a combining mark."""
    return unicodedata.bidirectional(char) in ("L", "EN", "R", "AL", "NSM")


def _wrap_words(pdf: FPDF, text: str, width: float) -> list[str]:
    """Greedy word wrap at spaces (a single over-long word gets a line of its own)."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if current and pdf.get_string_width(candidate) > width:
            lines.append(current)
            candidate = word
        current = candidate
    return [*lines, current]


# -- Arabic shaping ---------------------------------------------------------------

_ALEFS = "\u0622\u0623\u0625\u0627"
_LAM = "\u0644"
_TATWEEL = "\u0640"


def _has_arabic(text: str) -> bool:
    return any("\u0600" <= char <= "\u06ff" for char in text)


@cache
def _presentation_forms() -> tuple[dict[str, dict[str, str]], dict[str, dict[str, str]]]:
    """Map letters (and lam + alef) to their contextual forms, read from Unicode's own tables.

    Every character of Arabic Presentation Forms-B decomposes to its base letter
    with a tag naming the form, e.g. U+FE91 is ``<initial> 0628``.
    """
    letters: dict[str, dict[str, str]] = {}
    lam_alefs: dict[str, dict[str, str]] = {}
    for code in range(0xFE70, 0xFEFD):
        tag, *base_codes = unicodedata.decomposition(chr(code)).split() or [""]
        base = "".join(chr(int(base_code, 16)) for base_code in base_codes)
        form = tag.strip("<>")
        if len(base) == 1 and unicodedata.category(base) == "Lo":
            letters.setdefault(base, {})[form] = chr(code)
        elif len(base) == 2 and base[0] == _LAM and base[1] in _ALEFS:
            lam_alefs.setdefault(base, {})[form] = chr(code)
    return letters, lam_alefs


def shape_arabic(text: str) -> str:
    """Replace Arabic letters by their contextual forms; the text stays in logical order."""
    letters, lam_alefs = _presentation_forms()
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        forms = letters.get(char)
        joins_before = _joins_to_next(_neighbour(text, i, -1), letters)
        if char == _LAM and i + 1 < len(text) and text[i + 1] in _ALEFS:
            ligature = lam_alefs[char + text[i + 1]]
            out.append(ligature["final" if joins_before else "isolated"])
            i += 2
            continue
        if forms is None:
            out.append(char)
        else:
            joins_after = "initial" in forms and _joins_to_previous(_neighbour(text, i, 1), letters)
            out.append(_pick_form(forms, joins_before and "final" in forms, joins_after))
        i += 1
    return "".join(out)


def _pick_form(forms: dict[str, str], joins_before: bool, joins_after: bool) -> str:
    if joins_before and joins_after:
        return forms["medial"]
    if joins_before:
        return forms["final"]
    if joins_after:
        return forms["initial"]
    return forms["isolated"]


def _neighbour(text: str, index: int, step: int) -> str:
    """The nearest character before (step -1) or after (step 1), skipping combining marks."""
    index += step
    while 0 <= index < len(text) and unicodedata.category(text[index]) == "Mn":
        index += step
    return text[index] if 0 <= index < len(text) else ""


def _joins_to_next(char: str, letters: dict[str, dict[str, str]]) -> bool:
    """Whether ``char`` connects to the letter after it (it has an initial form)."""
    return char == _TATWEEL or "initial" in letters.get(char, {})


def _joins_to_previous(char: str, letters: dict[str, dict[str, str]]) -> bool:
    """Whether ``char`` connects to the letter before it (it has a final form)."""
    return char == _TATWEEL or "final" in letters.get(char, {})
