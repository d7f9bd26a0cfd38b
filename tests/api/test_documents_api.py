"""The documents API: upload, show, update, delete, add files; bad input stores nothing."""

from __future__ import annotations

import hashlib
import io

import pytest
from sqlalchemy import func, select

from archive.documents.models import Document, File
from archive.extensions import db
from tests.conftest import multipart, stored_blobs


@pytest.fixture(autouse=True)
def meeting(make_meeting):
    return make_meeting("12MSP")


def _counts(app) -> tuple[int, int]:
    with app.app_context():
        return (
            db.session.scalar(select(func.count(Document.id))),
            db.session.scalar(select(func.count(File.id))),
        )


def test_upload_returns_the_document_with_its_file(upload, pdf_bytes, data_dir):
    content = pdf_bytes(["Chile on clearance deadlines."])
    response = upload(data=content, delegation="CHL", symbol="CCM/MSP/2024/WP.1", date="2024-09-11")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["id"] and body["delegation"] == "CHL" and body["delegation_name"] == "Chile"
    (file,) = body["files"]
    assert file["sha256"] == hashlib.sha256(content).hexdigest()
    assert file["size"] == len(content)
    assert file["text_status"] == "pending"
    assert file["download_name"] == "12MSP_Statement_Chile_EN.pdf"
    assert len(stored_blobs(data_dir)) == 1


def test_same_file_twice_is_stored_once(upload, pdf_bytes, data_dir, app):
    content = pdf_bytes(["Same bytes."])
    first = upload(data=content).get_json()
    second = upload(data=content, title="Another document").get_json()
    assert first["id"] != second["id"]
    assert first["files"][0]["sha256"] == second["files"][0]["sha256"]
    assert len(stored_blobs(data_dir)) == 1
    assert _counts(app) == (2, 2)


@pytest.mark.parametrize(
    ("fields", "status", "field"),
    [
        ({"meeting": "99MSP"}, 404, "meeting"),
        ({"doc_type": "speech"}, 400, "doc_type"),
        ({"language": "xx"}, 400, "language"),
        ({"language": "english"}, 400, "language"),
        ({"title": ""}, 400, "title"),
        ({"title": "   "}, 400, "title"),
        ({"delegation": "ZZZ"}, 400, "delegation"),
        ({"date": "yesterday"}, 400, "date"),
        ({"status": "secret"}, 400, "status"),
        ({"recording": "12"}, 400, "recording"),
    ],
)
def test_bad_metadata_is_refused_and_nothing_is_stored(
    upload, app, data_dir, fields, status, field
):
    response = upload(**fields)
    assert response.status_code == status
    error = response.get_json()["error"]
    assert error["field"] == field and error["message"]
    assert _counts(app) == (0, 0)
    assert stored_blobs(data_dir) == []


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        (b"", 400, "empty_file"),
        (b"Hello, this is a text file, not a PDF.\n" * 10, 415, "unsupported_media_type"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 2000 + b"%PDF-1.7", 415, "unsupported_media_type"),
    ],
)
def test_files_that_are_not_pdfs_are_refused(upload, app, data_dir, data, status, code):
    response = upload(data=data, filename="report.pdf")
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code
    assert _counts(app) == (0, 0)
    assert stored_blobs(data_dir) == []


def test_pdf_header_within_the_first_kilobyte_is_accepted(upload, pdf_bytes):
    content = b"\n" * 100 + pdf_bytes()
    assert upload(data=content).status_code == 201


def test_upload_over_the_limit_is_a_413_and_stores_nothing(client, auth_headers, app, data_dir):
    huge = b"%PDF-1.7\n" + b"0" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    body = multipart({"title": "Big"}, "big.pdf", huge)
    response = client.post("/api/v1/documents", headers=auth_headers, **body)
    assert response.status_code == 413
    assert response.get_json()["error"]["code"]
    assert _counts(app) == (0, 0)
    assert stored_blobs(data_dir) == []


