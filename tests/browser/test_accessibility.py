"""axe-core inside Chromium: no serious or critical violation on the main pages, in English
and in Arabic (right to left)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import AXE_JS, login

pytestmark = [pytest.mark.slow, pytest.mark.browser]

LANGUAGES = {"en": "ltr", "ar": "rtl"}
#: name → (path, needs a staff login)
PAGES = {
    "home": ("/", False),
    "meeting": ("/meetings/12MSP", False),
    "document": ("/documents/{chile}", False),
    "search": ("/search?q=victims", False),
    "login": ("/login", False),
    "upload": ("/staff/upload", True),
}


def serious_violations(page) -> list[str]:
    """axe-core's serious and critical violations on the page, one readable line each."""
    page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['impact']} {v['id']}: {v['help']} — "
        + "; ".join(" ".join(node["target"]) for node in v["nodes"][:5])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", PAGES)
def test_no_serious_or_critical_violations(axe_page, chile, name, language):
    page, _step = axe_page  # (a failure saves a screenshot of the page all the same)
    path, staff = PAGES[name]
    if staff:
        login(page)
    separator = "&" if "?" in path else "?"
    response = page.goto(f"{path.format(chile=chile)}{separator}lang={language}")
    assert response.status == 200
    html = page.locator("html")
    assert html.get_attribute("lang") == language
    assert html.get_attribute("dir") == LANGUAGES[language]
    if name == "search":
        assert page.locator("li.result").count() >= 1, "the search page is checked with results"
    assert serious_violations(page) == []


def test_the_check_finds_what_it_looks_for(axe_page):
    """A field without a label and faint text are caught: the check above can fail."""
    page, _step = axe_page
    page.set_content(
        '<!doctype html><html lang="en"><head><title>Bad</title></head><body><main>'
        '<h1>Bad</h1><input type="text" name="q"><p style="color:#bbb">faint text</p>'
        "</main></body></html>"
    )
    found = " ".join(serious_violations(page))
    assert "label" in found and "color-contrast" in found


@pytest.mark.parametrize("language", LANGUAGES)
def test_keyboard_first_tab_reaches_a_visible_skip_link_to_the_content(visit, language):
    page, step, _errors = visit
    page.goto(f"/meetings/12MSP?lang={language}")
    page.keyboard.press("Tab")
    step("first tab")
    focused = page.evaluate(
        """() => { const el = document.activeElement, box = el.getBoundingClientRect();
        return {cls: el.className, href: el.getAttribute('href'),
                outline: getComputedStyle(el).outlineStyle,
                inside: box.left >= 0 && box.right <= window.innerWidth && box.top >= 0}; }"""
    )
    assert "skip-link" in focused["cls"] and focused["href"].startswith("#")
    assert focused["inside"], "the focused skip link is on screen"
    assert focused["outline"] != "none", "focus is visible"
    page.keyboard.press("Enter")
    landed = page.evaluate(
        "() => [document.activeElement.id, document.activeElement.closest('main') !== null]"
    )
    assert landed == [focused["href"][1:], True], "focus moved to the main content"
