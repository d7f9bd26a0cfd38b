"""Job claims on PostgreSQL: FOR UPDATE SKIP LOCKED for real, with two connections."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select, text

from archive.extensions import db
from archive.jobs import services
from archive.jobs.models import Job
from tests.databases import on_postgres

pytestmark = pytest.mark.skipif(
    not on_postgres(),
    reason="SQLite has no row locks (FOR UPDATE is ignored); runs in the PostgreSQL pass",
)


def _queue(app, count: int) -> list[int]:
    with app.app_context():
        jobs = [services.enqueue("index_document", {"document_id": n}) for n in range(count)]
        db.session.commit()
        return [job.id for job in jobs]


def test_a_claim_skips_the_job_another_transaction_holds_without_waiting(app):
    first, second, third = _queue(app, 3)
    with app.app_context():
        holder = db.engine.connect()
        try:
            locking = holder.begin()
            holder.execute(text("SELECT id FROM jobs WHERE id = :id FOR UPDATE"), {"id": first})

            # a claim that waited for the lock would fail here instead of taking the next job
            db.session.execute(text("SET LOCAL lock_timeout = '3s'"))
            began = time.monotonic()
            job = services.claim_next("worker-b:1")
            elapsed = time.monotonic() - began
            assert job is not None and job.id == second
            assert elapsed < 2.0
            assert (job.status, job.locked_by, job.attempts) == ("running", "worker-b:1", 1)
            db.session.remove()

            status = holder.execute(text("SELECT status FROM jobs WHERE id = :id"), {"id": first})
            assert status.scalar_one() == "queued"  # untouched while held
            locking.commit()
        finally:
            holder.close()

        # once released, the first job is the next one claimed, then the third
        assert services.claim_next("worker-b:1").id == first
        assert services.claim_next("worker-b:1").id == third
        assert services.claim_next("worker-b:1") is None
        db.session.remove()


def test_the_claim_statement_asks_for_skip_locked(app):
    _queue(app, 1)
    statements: list[str] = []
    with app.app_context():
        from sqlalchemy import event

        def record(_conn, _cursor, statement, *_args):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            assert services.claim_next("worker-a:1") is not None
        finally:
            event.remove(db.engine, "before_cursor_execute", record)
        db.session.remove()
    claims = [s for s in statements if "FROM jobs" in s and "FOR UPDATE" in s]
    assert claims and all("SKIP LOCKED" in s for s in claims)


def test_two_workers_claiming_at_once_never_take_the_same_job(app):
    ids = _queue(app, 6)
    with app.app_context():
        # worker A is inside its claim (rows locked, not yet committed) when worker B claims
        other = db.engine.connect()
        try:
            in_claim = other.begin()
            held = other.execute(
                select(Job.id)
                .where(Job.status == "queued")
                .order_by(Job.run_after, Job.id)
                .limit(2)
                .with_for_update(skip_locked=True)
            ).scalars()
            held = list(held)
            taken = [services.claim_next("worker-b:2").id for _ in range(4)]
            assert services.claim_next("worker-b:2") is None
            in_claim.rollback()
        finally:
            other.close()
        db.session.remove()
    assert held == ids[:2]
    assert taken == ids[2:]
