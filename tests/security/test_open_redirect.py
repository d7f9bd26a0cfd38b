"""Open redirect: `next` after login leads only back into the archive, however disguised.

Moved here from tests/auth. A hostile `next` still logs the user in (the password was
right) but lands on the default staff page; the login form never carries it.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from archive.auth.redirects import safe_next_path
from tests.auth.staff_helpers import EDITOR, is_logged_in, log_in

HOSTILE_NEXT = [
    "https://evil.com",
    "HTTPS://EVIL.COM",
    "ftp://evil.com/x",
    "//evil.com",
    "///evil.com",
    "////evil.com",
    "/\\evil.com",
    "/\\/evil.com",
    "\\\\evil.com",
    "\\/evil.com",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    "vbscript:msgbox(1)",
    "data:text/html,<script>alert(1)</script>",
    "/%2F%2Fevil.com",
    "/%2f%2fevil.com",
    "%2F%2Fevil.com",
    "/%252F%252Fevil.com",
    "/%25252F%25252Fevil.com",
    "/%5Cevil.com",
    "/%5c%5cevil.com",
    "/login%0d%0aSet-Cookie:x=y",
    "/login\r\nSet-Cookie:x=y",
    "/login%0aLocation:%20https://evil.com",
    "http:/evil.com",
    "https:evil.com",
    "https:/\\evil.com",
    " //evil.com",
    "\t//evil.com",
    "\x0b//evil.com",
    "/\t/evil.com",
    "/%09/evil.com",
    "/\x00/evil.com",
    "/%00/evil.com",
    "@evil.com",
    "http://localhost@evil.com",
    "//localhost%2F@evil.com",
    "//evil.com/%2F..",
    "evil.com",
    "../evil.com",
    "x" * 3000,
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


@pytest.fixture
def many_logins(app):
    """Every hostile value is one login: lift the attempt limit for these tests only."""
    app.config["LOGIN_RATE_LIMIT"] = "10000 per minute"


@pytest.mark.parametrize("where", ["form", "query"])
def test_login_with_a_hostile_next_stays_home(client, editor_id, many_logins, where):
    for value in HOSTILE_NEXT:
        if where == "form":
            response = log_in(client, EDITOR, next_path=value)
        else:
            response = log_in(client, EDITOR, query_string={"next": value})
        if "\x00" in value and response.status_code == 400:
            continue  # a NUL anywhere in a request is refused before login (archive/guards.py)
        assert response.status_code == 302, value
        assert_stays_in_the_archive(response.headers["Location"])
        assert response.headers["Location"] == "/staff/upload", value
    assert is_logged_in(client)


def _next_field(html: str) -> str:
    [value] = re.findall(r'<input[^>]*name="next"[^>]*value="([^"]*)"', html) or [""]
    return value


def test_the_login_form_does_not_carry_a_hostile_next(client):
    for value in HOSTILE_NEXT:
        response = client.get("/login", query_string={"next": value})
        if "\x00" in value:  # a NUL anywhere in a request is refused (archive/guards.py)
            assert response.status_code == 400, value
            continue
        assert response.status_code == 200, value
        assert _next_field(response.get_data(as_text=True)) == "", value


def test_a_good_next_is_honoured(client, editor_id, many_logins):
    for value in GOOD_NEXT:
        response = log_in(client, EDITOR, next_path=value)
        assert response.status_code == 302
        assert response.headers["Location"] == value


def test_next_from_the_login_redirect_round_trips(client, editor_id):
    """Anonymous on a staff page → /login?next=… → back to that page after login."""
    redirected = client.get("/staff/audit?action=login")
    assert redirected.status_code == 302
    login_page = client.get(redirected.headers["Location"]).get_data(as_text=True)
    assert _next_field(login_page) == "/staff/audit?action=login"
    response = log_in(client, EDITOR, next_path="/staff/audit?action=login")
    assert response.headers["Location"] == "/staff/audit?action=login"


def test_logout_goes_home_whatever_next_says(client, editor_id):
    from tests.auth.staff_helpers import page_token

    log_in(client, EDITOR)
    token = page_token(client, "/staff/audit")
    response = client.post(
        "/logout",
        data={"csrf_token": token, "next": "https://evil.com"},
        query_string={"next": "//evil.com"},
    )
    assert response.status_code == 302
    assert_stays_in_the_archive(response.headers["Location"])
    assert "evil" not in response.headers["Location"]
