"""Background jobs, queued in the database and claimed by workers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from archive.extensions import db
from archive.timeutil import utcnow

JOB_STATUSES = ("queued", "running", "done", "failed")


class Job(db.Model):
    """A unit of background work: extract a file's text, (re)index or unindex a document."""

    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=3)
    #: not claimed before this time (backoff after a failed attempt)
    run_after: Mapped[datetime] = mapped_column(default=utcnow)
    #: "host:pid" of the worker holding the job
    locked_by: Mapped[str | None] = mapped_column(String(100))
    #: last sign of life of that worker; a stale lease is taken up again
    locked_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