def test_missing_file_field_is_a_400(client, auth_headers):
    response = client.post(
        "/api/v1/documents",
        data={"meeting": "12MSP", "doc_type": "statement", "language": "en", "title": "T"},
        headers=auth_headers,
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["field"] == "file"


def test_client_filename_is_never_used_as_a_path(upload, data_dir, tmp_path):
    response = upload(filename="../../../../evil.pdf")
    assert response.status_code == 201
    assert response.get_json()["files"][0]["original_filename"] == "evil.pdf"
    assert not (tmp_path / "evil.pdf").exists()
    assert not list(tmp_path.rglob("evil.pdf"))


def test_upload_needs_a_token(client, pdf_bytes, app):
    form = {"meeting": "12MSP", "doc_type": "statement", "language": "en", "title": "T"}
    form["file"] = (io.BytesIO(pdf_bytes()), "a.pdf")
    assert client.post("/api/v1/documents", data=form).status_code == 401
    assert _counts(app) == (0, 0)


def test_show_update_and_delete(client, upload, auth_headers, app):
    doc = upload(status="draft").get_json()
    url = f"/api/v1/documents/{doc['id']}"
    assert client.get(url).status_code == 404
    assert client.get(url, headers=auth_headers).get_json()["status"] == "draft"

    patched = client.patch(
        url, json={"status": "published", "title": "New title"}, headers=auth_headers
    )
    assert patched.status_code == 200
    assert patched.get_json()["title"] == "New title"
    assert client.get(url).get_json()["status"] == "published"

    refused = client.patch(url, json={"doc_type": "speech"}, headers=auth_headers)
    assert refused.status_code == 400
    assert client.get(url).get_json()["doc_type"] == "statement"
    unknown = client.patch(url, json={"colour": "red"}, headers=auth_headers)
    assert unknown.status_code == 400 and unknown.get_json()["error"]["field"] == "colour"

    assert client.delete(url).status_code == 401
    assert client.delete(url, headers=auth_headers).status_code == 204
    assert client.get(url, headers=auth_headers).status_code == 404
    assert _counts(app) == (1, 1)  # in the trash, restorable


def test_add_language_and_new_version_keeps_the_old_one(client, upload, auth_headers, pdf_bytes):
    doc = upload(version_label="advance").get_json()
    url = f"/api/v1/documents/{doc['id']}/files"

    def add(language, label, text):
        form = {"language": language, "version_label": label}
        form["file"] = (io.BytesIO(pdf_bytes([text])), "f.pdf")
        return client.post(url, data=form, headers=auth_headers)

    assert add("fr", "final", "Assistance aux victimes.").status_code == 201
    response = add("en", "final", "Final version.")
    assert response.status_code == 201
    files = response.get_json()["files"]
    current = {(f["language"], f["version_label"]) for f in files if f["current"]}
    assert current == {("fr", "final"), ("en", "final")}
    assert {(f["language"], f["version_label"]) for f in files if not f["current"]} == {
        ("en", "advance")
    }
    assert add("en", "final", "Again.").status_code == 409
    assert add("xx", "final", "Bad language.").status_code == 400
    assert response.get_json()["languages"] == ["fr", "en"]


def test_drafts_are_hidden_from_meeting_listings(client, upload, auth_headers):
    upload(title="Published one")
    upload(title="Draft one", status="draft")
    public = client.get("/api/v1/meetings/12MSP").get_json()["documents"]
    assert [d["title"] for d in public] == ["Published one"]
    staff = client.get("/api/v1/meetings/12MSP", headers=auth_headers).get_json()["documents"]
    assert sorted(d["title"] for d in staff) == ["Draft one", "Published one"]


def test_withdrawn_documents_keep_their_url_but_leave_listings(client, upload, auth_headers):
    doc = upload().get_json()
    client.patch(
        f"/api/v1/documents/{doc['id']}", json={"status": "withdrawn"}, headers=auth_headers
    )
    shown = client.get(f"/api/v1/documents/{doc['id']}")
    assert shown.status_code == 200 and shown.get_json()["status"] == "withdrawn"
    assert client.get("/api/v1/meetings/12MSP").get_json()["documents"] == []
    page = client.get(f"/documents/{doc['id']}").get_data(as_text=True)
    assert "withdrawn" in page


def test_deleted_documents_are_hidden_like_missing_ones(client, upload, auth_headers):
    doc = upload().get_json()
    client.delete(f"/api/v1/documents/{doc['id']}", headers=auth_headers)
    missing = client.get("/api/v1/documents/999999")
    deleted = client.get(f"/api/v1/documents/{doc['id']}", headers=auth_headers)
    assert deleted.status_code == missing.status_code == 404
    assert deleted.get_json()["error"]["code"] == missing.get_json()["error"]["code"]
    assert client.get(f"/documents/{doc['id']}/download").status_code == 404
