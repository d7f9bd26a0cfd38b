"""The worker: claims jobs from the database and runs them, in a thread or its own process.

Both the inline thread (ARCHIVE_WORKER=inline) and `flask worker` run the batched pipeline of
`archive.jobs.pipeline`: parallel sandboxed extraction, batched index commits.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable

from flask import Flask

from archive.extensions import db
from archive.jobs import services
from archive.jobs.pipeline import Pipeline
from archive.search import indexing


def run_pending(
    app: Flask, *, max_jobs: int = 10_000, progress: Callable[[int], None] | None = None
) -> int:
    """Run due jobs until none is left, with one pipeline (used by tests, the CLI and
    `worker --once`); `progress` hears how many more jobs finished. Returns how many."""
    with app.app_context():
        services.release_jobs_of_dead_workers()
        indexing.ensure_index_current()
        pipeline = Pipeline.for_app()
        reported = 0
        try:
            while pipeline.processed < max_jobs:
                claimed = pipeline.step(wait=1.0, max_claims=max_jobs - pipeline.processed)
                if progress is not None and pipeline.processed > reported:
                    progress(pipeline.processed - reported)
                    reported = pipeline.processed
                if not claimed and pipeline.idle:
                    break
            pipeline.drain()
            if progress is not None and pipeline.processed > reported:
                progress(pipeline.processed - reported)
        finally:
            pipeline.close()
            db.session.remove()
        return pipeline.processed


#: after its last work, the worker polls this often for this long (uploads come in bursts:
#: sleeping a whole poll interval whenever it runs dry would leave the cores idle meanwhile)
HOT_POLL_SECONDS = 0.05
HOT_FOR_SECONDS = 5.0


def run_forever(app: Flask, stop: threading.Event | None = None) -> None:
    """Poll for jobs until `stop` is set."""
    stop = stop or threading.Event()
    poll = app.config["WORKER_POLL_SECONDS"]
    last_work = float("-inf")
    with app.app_context():
        services.release_jobs_of_dead_workers()
        indexing.ensure_index_current()
        pipeline = Pipeline.for_app()
        try:
            while not stop.is_set():
                try:
                    claimed = pipeline.step(wait=poll)
                except Exception:  # the database may be briefly unavailable: wait, then go on
                    traceback.print_exc()
                    db.session.rollback()
                    claimed = 0
                finally:
                    db.session.remove()
                if claimed or not pipeline.idle:
                    last_work = time.monotonic()
                elif time.monotonic() - last_work < HOT_FOR_SECONDS:
                    stop.wait(min(poll, HOT_POLL_SECONDS))
                else:
                    stop.wait(poll)
        finally:
            pipeline.close()
            db.session.remove()


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
