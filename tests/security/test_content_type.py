"""Not a PDF, whatever its name says: 415 from the API (the staff page reports the file
as refused), and nothing stored. The check is on the bytes (`%PDF-` in the first 1 KB),
not on the name or the part's Content-Type."""

from __future__ import annotations

import zlib

import pytest

from tests.auth.staff_helpers import log_in, page_token
from tests.security.conftest import assert_unchanged, snapshot

NOT_PDFS = {
    "html": b"<!doctype html><html><script>alert(document.cookie)</script></html>",
    "svg": b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
    "png": b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
    "zip": b"PK\x03\x04" + b"\x00" * 64,
    "exe": b"MZ\x90\x00" + b"\x00" * 64,
    "text": b"Statement of Chile on clearance deadlines.",
    "pdf_header_after_1kb": b" " * 1100 + b"%PDF-1.7\n",
    "gzip_of_a_pdf": zlib.compress(b"%PDF-1.7\n%%EOF\n"),
    "utf16_pdf_header": "%PDF-1.7".encode("utf-16"),
}

FORM = {
    "meeting": "12MSP",
    "doc_type": "statement",
    "language": "en",
    "title": "Not a PDF",
    "status": "published",
}


def _part(content: bytes, form: dict = FORM, ctype: str = "application/pdf") -> dict:
    boundary, name = "ctype-boundary", "statement.pdf"
    fields = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in form.items()
    )
    body = (
        fields
        + f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        f"Content-Type: {ctype}\r\n\r\n".encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}


@pytest.fixture
def meeting(make_meeting):
    make_meeting("12MSP")


def test_the_api_refuses_non_pdfs_named_pdf(app, client, auth_headers, meeting):
    before = snapshot(app)
    for kind, content in NOT_PDFS.items():
        response = client.post("/api/v1/documents", headers=auth_headers, **_part(content))
        assert response.status_code == 415, (kind, response.get_json())
        assert response.get_json()["error"]["field"] == "file"
        assert_unchanged(before, snapshot(app))


def test_an_empty_file_is_a_400(app, client, auth_headers, meeting):
    before = snapshot(app)
    response = client.post("/api/v1/documents", headers=auth_headers, **_part(b""))
    assert response.status_code == 400
    assert_unchanged(before, snapshot(app))


def test_adding_a_non_pdf_version_is_refused(app, client, auth_headers, upload, meeting):
    document = upload().get_json()
    before = snapshot(app)
    response = client.post(
        f"/api/v1/documents/{document['id']}/files",
        headers=auth_headers,
        **_part(NOT_PDFS["html"], {"language": "fr"}),
    )
    assert response.status_code == 415
    assert_unchanged(before, snapshot(app))


def test_the_staff_page_reports_non_pdfs_as_refused(app, client, make_user, meeting):
    make_user("admin@example.org", "admin", "a-long-password")
    log_in(client, "admin@example.org")
    token = page_token(client, "/staff/upload")
    before = snapshot(app)
    for kind, content in NOT_PDFS.items():
        body = _part(content)
        body["data"] = (
            f'--ctype-boundary\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
            f"{token}\r\n".encode()
            + body["data"]
        )
        response = client.post("/staff/upload", headers={"Accept": "application/json"}, **body)
        assert response.status_code == 200, kind
        [result] = response.get_json()["results"]
        assert result["outcome"] == "refused", (kind, result)
        assert "not a PDF" in result["message"]
        assert_unchanged(before, snapshot(app))
