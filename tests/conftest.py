"""Fixtures: an app on a fresh data directory, clients, tokens and factories."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest

from archive import create_app
from archive.extensions import db
from tests.databases import database_uri, drop_test_databases


@pytest.fixture(autouse=True)
def _fresh_databases():
    """PostgreSQL run: drop the databases the test made (SQLite files go with tmp_path)."""
    yield
    drop_test_databases()


@pytest.fixture
def app(tmp_path: Path):
    """The archive on its own data directory; jobs run only when a test runs them."""
    data = tmp_path / "data"
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "ARCHIVE_DATA_DIR": str(data),
            "SQLALCHEMY_DATABASE_URI": database_uri(data),
            "ARCHIVE_WORKER": "off",
            "EXTRACT_TIME_LIMIT": 60.0,
            "MAX_CONTENT_LENGTH": 5 * 1024 * 1024,
        }
    )
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def dead_pid() -> int:
    """The id of a process of this host that has exited."""
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def data_dir(app) -> Path:
    return Path(app.config["ARCHIVE_DATA_DIR"])


@pytest.fixture
def run_jobs(app):
    """Run every due job now, as the worker would; returns how many ran."""
    from archive.jobs.worker import run_pending

    return lambda: run_pending(app)


@pytest.fixture
def make_user(app):
    from archive.auth.services import create_user

    def make(
        email: str = "editor@example.org", role: str = "editor", password: str = "a-long-password"
    ):
        with app.app_context():
            user = create_user(email, password, role)
            return user.id

    return make


@pytest.fixture
def token(app, make_user) -> str:
    """An editor's API token."""
    from archive.auth.services import create_token

    make_user()
    with app.app_context():
        return create_token("editor@example.org")


@pytest.fixture
def auth_headers(token) -> dict:
    return {"Authorization": f"Bearer {token}"}


def meeting_fields(code: str = "12MSP") -> dict:
    """The JSON body of a valid meeting (12MSP's dates and venue) under ``code``."""
    return {
        "code": code,
        "title": f"Meeting {code}",
        "start_date": "2024-09-10",
        "end_date": "2024-09-13",
        "venue": "Geneva",
        "body": "CCM",
    }


@pytest.fixture
def make_meeting(client, auth_headers):
    """Create a meeting through the API; returns its JSON."""

    def make(code: str = "12MSP", **fields):
        body = meeting_fields(code) | fields
        response = client.post("/api/v1/meetings", json=body, headers=auth_headers)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return make


@pytest.fixture
def pdf_bytes():
    """Real PDFs made by the demo's generator: pdf_bytes(["page one", "page two"])."""
    from archive.demo.pdfs import make_pdf

    return lambda pages=("Victim assistance at the meeting.",): make_pdf(list(pages))


@pytest.fixture
def upload(client, auth_headers, pdf_bytes):
    """Upload a document through the API; returns the response."""

    def do(pages=None, *, data: bytes | None = None, filename: str = "statement.pdf", **fields):
        form = {
            "meeting": "12MSP",
            "doc_type": "statement",
            "language": "en",
            "title": "Statement on victim assistance",
            "status": "published",
        } | fields
        content = data if data is not None else pdf_bytes(pages or ["Victim assistance."])
        form["file"] = (io.BytesIO(content), filename)
        return client.post(
            "/api/v1/documents", data=form, headers=auth_headers, content_type="multipart/form-data"
        )

    return do


def csrf_from(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no csrf_token on the page"
    return match.group(1)


@pytest.fixture
def login(client, make_user):
    """Log in through /login as a new user of the given role; returns the email."""

    def do(role: str = "editor", password: str = "a-long-password") -> str:
        email = f"{role}@staff.example.org"
        make_user(email, role, password)
        token = csrf_from(client.get("/login").get_data(as_text=True))
        response = client.post(
            "/login", data={"email": email, "password": password, "csrf_token": token}
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return email

    return do


def multipart(fields: dict[str, str], filename: str, content: bytes) -> dict:
    """Keyword arguments for client.post with a hand-made multipart body.

    The test client spools a large multipart body to a temp file that it never closes;
    a body built here stays in memory.
    """
    boundary = "archive-test-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="{filename}"\r\n\r\n'.encode()
        + content
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return {"data": b"".join(parts), "content_type": f"multipart/form-data; boundary={boundary}"}


def stored_blobs(data_dir: Path) -> list[Path]:
    """Every file in the blob store's folder (blobs and leftovers alike, not its lock files)."""
    root = data_dir / "blobs"
    locks = root / "locks"
    found = root.rglob("*") if root.exists() else []
    return [p for p in found if p.is_file() and locks not in p.parents]
