"""The stylesheet mirrors for right-to-left pages and keeps text readable (WCAG AA)."""

from __future__ import annotations

import re
from pathlib import Path

CSS = (Path(__file__).resolve().parents[2] / "archive" / "static" / "style.css").read_text()


def contrast(foreground: str, background: str) -> float:
    """WCAG contrast ratio of two #rrggbb colours."""

    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def variables() -> dict[str, str]:
    return dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})", CSS))


def test_only_logical_properties_so_arabic_mirrors():
    body = re.sub(r"/\*.*?\*/", "", CSS, flags=re.S)
    physical = re.findall(
        r"(?<![\w-])((?:margin|padding|border)-(?:left|right)|(?:left|right)\s*:|"
        r"text-align:\s*(?:left|right)|float:\s*(?:left|right))",
        body,
    )
    assert physical == []


def test_text_colours_reach_aa_contrast():
    colours = variables()
    for name in ("ink", "muted", "accent", "error"):
        assert contrast(colours[name], colours["bg"]) >= 4.5, name
        assert contrast(colours[name], colours["soft"]) >= 4.5, name  # the header's background
    assert contrast("#ffffff", colours["accent"]) >= 4.5  # button text
    assert contrast(colours["ink"], colours["mark"]) >= 4.5  # highlighted search words
    assert contrast(colours["focus"], colours["bg"]) >= 3  # the focus ring (non-text contrast)


def test_fonts_cover_arabic_and_chinese_and_focus_is_visible():
    assert "Noto Naskh Arabic" in CSS and "DejaVu Sans" in CSS
    assert "WenQuanYi Micro Hei" in CSS and "Noto Sans CJK SC" in CSS
    assert re.search(r":focus-visible\s*\{[^}]*outline:\s*3px solid", CSS)
