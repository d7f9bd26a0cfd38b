"""Fixtures for the security catalogue: a world to attack, and snapshots showing that an
attack changed nothing (no row, no blob, no file, no audit event)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import select

from archive.extensions import db
from tests.auth.staff_helpers import ADMIN, EDITOR, PASSWORD, log_in

#: tables and columns that change without anyone changing the archive
VOLATILE_TABLES = {"rate_limit_counters"}
VOLATILE_COLUMNS = {("api_tokens", "last_used_at")}


def snapshot(app) -> dict:
    """Every row of every table, and every file of the data directory but the database's."""
    with app.app_context():
        rows = {}
        for table in db.metadata.sorted_tables:
            if table.name in VOLATILE_TABLES:
                continue
            columns = [c for c in table.c if (table.name, c.name) not in VOLATILE_COLUMNS]
            query = select(*columns).order_by(*table.primary_key.columns)
            rows[table.name] = [tuple(r) for r in db.session.execute(query)]
        db.session.remove()
    data = Path(app.config["ARCHIVE_DATA_DIR"])
    files = sorted(
        str(p.relative_to(data))
        for p in data.rglob("*")
        if p.is_file() and not p.name.startswith("archive.sqlite3")
    )
    return {"rows": rows, "files": files}


def assert_unchanged(before: dict, after: dict) -> None:
    """A readable comparison of two snapshots."""
    for name, rows in before["rows"].items():
        assert after["rows"][name] == rows, f"table {name} changed"
    assert after["files"] == before["files"], "files in the data directory changed"


@pytest.fixture
def editor_id(make_user) -> int:
    return make_user(EDITOR, "editor", PASSWORD)


@pytest.fixture
def admin_client(app, make_user):
    """A client logged in (through /login, CSRF and all) as an admin."""
    make_user(ADMIN, "admin", PASSWORD)
    client = app.test_client()
    assert log_in(client, ADMIN).status_code == 302
    return client


@pytest.fixture
def world(app, client, make_meeting, upload, auth_headers, run_jobs):
    """12MSP with a published, indexed statement, a draft, a trashed document and a recording."""
    make_meeting("12MSP", title="Twelfth Meeting of States Parties")
    ids = {}
    for key, pages, fields in (
        ("public", ["Chile on clearance deadlines."], {"delegation": "CHL"}),
        ("draft", ["Unpublished draft on clearance."], {"status": "draft"}),
        ("trashed", ["Trashed text on clearance."], {}),
    ):
        response = upload(pages, title=f"{key} statement", **fields)
        assert response.status_code == 201, response.get_json()
        ids[key] = response.get_json()["id"]
    assert (
        client.delete(f"/api/v1/documents/{ids['trashed']}", headers=auth_headers).status_code
        == 204
    )
    response = client.post(
        "/api/v1/meetings/12MSP/recordings",
        json={
            "date": "2024-09-10",
            "session": "morning",
            "channel": "floor",
            "url": "https://recordings.example.org/12msp/1.mp3",
        },
        headers=auth_headers,
    )
    assert response.status_code == 201, response.get_json()
    ids["recording"] = response.get_json()["id"]
    run_jobs()
    return ids


def pdf_file(content: bytes, name: str = "statement.pdf") -> tuple:
    """A file part for a test-client form."""
    return (io.BytesIO(content), name)
