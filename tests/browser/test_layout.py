"""The meeting page on a phone (360 px) and a big screen (1280 px), in English and Arabic:
no horizontal scrolling. The screenshots are kept in test-artifacts/screens/."""

from __future__ import annotations

import pytest

from tests.browser.conftest import ARTIFACTS, login

pytestmark = [pytest.mark.slow, pytest.mark.browser]

PHONE_PAGES = {
    "home": "/",
    "document": "/documents/{chile}",
    "search": "/search?q=clearance",
    "delegation": "/delegations/CHL",
    "upload": "/staff/upload",
    "edit": "/staff/documents/{chile}/edit",
}


@pytest.mark.parametrize("language", ["en", "ar"])
@pytest.mark.parametrize("width", [360, 1280])
def test_meeting_page_fits_the_screen(visit, width, language):
    page, _step, errors = visit
    page.set_viewport_size({"width": width, "height": 800})
    response = page.goto(f"/meetings/12MSP?lang={language}")
    assert response.status == 200
    screens = ARTIFACTS / "screens"
    screens.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=screens / f"meeting-{language}-{width}.png", full_page=True)
    assert page.locator("html").get_attribute("dir") == ("rtl" if language == "ar" else "ltr")
    scroll_width, inner_width = page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth]"
    )
    assert scroll_width <= inner_width, f"{scroll_width} px of content in a {inner_width} px window"
    # every part of the page is there at every width
    for selector in ("h1", "table.documents", "section#recordings", "p.exports"):
        assert page.locator(selector).first.is_visible(), selector
    assert errors == [], "nothing blocked by the CSP, no script error"


@pytest.mark.parametrize("language", ["en", "ar"])
def test_main_pages_fit_a_phone(visit, chile, language):
    """At 360 px every main page, the staff upload included, needs no horizontal scrolling."""
    page, _step, errors = visit
    login(page)
    page.set_viewport_size({"width": 360, "height": 800})
    screens = ARTIFACTS / "screens"
    screens.mkdir(parents=True, exist_ok=True)
    too_wide = {}
    for name, path in PHONE_PAGES.items():
        path = path.format(chile=chile)
        separator = "&" if "?" in path else "?"
        response = page.goto(f"{path}{separator}lang={language}")
        assert response.status == 200, path
        page.screenshot(path=screens / f"{name}-{language}-360.png", full_page=True)
        scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
        if scroll_width > 360:
            too_wide[path] = scroll_width
    assert too_wide == {}
    assert errors == [], "nothing blocked by the CSP, no script error"
