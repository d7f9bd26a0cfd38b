"""A live archive for load and crash tests: gunicorn and `flask worker` on a fresh data directory.

Everything goes through real processes started with tests/processes.py (so the PostgreSQL run
of the suite gives them their own database) and over HTTP; the database is only read through
the app's own code in a child process (`row_counts`), never by opening its file.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import meeting_fields
from tests.processes import (
    ROOT,
    VENV_BIN,
    archive_env,
    flask,
    free_port,
    get,
    gunicorn,
    post_json,
    post_multipart,
    running,
    stop,
    wait_http,
)

EDITOR = "load-editor@example.org"
MEETING = "LOADMSP"
#: what a response or a log must never contain
LOCKED = "database is locked"
#: the settings of every process of a live archive
PROCESS_ENV = {"ARCHIVE_WORKER": "external", "ARCHIVE_WORKER_POLL_SECONDS": "0.2"}

_COUNT_SCRIPT = """
import json
from sqlalchemy import func, select
from archive import create_app, models
from archive.extensions import db
app = create_app({"ARCHIVE_WORKER": "off"})
with app.app_context():
    counts = {
        name: db.session.scalar(select(func.count()).select_from(getattr(models, name)))
        for name in ("Document", "File", "Job", "AuditEvent")
    }
    counts["pending_jobs"] = db.session.scalar(
        select(func.count()).select_from(models.Job).where(
            models.Job.status.in_(("queued", "running"))
        )
    )
    counts["jobs_run_twice"] = db.session.scalar(
        select(func.count()).select_from(models.Job).where(models.Job.attempts > 1)
    )
print(json.dumps(counts))
"""


def check_ok(result: subprocess.CompletedProcess, what: str) -> str:
    """The output of a finished command, or an assertion error with everything it said."""
    assert result.returncode == 0, (
        f"{what} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    )
    return result.stdout


class LiveArchive:
    """One data directory with its database, an editor's token and a meeting."""

    def __init__(self, data_dir: Path, logs: Path) -> None:
        self.data_dir = data_dir
        self.logs = logs
        self.logs.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.token = ""
        self.web: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None
        self._web_count = 0
        self._worker_count = 0

    # -- setting up --------------------------------------------------------------

    def prepare(self) -> None:
        """Migrate the empty database, create the editor and a token through the CLI."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        check_ok(flask(self.data_dir, "db", "upgrade", **PROCESS_ENV), "db upgrade")
        check_ok(
            flask(
                self.data_dir,
                "users",
                "create",
                EDITOR,
                "--role",
                "editor",
                "--password",
                "a-long-load-password",
                **PROCESS_ENV,
            ),
            "users create",
        )
        out = check_ok(flask(self.data_dir, "tokens", "create", EDITOR, **PROCESS_ENV), "tokens")
        self.token = out.strip().splitlines()[-1]

    def create_meeting(self, code: str = MEETING) -> None:
        status, raw = post_json(f"{self.base}/api/v1/meetings", meeting_fields(code), self.headers)
        assert status == 201, raw[:500]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    # -- processes ---------------------------------------------------------------

    @contextlib.contextmanager
    def web_server(self, *, workers: int = 2, **env: str) -> Iterator[subprocess.Popen]:
        """gunicorn on this archive's port; waits until it answers."""
        self._web_count += 1
        log = self.logs / f"web-{self._web_count}.log"
        with gunicorn(self.data_dir, self.port, log, workers=workers, **PROCESS_ENV, **env) as proc:
            self.web = proc
            wait_http(f"{self.base}/api/v1/meetings", timeout=60, proc=proc)
            yield proc

    @contextlib.contextmanager
    def job_worker(self, **env: str) -> Iterator[subprocess.Popen]:
        """`flask --app wsgi worker` on this archive."""
        self._worker_count += 1
        log = self.logs / f"worker-{self._worker_count}.log"
        cmd = [str(VENV_BIN / "flask"), "--app", "wsgi", "worker"]
        with running(cmd, archive_env(self.data_dir, **PROCESS_ENV, **env), log) as proc:
            self.worker = proc
            yield proc

    @staticmethod
    def kill(proc: subprocess.Popen) -> None:
        """SIGKILL the process itself, then whatever it left running in its session."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        stop(proc, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)

    def log_text(self) -> str:
        """Everything the archive's processes have written so far."""
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.logs.glob("*.log")))

    # -- looking at it -------------------------------------------------------------

    def upload(
        self, content: bytes, title: str, *, filename: str = "statement.pdf", **fields: str
    ) -> tuple[int, bytes]:
        form = {
            "meeting": MEETING,
            "doc_type": "statement",
            "language": "en",
            "title": title,
            "status": "published",
        } | fields
        return post_multipart(
            f"{self.base}/api/v1/documents", form, filename, content, self.headers
        )

    def get_json(self, path: str, *, auth: bool = True) -> tuple[int, dict]:
        status, raw = get(self.base + path, headers=self.headers if auth else None)
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, {"raw": raw.decode(errors="replace")[:2000]}

    def search_ids(self, query: str) -> set[int]:
        """The ids of the documents a search finds (the editor sees drafts too)."""
        from urllib.parse import urlencode

        status, body = self.get_json("/api/v1/search?" + urlencode({"q": query, "per_page": 500}))
        assert status == 200, body
        return {item["document_id"] for item in body["items"]}

    def documents(self) -> list[dict]:
        """Every document the editor can see, with its files."""
        status, body = self.get_json(f"/api/v1/meetings/{MEETING}")
        assert status == 200, body
        return body["documents"]

    def wait_indexed(self, expected: int, timeout: float = 300) -> list[dict]:
        """Wait until `expected` documents exist and every file's text status is final."""
        deadline = time.monotonic() + timeout
        while True:
            docs = self.documents()
            statuses = [f["text_status"] for d in docs for f in d["files"]]
            if len(docs) >= expected and statuses and "pending" not in statuses:
                return docs
            assert time.monotonic() < deadline, (
                f"not indexed after {timeout} s: {len(docs)} documents, "
                f"{statuses.count('pending')} files pending"
            )
            time.sleep(0.5)

    def row_counts(self) -> dict[str, int]:
        """Rows of documents, files, jobs and audit events, read by the app's code."""
        result = subprocess.run(
            [sys.executable, "-c", _COUNT_SCRIPT],
            cwd=ROOT,
            env=archive_env(self.data_dir, ARCHIVE_WORKER="off"),
            capture_output=True,
            text=True,
            timeout=120,
        )
        return json.loads(check_ok(result, "row count").strip().splitlines()[-1])

    def check(self, *args: str) -> subprocess.CompletedProcess:
        """`flask check` on this archive."""
        return flask(self.data_dir, "check", *args, **PROCESS_ENV)

    # -- the data directory ------------------------------------------------------

    def blob_files(self) -> list[Path]:
        root = self.data_dir / "blobs" / "blobs"
        return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []

    def temp_files(self) -> list[Path]:
        root = self.data_dir / "blobs" / "tmp"
        return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def big_pdf(size: int, word: str = "bigfileword") -> bytes:
    """A real PDF of about `size` bytes: one page of text and an attached file of noise."""
    import io

    from pypdf import PdfReader, PdfWriter

    from archive.demo.pdfs import make_pdf

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf([f"Survey annex {word}."]))))
    writer.add_attachment("survey.bin", os.urandom(size))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def multipart_body(fields: dict[str, str], filename: str, content: bytes) -> tuple[bytes, str]:
    """(body, content type) of a multipart form with one file in field `file`."""
    boundary = "load-test-boundary-7d1f"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/pdf\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"
