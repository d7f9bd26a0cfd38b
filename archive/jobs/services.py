"""The job queue in the database: enqueue, claim atomically, finish, retry with backoff."""

from __future__ import annotations

import os
import socket
from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, select, update

from archive.extensions import db
from archive.jobs.models import Job
from archive.timeutil import utcnow
from storage.files import process_alive


def worker_name() -> str:
    """This process, as recorded on the jobs it holds."""
    return f"{socket.gethostname()}:{os.getpid()}"


def enqueue(kind: str, payload: dict) -> Job:
    """Add a job to the session; it is committed with the caller's unit of work."""
    job = Job(kind=kind, payload=payload, max_attempts=current_app.config["JOB_MAX_ATTEMPTS"])
    db.session.add(job)
    return job


def _claimable(now, lease: timedelta):
    queued = (Job.status == "queued") & (Job.run_after <= now)
    abandoned = (Job.status == "running") & (Job.locked_at < now - lease)
    return or_(queued, abandoned)


def claim_next(worker: str) -> Job | None:
    """Take the next due job (or one whose worker stopped reporting); None when idle."""
    jobs = claim_batch(worker, 1)
    return jobs[0] if jobs else None


def claim_batch(worker: str, limit: int) -> list[Job]:
    """Take up to ``limit`` due jobs (or ones whose worker stopped reporting), oldest first.

    The conditional UPDATE makes each claim atomic on SQLite; on PostgreSQL the
    SELECT … FOR UPDATE SKIP LOCKED also keeps concurrent workers off each other's rows.
    All claims are committed together.
    """
    if limit < 1:
        return []
    now = utcnow()
    lease = timedelta(seconds=current_app.config["JOB_LEASE_SECONDS"])
    # PostgreSQL locks exactly the rows it returns (skipping rows other workers hold), so each
    # UPDATE below succeeds; SQLite ignores FOR UPDATE: a few spare candidates cover the rows
    # another process takes between the SELECT and the UPDATE
    row_locks = db.session.get_bind().dialect.name == "postgresql"
    candidates = (
        select(Job.id, Job.status, Job.locked_at)
        .where(_claimable(now, lease))
        .order_by(Job.run_after, Job.id)
        .limit(limit if row_locks else limit + 4)
        .with_for_update(skip_locked=True)
    )
    claimed_ids = []
    for job_id, status, locked_at in db.session.execute(candidates).all():
        if len(claimed_ids) == limit:
            break
        claimed = db.session.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == status)
            .where(Job.locked_at.is_(None) if locked_at is None else Job.locked_at == locked_at)
            .values(status="running", locked_by=worker, locked_at=now, attempts=Job.attempts + 1)
        )
        if claimed.rowcount == 1:
            claimed_ids.append(job_id)
    db.session.commit()
    if not claimed_ids:
        return []
    jobs = {job.id: job for job in db.session.scalars(select(Job).where(Job.id.in_(claimed_ids)))}
    return [jobs[job_id] for job_id in claimed_ids]


def release_jobs_of_dead_workers() -> int:
    """Requeue running jobs held by processes on this host that no longer exist."""
    host = socket.gethostname()
    released = 0
    for job in db.session.scalars(select(Job).where(Job.status == "running")):
        job_host, _, pid = (job.locked_by or "").rpartition(":")
        if job_host == host and pid.isdigit() and not process_alive(int(pid)):
            job.status, job.locked_by, job.locked_at = "queued", None, None
            released += 1
    db.session.commit()
    return released


def finish(job: Job) -> None:
    job.status = "done"
    job.finished_at = utcnow()
    job.last_error = None
    db.session.commit()


def mark_done(job_ids: list[int]) -> None:
    """Mark jobs done in the current unit of work (the caller commits)."""
    if job_ids:
        db.session.execute(
            update(Job)
            .where(Job.id.in_(job_ids))
            .values(status="done", finished_at=utcnow(), last_error=None)
        )


def fail_attempt(job: Job, error: str) -> bool:
    """Record a failed attempt; requeue with backoff, or give up. True when given up."""
    job.last_error = error[:2000]
    job.locked_by = None
    job.locked_at = None
    if job.attempts >= job.max_attempts:
        job.status = "failed"
        job.finished_at = utcnow()
    else:
        job.status = "queued"
        job.run_after = utcnow() + timedelta(seconds=2**job.attempts)
    db.session.commit()
    return job.status == "failed"


def pending_count() -> int:
    """Jobs not yet finished."""
    return len(
        db.session.scalars(select(Job.id).where(Job.status.in_(("queued", "running")))).all()
    )
