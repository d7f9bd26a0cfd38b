"""`next` after login leads only back into the archive, however it is disguised."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from archive.auth.redirects import safe_next_path
from tests.auth.staff_helpers import EDITOR, log_in

HOSTILE_NEXT = [
    "https://evil.com",
    "//evil.com",
    "/\\evil.com",
    "\\\\evil.com",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "/%2F%2Fevil.com",
    "/%2f%2fevil.com",
    "%2F%2Fevil.com",
    "/%252F%252Fevil.com",
    "/%5Cevil.com",
    "/%5c%5cevil.com",
    "/login%0d%0aSet-Cookie:x=y",
    "/login\r\nSet-Cookie:x=y",
    "http:/evil.com",
    "https:evil.com",
    " //evil.com",
    "///evil.com",
    "/\t/evil.com",
    "/%09/evil.com",
    "/\x00/evil.com",
    "data:text/html,<script>alert(1)</script>",
    "evil.com",
    "../evil.com",
    "",
]

GOOD_NEXT = ["/meetings/12MSP", "/search?q=clearance&meeting=12MSP&lang=fr", "/", "/staff/audit"]


@pytest.mark.parametrize("value", HOSTILE_NEXT)
def test_hostile_next_values_are_refused(value):
    assert safe_next_path(value) is None


@pytest.mark.parametrize("value", GOOD_NEXT)
def test_paths_inside_the_archive_are_kept(value):
    assert safe_next_path(value) == value


def assert_stays_in_the_archive(location: str) -> None:
    parts = urlsplit(location)
    assert parts.netloc in ("", "localhost")
    assert not parts.scheme or parts.scheme in ("http", "https")
    path = location if not parts.netloc else location.split(parts.netloc, 1)[1]
    assert path.startswith("/")
    assert path[1:2] not in ("/", "\\")
    assert "\r" not in location and "\n" not in location


@pytest.mark.parametrize("value", HOSTILE_NEXT)
def test_login_with_hostile_next_in_the_form_stays_home(client, editor_id, value):
    response = log_in(client, EDITOR, next_path=value)
    assert response.status_code == 302
    assert_stays_in_the_archive(response.headers["Location"])
    assert response.headers["Location"] == "/staff/upload"


@pytest.mark.parametrize("value", HOSTILE_NEXT)
def test_login_with_hostile_next_in_the_query_stays_home(client, editor_id, value):
    response = log_in(client, EDITOR, query_string={"next": value})
    assert response.status_code == 302
    assert_stays_in_the_archive(response.headers["Location"])
    assert response.headers["Location"] == "/staff/upload"


@pytest.mark.parametrize("value", HOSTILE_NEXT)
def test_the_login_form_does_not_carry_a_hostile_next(client, value):
    html = client.get("/login", query_string={"next": value}).get_data(as_text=True)
    assert "evil.com" not in html


@pytest.mark.parametrize("value", GOOD_NEXT)
def test_a_good_next_is_honoured(client, editor_id, value):
    response = log_in(client, EDITOR, next_path=value)
    assert response.status_code == 302
    assert response.headers["Location"] == value


def test_next_from_the_login_redirect_round_trips(client, editor_id):
    """Anonymous on a staff page → /login?next=… → back to that page after login."""
    redirected = client.get("/staff/audit?action=login")
    assert redirected.status_code == 302
    login_page = client.get(redirected.headers["Location"]).get_data(as_text=True)
    assert 'value="/staff/audit?action=login"' in login_page
    response = log_in(client, EDITOR, next_path="/staff/audit?action=login")
    assert response.headers["Location"] == "/staff/audit?action=login"
