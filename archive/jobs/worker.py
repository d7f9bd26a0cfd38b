"""The worker: claims jobs from the database and runs them, in a thread or its own process."""

from __future__ import annotations

import threading
import time
import traceback

from flask import Flask

from archive.extensions import db
from archive.jobs import services
from archive.jobs.models import Job
from archive.search import indexing

TASKS = {
    "extract": lambda payload: indexing.extract_file(payload["file_id"]),
    "index_document": lambda payload: indexing.index_document(payload["document_id"]),
    "unindex_document": lambda payload: indexing.unindex_document(payload["document_id"]),
}


def _run(job: Job) -> None:
    try:
        TASKS[job.kind](job.payload)
    except Exception as exc:  # any failure of an attempt is retried, then given up with a reason
        db.session.rollback()
        error = f"{type(exc).__name__}: {exc}"
        traceback.print_exc()
        if services.fail_attempt(job, error) and job.kind == "extract":
            indexing.mark_extraction_given_up(job.payload["file_id"], error)
        return
    services.finish(job)


def run_one(worker: str | None = None) -> bool:
    """Run the next due job, if any; True when one ran."""
    job = services.claim_next(worker or services.worker_name())
    if job is None:
        return False
    _run(job)
    return True


def run_pending(app: Flask, *, max_jobs: int = 10_000) -> int:
    """Run due jobs until none is left (used by tests and `worker --once`)."""
    done = 0
    with app.app_context():
        services.release_jobs_of_dead_workers()
        indexing.ensure_index_current()
        while done < max_jobs and run_one():
            done += 1
        db.session.remove()
    return done


def run_forever(app: Flask, stop: threading.Event | None = None) -> None:
    """Poll for jobs until `stop` is set."""
    stop = stop or threading.Event()
    poll = app.config["WORKER_POLL_SECONDS"]
    with app.app_context():
        services.release_jobs_of_dead_workers()
        indexing.ensure_index_current()
        while not stop.is_set():
            try:
                ran = run_one()
            except Exception:  # the database may be briefly unavailable: wait, then go on
                traceback.print_exc()
                db.session.rollback()
                ran = False
            finally:
                db.session.remove()
            if not ran:
                stop.wait(poll)


def start_inline_worker(app: Flask) -> threading.Thread:
    """A daemon worker thread inside the web process (ARCHIVE_WORKER=inline)."""
    thread = threading.Thread(target=run_forever, args=(app,), name="archive-worker", daemon=True)
    thread.start()
    app.extensions["archive.worker"] = thread
    return thread


def wait_idle(app: Flask, timeout: float = 60.0) -> bool:
    """Wait until no job is queued or running (for tests and scripts)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with app.app_context():
            if services.pending_count() == 0:
                return True
        time.sleep(0.1)
    return False
