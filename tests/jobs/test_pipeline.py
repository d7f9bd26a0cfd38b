"""The worker's pipeline: batches of jobs, parallel sandboxed extraction, one index commit."""

from __future__ import annotations

from sqlalchemy import select, update
from whoosh import index as whoosh_index

from archive.documents.models import Document, File
from archive.extensions import db
from archive.jobs import pipeline
from archive.jobs.models import Job
from archive.search import indexing
from archive.stores import search_index
from archive.timeutil import utcnow
from tests.hostile_pdfs import slow_pdf


def _generation(app) -> int:
    with app.app_context():
        indexing.ensure_index_current()
        root = search_index().root
        live = root / (root / "CURRENT").read_text().strip()
        return whoosh_index.open_dir(str(live)).latest_generation()


def _files(app) -> list[tuple[str, str | None, int | None]]:
    with app.app_context():
        files = db.session.scalars(select(File).order_by(File.id))
        return [(f.text_status, f.text_reason, f.page_count) for f in files]


def _jobs(app) -> list[tuple[str, int]]:
    with app.app_context():
        return [(j.status, j.attempts) for j in db.session.scalars(select(Job).order_by(Job.id))]


def _search_total(client, q: str) -> int:
    return client.get(f"/api/v1/search?q={q}").get_json()["total"]


def test_a_batch_of_uploads_is_indexed_in_one_commit(app, client, make_meeting, upload, run_jobs):
    app.config["INDEX_BATCH_SECONDS"] = 60.0  # flush only when the batch has run dry
    make_meeting("12MSP")
    for n in range(5):
        assert upload([f"Statement number {n} on quinquennial clearance."]).status_code == 201
    before = _generation(app)

    assert run_jobs() == 5

    assert _generation(app) == before + 1
    assert _files(app) == [("indexed", None, 1)] * 5
    assert _jobs(app) == [("done", 1)] * 5
    assert _search_total(client, "quinquennial") == 5


def test_a_hanging_pdf_fails_alone_and_the_rest_of_the_batch_is_indexed(
    app, client, make_meeting, upload, run_jobs
):
    app.config["EXTRACT_TIME_LIMIT"] = 1.0
    make_meeting("12MSP")
    upload(["The first good statement, on stockpiles."])
    upload(data=slow_pdf(), filename="slow.pdf")
    upload(["The second good statement, on stockpiles."])

    assert run_jobs() == 3

    first, slow, second = _files(app)
    assert first[0] == second[0] == "indexed"
    assert slow == ("failed", "over the time limit (1 s)", None)
    assert _jobs(app) == [("done", 1)] * 3  # a bad file is an outcome, not a job failure
    assert _search_total(client, "stockpiles") == 2


def test_enough_waiting_pages_are_indexed_without_waiting_for_the_batch_time(
    app, client, make_meeting, upload, run_jobs, monkeypatch
):
    app.config["INDEX_BATCH_SECONDS"] = 60.0
    app.config["EXTRACT_TIME_LIMIT"] = 2.5
    monkeypatch.setattr(pipeline, "EARLY_FLUSH_PAGES", 2)
    make_meeting("12MSP")
    upload(data=slow_pdf(), filename="slow.pdf")  # keeps the pipeline from running dry
    for n in range(4):
        upload([f"Statement {n} on quinquennial clearance."])
    before = _generation(app)

    assert run_jobs() == 5

    # The good files went into the index while the slow one was still being extracted: with
    # the batch time at 60 s, only waiting pages can cause a commit before the slow file's
    # end. How many early commits there are depends on how the four small files' results
    # arrive together (all at once on a loaded machine), so only the first one is certain.
    assert _generation(app) >= before + 2
    assert _search_total(client, "quinquennial") == 4
    assert _files(app)[0] == ("failed", "over the time limit (2.5 s)", None)


def test_a_document_deleted_before_its_extraction_stays_out_of_the_index(
    app, client, make_meeting, upload, run_jobs, auth_headers
):
    make_meeting("12MSP")
    kept = upload(["Kept: victim assistance."]).get_json()["id"]
    gone = upload(["Gone: victim assistance."]).get_json()["id"]
    assert client.delete(f"/api/v1/documents/{gone}", headers=auth_headers).status_code in (
        200,
        204,
    )

    assert run_jobs() == 3  # two extractions and the unindexing

    with app.app_context():
        assert search_index().indexed_file_ids() == {
            f.id for f in db.session.scalars(select(File).where(File.document_id == kept))
        }
        assert db.session.get(Document, gone).deleted_at is not None
    assert _search_total(client, "victim") == 1


def test_jobs_are_done_only_after_the_index_commit(app, client, make_meeting, upload, run_jobs):
    make_meeting("12MSP")
    upload(["Waiting for the index lock."])
    upload(["Also waiting for the index lock."])
    with app.app_context():
        indexing.ensure_index_current()
        index = search_index()
        index.writer_timeout = 0.2
        root = index.root
    live = root / (root / "CURRENT").read_text().strip()
    holder = whoosh_index.open_dir(str(live)).writer()  # e.g. a rebuild holds the lock
    try:
        assert run_jobs() == 2
    finally:
        holder.cancel()
    assert _jobs(app) == [("queued", 1)] * 2
    assert [status for status, _, _ in _files(app)] == ["pending"] * 2
    with app.app_context():
        assert "LockError" in db.session.scalar(select(Job.last_error))
        db.session.execute(update(Job).values(run_after=utcnow()))  # let the backoff pass
        db.session.commit()

    assert run_jobs() == 2

    assert _jobs(app) == [("done", 2)] * 2
    assert _search_total(client, "lock") == 2
