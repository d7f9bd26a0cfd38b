"""The worker as its own process: a SIGKILL mid-job, then a restart that completes the job."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import select

from archive.documents.models import File
from archive.extensions import db
from archive.jobs.models import Job
from tests.conftest import multipart
from tests.processes import VENV_BIN, archive_env, flask, running

pytestmark = pytest.mark.slow

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "pdfs" / "files"
BOOK = CORPUS / "samplefiles__GeoTopo-komprimiert.pdf"  # 117 pages, several seconds to extract


def _job_state(app) -> tuple[str, int]:
    with app.app_context():
        job = db.session.scalar(select(Job).where(Job.kind == "extract"))
        state = (job.status, job.attempts)
        db.session.remove()
        return state


def test_worker_killed_mid_job_is_taken_up_after_restart(
    app, client, make_meeting, auth_headers, data_dir, tmp_path
):
    if not BOOK.exists():
        pytest.skip(f"corpus file missing: {BOOK}")
    make_meeting("12MSP")
    form = {
        "meeting": "12MSP",
        "doc_type": "working_paper",
        "language": "de",
        "title": "Book",
        "status": "published",
    }
    body = multipart(form, "book.pdf", BOOK.read_bytes())
    assert client.post("/api/v1/documents", headers=auth_headers, **body).status_code == 201
    with app.app_context():
        db.engine.dispose()  # let the processes own the database file

    cmd = [str(VENV_BIN / "flask"), "--app", "wsgi", "worker"]
    with running(
        cmd, archive_env(data_dir, ARCHIVE_WORKER="external"), tmp_path / "w1.log"
    ) as worker:
        deadline = time.monotonic() + 60
        while _job_state(app)[0] != "running":
            assert time.monotonic() < deadline, (tmp_path / "w1.log").read_text()
            time.sleep(0.1)
        time.sleep(1.0)  # well inside the extraction
        import os
        import signal

        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    assert _job_state(app) == ("running", 1)

    result = flask(data_dir, "worker", "--once", ARCHIVE_WORKER="external")
    assert result.returncode == 0, result.stderr
    assert _job_state(app) == ("done", 2)
    with app.app_context():
        file = db.session.scalar(select(File))
        assert file.text_status == "indexed" and file.page_count == 117
    check = flask(data_dir, "check")
    assert check.returncode == 0, check.stdout + check.stderr
