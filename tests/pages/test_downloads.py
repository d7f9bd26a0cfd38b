"""Downloads: readable names, ETag and conditional GET, byte ranges, drafts hidden."""

from __future__ import annotations

import io

import pytest


@pytest.fixture
def document(make_meeting, upload, pdf_bytes):
    make_meeting("12MSP")
    content = pdf_bytes(["Chile on clearance deadlines.", "Second page."])
    body = upload(data=content, delegation="CHL").get_json()
    return body, content


def test_download_serves_the_exact_bytes_with_a_readable_name(client, document):
    body, content = document
    response = client.get(buffered=True, path=f"/documents/{body['id']}/download")
    assert response.status_code == 200
    assert response.data == content
    assert response.mimetype == "application/pdf"
    assert "12MSP_Statement_Chile_EN.pdf" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["ETag"].strip('"') == body["files"][0]["sha256"]
    assert response.headers["Accept-Ranges"] == "bytes"


def test_attachment_on_request(client, document):
    body, _ = document
    response = client.get(buffered=True, path=f"/documents/{body['id']}/download?attachment=1")
    assert response.headers["Content-Disposition"].startswith("attachment")


def test_conditional_get_answers_304(client, document):
    body, _ = document
    url = f"/documents/{body['id']}/download"
    etag = client.get(buffered=True, path=url).headers["ETag"]
    response = client.get(buffered=True, path=url, headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.data == b""
    assert (
        client.get(buffered=True, path=url, headers={"If-None-Match": '"other"'}).status_code == 200
    )


def test_single_byte_range_is_a_206(client, document):
    body, content = document
    response = client.get(
        buffered=True, path=f"/documents/{body['id']}/download", headers={"Range": "bytes=0-99"}
    )
    assert response.status_code == 206
    assert response.data == content[:100]
    assert response.headers["Content-Range"] == f"bytes 0-99/{len(content)}"
    tail = client.get(
        buffered=True, path=f"/documents/{body['id']}/download", headers={"Range": "bytes=-10"}
    )
    assert tail.status_code == 206 and tail.data == content[-10:]


def test_unsatisfiable_range_is_a_416(client, document):
    body, content = document
    response = client.get(
        buffered=True,
        path=f"/documents/{body['id']}/download",
        headers={"Range": f"bytes={len(content) + 10}-"},
    )
    assert response.status_code == 416
    assert response.headers["Content-Range"] == f"bytes */{len(content)}"


def test_language_and_version_choose_the_file(client, document, auth_headers, pdf_bytes):
    body, content = document
    url = f"/api/v1/documents/{body['id']}/files"
    french = pdf_bytes(["Déclaration du Chili."])
    client.post(
        url,
        data={"language": "fr", "file": (io.BytesIO(french), "fr.pdf")},
        headers=auth_headers,
    )
    download = f"/documents/{body['id']}/download"
    assert client.get(buffered=True, path=f"{download}?language=fr").data == french
    assert (
        "_FR.pdf"
        in client.get(buffered=True, path=f"{download}?language=fr").headers["Content-Disposition"]
    )
    assert client.get(buffered=True, path=f"{download}?language=en&version=final").data == content
    assert client.get(buffered=True, path=f"{download}?language=ru").status_code == 404
    assert (
        client.get(buffered=True, path=f"{download}?language=en&version=rev.9").status_code == 404
    )


def test_drafts_cannot_be_downloaded_by_the_public(client, make_meeting, upload, auth_headers):
    make_meeting("12MSP")
    draft = upload(status="draft").get_json()
    url = f"/documents/{draft['id']}/download"
    assert client.get(buffered=True, path=url).status_code == 404
    assert client.get(buffered=True, path=f"/documents/{draft['id']}").status_code == 404
    staff = client.get(buffered=True, path=url, headers=auth_headers)
    assert staff.status_code == 200
    assert "no-store" in staff.headers["Cache-Control"]
