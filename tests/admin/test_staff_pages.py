"""The staff workspace: access by role, upload of many files, publishing, trash, versions."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func, select

from archive.audit.models import AuditEvent
from archive.documents.models import Document
from archive.extensions import db
from tests.conftest import csrf_from


@pytest.fixture(autouse=True)
def meeting(make_meeting):
    return make_meeting("12MSP")


@pytest.fixture
def document_id(upload) -> int:
    return upload(["Victim assistance."], status="draft").get_json()["id"]


STAFF_PAGES = [
    ("/staff/", {"editor": 200, "admin": 200}),
    ("/staff/upload", {"editor": 200, "admin": 200}),
    ("/staff/meetings/12MSP", {"editor": 200, "admin": 200}),
    ("/staff/documents/{id}/edit", {"editor": 200, "admin": 200}),
    ("/staff/trash", {"editor": 403, "admin": 200}),
]


@pytest.mark.parametrize(("path", "expected"), STAFF_PAGES)
@pytest.mark.parametrize("role", ["anonymous", "editor", "admin"])
def test_staff_pages_by_role(client, login, document_id, path, expected, role):
    if role != "anonymous":
        login(role)
    response = client.get(path.format(id=document_id))
    if role == "anonymous":
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login?next=")
    else:
        assert response.status_code == expected[role]


STAFF_ACTIONS = [
    "/staff/documents/{id}/status/published",
    "/staff/documents/{id}/delete",
    "/staff/trash/{id}/restore",
    "/staff/trash/empty",
]


@pytest.mark.parametrize("path", STAFF_ACTIONS)
def test_actions_refuse_anonymous_and_missing_csrf(client, login, document_id, path, app):
    url = path.format(id=document_id)
    anonymous_token = csrf_from(client.get("/login").get_data(as_text=True))
    assert client.post(url, data={"csrf_token": anonymous_token}).status_code == 302  # to login
    login("admin")
    assert client.post(url).status_code == 400  # no CSRF token
    assert client.post(url, data={"csrf_token": "forged"}).status_code == 400
    with app.app_context():
        doc = db.session.get(Document, document_id)
        assert (doc.status, doc.deleted_at) == ("draft", None)


def _upload_form(client) -> dict:
    token = csrf_from(client.get("/staff/upload").get_data(as_text=True))
    return {
        "csrf_token": token,
        "meeting": "12MSP",
        "doc_type": "statement",
        "language": "en",
        "version_label": "final",
        "status": "draft",
        "title": "",
    }


def test_upload_of_twenty_files_gives_a_line_per_file(client, login, pdf_bytes, app):
    login("editor")
    form = _upload_form(client)
    files = [
        (io.BytesIO(pdf_bytes([f"Statement {i} on clearance."])), f"statement_{i:02}.pdf")
        for i in range(18)
    ]
    files.append((io.BytesIO(b"not a pdf at all"), "notes.txt"))
    files.append((io.BytesIO(pdf_bytes(["Statement 0 on clearance."])), "again.pdf"))
    response = client.post(
        "/staff/upload", data=form | {"file": files}, headers={"Accept": "application/json"}
    )
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert [r["filename"] for r in results][:2] == ["statement_00.pdf", "statement_01.pdf"]
    outcomes = [r["outcome"] for r in results]
    assert outcomes == ["stored"] * 18 + ["refused", "duplicate"]
    assert "not a PDF" in results[18]["message"]
    assert results[19]["document_id"] == results[0]["document_id"]
    with app.app_context():
        titles = set(db.session.scalars(select(Document.title)))
        assert "statement 00" in titles and len(titles) == 18


def test_upload_without_javascript_renders_the_results(client, login, pdf_bytes):
    login("editor")
    form = _upload_form(client) | {"title": "Chile on clearance", "delegation": "CHL"}
    form["file"] = [(io.BytesIO(pdf_bytes()), "chile.pdf")]
    html = client.post("/staff/upload", data=form).get_data(as_text=True)
    assert "chile.pdf" in html and "stored as document" in html


def test_upload_refuses_bad_metadata_per_file(client, login, pdf_bytes, app):
    login("editor")
    form = _upload_form(client) | {"delegation": "ZZZ"}
    form["file"] = [(io.BytesIO(pdf_bytes()), "a.pdf")]
    results = client.post(
        "/staff/upload", data=form, headers={"Accept": "application/json"}
    ).get_json()["results"]
    assert results[0]["outcome"] == "refused" and "delegation" in results[0]["message"]
    with app.app_context():
        assert db.session.scalar(select(func.count(Document.id))) == 0


def test_upload_without_csrf_stores_nothing(client, login, pdf_bytes, app):
    login("editor")
    form = _upload_form(client)
    form.pop("csrf_token")
    form["file"] = [(io.BytesIO(pdf_bytes()), "a.pdf")]
    assert client.post("/staff/upload", data=form).status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count(Document.id))) == 0


def _action(client, url: str, page: str, **data):
    token = csrf_from(client.get(page).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token} | data)


def test_publish_withdraw_trash_restore_and_empty(client, login, document_id, app, run_jobs):
    editor = login("editor")
    edit = f"/staff/documents/{document_id}/edit"
    assert client.get(f"/documents/{document_id}").status_code == 200  # staff see drafts
    _action(client, f"/staff/documents/{document_id}/status/published", edit)
    run_jobs()
    public = app.test_client()
    assert public.get("/api/v1/search?q=victim").get_json()["total"] == 1
    _action(client, f"/staff/documents/{document_id}/status/withdrawn", edit)
    run_jobs()
    assert public.get("/api/v1/search?q=victim").get_json()["total"] == 0
    assert public.get(f"/documents/{document_id}").status_code == 200  # kept, with a notice
    response = _action(client, f"/staff/documents/{document_id}/delete", edit)
    assert response.status_code == 302
    run_jobs()
    assert client.get(edit).status_code == 404

    client.post(
        "/logout", data={"csrf_token": csrf_from(client.get("/staff/").get_data(as_text=True))}
    )
    login("admin")
    trash = client.get("/staff/trash").get_data(as_text=True)
    assert "Victim assistance" in trash or "Statement on victim assistance" in trash
    _action(client, f"/staff/trash/{document_id}/restore", "/staff/trash")
    assert client.get(edit).status_code == 200
    _action(client, f"/staff/documents/{document_id}/delete", edit)
    _action(client, "/staff/trash/empty", "/staff/trash")
    with app.app_context():
        assert db.session.get(Document, document_id) is None
        actions = {
            (e.actor, e.action)
            for e in db.session.scalars(
                select(AuditEvent).where(AuditEvent.object_type == "document")
            )
        }
    assert {(editor, "document.update"), (editor, "document.delete")} <= actions
    assert ("admin@staff.example.org", "document.restore") in actions
    assert ("admin@staff.example.org", "document.purge") in actions


def test_edit_metadata(client, login, document_id):
    login("editor")
    edit = f"/staff/documents/{document_id}/edit"
    token = csrf_from(client.get(edit).get_data(as_text=True))
    form = {
        "csrf_token": token,
        "meeting": "12MSP",
        "doc_type": "working_paper",
        "title": "Renamed paper",
        "symbol": "CCM/MSP/2024/WP.2",
        "delegation": "FRA",
        "agenda_item": "9",
        "date": "2024-09-12",
        "status": "draft",
    }
    assert client.post(edit, data=form).status_code == 302
    doc = client.get(f"/api/v1/documents/{document_id}", headers={}).get_json()
    assert doc["title"] == "Renamed paper" and doc["delegation"] == "FRA"
    bad = client.post(edit, data=form | {"delegation": "ZZZ"}).get_data(as_text=True)
    assert "Unknown delegation" in bad
    assert client.get(f"/api/v1/documents/{document_id}").get_json()["delegation"] == "FRA"


def test_advance_then_final(client, login, upload, pdf_bytes, run_jobs):
    doc = upload(
        ["Advance copy: the quorum was reached."], version_label="advance", doc_type="final_report"
    ).get_json()
    login("editor")
    edit = f"/staff/documents/{doc['id']}/edit"
    token = csrf_from(client.get(edit).get_data(as_text=True))
    final = pdf_bytes(["Final text: the quorum was confirmed."])
    response = client.post(
        f"/staff/documents/{doc['id']}/files",
        data={
            "csrf_token": token,
            "language": "en",
            "version_label": "final",
            "file": (io.BytesIO(final), "final.pdf"),
        },
    )
    assert response.status_code == 302
    run_jobs()
    download = f"/documents/{doc['id']}/download"
    assert client.get(download, buffered=True).data == final
    advance = client.get(f"{download}?version=advance", buffered=True)
    assert advance.status_code == 200 and advance.data != final
    assert client.get("/api/v1/search?q=confirmed").get_json()["total"] == 1
    assert client.get("/api/v1/search?q=reached").get_json()["total"] == 0
    page = client.get(f"/documents/{doc['id']}").get_data(as_text=True)
    assert "advance" in page and "final" in page and "superseded" in page


def test_meeting_staff_view_lists_drafts_failures_and_missing_languages(
    client, login, upload, run_jobs, pdf_bytes
):
    upload(["Draft."], title="A draft statement", status="draft")
    upload(data=b"%PDF-1.4\n% broken beyond repair\n", title="Broken file")
    upload(["Report."], title="The report", doc_type="final_report")
    run_jobs()
    login("editor")
    html = client.get("/staff/meetings/12MSP").get_data(as_text=True)
    assert "A draft statement" in html
    assert "Broken file" in html and "failed" in html
    assert "The report" in html and "العربية" in html  # missing Arabic version


@pytest.mark.parametrize(
    "path", ["/", "/meetings/12MSP", "/search?q=x", "/staff/upload", "/login", "/no-such-page"]
)
def test_security_headers_on_every_page(client, login, path):
    login("editor")
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]
    assert "<script>" not in response.get_data(as_text=True)


def test_json_upload_result_is_json(client, login, pdf_bytes):
    login("editor")
    form = _upload_form(client)
    form["file"] = [(io.BytesIO(pdf_bytes()), "x.pdf")]
    response = client.post("/staff/upload", data=form, headers={"Accept": "application/json"})
    assert json.loads(response.data)["results"][0]["outcome"] == "stored"
