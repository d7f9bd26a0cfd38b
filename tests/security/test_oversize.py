"""Oversize bodies and too many form parts: 413, and nothing stored (no row, no blob,
no temp file). The test app's limit is 5 MB (MAX_CONTENT_LENGTH); Flask's MAX_FORM_PARTS
(1000) and MAX_FORM_MEMORY_SIZE (500 kB per non-file field) bound the parser."""

from __future__ import annotations

import pytest

from tests.auth.staff_helpers import log_in, page_token
from tests.conftest import multipart
from tests.security.conftest import assert_unchanged, snapshot

FORM = {
    "meeting": "12MSP",
    "doc_type": "statement",
    "language": "en",
    "title": "Big",
    "status": "published",
}


@pytest.fixture
def big_pdf(pdf_bytes) -> bytes:
    """A real PDF of 6 MB: a comment after %%EOF pads it, which PDF readers ignore."""
    return pdf_bytes(["Clearance."]) + b"\n%" + b"x" * (6 * 1024 * 1024) + b"\n"


def _many_parts(n: int, token: str | None = None) -> dict:
    boundary = "many-parts"
    fields = [("title", "x")] * n + ([("csrf_token", token)] if token else [])
    body = (
        b"".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
            for k, v in fields
        )
        + f"--{boundary}--\r\n".encode()
    )
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}


def _assert_413(response) -> None:
    assert response.status_code == 413, response.get_data(as_text=True)[:300]


def test_an_oversize_upload_to_the_api_is_413(app, client, auth_headers, make_meeting, big_pdf):
    make_meeting("12MSP")
    before = snapshot(app)
    response = client.post(
        "/api/v1/documents", headers=auth_headers, **multipart(FORM, "big.pdf", big_pdf)
    )
    _assert_413(response)
    assert response.get_json()["error"]["code"]
    assert_unchanged(before, snapshot(app))


def test_an_oversize_upload_to_the_staff_page_is_413(app, client, make_meeting, make_user, big_pdf):
    make_meeting("12MSP")
    make_user("admin@example.org", "admin", "a-long-password")
    log_in(client, "admin@example.org")
    token = page_token(client, "/staff/upload")
    before = snapshot(app)
    body = multipart(FORM | {"csrf_token": token}, "big.pdf", big_pdf)
    _assert_413(client.post("/staff/upload", **body))
    assert_unchanged(before, snapshot(app))


def test_an_oversize_json_body_is_413(app, client, auth_headers):
    before = snapshot(app)
    body = b'{"code": "X", "title": "' + b"x" * (6 * 1024 * 1024) + b'"}'
    response = client.post(
        "/api/v1/meetings", data=body, content_type="application/json", headers=auth_headers
    )
    _assert_413(response)
    assert_unchanged(before, snapshot(app))


def test_too_many_form_parts_are_413(app, client, auth_headers, make_meeting, make_user):
    make_meeting("12MSP")
    before = snapshot(app)
    _assert_413(client.post("/api/v1/documents", headers=auth_headers, **_many_parts(1500)))
    _assert_413(client.post("/oai", **_many_parts(1500)))
    make_user("admin@example.org", "admin", "a-long-password")
    log_in(client, "admin@example.org")
    token = page_token(client, "/staff/upload")
    before = snapshot(app)
    _assert_413(client.post("/staff/upload", **_many_parts(1500, token)))
    _assert_413(client.post("/login", **_many_parts(1500, token)))
    assert_unchanged(before, snapshot(app))


def test_an_oversize_form_field_is_413(app, client, auth_headers, make_meeting, pdf_bytes):
    make_meeting("12MSP")
    before = snapshot(app)
    form = FORM | {"title": "x" * 600_000}
    response = client.post(
        "/api/v1/documents",
        headers=auth_headers,
        **multipart(form, "a.pdf", pdf_bytes(["Clearance."])),
    )
    _assert_413(response)
    assert_unchanged(before, snapshot(app))
