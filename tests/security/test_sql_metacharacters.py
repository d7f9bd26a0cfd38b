"""SQL metacharacters in every filter, sort and paging parameter (and code in a path) of
every listing, search and API endpoint: never a 500, never a hidden row, never a LIKE
wildcard that matches, and the database is the same afterwards."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.auth.staff_helpers import log_in
from tests.security.conftest import assert_unchanged, snapshot

PAYLOADS = [
    "' OR 1=1--",
    "' OR '1'='1",
    '"; DROP TABLE documents; --',
    "'; DELETE FROM users; --",
    "1 UNION SELECT email, password_hash FROM users--",
    "%",
    "_",
    "%%",
    "\\",
    "\\' OR 1=1--",
    "*",
    "Ω≈ç√ 中文 عربي",
    "١٢",
    "\x00",
    "-1",
    "99999999999999999999999",
]

#: path → the parameters it takes (filters, sort, paging)
#: the filters every search-based endpoint takes
SEARCH_FILTERS = ["q", "meeting", "doc_type", "language", "delegation"]
DATES = ["date_from", "date_to"]
PAGING = ["page", "per_page"]
ENDPOINTS = {
    "/api/v1/documents": [*SEARCH_FILTERS, *PAGING],
    "/api/v1/search": [*SEARCH_FILTERS, *DATES, *PAGING, "sort"],
    "/api/v1/meetings": PAGING,
    "/search": [*SEARCH_FILTERS, *DATES, *PAGING, "sort"],
    "/feeds/documents.atom": SEARCH_FILTERS,
    "/search/download.zip": [*SEARCH_FILTERS, *DATES],
    "/oai": ["verb", "metadataPrefix", "set", "from", "until", "identifier", "resumptionToken"],
}
#: filters that match exactly: a payload matches nothing
EXACT_FILTERS = {"meeting", "doc_type", "language", "delegation"}
STAFF_ENDPOINTS = {
    "/staff/audit": [
        "action",
        "email",
        "object_type",
        "object_id",
        "date_from",
        "date_to",
        "page",
        "per_page",
    ],
}
#: what no answer may hold: a draft's or trashed document's words, a password hash
SECRETS = ["draft statement", "trashed statement", "scrypt:", "pbkdf2:"]


def _check(response, where: str) -> None:
    assert response.status_code < 500, (where, response.status_code)
    body = response.data.decode("utf-8", "replace")  # ZIPs too
    for secret in SECRETS:
        assert secret not in body, (where, secret)


def _query(client, path: str, params: dict):
    return client.get(path, query_string=params, buffered=True)


@pytest.mark.parametrize("path", list(ENDPOINTS))
def test_every_parameter_takes_every_payload(app, client, world, path):
    before = snapshot(app)
    base = {"verb": "ListRecords", "metadataPrefix": "oai_dc"} if path == "/oai" else {}
    for param in ENDPOINTS[path]:
        for payload in PAYLOADS:
            response = _query(client, path, base | {param: payload})
            _check(response, f"{path}?{param}={payload!r}")
            if param in EXACT_FILTERS and response.is_json and response.status_code == 200:
                assert response.get_json()["total"] == 0, (path, param, payload)
    assert_unchanged(before, snapshot(app))


def test_staff_filters_take_every_payload(app, client, world, make_user):
    make_user("admin@example.org", "admin", "a-long-password")
    log_in(client, "admin@example.org")
    before = snapshot(app)
    for path, params in STAFF_ENDPOINTS.items():
        for param in params:
            for payload in PAYLOADS:  # staff see drafts: only no 500 and nothing changed
                response = _query(client, path, {param: payload})
                assert response.status_code < 500, (path, param, payload)
    assert_unchanged(before, snapshot(app))


def test_codes_and_ids_in_paths_take_every_payload(app, client, world):
    before = snapshot(app)
    doc = world["public"]
    for payload in PAYLOADS:
        code = quote(payload, safe="")
        for path in (
            f"/meetings/{code}",
            f"/delegations/{code}",
            f"/api/v1/meetings/{code}",
            f"/meetings/{code}/documents.csv",
            f"/meetings/{code}/download.zip",
            f"/delegations/{code}/download.zip",
            f"/documents/{code}",
            f"/sitemaps/{code}.xml",
        ):
            response = client.get(path, buffered=True)
            _check(response, path)
            assert response.status_code in (400, 404), (path, response.status_code)
        for path, params in (
            (f"/documents/{doc}/download", {"language": payload}),
            (f"/documents/{doc}/download", {"version": payload}),
            (f"/documents/{doc}/cite", {"format": payload}),
        ):
            response = _query(client, path, params)
            _check(response, f"{path} {params}")
            assert response.status_code in (400, 404), (path, params, response.status_code)
    assert_unchanged(before, snapshot(app))


def test_login_takes_every_payload(app, client, world, make_user):
    """The email field goes into a query too; every attempt is a plain failed login."""
    from tests.auth.staff_helpers import page_token

    app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"
    for payload in PAYLOADS:
        response = client.post(
            "/login",
            data={"email": payload, "password": payload, "csrf_token": page_token(client)},
        )
        _check(response, f"login {payload!r}")
        assert response.status_code in (200, 400), payload
    assert client.get("/staff/audit").status_code == 302


def test_the_database_is_intact(app, client, world):
    for payload in PAYLOADS:
        client.get("/api/v1/search", query_string={"q": payload, "meeting": payload})
    body = client.get("/api/v1/documents").get_json()
    assert body["total"] == 1
    assert body["items"][0]["id"] == world["public"]


NUMBERS = ["99999999999999999999999", "2147483648", "²", "1e3", "0x10", "-1", "١٢"]


def test_numbers_in_writes_are_checked(app, client, world, auth_headers):
    """Numbers that no database integer holds, or that int() refuses: 400, nothing changed."""
    before = snapshot(app)
    for number in NUMBERS[:-1]:
        for method, url, body in (
            ("PATCH", f"/api/v1/documents/{world['public']}", {"recording": number}),
            ("PATCH", f"/api/v1/documents/{world['public']}", {"recording_offset": number}),
            ("PATCH", f"/api/v1/recordings/{world['recording']}", {"duration": number}),
        ):
            response = client.open(url, method=method, json=body, headers=auth_headers)
            assert response.status_code == 400, (url, body, response.get_json())
            assert_unchanged(before, snapshot(app))
    for session in ("²", "-1", "0x10"):  # a numbered session is decimal digits (as text)
        response = client.patch(
            f"/api/v1/recordings/{world['recording']}",
            json={"session": session},
            headers=auth_headers,
        )
        assert response.status_code == 400, (session, response.get_json())
    assert_unchanged(before, snapshot(app))
    for path in (
        "/api/v1/documents/2147483648",
        "/api/v1/recordings/99999999999999999999",
        "/documents/99999999999999999999999/download",
    ):
        assert client.get(path).status_code == 404, path
        assert client.patch(path, json={}, headers=auth_headers).status_code in (404, 405), path
    response = client.get(
        "/oai",
        query_string={
            "verb": "GetRecord",
            "metadataPrefix": "oai_dc",
            "identifier": "oai:localhost:documents/99999999999999999",
        },
    )
    assert response.status_code == 200 and b"idDoesNotExist" in response.data


@pytest.mark.parametrize("path", sorted(ENDPOINTS))
def test_a_nul_in_any_parameter_is_a_400_on_every_database(client, path):
    """PostgreSQL refuses NUL in text; the guard refuses it first, on SQLite too."""
    for name in ENDPOINTS[path]:
        response = client.get(f"{path}?{name}={quote('a' + chr(0) + 'b')}")
        assert response.status_code == 400, (path, name, response.status_code)
