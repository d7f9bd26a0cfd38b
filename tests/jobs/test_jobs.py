"""The job queue: claims, retries with backoff, giving up with a reason, dead workers."""

from __future__ import annotations

import socket

from sqlalchemy import select, update

from archive.documents.models import File
from archive.extensions import db
from archive.jobs import services
from archive.jobs.models import Job
from archive.stores import blob_store
from archive.timeutil import utcnow


def _jobs(app) -> list[tuple[str, str, int]]:
    with app.app_context():
        return [
            (j.kind, j.status, j.attempts) for j in db.session.scalars(select(Job).order_by(Job.id))
        ]


def test_upload_enqueues_one_extraction_that_the_worker_finishes(
    app, make_meeting, upload, run_jobs
):
    make_meeting("12MSP")
    upload()
    assert _jobs(app) == [("extract", "queued", 0)]
    assert run_jobs() == 1
    assert _jobs(app) == [("extract", "done", 1)]
    assert run_jobs() == 0


def test_failed_attempts_back_off_then_give_up_with_a_reason(app, make_meeting, upload, run_jobs):
    make_meeting("12MSP")
    upload()
    with app.app_context():
        file = db.session.scalar(select(File))
        blob_store().path(file.sha256).rename(blob_store().root / "moved-away")
    assert run_jobs() == 1
    ((kind, status, attempts),) = _jobs(app)
    assert (status, attempts) == ("queued", 1)
    with app.app_context():
        job = db.session.scalar(select(Job))
        assert job.run_after > utcnow()  # backoff: not due yet
        assert "FileNotFoundError" in job.last_error or "No such file" in job.last_error
    assert run_jobs() == 0
    for expected_attempts in (2, 3):
        with app.app_context():  # let the backoff pass
            db.session.execute(update(Job).values(run_after=utcnow()))
            db.session.commit()
        assert run_jobs() == 1
        assert _jobs(app)[0][2] == expected_attempts
    assert _jobs(app) == [("extract", "failed", 3)]
    with app.app_context():
        file = db.session.scalar(select(File))
        assert file.text_status == "failed"
        assert file.text_reason.startswith("could not be processed")


def test_claims_are_exclusive(app, make_meeting, upload):
    make_meeting("12MSP")
    upload()
    with app.app_context():
        first = services.claim_next("host:1")
        assert first is not None and first.locked_by == "host:1"
        assert services.claim_next("host:2") is None


def test_a_job_whose_lease_ran_out_is_claimed_again(app, make_meeting, upload):
    make_meeting("12MSP")
    upload()
    with app.app_context():
        job = services.claim_next("elsewhere:1")
        job.locked_at = utcnow().replace(year=2000)
        db.session.commit()
        again = services.claim_next("here:2")
        assert again is not None and again.id == job.id and again.attempts == 2


def test_jobs_of_dead_local_workers_are_released(app, make_meeting, upload, dead_pid):
    make_meeting("12MSP")
    upload()
    with app.app_context():
        services.claim_next(f"{socket.gethostname()}:{dead_pid}")
        assert services.release_jobs_of_dead_workers() == 1
        assert db.session.scalar(select(Job.status)) == "queued"
