"""Hostile file names: path traversal, NUL, U+202E, control characters, 5 kB names.

The client's name is kept only for display (sanitised: no folder, no control or format
characters, at most 300 characters); the bytes go into the content-addressed blob store
under their SHA-256 and nowhere else; downloads are named from the metadata, in ASCII.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from tests.conftest import multipart, stored_blobs

HOSTILE_NAMES = [
    "../../x.pdf",
    "../../../../../../tmp/evil.pdf",
    "..\\..\\x.pdf",
    "/etc/passwd.pdf",
    "C:\\Windows\\system32\\x.pdf",
    "a\x00b.pdf",
    "x.pdf\x00.html",
    "statement\u202efdp.exe",
    "invoice\u202egnp.pdf",
    "zero\u200bwidth\ufeff.pdf",
    "ctl\x01\x07\x08\x1b[31mred.pdf",
    "tab\tname.pdf",
    "x" * 5000 + ".pdf",
    "é" * 3000 + ".pdf",
    '"; filename="evil.html',
    "<script>.pdf",
    ".",
    "..",
    "   ",
]

FORM = {
    "meeting": "12MSP",
    "doc_type": "statement",
    "language": "en",
    "title": "A statement",
    "status": "published",
}


def _files_outside_the_store(root: Path, data: Path) -> set[str]:
    """Every file under the test's folder, but the blob store's and the database's."""
    blobs = data / "blobs"
    return {
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file() and blobs not in p.parents and not p.name.startswith("archive.sqlite3")
    }


def _safe_display_name(name: str) -> bool:
    return (
        "/" not in name
        and "\\" not in name
        and len(name) <= 300
        and all(unicodedata.category(ch)[0] != "C" for ch in name)
    )


@pytest.fixture
def meeting(make_meeting):
    make_meeting("12MSP")


def test_api_uploads_with_hostile_names(
    client, auth_headers, meeting, pdf_bytes, tmp_path, data_dir
):
    before = _files_outside_the_store(tmp_path, data_dir)
    for i, name in enumerate(HOSTILE_NAMES):
        body = multipart(FORM, name, pdf_bytes([f"Clearance {i}."]))
        response = client.post("/api/v1/documents", headers=auth_headers, **body)
        assert response.status_code == 201, (name, response.get_data(as_text=True)[:300])
        document = response.get_json()
        [file] = document["files"]
        assert _safe_display_name(file["original_filename"]), file["original_filename"]
        blobs = [p.name for p in stored_blobs(data_dir)]
        assert len(blobs) == i + 1 and any(file["sha256"] in b for b in blobs), blobs
        download = client.get(f"/documents/{document['id']}/download", buffered=True)
        assert download.status_code == 200
        disposition = download.headers["Content-Disposition"]
        assert re.fullmatch(r'inline; filename="?[A-Za-z0-9_.-]+\.pdf"?', disposition), disposition
        attachment = client.get(f"/documents/{document['id']}/download?attachment=1", buffered=True)
        assert attachment.headers["Content-Disposition"].startswith("attachment; filename=")
    assert _files_outside_the_store(tmp_path, data_dir) == before


def test_a_header_breaking_name_is_refused_or_cleaned(
    client, auth_headers, meeting, pdf_bytes, tmp_path, data_dir
):
    """CR/LF in a part's header: the multipart parser must not let it become a new header."""
    before = _files_outside_the_store(tmp_path, data_dir)
    body = multipart(FORM, "x.pdf\r\nContent-Type: text/html\r\n\r\n<script>", pdf_bytes(["x"]))
    response = client.post("/api/v1/documents", headers=auth_headers, **body)
    assert response.status_code in (201, 400, 415), response.get_data(as_text=True)[:300]
    assert _files_outside_the_store(tmp_path, data_dir) == before


def test_staff_upload_with_hostile_names(
    app, client, meeting, pdf_bytes, make_user, tmp_path, data_dir
):
    from tests.auth.staff_helpers import log_in, page_token

    make_user("admin@example.org", "admin", "a-long-password")
    log_in(client, "admin@example.org")
    token = page_token(client, "/staff/upload")
    before = _files_outside_the_store(tmp_path, data_dir)
    for i, name in enumerate(HOSTILE_NAMES[:13]):
        body = multipart(
            FORM | {"csrf_token": token, "version_label": "final"},
            name,
            pdf_bytes([f"Clearance {i}."]),
        )
        response = client.post("/staff/upload", headers={"Accept": "application/json"}, **body)
        assert response.status_code == 200, (name, response.get_data(as_text=True)[:300])
    assert _files_outside_the_store(tmp_path, data_dir) == before
    listing = client.get("/api/v1/documents?per_page=100").get_json()["items"]
    names = [f["original_filename"] for d in listing for f in d["files"]]
    assert len(names) == 13
    assert all(_safe_display_name(n) for n in names), names
